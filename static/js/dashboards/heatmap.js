/* A class × class heat map (transition matrix, value tier × potential).
 * data: {x: [labels], y: [labels], cells: [{value: [xi, yi, n], url}], max, labels: {...}} */
(function () {
  "use strict";
  window.CRMDash.register("heatmap", function (data) {
    return {
      tooltip: { position: "top" },
      grid: { left: 8, right: 16, top: 24, bottom: 72, containLabel: true },
      xAxis: { type: "category", data: data.x, name: data.labels.to || data.labels.x,
               nameLocation: "middle", nameGap: 40, axisLabel: { interval: 0, rotate: data.x.length > 4 ? 30 : 0 },
               splitArea: { show: true } },
      yAxis: { type: "category", inverse: true, data: data.y, name: data.labels.from || data.labels.y,
               splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, data.max), calculable: false, orient: "horizontal",
                   left: "center", bottom: 0, itemHeight: 80,
                   inRange: { color: ["#eef4fb", "#2f6fb3"] } },
      series: [{
        type: "heatmap",
        name: data.labels.customers,
        data: data.cells,
        label: { show: true },
        emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } }
      }]
    };
  });
})();
