// Stride core: widget start-up, widget state in the URL, exercise progress, language switch.
"use strict";

window.Stride = (function () {
  const starters = {};
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // Widgets register a starter: Stride.register("conv2d", (el) => {...}); it runs for every such
  // widget on the page and again whenever htmx swaps a new one in.
  function register(name, start) {
    starters[name] = start;
    document.querySelectorAll(`[data-widget="${name}"]`).forEach(startOne);
  }

  function startOne(el) {
    const start = starters[el.dataset.widget];
    if (!start || el.dataset.started === "1") return;
    start(el);
    el.dataset.started = "1";
  }

  function startAll(root) {
    const scope = root || document;
    if (scope.matches && scope.matches("[data-widget]")) startOne(scope);
    scope.querySelectorAll("[data-widget]").forEach(startOne);
  }

  // JSON that the server put beside a widget (<script type="application/json" data-trace>).
  function readJSON(el, selector) {
    const node = el.querySelector(selector);
    return node ? JSON.parse(node.textContent) : null;
  }

  // A step player over a precomputed trace: play/pause, step, scrub, restart, speed.
  // `show(index)` draws step `index`; returns {go(index)} so clicks elsewhere can move it.
  function player(el, count, show, { speed = 1 } = {}) {
    const play = el.querySelector("[data-play]");
    const scrub = el.querySelector("[data-scrub]");
    // One polite live region per player: it says the step a student moved to (a step button, the scrubber, a
    // cell) and where Play stopped, never every frame of a running animation.
    const announcer = el.querySelector("[data-announce]");
    let index = 0;
    let timer = null;

    function announce() {
      if (!announcer) return;
      const detail = el.querySelector("[data-detail]");
      const where = announcer.dataset.template.replace("{n}", index + 1).replace("{total}", count);
      announcer.textContent = detail && detail.textContent.trim() ? `${where}: ${detail.textContent.trim()}` : where;
    }
    function go(next, quiet) {
      index = Math.min(Math.max(next, 0), count - 1);
      if (scrub) scrub.value = String(index);
      show(index);
      if (!quiet && !timer) announce();
    }
    function stop() {
      const was = timer;
      clearInterval(timer);
      timer = null;
      if (play) { play.setAttribute("aria-pressed", "false"); play.textContent = play.dataset.labelPlay; }
      if (was) announce();
    }
    function start() {
      if (index >= count - 1) go(0);
      // With reduced motion the player still steps, just more slowly and with no transitions.
      const delay = (reducedMotion.matches ? 1600 : 900) / speed;
      timer = setInterval(() => { if (index >= count - 1) stop(); else go(index + 1); }, delay);
      if (play) { play.setAttribute("aria-pressed", "true"); play.textContent = play.dataset.labelPause; }
    }
    if (play) play.addEventListener("click", () => (timer ? stop() : start()));
    el.querySelectorAll("[data-step]").forEach((b) => b.addEventListener("click", () => { stop(); go(index + Number(b.dataset.step)); }));
    const restart = el.querySelector("[data-restart]");
    if (restart) restart.addEventListener("click", () => { stop(); go(0); });
    if (scrub) scrub.addEventListener("input", () => { stop(); go(Number(scrub.value)); });
    // Stop when htmx replaces the widget.
    el.addEventListener("htmx:beforeSwap", stop);
    go(0, true);
    return { go: (i) => { stop(); go(i); }, stop };
  }

  // Output cells of a stepped computation: cells before `index` are done, `index` is current, later
  // ones still hide their value (each cell holds [data-value] and a [data-blank] placeholder).
  function revealOutputs(cells, index) {
    cells.forEach((td, i) => {
      const done = i <= index;
      td.classList.toggle("is-current", i === index);
      td.classList.toggle("is-done", done && i !== index);
      td.querySelector("[data-value]").hidden = !done;
      td.querySelector("[data-blank]").hidden = done;
      // A screen reader hears what the eye sees: the value once it is computed, "not computed yet" before.
      const button = td.querySelector("[data-label-done]");
      if (button) button.setAttribute("aria-label", done ? button.dataset.labelDone : button.dataset.labelBlank);
    });
  }

  // A box that scrolls (a wide table, a long formula) must be scrollable by keyboard too: each one whose content
  // overflows gets a tab stop and a name (its caption or the nearest heading, and that it scrolls). Checked again
  // when the box changes size (a slide shown, a window resized) and after htmx swaps.
  const SCROLLS = /^(auto|scroll)$/;
  const watched = new WeakSet();
  const sizes = typeof ResizeObserver === "function" ? new ResizeObserver((entries) => entries.forEach((e) => markScroller(e.target))) : null;
  function scrollerName(box) {
    const caption = box.querySelector("caption, figcaption, h2, h3, h4, th");
    const widget = box.closest(".widget, .lesson-section, .slide");
    const heading = widget && widget.querySelector("h2, h3, h4");
    const base = (caption || heading || {}).textContent || "";
    const template = document.body.dataset.scrollsLabel || "{name}";
    return template.replace("{name}", base.replace(/\s+/g, " ").trim().slice(0, 80)).replace(/^\W+/, "");
  }
  function markScroller(box) {
    if (box.hasAttribute("data-scroll-keep")) return;
    const overflows = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    const ours = box.dataset.scrollTab === "1";
    if (overflows && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.scrollTab = "1";
      if (box.tagName !== "TABLE" && !box.hasAttribute("role")) box.setAttribute("role", "group");
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) box.setAttribute("aria-label", scrollerName(box));
    } else if (!overflows && ours) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrollTab;
    }
  }
  function focusableScrollers(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const candidates = [scope].concat(Array.from(scope.querySelectorAll("main *, .deck-root *")));
    candidates.forEach((box) => {
      if (!(box instanceof HTMLElement) || box.matches(".deck-root, .slides, .slide, html, body")) return;
      const style = getComputedStyle(box);
      if (!SCROLLS.test(style.overflowX) && !SCROLLS.test(style.overflowY)) return;
      markScroller(box);
      if (sizes && !watched.has(box)) { watched.add(box); sizes.observe(box); }
    });
  }

  // Copy buttons next to code blocks.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const code = button.parentElement.querySelector("[data-code]");
    if (!code || !navigator.clipboard) return;
    navigator.clipboard.writeText(code.textContent).then(() => {
      const label = button.textContent;
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 1500);
    }).catch(() => {});
  });

  // Keep `{block}.{param}` and `{block}.seed` in the page URL so a copied link reopens the same state.
  function syncUrl(block, fields) {
    const url = new URL(window.location.href);
    for (const key of Array.from(url.searchParams.keys())) {
      if (key.startsWith(block + ".")) url.searchParams.delete(key);
    }
    for (const [key, value] of fields) url.searchParams.set(key, value);
    window.history.replaceState(window.history.state, "", url);
    updatePresentLinks();
  }

  function widgetFields(el) {
    const form = el.querySelector("form.widget-controls");
    if (!form) return [];
    return Array.from(new FormData(form).entries()).filter(([key]) => key.startsWith(el.dataset.block + "."));
  }

  function updatePresentLinks() {
    const query = window.location.search;
    document.querySelectorAll("[data-present-link]").forEach((a) => {
      a.href = a.href.split("?")[0].split("#")[0] + query;
    });
  }

  // Progress lives in localStorage only: lessons visited and exercises solved.
  const KEY = "stride.progress.v1";
  function progress() {
    try {
      const stored = JSON.parse(localStorage.getItem(KEY) || "{}");
      return { visited: stored.visited || {}, solved: stored.solved || {} };
    } catch (_) {
      return { visited: {}, solved: {} };
    }
  }
  function saveProgress(p) {
    try { localStorage.setItem(KEY, JSON.stringify(p)); } catch (_) { /* private mode: keep going */ }
  }

  function markVisited(slug) {
    const p = progress();
    p.visited[slug] = true;
    saveProgress(p);
  }

  // A right answer given while the worked solution was open is kept as "solution", and never overwrites
  // one solved alone (true); the outline counts the two apart.
  function markSolved(id, withSolution) {
    const p = progress();
    if (p.solved[id] !== true) p.solved[id] = withSolution ? "solution" : true;
    saveProgress(p);
  }

  function showOutlineProgress() {
    const p = progress();
    document.querySelectorAll("[data-progress-list] [data-lesson]").forEach((item) => {
      const slug = item.dataset.lesson;
      const total = Number(item.dataset.exercises || 0);
      const mine = Object.keys(p.solved).filter((k) => k.startsWith(slug + "/"));
      const solved = mine.length;
      const withSolution = mine.filter((k) => p.solved[k] === "solution").length;
      const box = item.querySelector("[data-progress]");
      if (!box) return;
      const visited = !!p.visited[slug];
      box.hidden = !visited && solved === 0;
      box.querySelector("[data-visited]").hidden = !visited;
      const solvedEl = box.querySelector("[data-solved]");
      solvedEl.textContent = total ? solvedEl.dataset.template.replace("{solved}", Math.min(solved, total)).replace("{total}", total) : "";
      if (total && withSolution) solvedEl.textContent += " " + solvedEl.dataset.withSolution.replace("{n}", withSolution);
      item.classList.toggle("is-visited", visited);
    });
  }

  // What an htmx swap put in: with outerHTML swaps the old element is gone, so its replacement is found by id.
  function swapped(event) {
    const target = event.detail.target;
    return target && target.id ? document.getElementById(target.id) : null;
  }

  function onSwap(event) {
    const fresh = swapped(event);
    if (!fresh) return;
    startAll(fresh);
    focusableScrollers(fresh);
    const widget = fresh.closest(".widget[data-block]");
    if (widget) syncUrl(widget.dataset.block, widgetFields(widget));
    const exercise = fresh.closest("[data-exercise]");
    if (exercise) {
      syncUrl(exercise.dataset.block, [[exercise.dataset.block + ".seed", exercise.dataset.seed]]);
    }
  }

  // A right answer is recorded as soon as it is swapped in, not after the settle delay: a student who
  // leaves the page at once keeps it.
  function recordSolved(event) {
    const fresh = swapped(event);
    const exercise = fresh && fresh.closest("[data-exercise]");
    if (!exercise) return;
    exercise.querySelectorAll("[data-solved]").forEach((el) => markSolved(el.dataset.solved, el.hasAttribute("data-with-solution")));
  }

  function start() {
    startAll(document);
    const page = document.querySelector("[data-lesson-page]") || document.querySelector("[data-deck]");
    if (page) {
      markVisited(page.dataset.lessonPage || page.dataset.deck);
      // Pin each exercise's seed in the URL, so a reload or a shared link shows the same numbers.
      const url = new URL(window.location.href);
      document.querySelectorAll("[data-exercise]").forEach((x) => {
        url.searchParams.set(x.dataset.block + ".seed", x.dataset.seed);
      });
      window.history.replaceState(window.history.state, "", url);
      updatePresentLinks();
    }
    showOutlineProgress();
    focusableScrollers(document);
    // The language switch keeps your place: same page, current widget state and #fragment.
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-keep-hash]");
      if (!link) return;
      const path = window.location.pathname;
      const lang = link.getAttribute("hreflang");
      const target = /^\/(en|ru)\//.test(path) ? path.replace(/^\/(en|ru)\//, `/${lang}/`) : `/${lang}/`;
      link.href = target + window.location.search + window.location.hash;
    });
    document.body.addEventListener("htmx:afterSwap", recordSolved);
    document.body.addEventListener("htmx:afterSettle", onSwap);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // A widget whose script changed one of its form's fields itself (no request): keep the new state in the URL.
  const keepState = (el) => syncUrl(el.dataset.block, widgetFields(el));

  return { register, readJSON, reducedMotion, player, revealOutputs, keepState };
})();
