/* Customers per class as horizontal bars; click a bar → those customers.
 * data: {items: [{name, value, url}]} */
(function () {
  "use strict";
  window.CRMDash.register("class-bars", function (data) {
    return {
      tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + window.CRMNumbers.figure(p.value); } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: data.items.map(function (i) { return i.name; }) },
      series: [{
        type: "bar",
        label: { show: true, position: "right", formatter: function (p) { return window.CRMNumbers.figure(p.value); } },
        data: data.items.map(function (i) { return { value: i.value, url: i.url }; })
      }]
    };
  });
})();
