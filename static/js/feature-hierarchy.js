// Feature hierarchy: pick a layer (the server renders it), click a ranked channel to enlarge it, or send
// your own photo to /api/features/{model} and show its maps. Every number comes from the server.
"use strict";

Stride.register("feature-hierarchy", (el) => {
  const block = el.dataset.block;
  const form = el.querySelector("form.widget-controls");
  const layerField = el.querySelector("[data-layer-field]");
  const rankField = el.querySelector("[data-rank-field]");
  const labels = Stride.readJSON(el, "[data-labels]");
  const detail = el.querySelector(".fh-detail");
  const describeText = el.querySelector("[data-describe-text]");
  const zoomMap = el.querySelector("[data-zoom-map]");
  const zoomOverlay = el.querySelector("[data-zoom-overlay]");
  const zoomCaption = el.querySelector("[data-zoom-caption]");
  const upload = el.querySelector("[data-upload]");
  let uploaded = null; // the API's answer for the student's own photo, while it is shown

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : `{${key}}`));

  function remember(name, value) {
    // Keep the choice in the page URL, as htmx-rendered controls do, so a copied link reopens it.
    const url = new URL(window.location.href);
    url.searchParams.set(`${block}.${name}`, value);
    window.history.replaceState(window.history.state, "", url);
  }

  function zoom(button) {
    el.querySelectorAll(".fh-map").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    const layer = detail.dataset.layer;
    const [h, w] = detail.dataset.mapSize.split("×");
    const url = button.querySelector("img").src;
    zoomMap.src = url;
    zoomMap.alt = fill(labels.fh_zoom_alt, { channel: button.dataset.channel, layer });
    if (zoomOverlay) zoomOverlay.src = url;
    let caption = fill(labels.fh_zoom_caption, {
      layer, channel: button.dataset.channel, rank: button.dataset.rank, h, w,
      mean: button.dataset.mean, max: button.dataset.max, scale: detail.dataset.scale,
    });
    if (button.dataset.size !== detail.dataset.mapSize) {
      const [sh, sw] = button.dataset.size.split("×");
      caption += fill(labels.fh_zoom_shrunk, { h: sh, w: sw });
    }
    if (detail.dataset.mapSize === "1×1") caption += labels.fh_zoom_single;
    zoomCaption.textContent = caption;
    rankField.value = button.dataset.rank;
    remember("rank", button.dataset.rank);
  }

  const input = el.querySelector("[data-input]");
  el.querySelectorAll("[data-overlay-photo]").forEach((img) => { img.src = input.src; });
  if (zoomOverlay) zoomOverlay.src = zoomMap.src;

  el.addEventListener("click", (event) => {
    const map = event.target.closest(".fh-map");
    if (map && el.contains(map)) { zoom(map); return; }
    const pick = event.target.closest("[data-pick]");
    if (!pick || !el.contains(pick)) return;
    if (uploaded) { showUploadedLayer(pick.dataset.pick, 1); return; }
    layerField.value = pick.dataset.pick;
    rankField.value = "1";
    form.requestSubmit(); // htmx re-renders the widget with this layer
  });

  // Numbers for the student's own photo are formatted here as the server formats them for sample photos.
  const number = new Intl.NumberFormat(document.documentElement.lang || "en",
    { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const formatted = (value) => number.format(value).replace("-", "\u2212");

  function showUploadedLayer(name, rank) {
    const layer = uploaded.layers.find((l) => l.name === name) || uploaded.layers[0];
    el.querySelectorAll("[data-pick]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.pick === layer.name)));
    const button = el.querySelector(`.fh-layer-button[data-pick="${CSS.escape(layer.name)}"]`);
    if (button) describeText.textContent = button.dataset.describe;
    detail.dataset.layer = layer.name;
    detail.dataset.mapSize = `${layer.shape[1]}×${layer.shape[2]}`;
    detail.dataset.scale = formatted(layer.scale);
    const list = el.querySelector("[data-maps]");
    const template = list.querySelector("li");
    const items = layer.maps.map((m) => {
      const item = template.cloneNode(true);
      const b = item.querySelector(".fh-map");
      Object.assign(b.dataset, { rank: m.rank, channel: m.channel, mean: formatted(m.mean), max: formatted(m.max),
        size: `${m.size[0]}×${m.size[1]}` });
      const img = b.querySelector("img");
      img.src = m.url;
      img.alt = fill(labels.fh_map_alt, { channel: m.channel });
      b.querySelector(".fh-map-rank").textContent = fill(labels.fh_map_rank, { rank: m.rank });
      b.querySelector(".fh-map-channel").textContent = fill(labels.fh_map_channel, { channel: m.channel });
      b.querySelector(".fh-map-mean").textContent = fill(labels.fh_map_mean, { mean: b.dataset.mean });
      return item;
    });
    list.replaceChildren(...items);
    layerField.value = layer.name;
    remember("layer", layer.name);
    zoom(list.querySelectorAll(".fh-map")[Math.min(rank, items.length) - 1]);
  }

  function showUpload(data) {
    uploaded = data;
    input.src = data.input.url;
    el.querySelectorAll("[data-overlay-photo]").forEach((img) => { img.src = data.input.url; });
    const caption = el.querySelector("[data-input-caption]");
    caption.textContent = caption.dataset.uploadText;
    el.querySelectorAll(".fh-stage").forEach((stage) => {
      const layer = data.layers.find((l) => l.name === stage.dataset.pick);
      if (layer) stage.querySelector("[data-stage-img]").src = layer.maps[0].url;
    });
    showUploadedLayer(detail.dataset.layer, 1);
  }

  if (upload) Stride.photoInput(el, showUpload, {}, upload); // posts to the box's data-endpoint, /api/features/{model}
});
