// VGG-16 layer by layer: the photo reaches one row per step; its maps and the running totals of
// memory and parameters follow. Every number comes from the trace the server computed.
"use strict";

Stride.register("vgg-table", (el) => {
  const trace = Stride.readJSON(el, "[data-trace]");
  const rows = Array.from(el.querySelectorAll("tr[data-row]"));
  const panels = Array.from(el.querySelectorAll("[data-panel]"));
  const box = el.querySelector("[data-scroll]");
  const field = el.querySelector("[data-step-field]");
  const position = el.querySelector("[data-position]");
  const outputs = Array.from(el.querySelectorAll("[data-total]"));
  const bars = Array.from(el.querySelectorAll("[data-bar]"));
  const speed = Number((el.querySelector('input[name$=".speed"]') || {}).value || 1);
  const start = Math.min(Number(field ? field.value : 0) || 0, rows.length - 1);
  let first = true;

  function keepInView(row) {
    // Scroll the table's own box, never the page, so playing does not move the lesson around.
    const top = row.offsetTop - box.clientHeight / 2 + row.offsetHeight / 2;
    box.scrollTo({ top: Math.max(top, 0), behavior: Stride.reducedMotion.matches || first ? "auto" : "smooth" });
  }

  function show(index) {
    rows.forEach((row, k) => {
      row.classList.toggle("is-pending", k > index);
      row.classList.toggle("is-current", k === index);
      if (k === index) row.setAttribute("aria-current", "step");
      else row.removeAttribute("aria-current");
    });
    panels.forEach((panel, k) => { panel.hidden = k !== index; });
    const step = trace[index];
    outputs.forEach((out) => { out.textContent = step[out.dataset.total]; });
    bars.forEach((bar) => { bar.style.width = step[bar.dataset.bar] + "%"; });
    if (position) position.textContent = `${index + 1} / ${trace.length}`;
    if (field) field.value = String(index);
    if (box && rows[index]) keepInView(rows[index]);
  }

  const control = Stride.player(el, rows.length, show, { speed });
  control.go(start);
  first = false;
  rows.forEach((row, k) => {
    const button = row.querySelector("[data-goto]");
    if (button) button.addEventListener("click", () => control.go(k));
  });
});
