// 1-D convolution or cross-correlation: which x[k] meet which h[j] for each output y[n].
"use strict";

Stride.register("conv1d", (el) => {
  const trace = Stride.readJSON(el, "[data-trace]");
  const xCells = el.querySelectorAll('[data-row="x"] td[data-k]');
  const yCells = Array.from(el.querySelectorAll('[data-row="y"] td[data-n]'));
  const detail = el.querySelector("[data-detail]");
  const fmt = (v) => (Object.is(v, -0) ? "0" : String(v));
  const factor = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));  // 3·(-1), not 3·-1

  function show(index) {
    const step = trace.steps[index];
    const used = new Set(step.pairs.map((p) => p.k));
    xCells.forEach((td) => td.classList.toggle("in-window", used.has(Number(td.dataset.k))));
    Stride.revealOutputs(yCells, index);
    const terms = step.pairs.map((p) => `x[${p.k}]·h[${p.h_index}]`).join(" + ") || "0";
    const values = step.pairs.map((p) => `${factor(p.x)}·${factor(p.h)}`).join(" + ") || "0";
    // Positions are counted from 1 on the page; the formula's (and PyTorch's) index is one less.
    const label = detail.dataset.label.replace("{n}", step.n + 1).replace("{index}", step.n);
    detail.textContent = `${label} = ${terms} = ${values} = ${fmt(step.sum)}`;
  }

  const control = Stride.player(el, trace.steps.length, show);
  yCells.forEach((td, i) => td.querySelector("button").addEventListener("click", () => control.go(i)));
});
