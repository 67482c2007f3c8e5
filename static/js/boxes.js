// Boxes on a photo for the localization and detection widgets: IoU (the same formula as
// app/compute/ops/metrics.py, checked against it by the browser tests), SVG drawing, and an editor
// that moves and resizes boxes with a mouse, a finger (pointer events) or the keyboard.
"use strict";

Stride.boxes = (function () {
  const SVG = "http://www.w3.org/2000/svg";

  // Intersection over union of two [x1, y1, x2, y2] boxes.
  function iou(a, b) {
    const interW = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
    const interH = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
    const intersection = interW * interH;
    const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection;
    return { iou: union > 0 ? intersection / union : 0, intersection, union };
  }

  function el(tag, attrs, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  // Where a label goes, as in the widgets' Python (_ANCHORS): corner x, corner y, dx, dy, text-anchor.
  const ANCHORS = {
    tl: [0, 1, "0.25em", "1.1em", "start"], tr: [2, 1, "-0.25em", "1.1em", "end"],
    bl: [0, 3, "0.25em", "-0.4em", "start"], br: [2, 3, "-0.25em", "-0.4em", "end"],
  };

  // A box as the templates draw it: <g class="ld-box ld-{kind}"><rect/><text/></g>.
  function drawBox(parent, box, label, kind, anchor) {
    const [ix, iy, dx, dy, textAnchor] = ANCHORS[anchor || "tl"];
    const g = el("g", { class: `ld-box ld-${kind}` }, parent);
    el("rect", { class: "ld-body", x: box[0], y: box[1], width: box[2] - box[0], height: box[3] - box[1] }, g);
    const text = el("text", { class: "ld-label", x: box[ix], y: box[iy], dx, dy, "text-anchor": textAnchor }, g);
    text.textContent = label;
    return g;
  }

  // Numbers as the page's language writes them (decimal comma in Russian).
  function format(value, digits, lang) {
    const text = value.toFixed(digits).replace("-", "\u2212");
    return lang === "ru" ? text.replace(".", ",") : text;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : `{${key}}`));
  }

  // Translated strings a template put in <template data-strings><span data-s="key">…</span></template>.
  function strings(el) {
    const out = {};
    const holder = el.querySelector("template[data-strings]");
    if (holder) holder.content.querySelectorAll("[data-s]").forEach((s) => { out[s.dataset.s] = s.textContent; });
    return out;
  }

  // Remember which box had the keyboard focus, so that a widget htmx re-renders gives it back.
  const focusMemory = {};

  // editor(svg, group, {width, height, boxes: [{id, box, label, kind}], draw, newBox, onChange, onCommit, ariaLabel})
  // Boxes are kept in image pixels (the SVG's viewBox). onChange(boxes) fires while dragging,
  // onCommit(boxes, how) when a drag ends or the keyboard pauses; `draw` lets a drag on an empty
  // spot make a new box (newBox(box) gives its id, label and kind); Delete removes a box when `draw` is on.
  function editor(svg, group, options) {
    const width = options.width;
    const height = options.height;
    const block = svg.closest("[data-block]") ? svg.closest("[data-block]").dataset.block : "";
    const handle = Math.max(width, height) * 0.022;
    const minSize = Math.max(width, height) * 0.02;
    const step = Math.max(1, Math.round(Math.max(width, height) * 0.01));
    let boxes = options.boxes.map((b) => ({ ...b, box: b.box.slice() }));
    let drag = null;
    let keyTimer = null;
    let front = null;  // the box last grabbed: drawn last, so it and its handles sit on top

    function clamp(box) {
      let [x1, y1, x2, y2] = box;
      x1 = Math.max(0, Math.min(x1, width - minSize));
      y1 = Math.max(0, Math.min(y1, height - minSize));
      x2 = Math.min(width, Math.max(x2, x1 + minSize));
      y2 = Math.min(height, Math.max(y2, y1 + minSize));
      return [x1, y1, x2, y2].map((v) => Math.round(v));
    }

    function label(b) {
      const [x1, y1, x2, y2] = b.box;
      return fill(options.ariaLabel || "{name}", { name: b.label, x1, y1, x2, y2 });
    }

    function render() {
      const focused = document.activeElement && group.contains(document.activeElement) ? document.activeElement.dataset.id : null;
      group.textContent = "";
      const order = boxes.filter((b) => b.id !== front).concat(boxes.filter((b) => b.id === front));
      for (const b of order) {
        const g = drawBox(group, b.box, b.label, b.kind, b.kind === "truth" ? "bl" : "tl");
        g.classList.add("is-editable");
        g.dataset.id = b.id;
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "group");
        g.setAttribute("aria-label", label(b));
        for (const corner of ["nw", "ne", "sw", "se"]) {
          const cx = corner.includes("w") ? b.box[0] : b.box[2];
          const cy = corner.includes("n") ? b.box[1] : b.box[3];
          el("rect", { class: "ld-handle", "data-corner": corner, x: cx - handle / 2, y: cy - handle / 2, width: handle, height: handle }, g);
          // A larger, invisible target for fingers.
          el("rect", { class: "ld-handle-hit", "data-corner": corner, x: cx - handle * 1.5, y: cy - handle * 1.5, width: handle * 3, height: handle * 3 }, g);
        }
      }
      if (focused) {
        const again = group.querySelector(`[data-id="${focused}"]`);
        if (again) again.focus();
      }
    }

    function point(event) {
      const rect = svg.getBoundingClientRect();
      return [(event.clientX - rect.left) / rect.width * width, (event.clientY - rect.top) / rect.height * height];
    }

    function find(id) { return boxes.find((b) => b.id === id); }

    // The corner handle under (x, y), of any box: a handle wins over a box body, whichever box is on top,
    // so a handle lying inside another box can still be grabbed. Nearest first; on a tie, the front box.
    function cornerAt(x, y) {
      let best = null;
      const reach = handle * 1.5;  // the invisible hit square drawn around each handle
      boxes.forEach((b) => {
        for (const corner of ["nw", "ne", "sw", "se"]) {
          const cx = corner.includes("w") ? b.box[0] : b.box[2];
          const cy = corner.includes("n") ? b.box[1] : b.box[3];
          const distance = Math.max(Math.abs(x - cx), Math.abs(y - cy));
          if (distance > reach) continue;
          // Ties go to the front box, then to the one drawn later (on top).
          const tie = best && Math.abs(distance - best.distance) < 1e-9;
          if (!best || distance < best.distance - 1e-9 || (tie && (b.id === front || best.id !== front)))
            best = { id: b.id, corner, distance };
        }
      });
      return best;
    }

    function emit(kind, how) {
      const copy = boxes.map((b) => ({ ...b, box: b.box.slice() }));
      if (kind === "change" && options.onChange) options.onChange(copy);
      if (kind === "commit" && options.onCommit) options.onCommit(copy, how);
    }

    svg.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      const [x, y] = point(event);
      const grabbed = cornerAt(x, y);
      const body = event.target.closest(".ld-box.is-editable");
      const id = grabbed ? grabbed.id : body && !event.target.dataset.corner ? body.dataset.id : null;
      if (id) {
        const b = find(id);
        drag = { id, corner: grabbed ? grabbed.corner : null, start: [x, y], from: b.box.slice(), moved: false };
        if (front !== id) { front = id; render(); }
        const target = group.querySelector(`[data-id="${id}"]`);
        if (target) target.focus({ preventScroll: true });
      } else if (options.draw) {
        const fresh = options.newBox([x, y, x, y]);
        boxes.push({ ...fresh, box: [x, y, x + 1, y + 1] });
        drag = { id: fresh.id, corner: "se", start: [x, y], from: [x, y, x, y], moved: false, created: true };
      } else {
        return;
      }
      svg.setPointerCapture(event.pointerId);
      event.preventDefault();
    });

    svg.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const [x, y] = point(event);
      const dx = x - drag.start[0];
      const dy = y - drag.start[1];
      const b = find(drag.id);
      let [x1, y1, x2, y2] = drag.from;
      if (!drag.corner) {
        const w = x2 - x1;
        const h = y2 - y1;
        x1 = Math.max(0, Math.min(x1 + dx, width - w));
        y1 = Math.max(0, Math.min(y1 + dy, height - h));
        b.box = [Math.round(x1), Math.round(y1), Math.round(x1 + w), Math.round(y1 + h)];
      } else {
        if (drag.corner.includes("w")) x1 += dx; else x2 += dx;
        if (drag.corner.includes("n")) y1 += dy; else y2 += dy;
        b.box = clamp([Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)]);
      }
      drag.moved = true;
      render();
      emit("change");
    });

    function endDrag(event) {
      if (!drag) return;
      const done = drag;
      drag = null;
      if (svg.hasPointerCapture(event.pointerId)) svg.releasePointerCapture(event.pointerId);
      if (done.created && !done.moved) {
        boxes = boxes.filter((b) => b.id !== done.id);  // a click, not a drag: no box
        render();
        return;
      }
      if (done.moved) emit("commit", "pointer");
    }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);

    group.addEventListener("keydown", (event) => {
      const target = event.target.closest(".ld-box.is-editable");
      if (!target) return;
      const b = find(target.dataset.id);
      if ((event.key === "Delete" || event.key === "Backspace") && options.draw) {
        boxes = boxes.filter((x) => x !== b);
        render();
        emit("change");
        emit("commit", "keyboard");
        event.preventDefault();
        return;
      }
      const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      const [dx, dy] = [move[0] * step, move[1] * step];
      let [x1, y1, x2, y2] = b.box;
      if (event.shiftKey) {
        b.box = clamp([x1, y1, x2 + dx, y2 + dy]);
      } else {
        const w = x2 - x1;
        const h = y2 - y1;
        x1 = Math.max(0, Math.min(x1 + dx, width - w));
        y1 = Math.max(0, Math.min(y1 + dy, height - h));
        b.box = [x1, y1, x1 + w, y1 + h];
      }
      render();
      emit("change");
      clearTimeout(keyTimer);
      keyTimer = setTimeout(() => { focusMemory[block] = b.id; emit("commit", "keyboard"); }, 450);
    });

    render();
    if (focusMemory[block]) {
      const again = group.querySelector(`[data-id="${focusMemory[block]}"]`);
      delete focusMemory[block];
      if (again) again.focus({ preventScroll: true });
    }
    return {
      boxes: () => boxes.map((b) => ({ ...b, box: b.box.slice() })),
      set(next) { boxes = next.map((b) => ({ ...b, box: b.box.slice() })); render(); },
    };
  }

  return { iou, el, drawBox, editor, format, fill, strings };
})();
