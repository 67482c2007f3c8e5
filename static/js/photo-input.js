// Photo input for model widgets: sample photos, file picker, drag and drop, camera. Posts to the
// JSON API (the box's data-endpoint, else /api/models/{data-model}/predict) and calls back with
// (result, imageUrl); shows the server's translated error otherwise. `fields` (optional) go with every
// request, e.g. {score_threshold: 0.05}; `box` is the input's element (default: el's [data-photo-input]).
"use strict";

Stride.photoInput = function (el, onResult, fields = {}, box = el.querySelector("[data-photo-input]")) {
  const model = box.dataset.model;
  const lang = box.dataset.lang;
  const endpoint = box.dataset.endpoint || `/api/models/${encodeURIComponent(model)}/predict`;
  const errorBox = box.querySelector("[data-error]");
  const status = box.querySelector("[data-status]");
  const sample = box.querySelector("[data-sample]");
  let objectUrl = null;

  async function send(body, headers, imageUrl) {
    errorBox.hidden = true;
    status.textContent = status.dataset.busy;
    try {
      const response = await fetch(`${endpoint}?lang=${lang}`, { method: "POST", body, headers });
      const data = await response.json();
      status.textContent = "";
      if (!response.ok) {
        errorBox.textContent = data.detail || String(response.status);
        errorBox.hidden = false;
        return;
      }
      onResult(data, imageUrl);
      status.textContent = status.dataset.shown || "";
    } catch (exc) {
      status.textContent = "";
      errorBox.textContent = String(exc);
      errorBox.hidden = false;
    }
  }

  function sendSample() {
    send(JSON.stringify({ ...fields, sample: sample.value }), { "content-type": "application/json" }, `/api/samples/${sample.value}.jpg`);
  }

  function sendFile(file) {
    if (!file) return;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(file);
    const form = new FormData();
    form.append("image", file);
    for (const [key, value] of Object.entries(fields)) form.append(key, String(value));
    send(form, {}, objectUrl);
  }

  if (sample) sample.addEventListener("change", sendSample);
  box.querySelectorAll("[data-file]").forEach((input) => input.addEventListener("change", () => sendFile(input.files[0])));
  Stride.photoDrop(box, sendFile);
  return { sendSample, sendFile };
};

// A photo dropped on the box's drop zone: onFile(file).
Stride.photoDrop = function (box, onFile) {
  const drop = box.querySelector("[data-drop]");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("is-over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("is-over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("is-over");
    if (event.dataTransfer.files[0]) onFile(event.dataTransfer.files[0]);
  });
};

// A widget's own photo box (_photo_input.html photo_upload): htmx sends a chosen file to the widget's fragment and
// the server renders the widget on it. Here only what a browser alone can do: a dropped photo goes through the first
// file input, a new photo empties the other input, and a body refused before any route read it (the body limit's
// JSON 413) keeps the widget and says why in the box. resend(): the photo shown, again, with the form's settings
// now (false when the widget shows no photo of the student's).
Stride.photoUpload = function (el) {
  const box = el.querySelector("[data-photo-upload]");
  if (!box) return { resend: () => false };
  const inputs = Array.from(box.querySelectorAll("input[type=file]"));
  Stride.photoDrop(box, (file) => {
    const files = new DataTransfer();
    files.items.add(file);
    inputs[0].files = files.files;
    inputs[0].dispatchEvent(new Event("change", { bubbles: true }));
  });
  box.addEventListener("change", (event) => {
    inputs.forEach((input) => { if (input !== event.target) input.value = ""; });
  });
  el.addEventListener("htmx:beforeSwap", (event) => { // htmx fires it on the target: the widget
    const xhr = event.detail.xhr;
    const from = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!box.contains(from) || !(xhr.getResponseHeader("content-type") || "").startsWith("application/json")) return;
    event.detail.shouldSwap = false;
    const error = box.querySelector("[data-error]");
    try { error.textContent = JSON.parse(xhr.responseText).detail; } catch (_) { error.textContent = String(xhr.status); }
    error.hidden = false;
  });
  const resend = () => {
    const holder = inputs.find((input) => input.files.length);
    if (!box.hasAttribute("data-photo-shown") || !holder) return false;
    holder.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  };
  return { resend };
};
