// Feature hierarchy: the server renders the widget for a sample photo, the student's photo (sent by htmx, see
// Stride.photoUpload) or a digit, every map with its caption. Here only what needs no server: enlarging a map
// already on the page, and sending a layer pick with the photo that is shown.
"use strict";

Stride.register("feature-hierarchy", (el) => {
  const form = el.querySelector("form.widget-controls");
  const photo = Stride.photoUpload(el);
  const setting = (name, value) => { form.elements[`${el.dataset.block}.${name}`].value = value; };

  function zoom(button) {
    el.querySelectorAll(".fh-map").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    Object.assign(el.querySelector("[data-zoom-map]"), { src: button.querySelector("img").src, alt: button.dataset.zoomAlt });
    showOverlay();
    el.querySelector("[data-zoom-caption]").textContent = button.dataset.caption;
    setting("rank", button.dataset.rank);
    Stride.keepState(el);
  }

  // The page carries each picture once: the overlay takes the input photo and the enlarged map from their images.
  function showOverlay() {
    const overlay = el.querySelector("[data-zoom-overlay]");
    if (overlay) overlay.src = el.querySelector("[data-zoom-map]").src;
  }
  el.querySelectorAll("[data-overlay-photo]").forEach((img) => { img.src = el.querySelector("[data-input]").src; });
  showOverlay();

  el.addEventListener("click", (event) => {
    const map = event.target.closest(".fh-map");
    if (map && el.contains(map)) { zoom(map); return; }
    const pick = event.target.closest("[data-pick]");
    if (!pick || !el.contains(pick)) return;
    setting("layer", pick.dataset.pick);
    setting("rank", "1");
    if (!photo.resend()) form.requestSubmit(); // htmx re-renders the widget with this layer
  });
});
