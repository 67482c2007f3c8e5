// The output grid of a step-by-step operation (conv2d, pool-steps): a player over the steps, and each output cell
// a button that jumps to its step; hovering or focusing one lights the input window it was computed from.
"use strict";

// The cells of one of a widget's number grids ([data-grid=name] td), and the cell at row r, column c of the padded
// input (data-r, data-c), or undefined: where a step's window lies.
Stride.gridCells = function (el, name) {
  const cells = Array.from(el.querySelectorAll(`[data-grid="${name}"] td`));
  const byPos = new Map(cells.map((td) => [td.dataset.r + "," + td.dataset.c, td]));
  return { cells, at: (r, c) => byPos.get(r + "," + c) };
};

Stride.stepOutputs = function (el, outCells, steps, show, windowCells, options) {
  const control = Stride.player(el, steps.length, show, options);
  outCells.forEach((td, i) => {
    const button = td.querySelector("button");
    button.addEventListener("click", () => control.go(i));
    const light = (on) => windowCells(steps[i]).forEach((cell) => cell.classList.toggle("is-hover", on));
    td.addEventListener("mouseenter", () => light(true));
    td.addEventListener("mouseleave", () => light(false));
    button.addEventListener("focus", () => light(true));
    button.addEventListener("blur", () => light(false));
  });
  return control;
};
