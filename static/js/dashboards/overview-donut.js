/* Overview: customers per class of one dimension as a donut; click a slice → those customers. */
(function () {
  "use strict";
  window.CRMDash.register("overview-donut", function (data) {
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        type: "pie",
        radius: ["42%", "70%"],
        center: ["50%", "45%"],
        avoidLabelOverlap: true,
        label: { formatter: "{b}\n{d}%" },
        data: data.items.map(function (item) {
          return { name: item.name, value: item.value, url: item.url };
        })
      }]
    };
  });
})();
