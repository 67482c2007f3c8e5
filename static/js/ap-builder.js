// Precision, recall and AP, one detection at a time. The server computes every number
// (metrics.average_precision); this script only steps k, lets the student draw the ground truth
// and, when the detector's weights are installed, fetches its detections through the JSON API.
"use strict";

Stride.register("ap-builder", (el) => {
  const config = Stride.readJSON(el, "[data-config]");
  const text = Stride.boxes.strings(el);
  const block = config.block;
  const field = (name) => el.querySelector(`[name="${block}.${name}"]`);
  const changed = (input) => input.dispatchEvent(new Event("change", { bubbles: true }));
  const round = (v) => String(Math.round(v * 10) / 10);

  // Step buttons move the k slider; the form's change sends it to the server.
  const k = el.querySelector("[data-k]");
  el.querySelectorAll("[data-k-step]").forEach((button) => button.addEventListener("click", () => {
    const next = Math.min(Number(k.max), Math.max(0, Number(k.value) + Number(button.dataset.kStep)));
    if (String(next) !== k.value) { k.value = String(next); changed(k); }
  }));
  const all = el.querySelector("[data-k-all]");
  if (all) all.addEventListener("click", () => { k.value = k.max; changed(k); });

  // Ground truth: drag on an empty spot to draw, drag a box or its corners, Delete removes.
  const truthInput = field("truth");
  const labelSelect = field("label");
  let counter = 0;
  const svg = el.querySelector("[data-stage-svg]");
  Stride.boxes.editor(svg, el.querySelector("[data-editable]"), {
    width: config.width, height: config.height, draw: true, ariaLabel: text.box,
    boxes: config.truth.map((t, n) => ({ id: `t${n}`, box: t.box, label: `${text.gt} ${t.label}`, kind: "truth", cls: t.label })),
    newBox() {
      const cls = labelSelect ? labelSelect.value : config.label;
      counter += 1;
      return { id: `new${counter}`, label: `${text.gt} ${cls}`, kind: "truth", cls };
    },
    onCommit(boxes) {
      if (!truthInput) return;
      truthInput.value = boxes.map((b) => `${b.cls} ${b.box.map(round).join(" ")}`).join("; ");
      changed(truthInput);
    },
  });

  // Live detections: asked for once per photo, then kept in the form (and the URL).
  if (config.pending) {
    const error = el.querySelector("[data-error]");
    fetch(`/api/models/${encodeURIComponent(config.model)}/predict?lang=${document.documentElement.lang}`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ sample: config.sample, score_threshold: config.threshold }),
    }).then(async (response) => {
      const data = await response.json();
      if (!response.ok) throw new Error(data.detail || String(response.status));
      const input = el.querySelector("[data-detections]");
      input.value = data.detections.slice(0, config.max_detections)
        .map((d) => `${d.label} ${d.score} ${d.box.map(round).join(" ")}`).join("; ") || "-";
      changed(input);
    }).catch((exc) => {
      const pending = el.querySelector("[data-pending]");
      if (pending) pending.hidden = true;
      error.textContent = exc.message || String(exc);
      error.hidden = false;
    });
  }
});
