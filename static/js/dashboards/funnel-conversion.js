/* Conversion per funnel step in the period beside the reference figure (DOMAIN.md).
 * data: {labels: {actual, reference}, steps: [{name, rate, reference, url}]} */
(function () {
  "use strict";
  window.CRMDash.register("funnel-conversion", function (data) {
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 8, right: 44, top: 16, bottom: 40, containLabel: true },  // room for "100%"
      xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", inverse: true, data: data.steps.map(function (s) { return s.name; }) },
      series: [
        { type: "bar", name: data.labels.actual, label: { show: true, position: "right", formatter: "{c}%" },
          data: data.steps.map(function (s) { return { value: s.rate, url: s.url }; }) },
        { type: "bar", name: data.labels.reference, itemStyle: { color: "#c9ced6" },
          label: { show: true, position: "right", formatter: "≈{c}%" },
          data: data.steps.map(function (s) { return s.reference === null ? null : s.reference; }) }
      ]
    };
  });
})();
