// Local connectivity and parameter sharing: a conv output unit moves over its input; the pixels it sees
// and the number of the weight each pixel meets come from the server's trace (read off autograd).
"use strict";

Stride.register("fc-conv-connectivity", (el) => {
  const trace = Stride.readJSON(el, "[data-trace]");
  const cells = new Map();
  el.querySelectorAll("[data-in]").forEach((g) => cells.set(g.dataset.r + "," + g.dataset.c, g));
  const outs = Array.from(el.querySelectorAll("[data-out]"));
  const lines = Array.from(el.querySelectorAll("[data-line]"));
  const detail = el.querySelector("[data-detail]");
  const position = el.querySelector("[data-position]");
  const positions = trace.positions;

  function range(values) {
    return `${Math.min(...values)}–${Math.max(...values)}`;
  }

  function show(index) {
    const p = positions[index];
    const [ox, oy] = trace.output[index];
    cells.forEach((g) => {
      g.classList.remove("is-linked");
      g.querySelector("text").textContent = "";
    });
    p.taps.forEach(([r, c, weight], n) => {
      const g = cells.get(r + "," + c);
      g.classList.add("is-linked");
      g.querySelector("text").textContent = String(weight);
      const [x, y] = trace.input[r * trace.size + c];
      const line = lines[n];
      if (!line) return;
      line.setAttribute("x1", x);
      line.setAttribute("y1", y);
      line.setAttribute("x2", ox);
      line.setAttribute("y2", oy);
    });
    outs.forEach((g, i) => g.classList.toggle("is-current", i === index));
    detail.textContent = detail.dataset.label
      .replace("{i}", p.out[0]).replace("{j}", p.out[1])
      .replace("{rows}", range(p.taps.map((t) => t[0]))).replace("{cols}", range(p.taps.map((t) => t[1])));
    if (position) position.textContent = `${index + 1} / ${positions.length}`;
  }

  const control = Stride.player(el, positions.length, show);
  outs.forEach((g, i) => g.addEventListener("click", () => control.go(i)));
});
