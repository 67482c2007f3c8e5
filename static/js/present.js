// Presentation mode: one section a slide (or several, where the lesson splits it), keyboard, clicker and
// swipe navigation, overview, blackout, full screen, and a speaker window kept in step through a
// BroadcastChannel (as reveal.js does). Like reveal.js, every slide is laid out at one logical size
// (1280×720) and the deck is scaled uniformly to fit the window, letterboxed; screens too small for
// that (phones) get the slides reflowed at their own width instead.
"use strict";

(function () {
  const root = document.querySelector("[data-deck]");
  if (!root) return;
  const slides = Array.from(root.querySelectorAll(".slide"));
  const counter = root.querySelector("[data-counter]");
  const blackout = root.querySelector("[data-blackout]");
  const embedded = root.hasAttribute("data-embed");
  const deck = root.querySelector(".slides");
  const bar = root.querySelector(".deck-bar");
  const WIDTH = 1280;
  const HEIGHT = 720;
  const SMALLEST = 0.5; // below this scale text gets too small to read: reflow instead
  const channel = !embedded && "BroadcastChannel" in window ? new BroadcastChannel("stride-deck:" + root.dataset.deck) : null;
  let current = 0;

  function indexFromHash() {
    const n = parseInt(window.location.hash.replace("#", ""), 10);
    return Number.isFinite(n) ? Math.min(Math.max(n, 1), slides.length) - 1 : 0;
  }

  // Scale the logical 1280×720 deck to the space above the bar, centred (letterboxed).
  function layout() {
    const barHeight = bar && getComputedStyle(bar).display !== "none" ? bar.offsetHeight : 0;
    root.style.setProperty("--bar-h", barHeight + "px");
    const width = window.innerWidth;
    const height = window.innerHeight - barHeight;
    const scale = Math.min(width / WIDTH, height / HEIGHT);
    // The speaker window's previews are the projected slides in miniature: they never reflow.
    const reflow = !embedded && scale < SMALLEST;
    root.classList.toggle("deck-reflow", reflow);
    const used = reflow ? 1 : scale;
    root.dataset.scale = String(used);
    root.style.setProperty("--deck-scale", String(used));
    root.style.setProperty("--deck-x", Math.max(0, (width - WIDTH * scale) / 2) + "px");
    root.style.setProperty("--deck-y", Math.max(0, (height - HEIGHT * scale) / 2) + "px");
    // Thumbnails: as many 1280×720 slides scaled down as fit four (or fewer on narrow screens) a row.
    const columns = width > 1000 ? 4 : width > 640 ? 3 : 2;
    const thumb = (width - 32 - 16 * (columns - 1) - 16) / (columns * WIDTH);
    root.style.setProperty("--thumb-scale", String(Math.max(thumb, 0.1)));
    fitCharts(slides[current]);
  }

  // Charts on the current slide grow or shrink to the room the slide has left (Plotly redraws them
  // when their box changes, see charts.js).
  function fitCharts(slide) {
    if (!slide || root.classList.contains("deck-reflow") || root.classList.contains("overview")) return;
    const targets = Array.from(slide.querySelectorAll(".plotly-target")).filter((t) => t.offsetParent);
    if (!targets.length) return;
    const scale = parseFloat(root.dataset.scale) || 1;
    targets.forEach((t) => { t.style.height = ""; });
    const box = slide.getBoundingClientRect();
    const bottom = box.bottom - parseFloat(getComputedStyle(slide).paddingBottom) * scale;
    // The slide body stretches to the slide's height: measure what is inside it.
    let used = box.top;
    const body = slide.querySelector(":scope > .slide-body");
    for (const child of [...slide.children, ...(body ? body.children : [])]) {
      if (child === body || !child.offsetParent) continue;
      used = Math.max(used, child.getBoundingClientRect().bottom + parseFloat(getComputedStyle(child).marginBottom) * scale);
    }
    const share = (bottom - used) / scale / targets.length;
    targets.forEach((t) => {
      const height = Math.floor(Math.min(Math.max(t.offsetHeight + share, 200), 600));
      t.style.height = height + "px";
      // Plotly sizes itself from the box it sees on screen, which the deck's scale enlarges or shrinks:
      // give it the slide's own (logical) size instead.
      if (window.Plotly && t.classList.contains("js-plotly-plot")) {
        window.Plotly.relayout(t, { width: t.offsetWidth, height });
      }
    });
  }

  // The deck's smallest text (--deck-text-min, logical px): presentation CSS sizes the widgets for the
  // slide; whatever still computes smaller (a table cell at 0.8em of 0.8em, a form field) is raised to it,
  // so nothing on a slide drops under 16 px on screen at 1280×720. The page view is left alone.
  function raiseSmallText(slide) {
    if (!slide || root.classList.contains("deck-reflow")) return;
    const minimum = parseFloat(getComputedStyle(root).getPropertyValue("--deck-text-min")) || 17;
    const small = [];
    for (const el of slide.querySelectorAll("*")) {
      if (el instanceof SVGElement || el.closest(".speaker-notes")) continue;
      if (parseFloat(getComputedStyle(el).fontSize) < minimum - 0.01) small.push(el);
    }
    small.forEach((el) => { el.style.fontSize = minimum + "px"; });
    // SVG labels are sized in their drawing's units: raise those that come out small on the slide.
    const scale = parseFloat(root.dataset.scale) || 1;
    for (const text of slide.querySelectorAll("svg text")) {
      if (text.closest(".js-plotly-plot, .speaker-notes")) continue;
      const ctm = text.getScreenCTM();
      const units = ctm ? Math.hypot(ctm.a, ctm.b) : scale;
      if (!units) continue;
      const size = parseFloat(getComputedStyle(text).fontSize);
      if (size * units < minimum * scale - 0.01) text.style.fontSize = (minimum * scale / units) + "px";
    }
  }

  // Widgets too big for one slide show one part at a time on a slide: a row of buttons named after each
  // part's own heading (so in the lesson's language) switches between them. The page view shows them all.
  const PAGED = {
    "lenet-draw": [".lenet-bars, .lenet-empty", ".lenet-steps", ".lenet-maps", ".lenet-detail"],
    "fc-conv-params": [".intro-compare, .intro-ratio", ".intro-lecture-box", ".intro-sizes"],
    "conv-layer-dot": [".clayer-row, .clayer-readout", ".clayer-channel[data-channel=R]", ".clayer-channel[data-channel=G]", ".clayer-channel[data-channel=B]"],
    "alexnet-torchvision": [".table-scroll:has(.compare-table), .table-scroll:has(.compare-table) + .caption", ".table-scroll:has(.totals-table), .table-scroll:has(.totals-table) + .caption"],
    "datasets-table": [".ts-datasets tr.ts-group:first-child, .ts-datasets tr.ds-lecture", ".ts-datasets tr.ts-group:not(:first-child), .ts-datasets tr.ds-computed", "[data-voc], [data-coco], [data-coco] ~ .caption"],
    "ap-builder": [".ld-chart-box", "[data-ap-table]"],
    "upsampling-compare": ["[data-up-map], .up-images", "[data-up-errors], [data-up-gain], .up-kernels, [data-up-learned]"],
    "cv-tasks-photo": [".ts-panel[data-task=classification], .ts-panel[data-task=detection], .ts-panel[data-task=semantic-segmentation]", ".ts-panel[data-task=instance-segmentation], .ts-panel[data-task=keypoints]"],
    "roi-anchors": ["[data-roi-summary], [data-roi-pooled], .roi-missing", "[data-anchor-count], .table-scroll:has([data-anchors])"],
  };

  // The part shown, by widget id: a change of a control swaps the whole widget (outerHTML), and the
  // presenter stays on the part they were showing.
  const shownPart = new Map();

  function pageWidgets(slide) {
    if (!slide || root.classList.contains("deck-reflow")) return;
    slide.querySelectorAll(".widget").forEach((widget) => {
      const groups = PAGED[widget.dataset.widget];
      if (!groups) return;
      const parts = groups.map((selector) => Array.from(widget.querySelectorAll(selector))).filter((p) => p.length);
      if (parts.length < 2) return;
      let pager = widget.querySelector(":scope > .deck-pager");
      const chosen = Math.min(pager ? parseInt(pager.dataset.page, 10) || 0 : shownPart.get(widget.id) || 0, parts.length - 1);
      shownPart.set(widget.id, chosen);
      if (pager) pager.remove();
      pager = document.createElement("div");
      pager.className = "deck-pager toolbar";
      pager.setAttribute("role", "group");
      pager.dataset.page = String(chosen);
      parts.forEach((elements, i) => {
        // A part is named by its data-deck-page attribute, else by its first heading, else by its number.
        const named = elements.map((e) => e.dataset.deckPage).find(Boolean);
        const heading = elements.map((e) => e.querySelector("h4, h3, h5, .clayer-channel-head")).find(Boolean);
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = named || (heading ? heading.textContent.split(":")[0].trim().slice(0, 40) : String(i + 1));
        button.setAttribute("aria-pressed", String(i === chosen));
        button.addEventListener("click", () => {
          pager.dataset.page = String(i);
          shownPart.set(widget.id, i);
          pageWidgets(slide);
          // The part shown may resize a photo or a chart: its labels keep the deck's size, the chart its room.
          raiseSmallText(slide);
          fitCharts(slide);
        });
        pager.appendChild(button);
      });
      parts.forEach((elements, i) => elements.forEach((e) => e.classList.toggle("deck-page-hidden", i !== chosen)));
      widget.prepend(pager);
    });
  }

  function show(index, { announce = true } = {}) {
    current = Math.min(Math.max(index, 0), slides.length - 1);
    const overview = root.classList.contains("overview");
    slides.forEach((slide, i) => {
      const active = i === current;
      slide.classList.toggle("is-current", active);
      slide.setAttribute("aria-hidden", active || overview ? "false" : "true");
      slide.inert = !active && !overview;
      slide.tabIndex = overview && active ? 0 : -1;
    });
    if (counter) {
      counter.textContent = counter.dataset.template.replace("{n}", current + 1).replace("{total}", slides.length);
    }
    const hash = "#" + (current + 1);
    if (window.location.hash !== hash) window.history.replaceState(window.history.state, "", hash);
    if (announce && channel) channel.postMessage({ type: "slide", index: current, total: slides.length });
    slides[current].scrollTop = 0;
    pageWidgets(slides[current]);
    raiseSmallText(slides[current]);
    fitCharts(slides[current]);
    root.dispatchEvent(new CustomEvent("stride:slide", { detail: { index: current, total: slides.length } }));
  }

  // The overview shows every slide as a thumbnail; a thumbnail is one focusable thing (its contents
  // are inert), moved between with the arrow keys and opened with Enter or a click.
  function toggleOverview(force) {
    const on = force === undefined ? !root.classList.contains("overview") : force;
    root.classList.toggle("overview", on);
    slides.forEach((slide, i) => {
      Array.from(slide.children).forEach((child) => { child.inert = on; });
      slide.inert = on ? false : i !== current;
      slide.tabIndex = on && i === current ? 0 : -1;
      slide.setAttribute("aria-hidden", on || i === current ? "false" : "true");
      if (on) slide.setAttribute("aria-label", `${i + 1}. ${slide.dataset.title || ""}`);
      else slide.removeAttribute("aria-label");
    });
    if (on) {
      slides[current].focus();
      slides[current].scrollIntoView({ block: "nearest" });
    } else {
      layout();
    }
  }

  function columns() {
    const top = slides[0].offsetTop;
    const n = slides.findIndex((slide) => slide.offsetTop !== top);
    return n > 0 ? n : slides.length;
  }

  function moveThumb(step) {
    const from = Math.max(slides.indexOf(document.activeElement.closest(".slide")), 0);
    const to = Math.min(Math.max(from + step, 0), slides.length - 1);
    slides[from].tabIndex = -1;
    slides[to].tabIndex = 0;
    slides[to].focus();
    slides[to].scrollIntoView({ block: "nearest" });
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
    if (root.classList.contains("overview")) {
      const slide = event.target.closest(".slide");
      if (slide && (event.key === "Enter" || event.key === " ")) {
        show(slides.indexOf(slide)); toggleOverview(false); event.preventDefault();
        return;
      }
      const steps = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
      if (event.key in steps) { event.preventDefault(); moveThumb(steps[event.key]); return; }
      if (event.key === "Home" || event.key === "End") {
        event.preventDefault(); moveThumb(event.key === "Home" ? -slides.length : slides.length); return;
      }
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
  window.addEventListener("resize", layout);
  // A widget re-rendered by htmx on the current slide gets the same treatment as the slide had.
  document.addEventListener("htmx:afterSettle", () => {
    pageWidgets(slides[current]); raiseSmallText(slides[current]); fitCharts(slides[current]);
  });
  document.addEventListener("fullscreenchange", layout);
  if (bar && "ResizeObserver" in window) new ResizeObserver(layout).observe(bar);

  // Swipe left or right (touch or pen) moves a slide. Vertical pans stay the browser's (touch-action:
  // pan-y on the deck), and gestures that start on something that takes the pointer itself (a drawing
  // canvas, a draggable box, a slider, a chart) are left to it.
  let swipe = null;
  deck.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" || !event.isPrimary || root.classList.contains("overview")) { swipe = null; return; }
    const target = event.target;
    const owns = target.closest("input, select, textarea, canvas, [data-keys-own], [data-no-swipe], .js-plotly-plot, svg [data-box], [draggable=true]");
    const touchAction = getComputedStyle(target).touchAction;
    swipe = owns || touchAction === "none" || touchAction === "pinch-zoom" ? null : { x: event.clientX, y: event.clientY, t: event.timeStamp };
  });
  deck.addEventListener("pointercancel", () => { swipe = null; });
  deck.addEventListener("pointerup", (event) => {
    if (!swipe) return;
    const dx = event.clientX - swipe.x;
    const dy = event.clientY - swipe.y;
    const fast = event.timeStamp - swipe.t < 800;
    swipe = null;
    if (fast && Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
      if (dx < 0) show(current + 1); else show(current - 1);
    }
  });

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
  layout();
})();
