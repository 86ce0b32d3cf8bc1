/* Class movements as flows from the earlier run's classes (left) to the later run's (right).
 * data: {nodes: [{name}], links: [{source, target, value, url}]} */
(function () {
  "use strict";
  window.CRMDash.register("movements-sankey", function (data) {
    return {
      tooltip: { trigger: "item" },
      series: [{
        type: "sankey",
        left: 8, right: 8, top: 8, bottom: 8,
        nodeAlign: "justify",
        // The later run's classes (the right column) label to their left, over the flows:
        // on the right they ran off the chart ("Repeat buyer (after)").
        levels: [{ depth: 1, label: { position: "left" } }],
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", opacity: 0.45 },
        data: data.nodes,
        links: data.links
      }]
    };
  });
})();
