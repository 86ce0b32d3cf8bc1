/* RFM grid: R score (rows) × F score (columns); colour = customers, label = average revenue.
 * data: {x, y, labels: {x, y, customers, avg}, cells: [{value: [xi, yi, n], avg, url}], max} */
(function () {
  "use strict";
  function short(v) {
    return v === null || v === undefined ? "" : window.CRMNumbers.axis(v);
  }
  window.CRMDash.register("rfm-grid", function (data) {
    return {
      tooltip: { position: "top" },
      grid: { left: 8, right: 16, top: 16, bottom: 72, containLabel: true },
      xAxis: { type: "category", data: data.x, name: data.labels.x, nameLocation: "middle", nameGap: 28,
               splitArea: { show: true } },
      yAxis: { type: "category", data: data.y, name: data.labels.y, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, data.max), orient: "horizontal", left: "center", bottom: 0,
                   itemHeight: 80, inRange: { color: ["#f3f7ee", "#3ba272"] } },
      series: [{
        type: "heatmap",
        name: data.labels.customers,
        data: data.cells,
        label: { show: true, formatter: function (p) {
          return p.data.value[2] ? window.CRMNumbers.num(p.data.value[2]) + "\n" + short(p.data.avg) : "";
        } }
      }]
    };
  });
})();
