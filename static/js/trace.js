/* Chain-of-custody graph: draws #trace-graph from the JSON the page writes with json_script (no inline script),
 * with the vendored ECharts (static/vendor/echarts-5.6.0.min.js, loaded on demand). The table under the graph
 * carries the same figures. */
(function () {
  "use strict";
  var box = document.getElementById("trace-graph");
  if (!box) return;
  var data = JSON.parse(document.getElementById(box.getAttribute("data-graph")).textContent);
  var colors = { enterprise: "#1f5fa8", external: "#8d6e63", hidden: "#9e9e9e", mine: "#2e7d32", import: "#00838f",
                 stock: "#b26a00", holder: "#6a4c93", unattributed: "#a3262a" };

  function draw() {
    var totals = {};
    data.edges.forEach(function (e) {
      totals[e.target] = (totals[e.target] || 0) + parseFloat(e.tonnes);
      totals[e.source] = (totals[e.source] || 0) + parseFloat(e.tonnes);
    });
    var nodes = data.nodes.map(function (n) {
      var t = totals[n.id] || 0;
      return { id: n.id, name: n.label, symbolSize: Math.max(14, Math.min(60, 10 + Math.sqrt(t) * 3)),
               itemStyle: { color: colors[n.kind] || "#546e7a" }, label: { show: true } };
    });
    var links = data.edges.map(function (e) {
      return { source: e.source, target: e.target, value: parseFloat(e.tonnes),
               label: { show: true, formatter: parseFloat(e.tonnes).toFixed(3) + " t" } };
    });
    box.style.height = "480px";
    var chart = window.echarts.init(box);
    chart.setOption({
      animation: false,
      tooltip: { formatter: function (p) { return p.dataType === "edge" ? p.data.value.toFixed(3) + " t" : p.name; } },
      series: [{ type: "graph", layout: "force", force: { repulsion: 400, edgeLength: 140 }, roam: true,
                 edgeSymbol: ["none", "arrow"], edgeSymbolSize: 9, data: nodes, links: links,
                 lineStyle: { width: 2, curveness: 0.1 } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.setAttribute("data-drawn", "1");
  }

  if (window.echarts) { draw(); return; }
  var s = document.createElement("script");
  s.src = box.getAttribute("data-echarts");
  s.onload = draw;
  document.head.appendChild(s);
})();
