/* Playbook adherence: per rep (or playbook) the tasks due in the period, stacked by outcome
 * (on time, late, missed, still open). Click a bar → that rep's tasks / the playbook's
 * customers (data items carry `url`). */
(function () {
  "use strict";
  var COLORS = { on_time: "#3ba272", late: "#f2a23a", missed: "#d9534f", still_open: "#78909c" };
  window.CRMDash.register("playbook-adherence-bars", function (data, el) {
    var rows = data.categories.length;
    el.style.height = Math.max(240, 60 + rows * 28) + "px";
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.categories, inverse: true,
               axisLabel: { width: 180, overflow: "truncate" } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "tasks", barMaxWidth: 22,
                 itemStyle: { color: COLORS[s.key] }, data: s.data };
      })
    };
  });
})();
