// Matching engine dashboard. Plain DOM: every value from the server or the user is
// written with textContent, never parsed as HTML.
//
// Accounts: private requests carry the API key in the X-API-Key header, and the Socket.IO
// connection in its auth payload; the key is kept in sessionStorage (this tab, until it is
// closed), never in a URL or in localStorage. On load the page uses the key it kept, else
// signs in as the first demo account the server hands out (GET /demo/keys: only a server on
// a loopback address does, to a local browser); "Use another key" takes a pasted one.
(function () {
  "use strict";

  var MAX_TRADES = 100;
  var BOOK_LEVELS = 10;     // what an l2_update carries (the server's default L2_DEPTH): one depth throughout
  var REJECTED = {          // why an order came back "rejected", in words
    POST_ONLY_WOULD_TAKE: "a post-only order would have traded at once, so it was not placed",
    FOK_NOT_FILLABLE: "the book could not fill the whole fill-or-kill order at once"
  };
  var MAX_PRICES = 300;
  var MAX_MY_ORDERS = 200;
  var LIVE = { pending: true, partially_filled: true };
  var RANK = { pending: 0, partially_filled: 1, filled: 2, cancelled: 2, rejected: 2 };  // a status never goes back
  var ORDER_FIELDS = ["order_id", "client_order_id", "symbol", "side", "order_type", "price", "quantity",
                      "filled_quantity", "remaining_quantity", "status", "reject_reason"];
  var KEY_ITEM = "matching-engine.api-key";          // sessionStorage only
  var ACCOUNT_ITEM = "matching-engine.account";      // {name, demo}: how to sign in again if the key is refused
  var SIGNED_OUT_ITEM = "matching-engine.signed-out"; // the user signed out: do not sign in by itself
  var OLD_STORE_KEY = "matching-engine.my-orders";   // what an earlier version kept in localStorage

  var state = {
    symbols: {},          // symbol -> rules from /symbols
    symbol: null,         // the symbol on screen
    book: { bids: [], asks: [], sequence: -1 },
    prices: [],           // recent trade prices of the symbol on screen, oldest first
    tradeCount: 0,
    orderCount: 0,
    myOrders: new Map(),  // order_id -> order of the signed-in account
    socket: null,
    key: null,            // the API key in use, or null when signed out
    account: null,        // GET /account of that key
    demo: false,          // whether the key is a demo account's
    demoAccounts: [],     // [{account_id, name, api_key}] from GET /demo/keys
    session: 0,           // bumped at every sign-in and sign-out: answers for an older one are dropped
    attempt: 0,           // the newest sign-in attempt: an older one that answers late is ignored
    retryTimer: null,
    balances: null,       // asset -> {available, locked} (the server's strings) of the signed-in account, or null
    accountEvents: 0      // how many `account` events came in: a GET /account sent before the newest is dropped
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setMessage(node, text, ok) {
    node.textContent = text || "";
    node.className = "message " + (text ? (ok ? "ok" : "error") : "");
  }

  // ---- exact decimals (BigInt), mirroring the engine's tick and step rules ----

  var DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

  function decimalsOf(text) {
    var dot = text.indexOf(".");
    return dot < 0 ? 0 : text.length - dot - 1;
  }

  function scaled(text, decimals) {
    var parts = text.split(".");
    var frac = (parts[1] || "").padEnd(decimals, "0");
    return BigInt(parts[0] + frac);
  }

  function isMultiple(value, increment) {
    var d = Math.max(decimalsOf(value), decimalsOf(increment));
    var inc = scaled(increment, d);
    return inc > 0n && scaled(value, d) % inc === 0n;
  }

  function compare(a, b) {
    var d = Math.max(decimalsOf(a), decimalsOf(b));
    var x = scaled(a, d), y = scaled(b, d);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  function product(a, b) {
    // a * b as a decimal string
    var d = decimalsOf(a) + decimalsOf(b);
    var p = (scaled(a, decimalsOf(a)) * scaled(b, decimalsOf(b))).toString().padStart(d + 1, "0");
    return d ? p.slice(0, p.length - d) + "." + p.slice(p.length - d) : p;
  }

  // Amounts as {v: BigInt, d: decimals}: value v / 10^d, exact. Balances, fees and locks are worked
  // out with these, never with floating point, so that they agree with the server to the last digit.

  function amount(text) {
    var neg = text.charAt(0) === "-";
    var t = neg ? text.slice(1) : text;
    var d = decimalsOf(t);
    var v = scaled(t, d);
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

  function validateOrder(body) {
    var rules = state.symbols[body.symbol];
    if (!rules) return "Choose a symbol.";
    if (!DECIMAL.test(body.quantity)) return "Quantity must be a positive decimal number such as 0.01.";
    if (compare(body.quantity, "0") <= 0) return "Quantity must be greater than zero.";
    if (!isMultiple(body.quantity, rules.step_size)) return "Quantity must be a multiple of the step size " + rules.step_size + ".";
    if (compare(body.quantity, rules.min_quantity) < 0) return "Quantity is below the minimum " + rules.min_quantity + " for " + body.symbol + ".";
    if (compare(body.quantity, rules.max_quantity) > 0) return "Quantity is above the maximum " + rules.max_quantity + " for " + body.symbol + ".";
    if (body.order_type === "market") return null;
    if (!body.price) return "A " + body.order_type + " order needs a price.";
    if (!DECIMAL.test(body.price)) return "Price must be a positive decimal number such as 30000.00.";
    if (compare(body.price, "0") <= 0) return "Price must be greater than zero.";
    if (!isMultiple(body.price, rules.tick_size)) return "Price must be a multiple of the tick size " + rules.tick_size + ".";
    if (compare(product(body.price, body.quantity), rules.min_notional) < 0) {
      return "Order value (price × quantity) is below the minimum " + rules.min_notional + ".";
    }
    return null;
  }

  // ---- REST ----

  function api(method, path, body, key) {
    // `key`: the API key for a private endpoint, sent in a header (never in the URL)
    var opts = { method: method, headers: {}, cache: "no-store" };
    if (key) opts.headers["X-API-Key"] = key;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (resp) {
      var retryAfter = Number(resp.headers.get("Retry-After")) || 0;
      return resp.json().catch(function () { return { error: "The server answered " + resp.status + "." }; })
        .then(function (data) { return { ok: resp.ok, status: resp.status, data: data, retryAfter: retryAfter }; });
    }, function () {
      return { ok: false, status: 0, data: { error: "The server cannot be reached." }, retryAfter: 0 };
    });
  }

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

  function describeError(data) {
    if (!data) return "Unknown error.";
    var text = data.error || "Request refused.";
    return data.reason ? text + " (" + data.reason + ")" : text;
  }

  // ---- order book ----

  function applyBook(snapshot, force) {
    if (snapshot.symbol !== state.symbol) return;
    if (!force && snapshot.sequence < state.book.sequence) {
      // Older than what is shown: out of order, or the server restarted. Ask for a fresh snapshot.
      refreshBook();
      return;
    }
    state.book = { bids: snapshot.bids || [], asks: snapshot.asks || [], sequence: snapshot.sequence };
    if (state.socket && state.socket.connected) setStale(false);
    renderBook();
    drawDepth();
  }

  function refreshBook() {
    var symbol = state.symbol;
    if (!symbol) return;
    api("GET", "/book/" + encodeURIComponent(symbol) + "?levels=" + BOOK_LEVELS).then(function (r) {
      if (r.ok && symbol === state.symbol) applyBook(r.data, true);
    });
  }

  function fillRows(tbody, levels, reversed) {
    // Running totals from the best price outwards; rows are reused, not rebuilt.
    var totals = [];
    var d = 0;
    levels.forEach(function (l) { d = Math.max(d, decimalsOf(l[1])); });
    var sum = 0n;
    levels.forEach(function (l) { sum += scaled(l[1], d); totals.push(sum); });
    var order = levels.map(function (_, i) { return i; });
    if (reversed) order.reverse();
    while (tbody.rows.length > levels.length) tbody.deleteRow(-1);
    order.forEach(function (idx, rowIdx) {
      var row = tbody.rows[rowIdx];
      if (!row) {
        row = tbody.insertRow(-1);
        for (var c = 0; c < 3; c++) row.insertCell(-1);
      }
      var total = totals[idx].toString().padStart(d + 1, "0");
      var totalText = d ? total.slice(0, total.length - d) + "." + total.slice(total.length - d) : total;
      var values = [levels[idx][0], levels[idx][1], totalText];
      for (var k = 0; k < 3; k++) {
        if (row.cells[k].textContent !== values[k]) row.cells[k].textContent = values[k];
      }
      row.dataset.price = levels[idx][0];
    });
  }

  function renderBook() {
    var b = state.book;
    fillRows($("asks"), b.asks.slice(0, BOOK_LEVELS), true);
    fillRows($("bids"), b.bids.slice(0, BOOK_LEVELS), false);
    $("book-seq").textContent = b.sequence >= 0 ? "seq " + b.sequence : "";
    var bid = b.bids.length ? b.bids[0][0] : null;
    var ask = b.asks.length ? b.asks[0][0] : null;
    $("best-bid").textContent = bid || "–";
    $("best-ask").textContent = ask || "–";
    var spread = "–", mid = "–";
    if (bid && ask) {
      var d = Math.max(decimalsOf(bid), decimalsOf(ask));
      var s = (scaled(ask, d) - scaled(bid, d)).toString().padStart(d + 1, "0");
      spread = d ? s.slice(0, s.length - d) + "." + s.slice(s.length - d) : s;
      var m = ((scaled(ask, d) + scaled(bid, d)) * 5n).toString().padStart(d + 2, "0");
      mid = m.slice(0, m.length - d - 1) + "." + m.slice(m.length - d - 1);
      if (mid.endsWith("0")) mid = mid.slice(0, -1);  // a half tick needs the extra digit, a whole one does not
    }
    $("spread").textContent = spread;
    $("mid").textContent = mid;
    $("spread-row").textContent = bid && ask ? "spread " + spread : "no two-sided market";
    if ($("order-type").value === "market") updateOrderCost();  // a market buy's cost walks these asks
  }

  // ---- charts (frontend/charts.js) ----

  function drawDepth() { Charts.drawDepth($("depth-chart"), $("depth-note"), state.book, state.symbols[state.symbol]); }

  function drawPrices() { Charts.drawPrices($("price-chart"), state.prices, state.symbols[state.symbol]); }

  // ---- trades ----

  function addTrade(t, live) {
    if (t.symbol !== state.symbol) return;
    var row = el("tr");
    var when = new Date(t.timestamp * 1000);
    row.appendChild(el("td", null, when.toLocaleTimeString()));
    row.appendChild(el("td", t.aggressor_side, t.price));
    row.appendChild(el("td", null, t.quantity));
    row.appendChild(el("td", t.aggressor_side, t.aggressor_side));
    var feed = $("trade-feed");
    feed.insertBefore(row, feed.firstChild);
    while (feed.rows.length > MAX_TRADES) feed.deleteRow(-1);
    state.prices.push(Number(t.price));
    if (state.prices.length > MAX_PRICES) state.prices.shift();
    if (live) {
      state.tradeCount += 1;
      $("trade-count").textContent = String(state.tradeCount);
    }
    drawPrices();
  }

  function loadTrades() {
    var symbol = state.symbol;
    api("GET", "/trades/" + encodeURIComponent(symbol) + "?limit=50").then(function (r) {
      if (!r.ok || symbol !== state.symbol) return;
      $("trade-feed").textContent = "";
      state.prices = [];
      r.data.trades.slice().reverse().forEach(function (t) { addTrade(t, false); });
      drawPrices();
    });
  }

  // ---- my orders (GET /orders, then the private order events) ----

  function mergeOrder(known, update) {
    // Answers and events can arrive out of order: a status never goes back (a late "accepted"
    // event does not reopen a filled order) and the filled quantity never shrinks.
    var out = known ? Object.assign({}, known) : {};
    var older = false;
    if (known && update.status && RANK[update.status] < RANK[known.status]) older = true;
    if (known && DECIMAL.test(update.filled_quantity || "") && DECIMAL.test(known.filled_quantity || "") &&
        compare(update.filled_quantity, known.filled_quantity) < 0) older = true;
    ORDER_FIELDS.forEach(function (f) {
      if (update[f] === undefined) return;
      if (older && (f === "status" || f === "filled_quantity" || f === "remaining_quantity")) return;
      out[f] = update[f];
    });
    return out;
  }

  function rememberOrder(o) {
    state.myOrders.set(o.order_id, mergeOrder(state.myOrders.get(o.order_id), o));
    renderMyOrders();
  }

  function renderMyOrders() {
    var tbody = $("my-orders");
    tbody.textContent = "";
    var orders = Array.from(state.myOrders.values()).sort(function (a, b) { return b.order_id - a.order_id; });
    orders.slice(0, MAX_MY_ORDERS).forEach(function (o) {
      var row = el("tr");
      row.dataset.orderId = String(o.order_id);
      row.appendChild(el("td", null, o.order_id));
      row.appendChild(el("td", null, o.client_order_id || ""));
      row.appendChild(el("td", null, o.symbol));
      row.appendChild(el("td", o.side, o.side + " " + (o.order_type || "")));
      row.appendChild(el("td", null, o.price || "market"));
      row.appendChild(el("td", null, (o.filled_quantity || "0") + " / " + (o.quantity || "?")));
      row.appendChild(el("td", "status", o.status));
      var cell = el("td");
      if (LIVE[o.status]) {
        var btn = el("button", null, "Cancel");
        btn.type = "button";
        btn.setAttribute("aria-label", "Cancel order " + o.order_id);
        btn.addEventListener("click", function () { cancelOrder(o.order_id, o.symbol, $("mine-message")); });
        cell.appendChild(btn);
      }
      row.appendChild(cell);
      tbody.appendChild(row);
    });
  }

  function fetchOrder(orderId, symbol) {
    return privateApi("GET", "/order/" + encodeURIComponent(orderId) + "?symbol=" + encodeURIComponent(symbol))
      .then(function (r) { if (r.ok && !r.stale) rememberOrder(r.data); });
  }

  function onOrderEvent(e) {
    // The private feed delivers the signed-in account's events only (the server filters by account).
    if (!e || typeof e.order_id !== "number") return;
    if (state.myOrders.has(e.order_id) || e.event_type === "accepted") {
      rememberOrder(e);  // an accepted event carries the whole order: placed elsewhere (REST, another tab)
    } else {
      fetchOrder(e.order_id, e.symbol);  // news of an order not listed yet: ask for all of it
    }
  }

  function loadMyOrders() {
    // The account's open orders, newest first. Orders listed as open that are no longer in the
    // answer finished meanwhile (while offline, say): each is asked for once to show how.
    if (!state.key) return;
    var session = state.session;
    privateApi("GET", "/orders?status=open&limit=" + MAX_MY_ORDERS).then(function (r) {
      if (r.stale || session !== state.session) return;
      if (!r.ok) { if (r.status !== 401) setMessage($("mine-message"), describeError(r.data), false); return; }
      var open = new Set();
      r.data.orders.forEach(function (o) { open.add(o.order_id); rememberOrder(o); });
      state.myOrders.forEach(function (o) {
        if (LIVE[o.status] && !open.has(o.order_id)) fetchOrder(o.order_id, o.symbol);
      });
      renderMyOrders();
    });
  }

  function cancelOrder(orderId, symbol, messageNode) {
    if (!state.key) { setMessage(messageNode, "Not signed in: sign in to cancel your orders.", false); return Promise.resolve(); }
    return privateApi("POST", "/cancel", { symbol: symbol, order_id: orderId }).then(function (r) {
      if (r.stale) return;
      if (r.ok) {
        setMessage(messageNode, "Order " + orderId + " cancelled.", true);
        if (state.myOrders.has(orderId)) rememberOrder(r.data);
      } else {
        setMessage(messageNode, describeError(r.data), false);
      }
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

  function symbolAssets(symbol) {
    var rules = state.symbols[symbol];
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
    var current = symbolAssets(state.symbol);
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
    updateOrderCost();
  }

  function orderLock(body) {
    // What the server locks for a valid order at entry (engine/balances.py, `requirement`), exactly:
    // a sell its quantity of the base asset; a buy price × quantity × (1 + the larger fee rate) of the
    // quote asset; a market buy what walking the asks for its quantity costs, plus that fee. For a
    // market buy only the asks on screen are known: `exact` is false when they hold less than the
    // quantity while the book may hold more (ten levels shown), and `need` is then the least it locks.
    var rules = state.symbols[body.symbol];
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
    if (body.symbol !== state.symbol || state.book.sequence < 0) return { asset: quote, need: null, exact: false };
    var cost = ZERO, left = qty;
    state.book.asks.forEach(function (level) {
      if (left.v <= 0n || !isAmount(level[0]) || !isAmount(level[1])) return;
      var size = amount(level[1]);
      var take = amountCmp(size, left) < 0 ? size : left;
      cost = amountAdd(cost, amountMul(amount(level[0]), take));
      left = amountSub(left, take);
    });
    var whole = state.book.asks.length < BOOK_LEVELS;  // fewer levels than a snapshot carries: the whole side
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

  function updateOrderCost() {
    // What the order in the form would lock, as it is typed; red when the account is short.
    var node = $("order-cost");
    var body = readForm();
    var check = body.quantity && !validateOrder(body) ? fundsCheck(body) : null;
    node.textContent = check ? check.text : "";
    node.classList.toggle("short", !!(check && check.short));
  }

  // ---- socket ----

  function subscribe(type, symbol) {
    if (state.socket && state.socket.connected) state.socket.emit("subscribe", { type: type, symbol: symbol });
  }

  function unsubscribe(type, symbol) {
    if (state.socket && state.socket.connected) state.socket.emit("unsubscribe", { type: type, symbol: symbol });
  }

  function setConnection(up, text) {
    var node = $("conn");
    node.className = "conn " + (up ? "up" : "down");
    $("conn-text").textContent = text;
    // Offline, the book and charts stop updating: dim them until a fresh snapshot arrives.
    if (!up) setStale(true);
  }

  function setStale(stale) {
    ["book", "charts"].forEach(function (id) { $(id).classList.toggle("stale", stale); });
    $("stale-note").textContent = stale ? "Offline: the book and charts show the last state received." : "";
  }

  function closeSocket() {
    clearTimeout(state.retryTimer);
    var old = state.socket;
    state.socket = null;  // first: the old socket's handlers see they are no longer current
    if (old) old.disconnect();
  }

  function connectSocket() {
    // One connection per sign-in: the key goes in the connect packet's auth (not in the URL), and
    // the private orders feed then carries this account's order events only.
    closeSocket();
    if (typeof io !== "function") { setConnection(false, "no Socket.IO client"); return; }
    var opts = { transports: ["websocket", "polling"], reconnectionDelayMax: 3000, forceNew: true };
    if (state.key) opts.auth = { api_key: state.key };
    var socket = io("/market", opts);
    state.socket = socket;
    function current() { return state.socket === socket; }
    socket.on("connect", function () {
      if (!current()) return;
      setConnection(true, "live");
      // After a (re)connect the server has forgotten us: subscribe again and take fresh state.
      state.book.sequence = -1;
      subscribe("l2_updates", state.symbol);
      subscribe("trades", state.symbol);
      if (state.key) {
        subscribe("orders");  // no symbol: the account's orders in every symbol
        loadMyOrders();       // and what happened while the feed was not there
        loadBalances();       // the same for the balances (their `account` event needs no subscription)
      }
      refreshBook();
      ping();
    });
    socket.on("disconnect", function (reason) {
      if (!current()) return;
      setConnection(false, "reconnecting…");
      // Closed by the server (the key was disabled or revoked, or the page fell too far behind): the
      // client does not reconnect by itself after that. Check the key, then connect again.
      if (reason === "io server disconnect") socketRefused(socket, null);
    });
    socket.on("connect_error", function (err) {
      if (!current()) return;
      if (socket.active) { setConnection(false, "offline, retrying…"); return; }  // the client tries again
      // The server refused the connection (it does not retry by itself): find out why.
      setConnection(false, "refused");
      socketRefused(socket, err);
    });
    socket.on("l2_update", function (snap) { if (current()) applyBook(snap, false); });
    socket.on("trade", function (t) { if (current()) addTrade(t, true); });
    socket.on("order_event", function (e) { if (current()) onOrderEvent(e); });
    socket.on("account", function (a) { if (current()) onAccountEvent(a); });
    socket.on("pong", function (p) {
      if (current() && p && typeof p.client_timestamp === "number") {
        $("latency").textContent = (performance.now() - p.client_timestamp).toFixed(1) + " ms";
      }
    });
    socket.on("error", function (e) {
      if (!current()) return;
      var node = e && e.error_code === "UNAUTHENTICATED" ? $("mine-message") : $("order-message");
      setMessage(node, describeError(e), false);
    });
  }

  function ping() {
    var socket = state.socket;
    if (socket && socket.connected) socket.emit("ping", { timestamp: performance.now() });
  }

  function retrySocket(socket, seconds) {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(function () { if (state.socket === socket) socket.connect(); }, seconds * 1000);
  }

  function socketRefused(socket, err) {
    // A refused or server-closed connection says little (err.data may be absent): ask the REST API
    // whether the key still works. 401: it does not (privateApi signs out); 429: too many bad keys,
    // wait; else connect again shortly.
    var data = (err && err.data) || {};
    if (!state.key) { retrySocket(socket, 3); return; }
    privateApi("GET", "/account").then(function (r) {
      if (r.stale || state.socket !== socket || r.status === 401) return;
      if (r.status === 429 || data.error_code === "RATE_LIMITED") {
        setConnection(false, "refused, retrying in " + (r.retryAfter || 10) + " s");
        retrySocket(socket, r.retryAfter || 10);
        return;
      }
      setConnection(false, "refused, retrying…");
      retrySocket(socket, 3);
    });
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
    state.myOrders.clear();
    setMessage($("mine-message"), "");
    renderMyOrders();
    renderAccount();
    renderBalances();
    connectSocket();  // a new connection with this key; it loads the orders once connected
    loadMyOrders();   // and at once, in case the socket is slow or down
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
    state.myOrders.clear();
    setMessage($("mine-message"), "");
    renderMyOrders();
    renderAccount();
    renderBalances();
    if (reconnect) connectSocket(); else closeSocket();  // the public feeds only, or none until the next sign-in
  }

  function signInAsDemo(preferName) {
    // The demo account named `preferName` (else the first one), if the server hands out keys.
    return loadDemoKeys().then(function (accounts) {
      var pick = accounts.filter(function (a) { return a.name === preferName; })[0] || accounts[0];
      if (!pick) {
        if (!state.key) connectSocket();
        return false;
      }
      return signIn(pick.api_key, true).then(function (r) {
        if (r.superseded) return false;
        if (!r.ok) {
          setAccountMessage("Could not sign in as " + pick.name + ": " + describeError(r.data) + ".", false);
          if (!state.key) connectSocket();
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
      connectSocket();
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

  // ---- form ----

  function selectSymbol(symbol) {
    var previous = state.symbol;
    if (previous === symbol) return;
    if (previous) { unsubscribe("l2_updates", previous); unsubscribe("trades", previous); }
    state.symbol = symbol;
    state.book = { bids: [], asks: [], sequence: -1 };
    renderBook();
    subscribe("l2_updates", symbol);
    subscribe("trades", symbol);
    refreshBook();
    loadTrades();
    var r = state.symbols[symbol];
    $("rules").textContent = "tick " + r.tick_size + " · step " + r.step_size + " · min qty " + r.min_quantity +
      " · min value " + r.min_notional;
    $("price").placeholder = "price, multiple of " + r.tick_size;
    // a price typed for another symbol would be far from this book (a buy could sweep it): start empty
    $("price").value = "";
    $("quantity").placeholder = "at least " + r.min_quantity;
    renderBalances();  // this symbol's assets at the form
  }

  function syncTypeControls() {
    var type = $("order-type").value;
    $("price").disabled = type === "market";
    $("post-only").disabled = type !== "limit";
    if (type !== "limit") $("post-only").checked = false;
  }

  function readForm() {
    var body = {
      symbol: $("symbol").value,
      side: document.querySelector("input[name=side]:checked").value,
      order_type: $("order-type").value,
      quantity: $("quantity").value.trim()
    };
    if (body.order_type !== "market") body.price = $("price").value.trim();
    if (body.order_type === "limit" && $("post-only").checked) body.post_only = true;
    var coid = $("client-order-id").value.trim();
    if (coid) body.client_order_id = coid;
    return body;
  }

  function submitOrder(ev) {
    ev.preventDefault();
    var msg = $("order-message");
    var body = readForm();
    if (!state.key) {
      setMessage(msg, "Not signed in: the order was not sent. Choose a demo account or use an API key (at the top).", false);
      return;
    }
    var problem = validateOrder(body);
    if (problem) { setMessage(msg, problem, false); return; }
    var funds = fundsCheck(body);
    if (funds && funds.short) { setMessage(msg, funds.text + " The order was not sent.", false); return; }
    $("submit").disabled = true;
    var account = state.account;
    privateApi("POST", "/order", body).then(function (r) {
      $("submit").disabled = false;
      if (!r.ok) {
        setMessage(msg, describeError(r.data), false);  // INSUFFICIENT_BALANCE: the server's sentence, its numbers
        if (r.data && r.data.error_code === "INSUFFICIENT_BALANCE" && !r.stale) loadBalances();
        return;
      }
      var o = r.data;
      state.orderCount += 1;
      $("order-count").textContent = String(state.orderCount);
      if (!r.stale) rememberOrder(o);  // else it is the previous account's order: not listed as this one's
      var text = "Order " + o.order_id + " " + o.status.replace("_", " ");
      if (o.trades.length) text += ", " + o.trades.length + " trade" + (o.trades.length > 1 ? "s" : "") + ", filled " + o.filled_quantity;
      if (o.reject_reason) text += ": " + (REJECTED[o.reject_reason] || "refused by the engine") + " (" + o.reject_reason + ")";
      if (o.cancel_reason === "SELF_TRADE_PREVENTED") text += ": the rest would have traded with this account's own order, so it was cancelled (SELF_TRADE_PREVENTED)";
      if (o.self_trade_prevented && o.self_trade_prevented.length) text += "; own order" + (o.self_trade_prevented.length > 1 ? "s " : " ") + o.self_trade_prevented.join(", ") + " cancelled to prevent a self-trade";
      if (r.stale) text += " (placed as " + account.name + ")";
      setMessage(msg, text + ".", o.status !== "rejected");
      $("client-order-id").value = "";
    });
  }

  function submitCancel(ev) {
    ev.preventDefault();
    var msg = $("cancel-message");
    var raw = $("cancel-id").value.trim();
    if (!/^[0-9]{1,15}$/.test(raw)) { setMessage(msg, "Enter a numeric order id.", false); return; }
    if (!state.key) { setMessage(msg, "Not signed in: sign in to cancel your orders.", false); return; }
    var id = Number(raw);
    var mine = state.myOrders.get(id);
    cancelOrder(id, mine ? mine.symbol : state.symbol, msg);
  }

  function onBookClick(ev) {
    var row = ev.target.closest("tr");
    if (!row || !row.dataset.price) return;
    $("price").value = row.dataset.price;
    if ($("order-type").value === "market") { $("order-type").value = "limit"; syncTypeControls(); }
    updateOrderCost();
  }

  function init() {
    $("order-form").addEventListener("submit", submitOrder);
    $("cancel-form").addEventListener("submit", submitCancel);
    $("order-type").addEventListener("change", syncTypeControls);
    $("order-form").addEventListener("input", updateOrderCost);
    $("order-form").addEventListener("change", updateOrderCost);
    $("symbol").addEventListener("change", function () { selectSymbol($("symbol").value); });
    $("asks").addEventListener("click", onBookClick);
    $("bids").addEventListener("click", onBookClick);
    $("clear-trades").addEventListener("click", function () {
      $("trade-feed").textContent = "";
      state.prices = [];
      drawPrices();
    });
    window.addEventListener("resize", function () { drawDepth(); drawPrices(); });
    $("account-select").addEventListener("change", onSwitch);
    $("key-toggle").addEventListener("click", function () { showKeyForm($("key-form").hidden); });
    $("key-cancel").addEventListener("click", function () { showKeyForm(false); setAccountMessage(""); });
    $("key-form").addEventListener("submit", submitKey);
    $("sign-out").addEventListener("click", function () {
      signOut(true, true);
      setAccountMessage("Signed out: the key is forgotten in this tab.", true);
    });
    // an earlier version listed order ids in localStorage; the list now comes from GET /orders
    try { localStorage.removeItem(OLD_STORE_KEY); } catch (e) { /* storage disabled */ }
    setInterval(ping, 3000);
    syncTypeControls();
    api("GET", "/symbols").then(function (r) {
      if (!r.ok) { setMessage($("order-message"), describeError(r.data), false); return; }
      var select = $("symbol");
      r.data.symbols.forEach(function (name) {
        state.symbols[name] = r.data.symbol_info[name];
        var opt = el("option", null, name);
        opt.value = name;
        select.appendChild(opt);
      });
      selectSymbol(select.value);
      startAccount();  // then the socket, with the key if there is one
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
