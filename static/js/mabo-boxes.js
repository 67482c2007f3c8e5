// MABO widget: true boxes are drawn, moved and resized on the photo (Stride.boxes.editor, mouse, finger or
// keyboard); each change is written into the form's text field, which asks the server to recompute.
"use strict";

Stride.register("mabo-proposals", (el) => {
  const config = Stride.readJSON(el, "[data-config]");
  const field = el.querySelector(`[name="${config.block}.truth"]`);
  const svg = el.querySelector("[data-stage-svg]");
  let next = config.boxes.length;
  const group = el.querySelector("[data-editable]");
  Stride.boxes.editor(svg, group, {
    width: config.width, height: config.height, boxes: config.boxes, draw: true,
    ariaLabel: group.dataset.boxAria,
    newBox: () => { next += 1; return { id: `t${next}`, label: `T${next}`, kind: "truth" }; },
    onCommit: (boxes) => {
      field.value = boxes.map((b) => b.box.join(" ")).join("; ");
      field.dispatchEvent(new Event("change", { bubbles: true }));
    },
  });
});
