/* Customers per lifecycle stage as a funnel; click a stage → its customers.
 * data: {items: [{name, value, url}]} */
(function () {
  "use strict";
  window.CRMDash.register("funnel-stages", function (data) {
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel",
        left: "10%", width: "80%", top: 8, bottom: 8,
        sort: "none",
        minSize: "12%",
        label: { show: true, position: "inside", formatter: "{b}\n{c}" },
        data: data.items
      }]
    };
  });
})();
