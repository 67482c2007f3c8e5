// Presentation mode: one section a slide, keyboard and clicker navigation, overview, blackout,
// full screen, and a speaker window kept in step through a BroadcastChannel (as reveal.js does).
"use strict";

(function () {
  const root = document.querySelector("[data-deck]");
  if (!root) return;
  const slides = Array.from(root.querySelectorAll(".slide"));
  const counter = root.querySelector("[data-counter]");
  const blackout = root.querySelector("[data-blackout]");
  const embedded = root.hasAttribute("data-embed");
  const channel = !embedded && "BroadcastChannel" in window ? new BroadcastChannel("stride-deck:" + root.dataset.deck) : null;
  let current = 0;

  function indexFromHash() {
    const n = parseInt(window.location.hash.replace("#", ""), 10);
    return Number.isFinite(n) ? Math.min(Math.max(n, 1), slides.length) - 1 : 0;
  }

  function show(index, { announce = true } = {}) {
    current = Math.min(Math.max(index, 0), slides.length - 1);
    slides.forEach((slide, i) => {
      const active = i === current;
      slide.classList.toggle("is-current", active);
      slide.setAttribute("aria-hidden", active ? "false" : "true");
      slide.inert = !active && !root.classList.contains("overview");
    });
    if (counter) {
      counter.textContent = counter.dataset.template.replace("{n}", current + 1).replace("{total}", slides.length);
    }
    const hash = "#" + (current + 1);
    if (window.location.hash !== hash) window.history.replaceState(window.history.state, "", hash);
    if (announce && channel) channel.postMessage({ type: "slide", index: current, total: slides.length });
    slides[current].scrollTop = 0;
  }

  function toggleOverview(force) {
    const on = force === undefined ? !root.classList.contains("overview") : force;
    root.classList.toggle("overview", on);
    slides.forEach((slide, i) => {
      slide.tabIndex = on ? 0 : -1;
      slide.inert = on ? false : i !== current;
    });
    if (on) slides[current].focus();
  }

  function toggleBlackout(force) {
    blackout.hidden = force === undefined ? !blackout.hidden : !force;
  }

  function fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  }

  function openSpeaker() {
    // The current query string carries widget state and exercise seeds: the speaker sees the same.
    const url = root.dataset.speakerUrl.split("?")[0] + window.location.search + "#" + (current + 1);
    window.open(url, "stride-speaker-" + root.dataset.deck, "width=1200,height=800");
  }

  const actions = {
    next: () => show(current + 1),
    prev: () => show(current - 1),
    first: () => show(0),
    last: () => show(slides.length - 1),
    overview: () => toggleOverview(),
    blackout: () => toggleBlackout(),
    fullscreen,
    speaker: openSpeaker,
  };

  const keys = {
    ArrowRight: "next", ArrowDown: "next", PageDown: "next", " ": "next",
    ArrowLeft: "prev", ArrowUp: "prev", PageUp: "prev",
    Home: "first", End: "last",
    f: "fullscreen", F: "fullscreen", b: "blackout", B: "blackout", ".": "blackout",
    o: "overview", O: "overview", s: "speaker", S: "speaker",
  };

  function typing(target) {
    return target.closest("input, select, textarea, [contenteditable], [data-keys-own]");
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (event.key === "Escape") {
      if (!blackout.hidden) toggleBlackout(false);
      else if (root.classList.contains("overview")) toggleOverview(false);
      return;
    }
    if (!blackout.hidden && event.key !== "b" && event.key !== "B" && event.key !== ".") {
      toggleBlackout(false);
    }
    if (root.classList.contains("overview") && event.key === "Enter") {
      const slide = event.target.closest(".slide");
      if (slide) { show(slides.indexOf(slide)); toggleOverview(false); event.preventDefault(); }
      return;
    }
    // Space on a focused button should press it, not turn the slide.
    if (event.key === " " && event.target.closest("button, a, summary")) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    actions[action]();
  });

  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (button && actions[button.dataset.action]) {
      event.preventDefault();
      actions[button.dataset.action]();
      return;
    }
    if (root.classList.contains("overview")) {
      const slide = event.target.closest(".slide");
      if (slide) { show(slides.indexOf(slide)); toggleOverview(false); }
    }
  });

  window.addEventListener("hashchange", () => show(indexFromHash()));

  if (channel) {
    channel.onmessage = (event) => {
      const message = event.data || {};
      if (message.type === "goto") show(message.index, { announce: false });
      if (message.type === "hello") channel.postMessage({ type: "slide", index: current, total: slides.length });
    };
  }

  // The exit link keeps the widget state.
  const exit = root.querySelector("[data-action=exit]");
  if (exit) exit.addEventListener("click", (event) => {
    event.stopPropagation();
    exit.href = root.dataset.exitUrl.split("?")[0] + window.location.search;
  }, true);

  show(indexFromHash());
})();
