/* Class movements as flows from the earlier run's classes (left) to the later run's (right).
 * data: {nodes: [{name}], links: [{source, target, value, url}]} */
(function () {
  "use strict";
  window.CRMDash.register("movements-sankey", function (data) {
    return {
      tooltip: { trigger: "item" },
      series: [{
        type: "sankey",
        left: 8, right: 120, top: 8, bottom: 8,
        nodeAlign: "justify",
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", opacity: 0.45 },
        data: data.nodes,
        links: data.links
      }]
    };
  });
})();
