// Transposed convolution, one input cell a step: the cell is outlined, the output cells its stamp reaches are
// marked, and the output shows the sum of the stamps so far. Everything comes from the server's trace.
"use strict";

Stride.register("transposed-conv", (el) => {
  const steps = Stride.readJSON(el, "[data-trace]").steps;
  const inputs = new Map();
  el.querySelectorAll('[data-grid="input"] td').forEach((td) => inputs.set(`${td.dataset.r},${td.dataset.c}`, td));
  const outputs = new Map();
  el.querySelectorAll('[data-grid="output"] td').forEach((td) => outputs.set(`${td.dataset.r},${td.dataset.c}`, td));
  const detail = el.querySelector("[data-detail]");
  const position = el.querySelector("[data-position]");

  function show(index) {
    const step = steps[index];
    inputs.forEach((td) => td.classList.remove("in-window"));
    outputs.forEach((td) => td.classList.remove("in-window"));
    inputs.get(step.cell.join(",")).classList.add("in-window");
    for (const [r, c] of step.touched) outputs.get(`${r},${c}`).classList.add("in-window");
    step.output.forEach((row, r) => row.forEach((v, c) => { outputs.get(`${r},${c}`).textContent = v; }));
    detail.textContent = detail.dataset.template.replaceAll("{i}", step.cell[0]).replaceAll("{j}", step.cell[1])
      .replaceAll("{v}", step.value).replaceAll("{n}", step.touched.length);
    if (position) position.textContent = `${index + 1} / ${steps.length}`;
  }

  Stride.player(el, steps.length, show);
});
