// Matching engine dashboard. Plain DOM: every value from the server or the user is
// written with textContent, never parsed as HTML.
//
// Accounts (signing in, the API key, the balances and the funds check before an order is sent) are
// in account.js, the trade feed and the price chart in trades.js, both loaded before this file: the
// globals `Account` and `Trades`, which init() below hands what they need from this page.
(function () {
  "use strict";

  var BOOK_LEVELS = 10;     // what an l2_update carries (the server's default L2_DEPTH): one depth throughout
  var REJECTED = {          // why an order came back "rejected", in words
    POST_ONLY_WOULD_TAKE: "a post-only order would have traded at once, so it was not placed",
    FOK_NOT_FILLABLE: "the book could not fill the whole fill-or-kill order at once"
  };
  var MAX_MY_ORDERS = 200;
  var LIVE = { pending: true, partially_filled: true };
  var RANK = { pending: 0, partially_filled: 1, filled: 2, cancelled: 2, rejected: 2 };  // a status never goes back
  var ORDER_FIELDS = ["order_id", "client_order_id", "symbol", "side", "order_type", "price", "quantity",
                      "filled_quantity", "remaining_quantity", "status", "reject_reason"];
  var OLD_STORE_KEY = "matching-engine.my-orders";   // what an earlier version kept in localStorage

  var state = {
    symbols: {},          // symbol -> rules from /symbols
    symbol: null,         // the symbol on screen
    book: { bids: [], asks: [], sequence: -1 },
    orderCount: 0,
    myOrders: new Map(),  // order_id -> order of the signed-in account
    socket: null,
    retryTimer: null
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

  function clearMyOrders() {
    // at every sign-in and sign-out (account.js): the orders listed were another account's
    state.myOrders.clear();
    setMessage($("mine-message"), "");
    renderMyOrders();
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
    return Account.request("GET", "/order/" + encodeURIComponent(orderId) + "?symbol=" + encodeURIComponent(symbol))
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
    if (!Account.key()) return;
    var session = Account.session();
    Account.request("GET", "/orders?status=open&limit=" + MAX_MY_ORDERS).then(function (r) {
      if (r.stale || session !== Account.session()) return;
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
    if (!Account.key()) { setMessage(messageNode, "Not signed in: sign in to cancel your orders.", false); return Promise.resolve(); }
    return Account.request("POST", "/cancel", { symbol: symbol, order_id: orderId }).then(function (r) {
      if (r.stale) return;
      if (r.ok) {
        setMessage(messageNode, "Order " + orderId + " cancelled.", true);
        if (state.myOrders.has(orderId)) rememberOrder(r.data);
      } else {
        setMessage(messageNode, describeError(r.data), false);
      }
    });
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
    if (Account.key()) opts.auth = { api_key: Account.key() };
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
      if (state.symbol) Trades.load();  // and the trades made while the feed was not there
      if (Account.key()) {
        subscribe("orders");  // no symbol: the account's orders in every symbol
        loadMyOrders();       // and what happened while the feed was not there
        Account.loadBalances();  // the same for the balances (their `account` event needs no subscription)
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
    socket.on("trade", function (t) { if (current()) Trades.onLive(t); });
    socket.on("order_event", function (e) { if (current()) onOrderEvent(e); });
    socket.on("account", function (a) { if (current()) Account.onEvent(a); });
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
    // whether the key still works. 401: it does not (Account.request signs out); 429: too many bad keys,
    // wait; else connect again shortly.
    var data = (err && err.data) || {};
    if (!Account.key()) { retrySocket(socket, 3); return; }
    Account.request("GET", "/account").then(function (r) {
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
    Trades.load();
    var r = state.symbols[symbol];
    $("rules").textContent = "tick " + r.tick_size + " · step " + r.step_size + " · min qty " + r.min_quantity +
      " · min value " + r.min_notional;
    $("price").placeholder = "price, multiple of " + r.tick_size;
    // a price typed for another symbol would be far from this book (a buy could sweep it): start empty
    $("price").value = "";
    $("quantity").placeholder = "at least " + r.min_quantity;
    Account.renderBalances();  // this symbol's assets at the form
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

  function updateOrderCost() {
    // What the order in the form would lock, as it is typed; red when the account is short.
    var node = $("order-cost");
    var body = readForm();
    var check = body.quantity && !validateOrder(body) ? Account.fundsCheck(body) : null;
    node.textContent = check ? check.text : "";
    node.classList.toggle("short", !!(check && check.short));
  }

  function submitOrder(ev) {
    ev.preventDefault();
    var msg = $("order-message");
    var body = readForm();
    if (!Account.key()) {
      setMessage(msg, "Not signed in: the order was not sent. Choose a demo account or use an API key (at the top).", false);
      return;
    }
    var problem = validateOrder(body);
    if (problem) { setMessage(msg, problem, false); return; }
    var funds = Account.fundsCheck(body);
    if (funds && funds.short) { setMessage(msg, funds.text + " The order was not sent.", false); return; }
    $("submit").disabled = true;
    var account = Account.account();
    Account.request("POST", "/order", body).then(function (r) {
      $("submit").disabled = false;
      if (!r.ok) {
        setMessage(msg, describeError(r.data), false);  // INSUFFICIENT_BALANCE: the server's sentence, its numbers
        if (r.data && r.data.error_code === "INSUFFICIENT_BALANCE" && !r.stale) Account.loadBalances();
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
    if (!Account.key()) { setMessage(msg, "Not signed in: sign in to cancel your orders.", false); return; }
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
    Trades.init({  // what trades.js needs from this page
      api: api,
      symbol: function () { return state.symbol; },
      rules: function () { return state.symbols[state.symbol]; }
    });
    $("clear-trades").addEventListener("click", function () { Trades.clear(); });
    window.addEventListener("resize", function () { drawDepth(); Trades.draw(); });
    Account.init({  // what account.js needs from this page; it binds the account controls at the top
      api: api, describeError: describeError, setMessage: setMessage, el: el,
      market: function () { return { symbols: state.symbols, symbol: state.symbol, book: state.book, levels: BOOK_LEVELS }; },
      clearOrders: clearMyOrders, loadOrders: loadMyOrders, connect: connectSocket, disconnect: closeSocket,
      formChanged: updateOrderCost
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
      Account.start();  // then the socket, with the key if there is one
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();