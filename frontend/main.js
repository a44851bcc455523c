// Matching engine dashboard. Plain DOM: every value from the server or the user is
// written with textContent, never parsed as HTML.
(function () {
  "use strict";

  var MAX_TRADES = 100;
  var BOOK_LEVELS = 10;     // what an l2_update carries (the server's default L2_DEPTH): one depth throughout
  var REJECTED = {          // why an order came back "rejected", in words
    POST_ONLY_WOULD_TAKE: "a post-only order would have traded at once, so it was not placed",
    FOK_NOT_FILLABLE: "the book could not fill the whole fill-or-kill order at once"
  };
  var MAX_PRICES = 300;
  var STORE_KEY = "matching-engine.my-orders";
  var LIVE = { pending: true, partially_filled: true };

  var state = {
    symbols: {},          // symbol -> rules from /symbols
    symbol: null,         // the symbol on screen
    book: { bids: [], asks: [], sequence: -1 },
    prices: [],           // recent trade prices of the symbol on screen, oldest first
    tradeCount: 0,
    orderCount: 0,
    myOrders: new Map(),  // order_id -> order (this browser's orders)
    orderRooms: new Set(),
    socket: null
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

  function api(method, path, body) {
    var opts = { method: method, headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (resp) {
      return resp.json().catch(function () { return { error: "The server answered " + resp.status + "." }; })
        .then(function (data) { return { ok: resp.ok, status: resp.status, data: data }; });
    }, function () {
      return { ok: false, status: 0, data: { error: "The server cannot be reached." } };
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

  // ---- my orders ----

  function saveMyOrders() {
    var list = [];
    state.myOrders.forEach(function (o) { list.push({ order_id: o.order_id, symbol: o.symbol }); });
    try { localStorage.setItem(STORE_KEY, JSON.stringify(list.slice(-50))); } catch (e) { /* private mode */ }
  }

  function rememberOrder(o) {
    var known = state.myOrders.get(o.order_id) || {};
    state.myOrders.set(o.order_id, Object.assign(known, o));
    watchOrders(o.symbol);
    saveMyOrders();
    renderMyOrders();
  }

  function renderMyOrders() {
    var tbody = $("my-orders");
    tbody.textContent = "";
    var orders = Array.from(state.myOrders.values()).sort(function (a, b) { return b.order_id - a.order_id; });
    orders.slice(0, 50).forEach(function (o) {
      var row = el("tr");
      row.dataset.orderId = String(o.order_id);
      row.appendChild(el("td", null, o.order_id));
      row.appendChild(el("td", null, o.client_order_id || ""));
      row.appendChild(el("td", null, o.symbol));
      row.appendChild(el("td", o.side, o.side + " " + o.order_type));
      row.appendChild(el("td", null, o.price || "market"));
      row.appendChild(el("td", null, (o.filled_quantity || "0") + " / " + o.quantity));
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

  function onOrderEvent(e) {
    var mine = state.myOrders.get(e.order_id);
    if (!mine) return;
    if (e.status) mine.status = e.status;
    if (e.filled_quantity !== undefined) mine.filled_quantity = e.filled_quantity;
    if (e.remaining_quantity !== undefined) mine.remaining_quantity = e.remaining_quantity;
    renderMyOrders();
  }

  function refreshMyOrders() {
    state.myOrders.forEach(function (o) {
      if (o.status && !LIVE[o.status]) return;
      api("GET", "/order/" + encodeURIComponent(o.order_id) + "?symbol=" + encodeURIComponent(o.symbol)).then(function (r) {
        if (r.ok) rememberOrder(r.data);
      });
    });
  }

  function loadMyOrders() {
    var saved = [];
    try { saved = JSON.parse(localStorage.getItem(STORE_KEY) || "[]"); } catch (e) { saved = []; }
    saved.forEach(function (s) {
      if (typeof s.order_id !== "number" || typeof s.symbol !== "string") return;
      api("GET", "/order/" + s.order_id + "?symbol=" + encodeURIComponent(s.symbol)).then(function (r) {
        if (r.ok) rememberOrder(r.data);
      });
    });
  }

  function cancelOrder(orderId, symbol, messageNode) {
    return api("POST", "/cancel", { symbol: symbol, order_id: orderId }).then(function (r) {
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

  function watchOrders(symbol) {
    if (state.orderRooms.has(symbol)) return;
    state.orderRooms.add(symbol);
    subscribe("orders", symbol);
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

  function connectSocket() {
    if (typeof io !== "function") { setConnection(false, "no Socket.IO client"); return; }
    var socket = io("/market", { transports: ["websocket", "polling"], reconnectionDelayMax: 3000 });
    state.socket = socket;
    socket.on("connect", function () {
      setConnection(true, "live");
      // After a (re)connect the server has forgotten us: subscribe again and take fresh state.
      state.book.sequence = -1;
      subscribe("l2_updates", state.symbol);
      subscribe("trades", state.symbol);
      var rooms = Array.from(state.orderRooms);
      state.orderRooms.clear();
      rooms.concat([state.symbol]).forEach(watchOrders);
      refreshBook();
      refreshMyOrders();
    });
    socket.on("disconnect", function () { setConnection(false, "reconnecting…"); });
    socket.on("connect_error", function () { setConnection(false, "offline, retrying…"); });
    socket.on("l2_update", function (snap) { applyBook(snap, false); });
    socket.on("trade", function (t) { addTrade(t, true); });
    socket.on("order_event", onOrderEvent);
    socket.on("pong", function (p) {
      if (p && typeof p.client_timestamp === "number") {
        $("latency").textContent = (performance.now() - p.client_timestamp).toFixed(1) + " ms";
      }
    });
    socket.on("error", function (e) { setMessage($("order-message"), describeError(e), false); });
    function ping() { if (socket.connected) socket.emit("ping", { timestamp: performance.now() }); }
    socket.on("connect", ping);
    setInterval(ping, 3000);
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
    watchOrders(symbol);
    refreshBook();
    loadTrades();
    var r = state.symbols[symbol];
    $("rules").textContent = "tick " + r.tick_size + " · step " + r.step_size + " · min qty " + r.min_quantity +
      " · min value " + r.min_notional;
    $("price").placeholder = "price, multiple of " + r.tick_size;
    // a price typed for another symbol would be far from this book (a buy could sweep it): start empty
    $("price").value = "";
    $("quantity").placeholder = "at least " + r.min_quantity;
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
    var problem = validateOrder(body);
    if (problem) { setMessage(msg, problem, false); return; }
    $("submit").disabled = true;
    api("POST", "/order", body).then(function (r) {
      $("submit").disabled = false;
      if (!r.ok) { setMessage(msg, describeError(r.data), false); return; }
      var o = r.data;
      state.orderCount += 1;
      $("order-count").textContent = String(state.orderCount);
      rememberOrder(o);
      var text = "Order " + o.order_id + " " + o.status.replace("_", " ");
      if (o.trades.length) text += ", " + o.trades.length + " trade" + (o.trades.length > 1 ? "s" : "") + ", filled " + o.filled_quantity;
      if (o.reject_reason) text += ": " + (REJECTED[o.reject_reason] || "refused by the engine") + " (" + o.reject_reason + ")";
      setMessage(msg, text + ".", o.status !== "rejected");
      $("client-order-id").value = "";
    });
  }

  function submitCancel(ev) {
    ev.preventDefault();
    var msg = $("cancel-message");
    var raw = $("cancel-id").value.trim();
    if (!/^[0-9]{1,15}$/.test(raw)) { setMessage(msg, "Enter a numeric order id.", false); return; }
    var id = Number(raw);
    var mine = state.myOrders.get(id);
    cancelOrder(id, mine ? mine.symbol : state.symbol, msg);
  }

  function onBookClick(ev) {
    var row = ev.target.closest("tr");
    if (!row || !row.dataset.price) return;
    $("price").value = row.dataset.price;
    if ($("order-type").value === "market") { $("order-type").value = "limit"; syncTypeControls(); }
  }

  function init() {
    $("order-form").addEventListener("submit", submitOrder);
    $("cancel-form").addEventListener("submit", submitCancel);
    $("order-type").addEventListener("change", syncTypeControls);
    $("symbol").addEventListener("change", function () { selectSymbol($("symbol").value); });
    $("asks").addEventListener("click", onBookClick);
    $("bids").addEventListener("click", onBookClick);
    $("clear-trades").addEventListener("click", function () {
      $("trade-feed").textContent = "";
      state.prices = [];
      drawPrices();
    });
    window.addEventListener("resize", function () { drawDepth(); drawPrices(); });
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
      connectSocket();
      selectSymbol(select.value);
      loadMyOrders();
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
