/* A class × class heat map (transition matrix, value tier × potential).
 * data: {x: [labels], y: [labels], cells: [{value: [xi, yi, n], url}], max, labels: {...}} */
(function () {
  "use strict";
  window.CRMDash.register("heatmap", function (data) {
    var rotate = data.x.length > 4;
    // Fixed margins sized for the truncated labels: long class names ("New (first purchase)",
    // "高价值高潜力") were clipped at the left edge when the grid sized itself.
    return {
      tooltip: { position: "top" },
      grid: { left: 128, right: 16, top: 32, bottom: rotate ? 112 : 84 },
      xAxis: { type: "category", data: data.x, name: data.labels.to || data.labels.x,
               nameLocation: "middle", nameGap: rotate ? 72 : 36,
               axisLabel: { interval: 0, rotate: rotate ? 30 : 0, width: 96, overflow: "truncate" },
               splitArea: { show: true } },
      yAxis: { type: "category", inverse: true, data: data.y, name: data.labels.from || data.labels.y,
               nameLocation: "start", nameTextStyle: { align: "right" },
               axisLabel: { width: 116, overflow: "truncate" },
               splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, data.max), calculable: false, orient: "horizontal",
                   left: "center", bottom: 0, itemHeight: 80,
                   inRange: { color: ["#eef4fb", "#2f6fb3"] } },
      series: [{
        type: "heatmap",
        name: data.labels.customers,
        data: data.cells,
        label: { show: true, formatter: function (p) { return window.CRMNumbers.num(p.value[2]); } },
        emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } }
      }]
    };
  });
})();
