// ResNet-18 on a photo: the shared photo input posts it to the JSON API (the server's queue) and
// this draws the five most likely classes with the probabilities the server computed.
"use strict";

Stride.register("resnet-classify", (el) => {
  const live = el.querySelector("[data-live]");
  if (!live) return;  // the weights are missing: the note says so
  const lang = live.dataset.lang;
  const list = el.querySelector("[data-top5]");
  const figure = el.querySelector("[data-result]");
  const img = el.querySelector("[data-photo]");
  const percent = (p) => (100 * p).toLocaleString(lang === "ru" ? "ru-RU" : "en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + "\u00a0%";

  function show(data, imageUrl) {
    img.src = imageUrl;
    figure.hidden = false;
    list.textContent = "";
    data.top5.forEach((p) => {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.className = "top5-label";
      label.textContent = p.label;
      const bar = document.createElement("span");
      bar.className = "top5-bar";
      const fill = document.createElement("span");
      fill.style.width = `${(100 * p.probability).toFixed(2)}%`;
      bar.appendChild(fill);
      const value = document.createElement("span");
      value.className = "num";
      value.dataset.probability = String(p.probability);
      value.textContent = percent(p.probability);
      item.append(label, bar, value);
      list.appendChild(item);
    });
  }

  Stride.photoInput(el, show).sendSample();
});
