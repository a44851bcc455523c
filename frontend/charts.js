// Dashboard charts on canvas: the depth chart and the trade-price chart. Pure drawing from the data
// given; each records what it drew in the canvas's data attributes (lo, hi, ...), which the tests read.
var Charts = (function () {
  "use strict";

  var DEPTH_WINDOW = 0.01;  // the depth chart shows prices up to 1% from the mid

  function prepareCanvas(canvas) {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth || canvas.width;
    var height = Math.round(width * (canvas.height / canvas.width)) || canvas.height;
    if (canvas._w !== width || canvas._r !== ratio) {
      canvas._w = width; canvas._r = ratio; canvas._h = height;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, canvas._w, canvas._h);
    ctx.font = "11px system-ui, sans-serif";
    return { ctx: ctx, w: canvas._w, h: canvas._h };
  }

  function priceText(value, rules) {
    // A computed axis position, shown with the symbol's price decimals ("29976.60", not "29976.6").
    return rules ? value.toFixed(rules.price_decimals) : String(value);
  }

  function depthWindow(bids, asks, rules) {
    // The prices the book shows, but no further than DEPTH_WINDOW from the mid (or from the one
    // best price there is), so one far order cannot squash the rest into a sliver.
    var centre = bids.length && asks.length ? (bids[0][0] + asks[0][0]) / 2 : (bids.length ? bids[0][0] : asks[0][0]);
    var prices = bids.concat(asks).map(function (l) { return l[0]; });
    var lo = Math.max(Math.min.apply(null, prices), centre * (1 - DEPTH_WINDOW));
    var hi = Math.min(Math.max.apply(null, prices), centre * (1 + DEPTH_WINDOW));
    if (hi - lo < 1e-9) {  // a single price: a tick either side
      var tick = Number((rules || {}).tick_size) || 1;
      lo -= tick; hi += tick;
    }
    return { lo: lo, hi: hi };
  }

  function drawDepth(canvas, note, book, rules) {
    // Cumulative bids and asks; ``note`` says which part of the price range is drawn and what is left out.
    var c = prepareCanvas(canvas);
    var ctx = c.ctx, pad = 28;
    var bids = book.bids.map(function (l) { return [Number(l[0]), Number(l[1])]; });
    var asks = book.asks.map(function (l) { return [Number(l[0]), Number(l[1])]; });
    ctx.fillStyle = "#8d98ad";
    if (!bids.length && !asks.length) {
      ctx.fillText("empty book", c.w / 2 - 30, c.h / 2);
      note.textContent = "";
      canvas.dataset.lo = canvas.dataset.hi = canvas.dataset.max = "";
      return;
    }
    var win = depthWindow(bids, asks, rules);
    var cum = function (side) { var s = 0; return side.map(function (l) { s += l[1]; return [l[0], s]; }); };
    var inside = function (p) { return p[0] >= win.lo && p[0] <= win.hi; };
    var cb = cum(bids).filter(inside), ca = cum(asks).filter(inside);
    var cutBids = bids.length - cb.length, cutAsks = asks.length - ca.length;
    var lo = win.lo, hi = win.hi;
    var maxQ = Math.max(cb.length ? cb[cb.length - 1][1] : 0, ca.length ? ca[ca.length - 1][1] : 0) || 1;
    var x = function (p) { return pad + (p - lo) / (hi - lo) * (c.w - 2 * pad); };
    var y = function (q) { return c.h - pad - q / maxQ * (c.h - 2 * pad); };
    function area(points, color, fill) {
      if (!points.length) return;
      ctx.beginPath();
      ctx.moveTo(x(points[0][0]), y(0));
      points.forEach(function (p) { ctx.lineTo(x(p[0]), y(p[1])); });
      ctx.lineTo(x(points[points.length - 1][0]), y(0));
      ctx.closePath();
      ctx.fillStyle = fill; ctx.fill();
      ctx.strokeStyle = color; ctx.stroke();
    }
    area(cb, "#2fbf71", "rgba(47,191,113,0.25)");
    area(ca, "#ef5350", "rgba(239,83,80,0.25)");
    ctx.fillStyle = "#8d98ad";
    ctx.fillText(priceText(lo, rules), pad, c.h - 8);
    ctx.fillText(priceText(hi, rules), c.w - pad - 60, c.h - 8);
    ctx.fillText("cumulative " + maxQ.toPrecision(4), pad, 14);
    // what was drawn, for whoever checks the chart against the book
    canvas.dataset.lo = priceText(lo, rules);
    canvas.dataset.hi = priceText(hi, rules);
    canvas.dataset.max = String(maxQ);
    canvas.dataset.levels = String(cb.length + ca.length);
    var cut = [];
    if (cutBids) cut.push(cutBids + " bid level" + (cutBids > 1 ? "s" : "") + " below " + priceText(lo, rules));
    if (cutAsks) cut.push(cutAsks + " ask level" + (cutAsks > 1 ? "s" : "") + " above " + priceText(hi, rules));
    note.textContent = "Prices up to " + (DEPTH_WINDOW * 100) + "% from the " + (bids.length && asks.length ? "mid" : "best price") +
      (cut.length ? "; not shown: " + cut.join(", ") + "." : ".");
  }

  function drawPrices(canvas, pts, rules) {
    // Recent trade prices, oldest first.
    var c = prepareCanvas(canvas);
    var ctx = c.ctx, pad = 28;
    ctx.fillStyle = "#8d98ad";
    if (pts.length < 2) {
      ctx.fillText(pts.length ? "one trade so far" : "no trades yet", c.w / 2 - 40, c.h / 2);
      canvas.dataset.points = String(pts.length);
      return;
    }
    var lo = Math.min.apply(null, pts), hi = Math.max.apply(null, pts);
    if (hi === lo) { hi += 1; lo -= 1; }
    ctx.strokeStyle = "#4c8dff";
    ctx.beginPath();
    pts.forEach(function (p, i) {
      var px = pad + i / (pts.length - 1) * (c.w - 2 * pad);
      var py = c.h - pad - (p - lo) / (hi - lo) * (c.h - 2 * pad);
      if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    });
    ctx.stroke();
    ctx.fillText(priceText(hi, rules), 4, pad - 6);
    ctx.fillText(priceText(lo, rules), 4, c.h - 8);
    ctx.fillText("last " + priceText(pts[pts.length - 1], rules), c.w - pad - 80, 14);
    canvas.dataset.lo = priceText(lo, rules);
    canvas.dataset.hi = priceText(hi, rules);
    canvas.dataset.points = String(pts.length);
    canvas.dataset.last = priceText(pts[pts.length - 1], rules);
  }

  return { drawDepth: drawDepth, drawPrices: drawPrices };
})();
