/* ClusterAtlas dashboard: render every .chart from its embedded ECharts option.
   Maps are fetched once from /api/maps/<name> and registered before use. Graph nodes
   with a "url" navigate on click (chain drill-down). No external requests. */
(function () {
  "use strict";
  var maps = {};
  function loadMap(name) {
    if (!maps[name]) {
      maps[name] = fetch("/api/maps/" + encodeURIComponent(name))
        .then(function (r) { if (!r.ok) { throw new Error("map " + name + ": " + r.status); } return r.json(); })
        .then(function (geo) { echarts.registerMap(name, geo); return name; });
    }
    return maps[name];
  }
  function render(el) {
    var node = document.getElementById(el.getAttribute("data-option"));
    if (!node) { return; }
    var option = JSON.parse(node.textContent);
    var draw = function () {
      var chart = echarts.init(el, null, { renderer: el.getAttribute("data-renderer") || "canvas" });
      chart.setOption(option);
      chart.on("click", function (params) {
        if (params.data && params.data.url) { window.location.href = params.data.url; }
      });
      window.addEventListener("resize", function () { chart.resize(); });
      el.setAttribute("data-rendered", "1");
    };
    var map = el.getAttribute("data-map");
    if (map) { loadMap(map).then(draw); } else { draw(); }
  }
  document.querySelectorAll(".chart").forEach(render);
  // pickers submit on change; no inline handlers (the Content-Security-Policy forbids them)
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("form.pick select") && target.form) {
      target.form.submit();
    }
  });
})();
