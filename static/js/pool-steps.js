// Max and average pooling with numbers: the window moves over the input one output cell a step.
// The winning cell of a max window is marked with a symbol and an outline (▲), earlier winners with △.
// Everything comes from the trace the server computed; no request per step.
"use strict";

Stride.register("pool-steps", (el) => {
  const trace = Stride.readJSON(el, "[data-trace]");
  const input = Stride.gridCells(el, "input");
  const outCells = Array.from(el.querySelectorAll('[data-grid="output"] td'));
  const detail = el.querySelector("[data-detail]");
  const position = el.querySelector("[data-position]");
  const steps = trace.steps;
  const [ph, pw] = trace.padding;
  const speed = Number((el.querySelector('input[name$=".speed"]') || {}).value || 1);
  const fmt = (v) => (v === null ? "−∞" : Object.is(v, -0) ? "0" : String(v).replace("-", "−"));

  const windowCells = (step) =>
    step.cells.map((cell) => input.at(...cell.padded)).filter(Boolean);
  const winnerCell = (step) => (step.argmax ? input.at(step.argmax[0] + ph, step.argmax[1] + pw) : null);

  function describe(step) {
    // Rows and columns are counted from 1 on the page; PyTorch's 0-based index stands next to the label.
    const label = detail.dataset.label.replace("{i}", step.out[0] + 1).replace("{j}", step.out[1] + 1)
      + ` (PyTorch y[0, 0, ${step.out[0]}, ${step.out[1]}])`;
    const values = step.cells.map((cell) => fmt(cell.value));
    if (trace.mode === "max") {
      const at = detail.dataset.at.replace("{r}", step.argmax[0] + 1).replace("{c}", step.argmax[1] + 1);
      detail.textContent = `${label} = max(${values.join(", ")}) = ${fmt(step.result)} ▲ ${at}`;
    } else {
      detail.textContent = `${label} = (${values.join(" + ")}) / ${step.divisor} = ${fmt(step.result)}`;
    }
  }

  function show(index) {
    input.cells.forEach((td) => td.classList.remove("in-window", "is-max", "pp-was-max"));
    steps.slice(0, index).forEach((step) => {
      const cell = winnerCell(step);
      if (cell) cell.classList.add("pp-was-max");
    });
    windowCells(steps[index]).forEach((td) => td.classList.add("in-window"));
    const winner = winnerCell(steps[index]);
    if (winner) {
      winner.classList.remove("pp-was-max");
      winner.classList.add("is-max");
    }
    Stride.revealOutputs(outCells, index);
    describe(steps[index]);
    if (position) position.textContent = `${index + 1} / ${steps.length}`;
  }

  Stride.stepOutputs(el, outCells, steps, show, windowCells, { speed });
});
