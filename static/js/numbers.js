/* Locale-correct figures for charts: the JavaScript twin of crm/templatetags/figures.py.
 * The language is the page's <html lang>. Loaded (deferred) before the chart scripts.
 *
 *   CRMNumbers.num(17825482)      "17,825,482"         both languages
 *   CRMNumbers.figure(17825482)   "1,782.55万" (zh)     "17,825,482" (en)   tooltips, labels
 *   CRMNumbers.axis(43700)        "4.37万" (zh)         "43.7k" (en)        axis ticks
 *   CRMNumbers.money(1234.5)      "¥1,235"  (symbol from <html data-currency>) */
(function () {
  "use strict";
  var root = document.documentElement;
  var chinese = (root.getAttribute("lang") || "").toLowerCase().indexOf("zh") === 0;
  var SYMBOLS = { CNY: "¥", RMB: "¥", USD: "$", EUR: "€", HKD: "HK$", JPY: "¥" };
  var code = root.getAttribute("data-currency") || "CNY";
  var symbol = SYMBOLS[code] || code + " ";

  function toNumber(v) {
    var n = typeof v === "number" ? v : parseFloat(v);
    return isFinite(n) ? n : null;
  }

  function grouped(n, places) {
    // Groups of three with "," in both languages (Django's zh-Hans has none: see crm.formats).
    return n.toLocaleString("en-US", { minimumFractionDigits: places, maximumFractionDigits: places });
  }

  function trimmed(n, places) {
    return n.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: places });
  }

  function num(v, places) {
    var n = toNumber(v);
    return n === null ? "—" : grouped(n, places || 0);
  }

  function figure(v) {
    var n = toNumber(v);
    if (n === null) { return "—"; }
    var size = Math.abs(n);
    if (chinese && size >= 1e8) { return trimmed(n / 1e8, 2) + "亿"; }
    if (chinese && size >= 1e4) { return trimmed(n / 1e4, 2) + "万"; }
    return trimmed(n, Number.isInteger(n) ? 0 : 2);
  }

  function axis(v) {
    var n = toNumber(v);
    if (n === null) { return ""; }
    var size = Math.abs(n);
    if (chinese) {
      if (size >= 1e8) { return trimmed(n / 1e8, 1) + "亿"; }
      if (size >= 1e4) { return trimmed(n / 1e4, 1) + "万"; }
      return trimmed(n, 1);
    }
    if (size >= 1e9) { return trimmed(n / 1e9, 1) + "B"; }
    if (size >= 1e6) { return trimmed(n / 1e6, 1) + "M"; }
    if (size >= 1e3) { return trimmed(n / 1e3, 1) + "k"; }
    return trimmed(n, 1);
  }

  function money(v) {
    var n = toNumber(v);
    if (n === null) { return "—"; }
    return (n < 0 ? "-" : "") + symbol + grouped(Math.abs(Math.round(n)), 0);
  }

  window.CRMNumbers = { num: num, figure: figure, axis: axis, money: money, chinese: chinese };
})();
