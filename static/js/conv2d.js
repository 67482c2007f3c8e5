// 2-D convolution with numbers: the kernel slides over the (padded) input, one output cell a step.
// Everything comes from the trace the server computed; no request per step.
"use strict";

Stride.register("conv2d", (el) => {
  const trace = Stride.readJSON(el, "[data-trace]");
  const input = Stride.gridCells(el, "input");
  const kernelCells = el.querySelectorAll('[data-grid="kernel"] td');
  const outCells = Array.from(el.querySelectorAll('[data-grid="output"] td'));
  const detail = el.querySelector("[data-detail]");
  const position = el.querySelector("[data-position]");
  const steps = trace.steps;
  const speed = Number((el.querySelector('input[name$=".speed"]') || {}).value || 1);
  const fmt = (v) => (Object.is(v, -0) ? "0" : String(v));
  const factor = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));  // 3·(-1), not 3·-1

  function mark(cells, cls, on) {
    cells.forEach((td) => td.classList.toggle(cls, on));
  }

  function windowCells(step) {
    return step.taps.map((tap) => input.at(...tap.padded)).filter(Boolean);
  }

  function describe(step) {
    const products = step.taps.map((tap) => `${factor(tap.x)}·${factor(tap.w)}`).join(" + ");
    // Rows and columns from 1, as the lesson counts; PyTorch's 0-based index beside it, as in the code below.
    const label = detail.dataset.label.replace("{i}", step.out[0] + 1).replace("{j}", step.out[1] + 1);
    detail.textContent = `${label} (PyTorch y[0, 0, ${step.out[0]}, ${step.out[1]}]) = ${products} = ${fmt(step.sum)}`;
  }

  function show(index) {
    mark(input.cells, "in-window", false);
    mark(kernelCells, "in-window", false);
    mark(windowCells(steps[index]), "in-window", true);
    Stride.revealOutputs(outCells, index);
    describe(steps[index]);
    if (position) position.textContent = `${index + 1} / ${steps.length}`;
  }

  Stride.stepOutputs(el, outCells, steps, show, windowCells, { speed });
});
