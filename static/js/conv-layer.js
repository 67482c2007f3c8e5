// Receptive fields of the conv-layer lesson: point at (or move the arrow keys over) a pixel of an activation
// map and the input patch it sees lights up. The geometry is the server's: output pixel (i, j) sees input
// rows start + i·jump … start + i·jump + size − 1 (columns alike). Here we only find the pixel under the pointer.
"use strict";

(function () {
  const pct = (value, total) => `${(100 * value) / total}%`;

  function place(el, top, left, height, width, rows, cols) {
    el.style.top = pct(top, rows);
    el.style.left = pct(left, cols);
    el.style.height = pct(height, rows);
    el.style.width = pct(width, cols);
    el.hidden = false;
  }

  let refocus = null; // the block whose map had the keyboard when it asked for a new pixel

  // Put the chosen pixel into the widget's row/col fields; the form's htmx trigger re-renders it.
  function pick(widget, i, j, fromKeyboard) {
    const block = widget.dataset.block;
    const row = widget.querySelector(`input[name="${block}.row"]`);
    const col = widget.querySelector(`input[name="${block}.col"]`);
    if (!row || !col) return;
    refocus = fromKeyboard ? block : null;
    row.value = String(i + 1);  // the fields count from 1, as the page does
    col.value = String(j + 1);
    col.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function attach(widget) {
    const input = widget.querySelector("[data-rf-input]");
    const box = input ? input.querySelector("[data-rf-box]") : null;
    const readout = widget.querySelector("[data-rf-readout]");
    if (!box) return;

    widget.querySelectorAll("[data-rf-map]").forEach((map) => {
      const g = JSON.parse(map.dataset.geometry);
      const [inH, inW] = g.input;
      const [outH, outW] = g.output;
      const cursor = map.querySelector("[data-rf-cursor]");
      const picks = map.hasAttribute("data-pick");
      let pos = g.cursor || [0, 0]; // the pixel the server is showing, if any

      function show(i, j) {
        pos = [i, j];
        const r0 = g.start + i * g.jump;
        const c0 = g.start + j * g.jump;
        const r1 = r0 + g.size - 1;
        const c1 = c0 + g.size - 1;
        const top = Math.max(r0, 0);
        const left = Math.max(c0, 0);
        const bottom = Math.min(r1, inH - 1);
        const right = Math.min(c1, inW - 1);
        if (bottom < top || right < left) box.hidden = true; // the whole field lies on the padding
        else place(box, top, left, bottom - top + 1, right - left + 1, inH, inW);
        box.dataset.rows = `${r0}-${r1}`;
        box.dataset.cols = `${c0}-${c1}`;
        if (cursor) place(cursor, i, j, 1, 1, outH, outW);
        map.dataset.i = String(i);
        map.dataset.j = String(j);
        if (readout) {
          const outside = r0 < 0 || c0 < 0 || r1 > inH - 1 || c1 > inW - 1;
          // Said counting from 1, as the page does (data-rows/data-cols and the arrays count from 0).
          const text = readout.dataset.template
            .replace("{i}", i + 1).replace("{j}", j + 1).replace("{r0}", r0 + 1).replace("{r1}", r1 + 1)
            .replace("{c0}", c0 + 1).replace("{c1}", c1 + 1).replaceAll("{size}", g.size);
          readout.textContent = outside ? `${text} ${readout.dataset.outside}` : text;
        }
      }

      function hide() {
        box.hidden = true;
        if (cursor) cursor.hidden = true;
      }

      function at(event) {
        const rect = map.getBoundingClientRect();
        const i = Math.floor(((event.clientY - rect.top) / rect.height) * outH);
        const j = Math.floor(((event.clientX - rect.left) / rect.width) * outW);
        return [Math.min(Math.max(i, 0), outH - 1), Math.min(Math.max(j, 0), outW - 1)];
      }

      map.addEventListener("pointermove", (event) => show(...at(event)));
      map.addEventListener("pointerdown", (event) => show(...at(event)));
      map.addEventListener("pointerleave", () => { if (document.activeElement !== map) hide(); });
      map.addEventListener("focus", () => show(...pos));
      map.addEventListener("blur", hide);
      map.addEventListener("keydown", (event) => {
        const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
        if (moves[event.key]) {
          event.preventDefault();
          event.stopPropagation(); // inside a slide, arrows move the pixel, not the deck
          const [di, dj] = moves[event.key];
          show(Math.min(Math.max(pos[0] + di, 0), outH - 1), Math.min(Math.max(pos[1] + dj, 0), outW - 1));
        } else if (picks && (event.key === "Enter" || event.key === " ")) {
          event.preventDefault();
          pick(widget, ...pos, true);
        }
      });
      if (picks) map.addEventListener("click", (event) => pick(widget, ...at(event), false));
      if (picks && refocus === widget.dataset.block) {
        refocus = null;
        map.focus();
      }
    });
  }

  ["conv-layer-dot", "conv-layer-bank", "conv-layer-stack"].forEach((name) => Stride.register(name, attach));
})();
