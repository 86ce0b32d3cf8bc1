/* Revenue concentration: cumulative revenue share over the share of buying customers.
 * data: {labels: {x, y, line, even}, points: [[x, y]...], mark: [x, 80] | null} */
(function () {
  "use strict";
  window.CRMDash.register("pareto-curve", function (data) {
    var series = [
      { type: "line", name: data.labels.line, showSymbol: false, areaStyle: { opacity: 0.15 },
        data: data.points },
      { type: "line", name: data.labels.even, showSymbol: false,
        lineStyle: { type: "dashed", color: "#9aa3ad" }, data: [[0, 0], [100, 100]] }
    ];
    if (data.mark) {
      series[0].markPoint = { symbolSize: 44, data: [{ coord: data.mark, value: data.mark[0] + "%" }] };
      series[0].markLine = { symbol: "none", lineStyle: { type: "dotted" },
                             data: [{ yAxis: data.mark[1] }, { xAxis: data.mark[0] }] };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 16, bottom: 48, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, name: data.labels.x, nameLocation: "middle", nameGap: 24,
               axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "value", min: 0, max: 100, name: data.labels.y, axisLabel: { formatter: "{value}%" } },
      series: series
    };
  });
})();
