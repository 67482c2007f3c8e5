// Live keypoints: the photo goes to the keypoint model through the JSON API (the server's queue);
// the joints and the skeleton are drawn over it.
"use strict";

Stride.register("pose-live", (el) => {
  const live = el.querySelector("[data-live]");
  if (!live) return;  // the weights are missing: the note says so
  const text = Stride.boxes.strings(el);
  const figure = el.querySelector("[data-result]");
  const img = figure.querySelector("[data-stage-photo]");
  const svg = figure.querySelector("[data-stage-svg]");
  const summary = figure.querySelector("[data-summary]");

  function draw(result, imageUrl) {
    const [width, height] = result.image_size;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.style.setProperty("--ld-font", `${Math.max(width, height) * 0.036}px`);
    svg.textContent = "";
    img.src = imageUrl;
    img.width = width;
    img.height = height;
    const radius = Math.max(width, height) * 0.008;
    result.people.forEach((person, n) => {
      const g = Stride.boxes.el("g", { class: `ld-person ld-person-${n % 4}` }, svg);
      Stride.boxes.drawBox(g, person.box, `${n + 1}`, "det");
      for (const [i, j] of result.skeleton) {
        const [a, b] = [person.keypoints[i], person.keypoints[j]];
        Stride.boxes.el("line", { class: "ld-limb", x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, g);
      }
      person.keypoints.forEach((p, k) => {
        const dot = Stride.boxes.el("circle", { class: "ld-joint", cx: p[0], cy: p[1], r: radius }, g);
        const title = Stride.boxes.el("title", {}, dot);
        title.textContent = `${result.keypoint_names[k]}: (${p[0]}, ${p[1]})`;
      });
    });
    const k = result.keypoint_names.length;
    summary.textContent = result.people.length
      ? Stride.boxes.fill(text.people, { n: result.people.length, k, numbers: 2 * k })
      : text.none;
    figure.hidden = false;
  }

  const input = Stride.photoInput(el, draw);
  input.sendSample();
});
