// LeNet-5 drawing canvas: pointer events (mouse, touch, pen) draw strokes; when a stroke ends the
// canvas is shrunk to the server's size, sent as a PNG in the widget's form, and htmx swaps in the
// server's answer (preprocessing, probabilities, activation maps) beside the canvas, which stays.
"use strict";

Stride.register("lenet-draw", (el) => {
  const form = el.querySelector("[data-lenet-form]");
  const canvas = el.querySelector("[data-canvas]");
  const results = el.querySelector("[data-results]");
  const announce = el.querySelector("[data-announce]");
  if (!form || !canvas || !results) return;
  const pen = canvas.getContext("2d");
  const exportSide = Number(canvas.dataset.exportSide) || 56;
  const lineWidth = canvas.width * (Number(canvas.dataset.stroke) || 0.075);
  let drawing = false;
  let last = null;
  let pending = null;
  // The canvas shows the server's picture on start and after a sample loads, never over a fresh drawing.
  let repaint = true;

  const field = (name) => form.querySelector(`[name="${el.dataset.block}.${name}"]`);
  // Set the form's fields ({name: value}); the server reads them on the next submit.
  function setFields(values) {
    for (const [name, value] of Object.entries(values)) {
      const input = field(name);
      if (input) input.value = value;
    }
  }

  function blank() {
    pen.save();
    pen.fillStyle = "#fff";
    pen.fillRect(0, 0, canvas.width, canvas.height);
    pen.restore();
  }

  function paint(src) {
    const image = new Image();
    image.onload = () => {
      blank();
      pen.imageSmoothingEnabled = true;
      pen.drawImage(image, 0, 0, canvas.width, canvas.height);
    };
    image.src = src;
  }

  // The server's copy of what it read (a sample, or the drawing from a shared link) goes on the canvas.
  function syncFromResults() {
    const ready = results.querySelector("[data-canvas-src]");
    if (ready && repaint) paint(ready.dataset.canvasSrc);
    repaint = false;
    const state = results.querySelector("[data-announce-text]");
    if (announce && state) announce.textContent = state.dataset.announceText;
    const sample = field("sample");
    el.querySelectorAll("[data-sample]").forEach((b) => {
      b.setAttribute("aria-pressed", sample && sample.value === b.dataset.sample ? "true" : "false");
    });
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * canvas.width,
      y: ((event.clientY - box.top) / box.height) * canvas.height,
    };
  }

  function stroke(from, to) {
    pen.strokeStyle = "#000";
    pen.fillStyle = "#000";
    pen.lineWidth = lineWidth;
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pen.beginPath();
    pen.moveTo(from.x, from.y);
    pen.lineTo(to.x, to.y);
    pen.stroke();
  }

  function exportPng() {
    const small = document.createElement("canvas");
    small.width = exportSide;
    small.height = exportSide;
    const out = small.getContext("2d");
    out.fillStyle = "#fff";
    out.fillRect(0, 0, exportSide, exportSide);
    out.imageSmoothingEnabled = true;
    out.imageSmoothingQuality = "high";
    out.drawImage(canvas, 0, 0, exportSide, exportSide);
    return small.toDataURL("image/png").split(",")[1];
  }

  function submit() {
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else htmx.trigger(form, "submit");
  }

  // A new picture: forget the chosen pixel so the server picks the strongest one again.
  function sendDrawing() {
    pending = null;
    setFields({ drawing: exportPng(), sample: "", row: "", col: "" });
    submit();
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== undefined && event.button > 0) return;
    event.preventDefault();
    try { canvas.setPointerCapture(event.pointerId); } catch (_) { /* a pointer the browser no longer tracks */ }
    clearTimeout(pending);
    drawing = true;
    repaint = false;
    last = point(event);
    stroke(last, { x: last.x + 0.01, y: last.y });
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const next = point(e);
      stroke(last, next);
      last = next;
    }
  });
  function end() {
    if (!drawing) return;
    drawing = false;
    // A short pause lets a second stroke (the bar of a 4, the cross of a 7) start before we send.
    pending = setTimeout(sendDrawing, 250);
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("lostpointercapture", end);

  // The keyboard's pen: arrows move it (drawing while it is down), Space puts it down or lifts it; lifting
  // sends the drawing as the end of a mouse stroke does. A ring over the canvas shows where the pen is.
  const marker = el.querySelector("[data-pen]");
  const keyPen = { x: canvas.width / 2, y: canvas.height / 2, down: false };
  function showPen() {
    if (!marker) return;
    const scale = canvas.clientWidth / canvas.width;
    marker.hidden = false;
    marker.style.left = `${canvas.offsetLeft + canvas.clientLeft + keyPen.x * scale}px`;
    marker.style.top = `${canvas.offsetTop + canvas.clientTop + keyPen.y * scale}px`;
    marker.classList.toggle("is-down", keyPen.down);
  }
  function penState(text) {
    if (announce && text) announce.textContent = text;
  }
  canvas.addEventListener("focus", showPen);
  canvas.addEventListener("blur", () => {
    if (marker) marker.hidden = true;
    if (keyPen.down) { keyPen.down = false; pending = setTimeout(sendDrawing, 250); }
  });
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[event.key];
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      keyPen.down = !keyPen.down;
      if (keyPen.down) {
        clearTimeout(pending);
        repaint = false;
        stroke(keyPen, { x: keyPen.x + 0.01, y: keyPen.y });
        penState(canvas.dataset.penDown);
      } else {
        penState(canvas.dataset.penUp);
        sendDrawing();
      }
      showPen();
      return;
    }
    if (!move) return;
    event.preventDefault();
    const step = (event.shiftKey ? 3 : 1) * (canvas.width / 28);
    const from = { x: keyPen.x, y: keyPen.y };
    keyPen.x = Math.min(canvas.width, Math.max(0, keyPen.x + move[0] * step));
    keyPen.y = Math.min(canvas.height, Math.max(0, keyPen.y + move[1] * step));
    if (keyPen.down) stroke(from, keyPen);
    showPen();
  });

  el.addEventListener("click", (event) => {
    const clear = event.target.closest("[data-clear]");
    if (clear) {
      clearTimeout(pending);
      blank();
      repaint = false;
      setFields({ drawing: "", sample: "" });
      submit();
      return;
    }
    const sample = event.target.closest("[data-sample]");
    if (sample) {
      clearTimeout(pending);
      repaint = true;
      setFields({ sample: sample.dataset.sample, drawing: "", row: "", col: "" });
      submit();
      return;
    }
    const pick = event.target.closest("[data-pick-layer]");
    if (pick) {
      const select = field("layer");
      if (select) select.value = pick.dataset.pickLayer;
      let channel = pick.dataset.pickChannel;
      if (channel === undefined && pick.dataset.gridCols) channel = cellIndex(event, pick.querySelector("img"), pick.dataset);
      setFields({ channel: channel === undefined || channel === null ? "" : channel, row: "", col: "" });
      submit();
      return;
    }
    const pixel = event.target.closest("[data-pick-pixel]");
    if (pixel) {
      const rows = Number(pixel.dataset.rows);
      const cols = Number(pixel.dataset.cols);
      const box = pixel.getBoundingClientRect();
      const i = Math.min(rows - 1, Math.max(0, Math.floor(((event.clientY - box.top) / box.height) * rows)));
      const j = Math.min(cols - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * cols)));
      if (pixel.dataset.vector === "1") {
        const index = i * cols + j;
        if (index >= Number(pixel.dataset.count)) return;
        setFields({ channel: String(index + 1) });  // the fields count from 1, as the page does
      } else {
        setFields({ row: String(i + 1), col: String(j + 1) });
      }
      submit();
    }
  });

  // Which neuron of a vector grid a click landed on (null for a keyboard press, which has no position).
  function cellIndex(event, image, data) {
    if (!image || (event.clientX === 0 && event.clientY === 0 && event.detail === 0)) return null;
    const box = image.getBoundingClientRect();
    const rows = Number(data.gridRows);
    const cols = Number(data.gridCols);
    const i = Math.floor(((event.clientY - box.top) / box.height) * rows);
    const j = Math.floor(((event.clientX - box.left) / box.width) * cols);
    if (i < 0 || j < 0 || i >= rows || j >= cols) return null;
    const index = i * cols + j;
    return index < Number(data.count) ? String(index + 1) : null;  // counted from 1
  }

  // A new layer from the select starts at that layer's strongest value.
  form.addEventListener("change", (event) => {
    if (event.target.name === `${el.dataset.block}.layer`) {
      setFields({ channel: "", row: "", col: "" });
    }
  }, true);

  el.addEventListener("htmx:afterSwap", syncFromResults);
  blank();
  syncFromResults();
});
