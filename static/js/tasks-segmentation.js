// Lessons 12 and 15. The photo widgets send one photo to several models through the JSON API (one
// request at a time, so each goes through the server's queue) and draw every answer over the photo:
// top-5 classes, boxes, class masks, instance masks, keypoints. Every label on the picture has a
// number that the list under it repeats, so no meaning rests on colour alone.
// The seg-iou widget lets the student paint the predicted label map; the server recomputes the IoUs.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";

  function node(name, attrs, parent) {
    const el = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, value);
    if (parent) parent.appendChild(el);
    return el;
  }

  function html(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function percent(value, lang, digits) {
    return (100 * value).toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }) + "\u00a0%";
  }

  function decimal(value, lang) {
    return value.toLocaleString(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  // The photo with an SVG on top whose coordinates are the photo's own pixels.
  function figure(stage, imageUrl, size) {
    stage.replaceChildren();
    const box = html("div", "ts-figure");
    const img = html("img");
    img.src = imageUrl;
    img.alt = "";
    img.width = size[0];
    img.height = size[1];
    box.appendChild(img);
    const svg = node("svg", { viewBox: `0 0 ${size[0]} ${size[1]}`, class: "ts-overlay", "aria-hidden": "true", preserveAspectRatio: "none" }, box);
    stage.appendChild(box);
    const unit = Math.max(size[0], size[1]);
    return { svg, font: unit / 17, stroke: Math.max(1, unit / 220) };
  }

  function label(svg, x, y, text, fig) {
    const t = node("text", { x, y, class: "ts-label", "font-size": fig.font, "stroke-width": fig.font / 4 }, svg);
    t.textContent = text;
    return t;
  }

  function legend(stage, title, items) {
    stage.appendChild(html("h4", "ts-list-title", title));
    const list = html("ol", "ts-list");
    for (const item of items) {
      const li = html("li");
      const swatch = html("span", "ts-swatch", String(item.n));
      if (item.color) swatch.style.background = item.color;
      li.append(swatch, " " + item.text);
      list.appendChild(li);
    }
    stage.appendChild(list);
  }

  function drawTop5(stage, result, imageUrl, text, lang) {
    figure(stage, imageUrl, result.image_size);
    stage.appendChild(html("h4", "ts-list-title", text.top5));
    const list = html("ol", "ts-top5");
    for (const p of result.top5) {
      const li = html("li");
      const bar = html("span", "ts-bar");
      const fill = html("span");
      fill.style.width = `${(100 * p.probability).toFixed(1)}%`;
      bar.appendChild(fill);
      li.append(html("span", "ts-top5-label", p.label), bar, html("span", "num", percent(p.probability, lang, 1)));
      list.appendChild(li);
    }
    stage.appendChild(list);
  }

  function drawBoxes(stage, result, imageUrl, text, lang, withMasks) {
    const fig = figure(stage, imageUrl, result.image_size);
    const items = [];
    result.detections.forEach((d, i) => {
      const [x1, y1, x2, y2] = d.box;
      if (withMasks && d.mask) {
        const [mx1, my1, mx2, my2] = d.mask_box;
        node("image", { href: d.mask, x: mx1, y: my1, width: mx2 - mx1, height: my2 - my1, preserveAspectRatio: "none", class: "ts-mask" }, fig.svg);
      }
      node("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1, fill: "none", stroke: d.color, "stroke-width": fig.stroke * 2,
                     "stroke-dasharray": withMasks ? `${fig.stroke * 4} ${fig.stroke * 3}` : "none" }, fig.svg);
      label(fig.svg, x1 + fig.stroke * 3, y1 + fig.font * 1.05, `${i + 1} ${d.label}`, fig);
      items.push({ n: i + 1, color: d.color, text: `${d.label} (${decimal(d.score, lang)})` });
    });
    if (items.length) legend(stage, text.objects, items);
    else stage.appendChild(html("p", "caption", text.none));
  }

  function drawKeypoints(stage, result, imageUrl, text, lang) {
    const fig = figure(stage, imageUrl, result.image_size);
    const items = [];
    result.people.forEach((person, i) => {
      const color = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"][i % 7];
      const [x1, y1, x2, y2] = person.box;
      node("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1, fill: "none", stroke: color, "stroke-width": fig.stroke,
                     "stroke-dasharray": `${fig.stroke * 4} ${fig.stroke * 3}` }, fig.svg);
      const seen = person.keypoints.map((p) => p[2] > 0);
      for (const [a, b] of result.skeleton) {
        if (!seen[a] || !seen[b]) continue;
        const [ax, ay] = person.keypoints[a];
        const [bx, by] = person.keypoints[b];
        node("line", { x1: ax, y1: ay, x2: bx, y2: by, stroke: color, "stroke-width": fig.stroke * 2.5, class: "ts-limb" }, fig.svg);
      }
      person.keypoints.forEach(([x, y], k) => {
        if (seen[k]) node("circle", { cx: x, cy: y, r: fig.stroke * 3, fill: color, stroke: "#000", "stroke-width": fig.stroke / 1.5 }, fig.svg);
      });
      label(fig.svg, x1 + fig.stroke * 3, y1 + fig.font * 1.05, String(i + 1), fig);
      const joints = text.joints.replace("{shown}", seen.filter(Boolean).length).replace("{total}", person.keypoints.length);
      items.push({ n: i + 1, color, text: `${decimal(person.score, lang)}; ${joints}` });
    });
    if (items.length) legend(stage, text.people, items);
    else stage.appendChild(html("p", "caption", text.none));
  }

  // Where to write each class's name on a class mask: the class pixel nearest to its centroid.
  function classSpots(image, classes) {
    const [w, h] = [image.naturalWidth, image.naturalHeight];
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext("2d", { willReadFrequently: true });
    g.drawImage(image, 0, 0);
    const pixels = g.getImageData(0, 0, w, h).data;
    const byColor = new Map();
    for (const c of classes) {
      if (!c.color) continue;
      const rgb = [1, 3, 5].map((i) => parseInt(c.color.slice(i, i + 2), 16));
      byColor.set(rgb.join(","), { index: c.index, sx: 0, sy: 0, n: 0, points: [] });
    }
    const step = Math.max(1, Math.round(Math.max(w, h) / 160));
    for (let y = 0; y < h; y += step) {
      for (let x = 0; x < w; x += step) {
        const o = 4 * (y * w + x);
        if (pixels[o + 3] === 0) continue;
        const spot = byColor.get(`${pixels[o]},${pixels[o + 1]},${pixels[o + 2]}`);
        if (!spot) continue;
        spot.sx += x; spot.sy += y; spot.n += 1; spot.points.push([x, y]);
      }
    }
    const spots = new Map();
    for (const spot of byColor.values()) {
      if (!spot.n) continue;
      const [cx, cy] = [spot.sx / spot.n, spot.sy / spot.n];
      let best = spot.points[0];
      let bestD = Infinity;
      for (const p of spot.points) {
        const d = (p[0] - cx) ** 2 + (p[1] - cy) ** 2;
        if (d < bestD) { bestD = d; best = p; }
      }
      spots.set(spot.index, [(best[0] + 0.5) / w, (best[1] + 0.5) / h]);
    }
    return spots;
  }

  function drawSemantic(stage, result, imageUrl, text, lang) {
    const fig = figure(stage, imageUrl, result.image_size);
    const [W, H] = result.image_size;
    node("image", { href: result.mask_png, x: 0, y: 0, width: W, height: H, preserveAspectRatio: "none", class: "ts-mask" }, fig.svg);
    const numbered = result.classes.filter((c) => c.color);
    const items = numbered.map((c, i) => ({ n: i + 1, color: c.color, text: `${c.label} (${percent(c.fraction, lang, 1)})` }));
    const background = result.classes.find((c) => !c.color);
    if (background) {
      const name = background.label === "__background__" ? text.background : background.label;
      items.push({ n: "·", color: null, text: `${name} (${percent(background.fraction, lang, 1)})` });
    }
    legend(stage, text.classes, items);
    const mask = new Image();
    mask.onload = () => {
      const spots = classSpots(mask, result.classes);
      numbered.forEach((c, i) => {
        const spot = spots.get(c.index);
        if (spot) {
          const t = label(fig.svg, spot[0] * W, spot[1] * H, `${i + 1} ${c.label}`, fig);
          t.setAttribute("text-anchor", "middle");
        }
      });
    };
    mask.src = result.mask_png;
  }

  const DRAW = {
    "classification": drawTop5,
    "detection": (s, r, u, t, l) => drawBoxes(s, r, u, t, l, false),
    "instance-segmentation": (s, r, u, t, l) => drawBoxes(s, r, u, t, l, true),
    "keypoints": drawKeypoints,
    "semantic-segmentation": drawSemantic,
  };

  function startPhoto(el) {
    const config = Stride.readJSON(el, "[data-models]");
    const present = config.models.filter((m) => m.present);
    if (!present.length) return;
    const box = el.querySelector("[data-photo-input]");
    const lang = box.dataset.lang;
    const busy = el.querySelector("[data-status]").dataset.busy;
    const credit = el.querySelector("[data-credit]");
    let lastFile = null;
    let run = 0;

    // photo-input.js sends the photo to the first model; keep the file so the others get it too.
    box.querySelectorAll("[data-file]").forEach((input) => input.addEventListener("change", () => { lastFile = input.files[0] || lastFile; }));
    box.querySelector("[data-drop]").addEventListener("drop", (event) => { lastFile = event.dataTransfer.files[0] || lastFile; });

    function panelOf(model) { return el.querySelector(`[data-panel="${model}"]`); }

    function show(model, result, imageUrl) {
      const panel = panelOf(model);
      panel.querySelector("[data-panel-error]").hidden = true;
      DRAW[result.task](panel.querySelector("[data-stage]"), result, imageUrl, config.text, lang);
    }

    function fail(model, detail) {
      const panel = panelOf(model);
      const error = panel.querySelector("[data-panel-error]");
      panel.querySelector("[data-stage]").replaceChildren();
      error.textContent = `${config.text.failed} ${detail}`;
      error.hidden = false;
    }

    async function ask(model, imageUrl) {
      const sample = /^\/api\/samples\/([a-z0-9_-]+)\.jpg$/.exec(imageUrl);
      let body;
      const headers = {};
      if (sample) {
        body = JSON.stringify({ sample: sample[1] });
        headers["content-type"] = "application/json";
      } else {
        body = new FormData();
        body.append("image", lastFile);
      }
      const response = await fetch(`/api/models/${encodeURIComponent(model)}/predict?lang=${lang}`, { method: "POST", body, headers });
      const data = await response.json();
      if (!response.ok) throw new Error(data.detail || String(response.status));
      return data;
    }

    async function onResult(result, imageUrl) {
      const mine = ++run;
      const sample = /^\/api\/samples\/([a-z0-9_-]+)\.jpg$/.exec(imageUrl);
      if (credit) credit.textContent = sample ? config.credits[sample[1]] : config.text.upload;
      show(present[0].model, result, imageUrl);
      const others = present.slice(1);
      for (const m of others) {
        const stage = panelOf(m.model).querySelector("[data-stage]");
        stage.replaceChildren(html("p", "caption", busy));
      }
      for (const m of others) {
        try {
          const data = await ask(m.model, imageUrl);
          if (mine !== run) return;  // a newer photo was sent meanwhile
          show(m.model, data, imageUrl);
        } catch (exc) {
          if (mine !== run) return;
          fail(m.model, exc.message);
        }
      }
    }

    const api = Stride.photoInput(el, onResult);
    const button = el.querySelector("[data-run]");
    if (button) button.addEventListener("click", () => api.sendSample());
  }

  Stride.register("cv-tasks-photo", startPhoto);
  Stride.register("seg-live", startPhoto);

  // Per-class IoU: paint the prediction one pixel at a time; the server recomputes the table.
  const pendingFocus = {};

  Stride.register("seg-iou", (el) => {
    const grid = el.querySelector("[data-paint]");
    const form = el.querySelector("form.widget-controls");
    const input = el.querySelector("[data-pred]");
    const block = el.dataset.block;
    const brush = form ? form.querySelector(`[name="${block}.brush"]`) : null;
    if (!grid || !form || !input || !brush) return;
    const brushSelect = form.querySelector("[data-brush-select]");
    // Choosing a brush changes nothing on the page until the next click, so htmx need not hear of it.
    if (brushSelect) brushSelect.addEventListener("change", (event) => event.stopPropagation());
    const cells = Array.from(grid.querySelectorAll("button.cell"));
    const size = Math.round(Math.sqrt(cells.length));

    function send(value) {
      input.value = value;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function paint(i, j) {
      const rows = grid.dataset.predText.split("/").map((row) => row.split(""));
      rows[i][j] = brush.value;
      pendingFocus[block] = [i, j];
      send(rows.map((row) => row.join("")).join("/"));
    }

    function focusCell(i, j) {
      const target = cells[i * size + j];
      if (!target) return;
      cells.forEach((c) => { c.tabIndex = -1; });
      target.tabIndex = 0;
      target.focus();
    }

    cells.forEach((cell) => {
      cell.addEventListener("click", () => paint(Number(cell.dataset.i), Number(cell.dataset.j)));
      cell.addEventListener("keydown", (event) => {
        const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
        const move = moves[event.key];
        if (!move) return;
        event.preventDefault();
        event.stopPropagation();  // arrows move between pixels, not between slides
        const i = Math.min(size - 1, Math.max(0, Number(cell.dataset.i) + move[0]));
        const j = Math.min(size - 1, Math.max(0, Number(cell.dataset.j) + move[1]));
        focusCell(i, j);
      });
    });

    // A new scene, size or mistake starts from the computed prediction again.
    form.addEventListener("change", (event) => {
      const name = event.target.name || "";
      if (event.target !== input && ![".brush", ".background"].some((s) => name.endsWith(s))) input.value = "";
    }, true);
    const unpaint = el.querySelector("[data-unpaint]");
    if (unpaint) unpaint.addEventListener("click", () => send(""));

    if (pendingFocus[block]) {
      const [i, j] = pendingFocus[block];
      delete pendingFocus[block];
      focusCell(i, j);
    }
  });
})();
