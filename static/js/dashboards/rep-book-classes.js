/* Rep book: the rep's customers per class of one dimension (best class first). Click a bar
 * → the rep's customers in that class. */
(function () {
  "use strict";
  window.CRMDash.register("rep-book-classes", function (data) {
    return {
      tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + window.CRMNumbers.figure(p.value); } },
      grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true,
               data: data.items.map(function (i) { return i.name; }),
               axisLabel: { width: 120, overflow: "truncate" } },
      series: [{
        type: "bar", barMaxWidth: 18, label: { show: true, position: "right", formatter: function (p) { return window.CRMNumbers.figure(p.value); } },
        itemStyle: { color: "#2f6fb3" },
        data: data.items.map(function (i) { return { value: i.value, url: i.url }; })
      }]
    };
  });
})();
