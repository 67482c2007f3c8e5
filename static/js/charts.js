// Draws every [data-plotly] element from the figure JSON the server put inside it
// (<script type="application/json">{"data": [...], "layout": {...}}</script>), with plotly.js
// served by the app itself. Charts follow the container's width and redraw after htmx swaps.
"use strict";

(function () {
  const config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };

  function draw(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-plotly]").forEach((el) => {
      if (el.dataset.drawn === "1") return;
      const source = el.querySelector('script[type="application/json"]');
      if (!source) return;
      const figure = JSON.parse(source.textContent);
      const target = document.createElement("div");
      target.className = "plotly-target";
      el.appendChild(target);
      el.dataset.drawn = "1";
      const layout = Object.assign({ margin: { l: 50, r: 20, t: 30, b: 50 }, font: { family: "system-ui, sans-serif" } }, figure.layout || {});
      if (Stride.reducedMotion.matches) layout.transition = { duration: 0 };
      window.Plotly.newPlot(target, figure.data, layout, config);
      // Charts drawn on a hidden slide get a default width; redraw when their box changes size.
      new ResizeObserver(() => { if (target.offsetWidth) window.Plotly.Plots.resize(target); }).observe(target);
    });
  }

  function start() { draw(document); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:load", (event) => draw(event.detail.elt));
})();
