/* Dashboards: the one place that draws charts (see dashboards/__init__.py for the pattern).
 *
 * A chart is <div class="dash-chart" data-chart="NAME" data-source="JSON-ID">; its data is
 * the json_script element JSON-ID, and static/js/dashboards/NAME.js registered a builder:
 *     CRMDash.register("NAME", function (data, el) { return echartsOption; });
 * Clicking an element whose data item (or link / node) carries `url` opens that URL: the
 * customer list behind the number. No inline script or style (strict CSP): tooltips render
 * inside the canvas (renderMode "richText"), never as HTML. */
(function () {
  "use strict";
  var builders = {};
  var instances = {};
  var PALETTE = ["#2f6fb3", "#3ba272", "#f2a23a", "#d9534f", "#7e57c2", "#26a6b7",
                 "#8d6e63", "#c0ca33", "#ec407a", "#78909c", "#5c6bc0", "#ffb300"];

  var started = false;

  function register(name, builder) {
    builders[name] = builder;
    // A chart script that runs after the first pass draws its own charts.
    if (started) {
      document.querySelectorAll('.dash-chart[data-chart="' + name + '"]').forEach(draw);
    }
  }

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function urlOf(params) {
    var d = params && params.data;
    return d && typeof d === "object" && d.url ? d.url : null;
  }

  /* Figures in the reader's language (static/js/numbers.js): value axes in 万/亿 (zh) or
   * k/M (en), tooltips with separators; a chart that set its own formatter keeps it. */
  function localiseAxes(axes) {
    var numbers = window.CRMNumbers;
    if (!axes || !numbers) { return; }
    (Array.isArray(axes) ? axes : [axes]).forEach(function (axis) {
      if (!axis || axis.type !== "value") { return; }
      axis.axisLabel = axis.axisLabel || {};
      if (!axis.axisLabel.formatter) { axis.axisLabel.formatter = numbers.axis; }
    });
  }

  function localiseTooltip(tooltip) {
    var numbers = window.CRMNumbers;
    if (numbers && !tooltip.formatter && !tooltip.valueFormatter) {
      tooltip.valueFormatter = function (v) {
        return typeof v === "number" ? numbers.figure(v) : v;
      };
    }
  }

  function draw(el) {
    var name = el.getAttribute("data-chart");
    var builder = builders[name];
    if (!builder || !window.echarts || el.getAttribute("data-drawn")) { return; }
    var data = readData(el.getAttribute("data-source"));
    if (!data) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var option = builder(data, el);
    option.color = option.color || PALETTE;
    option.animation = false;  // charts are read, not watched; also steadier screenshots
    option.textStyle = option.textStyle || { fontFamily: "system-ui, 'Noto Sans CJK SC', sans-serif" };
    if (option.tooltip !== false) {
      option.tooltip = Object.assign({ renderMode: "richText", confine: true }, option.tooltip || {});
      localiseTooltip(option.tooltip);
    }
    localiseAxes(option.xAxis);
    localiseAxes(option.yAxis);
    chart.setOption(option);
    chart.on("click", function (params) {
      var url = urlOf(params);
      if (url) { window.location.assign(url); }
    });
    chart.getZr().on("mousemove", function (e) {
      el.classList.toggle("dash-chart-link", Boolean(e.target));
    });
    instances[el.id] = chart;
    el.setAttribute("data-drawn", "1");
    if (resizer) { resizer.observe(el); }
  }

  var resizer = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var chart = instances[entry.target.id];
      if (chart) { chart.resize(); }
    });
  }) : null;

  function drawAll() {
    if (started) { return; }
    started = true;
    document.querySelectorAll(".dash-chart").forEach(draw);
  }

  window.CRMDash = { register: register, instances: instances, palette: PALETTE };
  // Deferred scripts (this one and the chart scripts after it) all run before
  // DOMContentLoaded; if that already fired, draw now and let late registrations draw theirs.
  if (document.readyState === "complete") {
    drawAll();
  } else {
    document.addEventListener("DOMContentLoaded", drawAll);
    window.addEventListener("load", drawAll);
  }
})();
