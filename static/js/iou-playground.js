// IoU playground: drag and resize boxes A and B (a handle can be grabbed wherever it lies: Stride.boxes.editor);
// IoU is recomputed in the browser while they move, and checked by the server (POST /api/metrics/iou) once they stop.
"use strict";

Stride.register("iou-playground", (el) => {
  const config = Stride.readJSON(el, "[data-config]");
  const text = Stride.boxes.strings(el);
  const lang = config.lang;
  const svg = el.querySelector("[data-stage-svg]");
  const overlap = el.querySelector("[data-intersection]");
  const out = {
    fraction: el.querySelector("[data-iou-fraction]"), iou: el.querySelector("[data-iou]"),
    verdict: el.querySelector("[data-verdict]"), server: el.querySelector("[data-server-check]"),
    a: el.querySelector('[data-coords="a"]'), b: el.querySelector('[data-coords="b"]'),
  };
  let request = 0;
  const whole = (v) => Math.round(v).toLocaleString(lang === "ru" ? "ru-RU" : "en-US");

  function show(boxes) {
    const a = boxes.find((b) => b.id === "a").box;
    const b = boxes.find((b) => b.id === "b").box;
    const r = Stride.boxes.iou(a, b);
    out.fraction.textContent = `${whole(r.intersection)} / ${whole(r.union)}`;
    out.iou.textContent = Stride.boxes.format(r.iou, 3, lang);
    const passes = r.iou >= config.threshold;
    out.verdict.textContent = passes ? text.passes : text.fails;
    out.verdict.classList.toggle("is-good", passes);
    out.verdict.classList.toggle("is-bad", !passes);
    out.a.textContent = a.join(", ");
    out.b.textContent = b.join(", ");
    const ix1 = Math.max(a[0], b[0]);
    const iy1 = Math.max(a[1], b[1]);
    overlap.setAttribute("x", ix1);
    overlap.setAttribute("y", iy1);
    overlap.setAttribute("width", Math.max(0, Math.min(a[2], b[2]) - ix1));
    overlap.setAttribute("height", Math.max(0, Math.min(a[3], b[3]) - iy1));
    return { a, b, local: r.iou };
  }

  async function check(boxes) {
    const { a, b, local } = show(boxes);
    const mine = ++request;
    out.server.textContent = text.checking;
    // Keep the boxes in the page URL, so a copied link reopens them.
    const url = new URL(window.location.href);
    url.searchParams.set(`${config.block}.box_a`, a.join(" "));
    url.searchParams.set(`${config.block}.box_b`, b.join(" "));
    window.history.replaceState(window.history.state, "", url);
    try {
      const response = await fetch(`/api/metrics/iou?lang=${lang}`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ box_a: a, box_b: b }),
      });
      const data = await response.json();
      if (mine !== request) return;
      if (!response.ok) { out.server.textContent = data.detail || String(response.status); return; }
      const same = Math.abs(data.iou - local) < 1e-9;
      out.server.textContent = Stride.boxes.fill(same ? text.agree : text.disagree,
        { iou: Stride.boxes.format(data.iou, 3, lang), local: Stride.boxes.format(local, 3, lang) });
      out.server.dataset.serverIou = String(data.iou);
      out.server.dataset.agrees = same ? "1" : "0";
    } catch (exc) {
      if (mine === request) out.server.textContent = String(exc);
    }
  }

  const editor = Stride.boxes.editor(svg, el.querySelector("[data-editable]"), {
    width: config.width, height: config.height, ariaLabel: text.box,
    boxes: [
      { id: "a", box: config.boxes.a, label: "A", kind: "truth" },
      { id: "b", box: config.boxes.b, label: "B", kind: "guess" },
    ],
    onChange: show,
    onCommit: check,
  });
  show(editor.boxes());
});
