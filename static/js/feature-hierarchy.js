// Feature hierarchy: the server renders the widget for a sample photo, the student's photo (sent by htmx, see
// Stride.photoUpload) or a digit, every map with its caption. Here only what needs no server: enlarging a map
// already on the page, and sending a layer pick with the photo that is shown.
"use strict";

Stride.register("feature-hierarchy", (el) => {
  const form = el.querySelector("form.widget-controls");
  const layerField = el.querySelector("[data-layer-field]");
  const rankField = el.querySelector("[data-rank-field]");
  const zoomMap = el.querySelector("[data-zoom-map]");
  const zoomOverlay = el.querySelector("[data-zoom-overlay]");
  const zoomCaption = el.querySelector("[data-zoom-caption]");
  const photo = Stride.photoUpload(el);

  function zoom(button) {
    el.querySelectorAll(".fh-map").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    zoomMap.src = button.querySelector("img").src;
    zoomMap.alt = button.dataset.zoomAlt;
    if (zoomOverlay) zoomOverlay.src = zoomMap.src;
    zoomCaption.textContent = button.dataset.caption;
    rankField.value = button.dataset.rank;
    Stride.keepState(el);
  }

  // The page carries each picture once: the overlay takes the input photo and the enlarged map from their images.
  const input = el.querySelector("[data-input]");
  el.querySelectorAll("[data-overlay-photo]").forEach((img) => { img.src = input.src; });
  if (zoomOverlay) zoomOverlay.src = zoomMap.src;

  el.addEventListener("click", (event) => {
    const map = event.target.closest(".fh-map");
    if (map && el.contains(map)) { zoom(map); return; }
    const pick = event.target.closest("[data-pick]");
    if (!pick || !el.contains(pick)) return;
    layerField.value = pick.dataset.pick;
    rankField.value = "1";
    if (!photo.resend()) form.requestSubmit(); // htmx re-renders the widget with this layer
  });
});
