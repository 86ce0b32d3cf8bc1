/* Playbook effectiveness: per playbook (or rep), the share of customers who reached a better
 * (or worse) class within N days — steps kept beside steps not kept. Click a bar → those
 * customers (the `outcome` filter of the customer list). */
(function () {
  "use strict";
  var COLORS = { kept: "#3ba272", not_kept: "#d9534f" };
  window.CRMDash.register("playbook-effectiveness-bars", function (data, el) {
    var rows = data.categories.length;
    el.style.height = Math.max(260, 60 + rows * 44) + "px";
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) {
        return v === null || v === undefined ? "—" : v + data.unit;
      } },
      legend: { top: 0 },
      grid: { left: 8, right: 40, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: data.categories, inverse: true,
               axisLabel: { width: 220, overflow: "truncate" } },
      series: data.series.map(function (s) {
        return {
          name: s.name, type: "bar", barMaxWidth: 16, itemStyle: { color: COLORS[s.key] },
          label: { show: true, position: "right", formatter: function (p) {
            return p.value === null || p.value === undefined ? "" : p.value + "%";
          } },
          data: s.data.map(function (d) { return { value: d.value, url: d.url, n: d.n }; })
        };
      })
    };
  });
})();
