// Speaker view: the current and the next slide, the current slide's notes and a timer, kept in
// step with the projected deck through a BroadcastChannel. Keys here move the projected deck too.
"use strict";

(function () {
  const root = document.querySelector("[data-speaker]");
  if (!root) return;
  const currentFrame = root.querySelector("[data-frame=current]");
  const nextFrame = root.querySelector("[data-frame=next]");
  const notes = root.querySelector("[data-notes]");
  const counter = root.querySelector("[data-counter]");
  const timer = root.querySelector("[data-timer]");
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("stride-deck:" + root.dataset.speaker) : null;
  const deckUrl = root.dataset.deckUrl;
  let index = Math.max(parseInt(window.location.hash.replace("#", ""), 10) || 1, 1) - 1;
  let total = null;
  let started = Date.now();

  function load(frame, n) {
    const url = deckUrl + "#" + (n + 1);
    if (!frame.src) frame.src = url;
    else frame.contentWindow.location.replace(url);
  }

  function showNotes() {
    let text = "";
    try {
      const doc = currentFrame.contentDocument;
      const slide = doc && doc.querySelectorAll(".slide")[index];
      const aside = slide && slide.querySelector(".speaker-notes");
      text = aside ? aside.innerHTML : "";
      if (doc && total === null) total = doc.querySelectorAll(".slide").length;
    } catch (_) { /* frame not ready yet */ }
    if (text) notes.innerHTML = text; // same-origin HTML the server rendered from the lesson file
    else notes.textContent = notes.dataset.empty;
    counter.textContent = total ? `${index + 1} / ${total}` : String(index + 1);
  }

  function go(n, { tell = true } = {}) {
    index = Math.max(0, total ? Math.min(n, total - 1) : n);
    load(currentFrame, index);
    load(nextFrame, total ? Math.min(index + 1, total - 1) : index + 1);
    window.history.replaceState(null, "", "#" + (index + 1));
    if (tell && channel) channel.postMessage({ type: "goto", index });
    showNotes();
  }

  currentFrame.addEventListener("load", showNotes);

  if (channel) {
    channel.onmessage = (event) => {
      const message = event.data || {};
      if (message.type === "slide") {
        total = message.total;
        if (message.index !== index) go(message.index, { tell: false });
      }
    };
    channel.postMessage({ type: "hello" });
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const moves = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
    if (event.key in moves) { event.preventDefault(); go(index + moves[event.key]); }
    if (event.key === "Home") { event.preventDefault(); go(0); }
    if (event.key === "End" && total) { event.preventDefault(); go(total - 1); }
  });

  root.querySelector("[data-action=reset-timer]").addEventListener("click", () => { started = Date.now(); });
  setInterval(() => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    timer.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }, 1000);

  go(index, { tell: false });
})();
