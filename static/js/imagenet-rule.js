// The ImageNet rule: drag a numbered guess on the photo (or use the keyboard); its box goes into
// the form and the server judges the five guesses again.
"use strict";

Stride.register("imagenet-rule", (el) => {
  const config = Stride.readJSON(el, "[data-config]");
  const text = Stride.boxes.strings(el);
  const svg = el.querySelector("[data-stage-svg]");
  Stride.boxes.editor(svg, el.querySelector("[data-editable]"), {
    width: config.width, height: config.height, ariaLabel: text.box,
    boxes: Object.entries(config.boxes).map(([n, box]) => ({ id: n, box, label: n, kind: "guess" })),
    onCommit(boxes) {
      let changed = null;
      for (const b of boxes) {
        const input = el.querySelector(`[data-box-input="${b.id}"]`);
        const value = b.box.join(" ");
        if (input && input.value !== value) { input.value = value; changed = input; }
      }
      if (changed) changed.dispatchEvent(new Event("change", { bubbles: true }));
    },
  });
});
