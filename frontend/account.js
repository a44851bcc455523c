// Dashboard accounts: who the page acts for, and that account's balances. Plain DOM: every value
// from the server or the user is written with textContent, never parsed as HTML.
//
// Private requests carry the API key in the X-API-Key header (request() below), and the Socket.IO
// connection in its auth payload (main.js reads key()); the key is kept in sessionStorage (this tab,
// until it is closed), never in a URL or in localStorage. On load the page uses the key it kept,
// else signs in as the first demo account the server hands out (GET /demo/keys: only a server on a
// loopback address does, to a local browser); "Use another key" takes a pasted one.
//
// Loaded before main.js, which calls Account.init(host) once with what this part needs from the
// page (see init), and Account.start() once the symbols are known.
var Account = (function () {
  "use strict";

  var KEY_ITEM = "matching-engine.api-key";          // sessionStorage only
  var ACCOUNT_ITEM = "matching-engine.account";      // {name, demo}: how to sign in again if the key is refused
  var SIGNED_OUT_ITEM = "matching-engine.signed-out"; // the user signed out: do not sign in by itself

  var state = {
    key: null,            // the API key in use, or null when signed out
    account: null,        // GET /account of that key
    demo: false,          // whether the key is a demo account's
    demoAccounts: [],     // [{account_id, name, api_key}] from GET /demo/keys
    session: 0,           // bumped at every sign-in and sign-out: answers for an older one are dropped
    attempt: 0,           // the newest sign-in attempt: an older one that answers late is ignored
    balances: null,       // asset -> {available, locked} (the server's strings) of the signed-in account, or null
    accountEvents: 0      // how many `account` events came in: a GET /account sent before the newest is dropped
  };

  var host = null;  // what main.js lends (see init)
  var api, describeError, setMessage, el;  // main.js's helpers, from `host`

  function $(id) { return document.getElementById(id); }

  // ---- exact amounts (BigInt) ----

  // Amounts as {v: BigInt, d: decimals}: value v / 10^d, exact. Balances, fees and locks are worked
  // out with these, never with floating point, so that they agree with the server to the last digit.

  function amount(text) {
    var neg = text.charAt(0) === "-";
    var t = neg ? text.slice(1) : text;
    var dot = t.indexOf(".");
    var d = dot < 0 ? 0 : t.length - dot - 1;
    var parts = t.split(".");
    var v = BigInt(parts[0] + (parts[1] || "").padEnd(d, "0"));
    return { v: neg ? -v : v, d: d };
  }

  function isAmount(text) { return typeof text === "string" && /^-?[0-9]+(\.[0-9]+)?$/.test(text); }

  function atScale(a, d) { return a.v * 10n ** BigInt(d - a.d); }

  function amountAdd(a, b) {
    var d = Math.max(a.d, b.d);
    return { v: atScale(a, d) + atScale(b, d), d: d };
  }

  function amountSub(a, b) { return amountAdd(a, { v: -b.v, d: b.d }); }

  function amountMul(a, b) { return { v: a.v * b.v, d: a.d + b.d }; }

  function amountCmp(a, b) {
    var d = Math.max(a.d, b.d);
    var x = atScale(a, d), y = atScale(b, d);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  function amountText(a, minDecimals) {
    // exact, without trailing zeros beyond `minDecimals` (2 unless given): how the server writes amounts
    var min = minDecimals === undefined ? 2 : minDecimals;
    var neg = a.v < 0n;
    var digits = (neg ? -a.v : a.v).toString().padStart(a.d + 1, "0");
    var whole = digits.slice(0, digits.length - a.d);
    var frac = digits.slice(digits.length - a.d).replace(/0+$/, "");
    while (frac.length < min) frac += "0";
    return (neg ? "-" : "") + whole + (frac ? "." + frac : "");
  }

  // ---- private requests ----

  function privateApi(method, path, body) {
    // A request of the signed-in account. `stale`: the account changed while it was on its way,
    // so its answer belongs to another account and must not be shown as this one's.
    var session = state.session;
    if (!state.key) {
      return Promise.resolve({ ok: false, status: 401, stale: false,
                               data: { error: "Not signed in", error_code: "UNAUTHENTICATED", reason: "NOT_SIGNED_IN" } });
    }
    return api(method, path, body, state.key).then(function (r) {
      r.stale = session !== state.session;
      if (r.status === 401 && !r.stale) keyRefused(r.data);
      return r;
    });
  }

  // ---- balances (GET /account, then the private `account` event) ----

  var ZERO = { v: 0n, d: 0 };
  var ONE = { v: 1n, d: 0 };

  function balanceOf(asset) {
    // {available, locked} as the server wrote them, or null (an asset the account never held)
    var b = state.balances && state.balances[asset];
    return b && isAmount(b.available) && isAmount(b.locked) ? b : null;
  }

  function symbolAssets() {
    // the base and quote assets of the symbol on screen
    var market = host.market();
    var rules = market.symbols[market.symbol];
    return rules && rules.base_asset && rules.quote_asset ? [rules.base_asset, rules.quote_asset] : [];
  }

  function setAccount(a) {
    // A GET /account answer or an `account` event of the signed-in account: its newest balances.
    var renamed = !state.account || state.account.name !== a.name || state.account.account_id !== a.account_id;
    state.account = a;
    state.balances = a.balances && typeof a.balances === "object" ? a.balances : {};
    if (renamed) renderAccount();
    renderBalances();
  }

  function onAccountEvent(a) {
    // Sent to a signed-in connection whenever its account's balances change; the body of GET /account.
    if (!a || typeof a !== "object" || !a.balances || !state.key) return;
    if (state.account && state.account.account_id !== null && a.account_id !== state.account.account_id) return;
    state.accountEvents += 1;
    setAccount(a);
  }

  function loadBalances() {
    // GET /account, unless an `account` event comes while it is on its way: that event is at least as
    // new (a change after it sends another one), and the answer may be older.
    if (!state.key) return;
    var session = state.session;
    var seen = state.accountEvents;
    privateApi("GET", "/account").then(function (r) {
      if (r.stale || session !== state.session || !r.ok || state.accountEvents !== seen) return;
      setAccount(r.data);
    });
  }

  function renderBalances() {
    var signedIn = !!state.key;
    var ready = signedIn && !!state.balances;
    var current = symbolAssets();
    var tbody = $("balances");
    tbody.textContent = "";
    var note = "";
    if (!signedIn) note = "Not signed in: sign in (at the top) to see your balances.";
    else if (!ready) note = "Balances not loaded yet.";
    if (ready) {
      var assets = Object.keys(state.balances).filter(balanceOf).sort();
      if (!assets.length) note = "This account holds no assets yet.";
      assets.forEach(function (asset) {
        var b = state.balances[asset];
        var row = el("tr", current.indexOf(asset) >= 0 ? "current" : null);
        row.dataset.asset = asset;
        row.appendChild(el("td", "asset", asset));
        row.appendChild(el("td", "available", b.available));
        row.appendChild(el("td", "locked", b.locked));
        tbody.appendChild(row);
      });
    }
    $("balances-note").textContent = note;
    $("balances-account").textContent = signedIn && state.account ? "of " + state.account.name : "";
    // at the order form: the two assets of the symbol on screen
    var show = ready && current.length === 2;
    $("funds").hidden = !show;
    ["funds-base", "funds-quote"].forEach(function (id, i) {
      var box = $(id);
      var asset = show ? current[i] : "";
      var b = show ? balanceOf(asset) : null;
      box.dataset.asset = asset;
      box.querySelector(".asset").textContent = asset;
      box.querySelector(".available").textContent = show ? (b ? b.available : "0.00") : "";  // never held: none
      box.querySelector(".locked").textContent = show ? (b ? b.locked : "0.00") : "";
    });
    host.formChanged();  // what the order in the form would lock, with these balances
  }

  function orderLock(body) {
    // What the server locks for a valid order at entry (engine/balances.py, `requirement`), exactly:
    // a sell its quantity of the base asset; a buy price × quantity × (1 + the larger fee rate) of the
    // quote asset; a market buy what walking the asks for its quantity costs, plus that fee. For a
    // market buy only the asks on screen are known: `exact` is false when they hold less than the
    // quantity while the book may hold more (ten levels shown), and `need` is then the least it locks.
    var market = host.market();
    var rules = market.symbols[body.symbol];
    if (!rules || !rules.base_asset || !rules.quote_asset) return null;
    var qty = amount(body.quantity);
    if (body.side === "sell") return { asset: rules.base_asset, need: qty, exact: true, how: "" };
    var fee = amount(rules.maker_fee_rate || "0");
    var taker = amount(rules.taker_fee_rate || "0");
    if (amountCmp(taker, fee) > 0) fee = taker;
    var factor = amountAdd(ONE, fee);
    var feeText = amountText(amountMul(fee, { v: 100n, d: 0 }), 0) + "% fee";
    var quote = rules.quote_asset;
    if (body.order_type !== "market") {
      return { asset: quote, need: amountMul(amountMul(amount(body.price), qty), factor), exact: true,
               how: " (price × quantity + " + feeText + ")" };
    }
    if (body.symbol !== market.symbol || market.book.sequence < 0) return { asset: quote, need: null, exact: false };
    var cost = ZERO, left = qty;
    market.book.asks.forEach(function (level) {
      if (left.v <= 0n || !isAmount(level[0]) || !isAmount(level[1])) return;
      var size = amount(level[1]);
      var take = amountCmp(size, left) < 0 ? size : left;
      cost = amountAdd(cost, amountMul(amount(level[0]), take));
      left = amountSub(left, take);
    });
    var whole = market.book.asks.length < market.levels;  // fewer levels than a snapshot carries: the whole side
    return { asset: quote, need: amountMul(cost, factor), exact: left.v <= 0n || whole,
             how: " (walking the asks shown, + " + feeText + ")",
             held: amountText(amountSub(qty, left)), wanted: amountText(qty), base: rules.base_asset };
  }

  function fundsCheck(body) {
    // {short, text} for a valid order of the signed-in account, or null when the balances are not known.
    if (!state.key || !state.balances) return null;
    var lock = orderLock(body);
    if (!lock) return null;
    var asset = lock.asset;
    var b = balanceOf(asset);
    var availableText = b ? b.available : "0.00";
    var available = b ? amount(b.available) : ZERO;
    if (lock.need === null) {
      return { short: false, text: "A market buy locks what walking the asks costs: the book is not loaded yet, " +
               "so the check is the server's." };
    }
    var needText = amountText(lock.need);
    var short = amountCmp(lock.need, available) > 0;
    if (lock.exact) {
      return { short: short, text: short
        ? "Not enough " + asset + ": needs " + needText + " " + asset + ", available " + availableText + "."
        : "Locks " + needText + " " + asset + lock.how + " of " + availableText + " available." };
    }
    var shown = "the asks shown hold " + lock.held + " of the " + lock.wanted + " " + lock.base;
    return { short: short, text: short
      ? "Not enough " + asset + ": needs at least " + needText + " " + asset + ", available " + availableText +
        " (" + shown + ")."
      : "Locks at least " + needText + " " + asset + ": " + shown + ", so the exact check is the server's." };
  }

  // ---- account: sign in, switch, sign out ----

  function store(name, value) {
    try {
      if (value === null) sessionStorage.removeItem(name); else sessionStorage.setItem(name, value);
    } catch (e) { /* storage disabled: the key lives as long as the page */ }
  }

  function stored(name) {
    try { return sessionStorage.getItem(name); } catch (e) { return null; }
  }

  function setAccountMessage(text, ok) { setMessage($("account-message"), text, ok); }

  function renderAccount() {
    var signedIn = !!state.key;
    var name = signedIn ? state.account.name : "not signed in";
    $("account-name").textContent = name;
    $("account-name").title = signedIn ? "account " + state.account.account_id + (state.demo ? " (demo)" : "") : "";
    $("account-box").classList.toggle("signed-in", signedIn);
    $("sign-out").hidden = !signedIn;
    $("mine-account").textContent = signedIn ? "of " + name : "";
    $("mine-note").textContent = signedIn ? "" : "Not signed in: sign in (at the top) to see and cancel your orders.";
    $("signin-note").textContent = signedIn ? "" :
      "Not signed in: orders are not sent. Choose a demo account or use an API key (at the top).";
    // the switcher: the demo accounts, and the account of a pasted key
    var select = $("account-select");
    select.textContent = "";
    var current = null;
    if (!signedIn) select.appendChild(el("option", null, "choose an account…")).value = "";
    if (signedIn && !state.demoAccounts.some(function (a) { return a.account_id === state.account.account_id; })) {
      current = el("option", null, state.account.name + " (your key)");
      current.value = "current";
      select.appendChild(current);
    }
    state.demoAccounts.forEach(function (a, i) {
      var opt = el("option", null, a.name + " (demo)");
      opt.value = "demo:" + i;
      if (signedIn && a.account_id === state.account.account_id) current = opt;
      select.appendChild(opt);
    });
    if (current) current.selected = true; else select.value = "";
    select.hidden = state.demoAccounts.length === 0;
  }

  function loadDemoKeys() {
    // 404 unless the server listens on loopback and this browser is local: then the user pastes a key.
    return api("GET", "/demo/keys").then(function (r) {
      state.demoAccounts = r.ok && Array.isArray(r.data.accounts) ? r.data.accounts : [];
      renderAccount();
      return state.demoAccounts;
    });
  }

  function startSession(key, account, demo) {
    state.session += 1;
    state.key = key;
    state.account = account;
    state.balances = account.balances && typeof account.balances === "object" ? account.balances : {};
    state.demo = demo;
    store(KEY_ITEM, key);
    store(ACCOUNT_ITEM, JSON.stringify({ name: account.name, demo: demo }));
    store(SIGNED_OUT_ITEM, null);
    host.clearOrders();
    renderAccount();
    renderBalances();
    host.connect();     // a new connection with this key; it loads the orders once connected
    host.loadOrders();  // and at once, in case the socket is slow or down
  }

  function signIn(key, demo) {
    // Validate the key (GET /account) before using it; resolves to the answer.
    var attempt = ++state.attempt;
    return api("GET", "/account", undefined, key).then(function (r) {
      if (attempt !== state.attempt) { r.superseded = true; return r; }
      if (r.ok) startSession(key, r.data, demo);
      return r;
    });
  }

  function signOut(explicit, reconnect) {
    state.session += 1;
    state.attempt += 1;
    state.key = null;
    state.account = null;
    state.balances = null;
    state.demo = false;
    store(KEY_ITEM, null);
    store(ACCOUNT_ITEM, null);
    store(SIGNED_OUT_ITEM, explicit ? "1" : null);
    host.clearOrders();
    renderAccount();
    renderBalances();
    if (reconnect) host.connect(); else host.disconnect();  // the public feeds only, or none until the next sign-in
  }

  function signInAsDemo(preferName) {
    // The demo account named `preferName` (else the first one), if the server hands out keys.
    return loadDemoKeys().then(function (accounts) {
      var pick = accounts.filter(function (a) { return a.name === preferName; })[0] || accounts[0];
      if (!pick) {
        if (!state.key) host.connect();
        return false;
      }
      return signIn(pick.api_key, true).then(function (r) {
        if (r.superseded) return false;
        if (!r.ok) {
          setAccountMessage("Could not sign in as " + pick.name + ": " + describeError(r.data) + ".", false);
          if (!state.key) host.connect();
        }
        return r.ok;
      });
    });
  }

  function keyRefused(data) {
    // A private request (or the socket) found the key refused: revoked, disabled, or a server that
    // restarted in memory with new demo accounts. A demo session signs in again as the same demo
    // account; with a pasted key the user decides.
    var name = state.account ? state.account.name : "this account";
    var wasDemo = state.demo;
    signOut(false, !wasDemo);
    setAccountMessage("The server refused the key of " + name + ": " + describeError(data) + "." +
                      (wasDemo ? "" : " Sign in again."), false);
    if (wasDemo) {
      signInAsDemo(name).then(function (ok) {
        if (ok) setAccountMessage("The key of " + name + " was refused (" + ((data && data.reason) || "UNAUTHENTICATED") +
                                  "); signed in again with the server's demo key of " + state.account.name + ".", true);
      });
    }
  }

  function startAccount() {
    // On load: the key kept in this tab, validated; else the first demo account; else signed out.
    var key = stored(KEY_ITEM);
    var saved = {};
    try { saved = JSON.parse(stored(ACCOUNT_ITEM) || "{}") || {}; } catch (e) { saved = {}; }
    if (!key) {
      if (stored(SIGNED_OUT_ITEM)) {
        loadDemoKeys();
        signOut(true, true);
        return;
      }
      signInAsDemo();
      return;
    }
    var demoKeys = loadDemoKeys();
    signIn(key, !!saved.demo).then(function (r) {
      if (r.ok || r.superseded) return;
      if (r.status === 401) {
        store(KEY_ITEM, null);
        setAccountMessage("The key kept in this tab was refused: " + describeError(r.data) + ".", false);
        demoKeys.then(function () { signInAsDemo(saved.name); });
        return;
      }
      // the server cannot be reached, or another error: keep the key and try the feeds with it
      setAccountMessage("Could not check the API key: " + describeError(r.data) + ".", false);
      state.key = key;
      state.account = { account_id: null, name: saved.name || "your key" };
      state.balances = null;  // loaded once the socket connects
      state.demo = !!saved.demo;
      renderAccount();
      renderBalances();
      host.connect();
    });
  }

  function onSwitch() {
    var value = $("account-select").value;
    if (value.indexOf("demo:") !== 0) return;
    var a = state.demoAccounts[Number(value.slice(5))];
    if (!a) return;
    setAccountMessage("");
    signIn(a.api_key, true).then(function (r) {
      if (r.superseded) return;
      if (!r.ok) {
        setAccountMessage("Could not switch to " + a.name + ": " + describeError(r.data) + ".", false);
        renderAccount();  // the switcher shows the account still in use
      }
    });
  }

  function showKeyForm(show) {
    $("key-form").hidden = !show;
    $("key-toggle").setAttribute("aria-expanded", String(show));
    if (show) $("api-key").focus(); else $("api-key").value = "";
  }

  function submitKey(ev) {
    ev.preventDefault();
    var key = $("api-key").value.trim();
    if (!key) { setAccountMessage("Paste an API key first.", false); return; }
    setAccountMessage("Checking the key…", true);
    signIn(key, false).then(function (r) {
      if (r.superseded) return;
      if (r.ok) {
        showKeyForm(false);
        setAccountMessage("Signed in as " + r.data.name + ".", true);
        return;
      }
      var still = state.key ? " Still signed in as " + state.account.name + "." : "";
      if (r.status === 401) {
        setAccountMessage("This key was not accepted: " + describeError(r.data) + "." + still, false);
      } else if (r.status === 429) {
        setAccountMessage("Too many invalid keys from this address: try again in " + (r.retryAfter || "a few") + " s." + still, false);
      } else {
        setAccountMessage("Could not check the key: " + describeError(r.data) + "." + still, false);
      }
    });
  }

  // ---- the interface main.js uses ----

  function init(lent) {
    // `lent`, from main.js: its helpers api(method, path, body, key), describeError(data),
    // setMessage(node, text, ok) and el(tag, className, text); market(): {symbols, symbol, book, levels}
    // (the symbol on screen, its book and how many levels a snapshot carries); clearOrders(): forget the
    // orders listed (they were another account's); loadOrders(); connect(): a new Socket.IO connection
    // with key(); disconnect(); formChanged(): the balances changed, say again what the order would lock.
    host = lent;
    api = lent.api;
    describeError = lent.describeError;
    setMessage = lent.setMessage;
    el = lent.el;
    $("account-select").addEventListener("change", onSwitch);
    $("key-toggle").addEventListener("click", function () { showKeyForm($("key-form").hidden); });
    $("key-cancel").addEventListener("click", function () { showKeyForm(false); setAccountMessage(""); });
    $("key-form").addEventListener("submit", submitKey);
    $("sign-out").addEventListener("click", function () {
      signOut(true, true);
      setAccountMessage("Signed out: the key is forgotten in this tab.", true);
    });
  }

  return {
    init: init,
    start: startAccount,             // on load, once the symbols are known
    key: function () { return state.key; },          // the API key in use, or null when signed out
    account: function () { return state.account; },  // GET /account of that key, or null
    session: function () { return state.session; },  // changes at every sign-in and sign-out
    request: privateApi,             // a request of the signed-in account: {ok, status, data, stale, ...}
    onEvent: onAccountEvent,         // the private `account` Socket.IO event
    loadBalances: loadBalances,
    renderBalances: renderBalances,  // the symbol on screen changed
    fundsCheck: fundsCheck           // {short, text} for a valid order, or null
  };
})();
