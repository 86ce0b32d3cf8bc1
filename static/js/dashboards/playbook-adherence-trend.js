/* Playbook adherence: the share of tasks done on time, week by week (oldest first). Click a
 * point → the live adherence table of that week. */
(function () {
  "use strict";
  window.CRMDash.register("playbook-adherence-trend", function (data) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.points.map(function (p) { return p.label; }) },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        name: data.name, type: "line", symbolSize: 10, connectNulls: false,
        itemStyle: { color: "#2f6fb3" },
        data: data.points.map(function (p) { return { value: p.value, url: p.url }; })
      }]
    };
  });
})();
