/* Overview: customers per class of one dimension as a donut; click a slice → those customers. */
(function () {
  "use strict";
  window.CRMDash.register("overview-donut", function (data) {
    return {
      tooltip: { trigger: "item", formatter: function (p) {
        return p.name + ": " + window.CRMNumbers.figure(p.value) + " (" + p.percent + "%)";
      } },
      legend: { type: "plain", bottom: 0, left: "center", itemGap: 8, itemWidth: 14 },
      series: [{
        type: "pie",
        radius: ["30%", "52%"],
        center: ["50%", "40%"],
        avoidLabelOverlap: true,
        label: { formatter: "{b}\n{d}%" },
        data: data.items.map(function (item) {
          return { name: item.name, value: item.value, url: item.url };
        })
      }]
    };
  });
})();
