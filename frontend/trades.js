// The trade feed and the price chart of the symbol on screen: the recent trades over REST, then the
// live ones from the feed. Plain DOM, written with textContent. Loaded before main.js, which calls
// Trades.init(host) once with what this part needs from the page (see init).
var Trades = (function () {
  "use strict";

  var MAX_TRADES = 100;   // rows in the feed
  var MAX_PRICES = 300;   // points on the price chart
  var host = null;        // { symbol(), rules(), api(method, path) }, lent by main.js
  var state = {
    prices: [],           // recent trade prices of the symbol on screen, oldest first
    count: 0,             // trades the live feed brought since the page opened
    lastTradeId: 0,       // newest trade shown for that symbol
    load: null            // the history request in flight, with the live trades held meanwhile
  };

  function $(id) { return document.getElementById(id); }

  function cell(className, text) {
    var node = document.createElement("td");
    if (className) node.className = className;
    node.textContent = text;
    return node;
  }

  function draw() { Charts.drawPrices($("price-chart"), state.prices, host.rules()); }

  function add(t, live) {
    if (t.symbol !== host.symbol()) return;
    if (live && state.load) { state.load.early.push(t); return; }  // until the history is in
    if (t.trade_id <= state.lastTradeId) return;  // shown already (ids only grow)
    state.lastTradeId = t.trade_id;
    var row = document.createElement("tr");
    row.appendChild(cell(null, new Date(t.timestamp * 1000).toLocaleTimeString()));
    row.appendChild(cell(t.aggressor_side, t.price));
    row.appendChild(cell(null, t.quantity));
    row.appendChild(cell(t.aggressor_side, t.aggressor_side));
    var feed = $("trade-feed");
    feed.insertBefore(row, feed.firstChild);
    while (feed.rows.length > MAX_TRADES) feed.deleteRow(-1);
    state.prices.push(Number(t.price));
    if (state.prices.length > MAX_PRICES) state.prices.shift();
    draw();
  }

  // A trade from the feed.
  function onLive(t) {
    if (t.symbol !== host.symbol()) return;
    state.count += 1;  // every trade the feed brings, whether or not the history holds it too
    $("trade-count").textContent = String(state.count);
    add(t, true);
  }

  // The symbol's recent trades over REST while the feed is already on. Live trades that arrive
  // before the answer are held, then added after it unless it holds them already: the answer and
  // the feed travel apart, either may come first. Only the newest load's answer counts.
  function load() {
    var current = state.load = { symbol: host.symbol(), early: [] };
    clear();
    host.api("GET", "/trades/" + encodeURIComponent(current.symbol) + "?limit=50").then(function (r) {
      if (state.load !== current) return;
      state.load = null;
      if (r.ok) r.data.trades.slice().reverse().forEach(function (t) { add(t, false); });
      current.early.forEach(function (t) { add(t, true); });
      draw();
    });
  }

  function clear() {
    $("trade-feed").textContent = "";
    state.prices = [];
    state.lastTradeId = 0;
    draw();
  }

  // Empties the feed and the chart; trades still to come are shown (the button "Clear").
  function clearShown() {
    $("trade-feed").textContent = "";
    state.prices = [];
    draw();
  }

  function init(h) { host = h; }

  return { init: init, load: load, onLive: onLive, clear: clearShown, draw: draw };
})();
