// Live detection: the detector runs once per photo through the JSON API with a low score
// threshold; the slider hides weaker boxes in the browser without asking the server again.
"use strict";

Stride.register("detect-live", (el) => {
  const live = el.querySelector("[data-live]");
  if (!live) return;
  // data-classify: no detector weights, so the photo goes to the installed ImageNet classifier (its top 5, no boxes).
  const classify = live.hasAttribute("data-classify");
  const text = Stride.boxes.strings(el);
  const lang = live.dataset.lang;
  const low = Number(live.dataset.liveThreshold);
  const slider = el.querySelector("[data-threshold]");
  const shown = el.querySelector("[data-threshold-value]");
  const count = el.querySelector("[data-count]");
  const figure = el.querySelector("[data-result]");
  const img = figure.querySelector("[data-stage-photo]");
  const svg = figure.querySelector("[data-stage-svg]");
  const list = el.querySelector("[data-list]");
  let result = null;

  function drawTop5() {
    svg.textContent = "";
    const body = list.querySelector("tbody");
    body.textContent = "";
    result.top5.forEach((p, n) => {
      const row = body.insertRow();
      row.insertCell().textContent = String(n + 1);
      row.insertCell().textContent = p.label;
      const probability = row.insertCell();
      probability.className = "num";
      probability.textContent = `${Stride.boxes.format(100 * p.probability, 1, lang)}%`;
    });
    count.textContent = text.top5;
    list.hidden = false;
  }

  function draw() {
    if (classify) {
      if (result) drawTop5();
      return;
    }
    const threshold = Number(slider.value);
    shown.textContent = Stride.boxes.format(threshold, 2, lang);
    if (!result) return;
    const [width, height] = result.image_size;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.style.setProperty("--ld-font", `${Math.max(width, height) * 0.036}px`);
    svg.textContent = "";
    const kept = result.detections.filter((d) => d.score >= threshold);
    const body = list.querySelector("tbody");
    body.textContent = "";
    kept.forEach((d, n) => {
      const g = Stride.boxes.drawBox(svg, d.box, `${n + 1} ${d.label} ${Stride.boxes.format(d.score, 2, lang)}`, `det ld-c${n % 7}`);
      g.dataset.score = String(d.score);
      const row = body.insertRow();
      row.insertCell().textContent = String(n + 1);
      row.insertCell().textContent = d.label;
      const score = row.insertCell();
      score.className = "num";
      score.textContent = Stride.boxes.format(d.score, 2, lang);
    });
    count.textContent = Stride.boxes.fill(text.count, {
      shown: kept.length, total: result.detections.length, threshold: Stride.boxes.format(threshold, 2, lang),
    });
    count.dataset.shown = String(kept.length);
    list.hidden = false;
    figure.hidden = false;
  }

  if (slider) slider.addEventListener("input", draw);
  const input = Stride.photoInput(el, (data, imageUrl) => {
    result = data;
    img.src = imageUrl;
    img.width = data.image_size[0];
    img.height = data.image_size[1];
    draw();
  }, classify ? {} : { score_threshold: low });
  input.sendSample();
  draw();
});
