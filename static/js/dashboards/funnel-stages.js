/* Customers per lifecycle stage, in stage order, as centred bars: each bar's width is the
 * stage's count. (ECharts' funnel series draws a smooth outline between stages, so stages that
 * are not decreasing made a vase; centred bars show the counts as they are.)
 * data: {items: [{name, value, url}]} */
(function () {
  "use strict";
  window.CRMDash.register("funnel-stages", function (data) {
    var max = data.items.reduce(function (m, i) { return Math.max(m, i.value || 0); }, 0) || 1;
    var fig = window.CRMNumbers.figure;
    return {
      tooltip: { trigger: "item", formatter: function (p) {
        return p.seriesIndex === 1 ? p.name + ": " + fig(p.value) : "";
      } },
      grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: max, show: false },
      yAxis: { type: "category", inverse: true, axisTick: { show: false },
               data: data.items.map(function (i) { return i.name; }),
               axisLabel: { width: 110, overflow: "truncate" } },
      series: [
        { type: "bar", stack: "stage", silent: true, itemStyle: { color: "transparent" },
          data: data.items.map(function (i) { return (max - (i.value || 0)) / 2; }) },
        { type: "bar", stack: "stage", barCategoryGap: "18%",
          label: { show: true, position: "inside", formatter: function (p) { return fig(p.value); } },
          data: data.items.map(function (i) { return { value: i.value, url: i.url }; }) }
      ]
    };
  });
})();
