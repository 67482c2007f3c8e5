// Draws every [data-plotly] element from the figure JSON the server put inside it
// (<script type="application/json">{"data": [...], "layout": {...}}</script>), with plotly.js
// served by the app itself. Charts follow the container's width and redraw after htmx swaps.
"use strict";

(function () {
  // No mode bar: a chart is a picture (role="img", named, its numbers in a table beside it), and a picture must
  // hold nothing focusable (axe-core: nested-interactive). Hovering still shows values.
  const config = { responsive: true, displaylogo: false, displayModeBar: false };
  const DECK_FONT = 18;

  // Every `…font: {size}` in a figure (tick labels, legends, bar texts) at least DECK_FONT.
  function raiseFonts(node) {
    if (!node || typeof node !== "object") return;
    Object.keys(node).forEach((key) => {
      const value = node[key];
      if (/font$/i.test(key) && value && typeof value === "object" && typeof value.size === "number") {
        value.size = Math.max(value.size, DECK_FONT);
      }
      raiseFonts(value);
    });
  }

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
      // On a slide the chart takes the slide's type: no font smaller than the deck's smallest text
      // (present.js sizes the chart to the room the slide has left).
      if (document.body.classList.contains("deck")) {
        layout.font = Object.assign({}, layout.font, { size: Math.max((layout.font && layout.font.size) || 0, DECK_FONT) });
        layout.margin = Object.assign({}, layout.margin, { l: Math.max(layout.margin.l || 0, 70), b: Math.max(layout.margin.b || 0, 64) });
        raiseFonts(layout);
        // A legend under the plot, placed in plot fractions (y < 0), would sit on the axis title once the
        // deck's larger type and a shorter chart shrink the plot: anchor it to the chart's bottom edge
        // instead, and Plotly makes room for it above.
        if (layout.legend && typeof layout.legend.y === "number" && layout.legend.y < 0) {
          layout.legend = Object.assign({}, layout.legend, { yref: "container", y: 0, yanchor: "bottom" });
        }
        // Bar labels that Plotly would shrink to fit their bar keep the deck's size.
        layout.uniformtext = { minsize: DECK_FONT, mode: "show" };
        figure.data.forEach(raiseFonts);
      }
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
