// Live sessions. The presenter (slides or speaker window) starts a session and sends what it shows;
// students on /live/{code} follow it over Server-Sent Events. The presenter key stays in this
// browser's localStorage and only ever travels in an Authorization header.
"use strict";

(function () {
  const STORE = "stride.live.v1";
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));

  function stored() {
    try { return JSON.parse(localStorage.getItem(STORE) || "null"); } catch (_) { return null; }
  }
  function store(session) {
    try {
      if (session) localStorage.setItem(STORE, JSON.stringify(session));
      else localStorage.removeItem(STORE);
    } catch (_) { /* private mode: the session lives as long as this page */ }
  }

  async function problem(response) {
    try { return (await response.json()).detail || response.statusText; } catch (_) { return response.statusText; }
  }

  // ---- presenter: the slides ("deck") and the speaker window ("speaker") -------------------------
  function presenter(root) {
    const role = root.dataset.livePresenter;
    const toggle = root.querySelector("[data-live-toggle]");
    const panel = root.querySelector("[data-live-panel]");
    const info = root.querySelector("[data-live-info]");
    const error = root.querySelector("[data-live-error]");
    const deck = document.querySelector("[data-deck]");
    const bar = deck && deck.querySelector(".deck-bar");
    if (role === "deck" && bar) bar.insertBefore(toggle, bar.querySelector(".deck-exit"));
    let session = stored();
    let sent = null;
    let timer = null;
    let blockedUntil = 0;
    let poll = null;

    function headers() {
      return { "content-type": "application/json", authorization: "Bearer " + session.key };
    }

    function render() {
      const on = !!session;
      toggle.textContent = on ? fill(root.dataset.textOn, { code: session.code }) : root.dataset.textStart;
      info.hidden = !on;
      if (role === "speaker") toggle.hidden = on;
      if (on) {
        root.querySelector("[data-live-code]").textContent = session.code;
        root.querySelector("[data-live-url]").textContent = session.join_url;
        const qr = root.querySelector("[data-live-qr]");
        const src = "/live/" + session.code + "/qr.svg";
        if (qr.getAttribute("src") !== src) qr.src = src;
      }
      if (role === "deck" && !on) showPanel(false);
      if (role === "speaker") {
        clearInterval(poll);
        if (on) { poll = setInterval(readAnswers, 2000); readAnswers(); }
      }
    }

    function showPanel(on) {
      panel.hidden = !on;
      toggle.setAttribute("aria-expanded", on ? "true" : "false");
      if (on) (panel.querySelector("[data-live-hide]") || toggle).focus();
    }

    function fail(reason) {
      error.textContent = fill(root.dataset.textFailed, { reason });
      error.hidden = false;
      panel.hidden = false;
    }

    async function start() {
      error.hidden = true;
      const response = await fetch("/api/live", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ lesson: root.dataset.lesson, lang: root.dataset.lang }),
      }).catch(() => null);
      if (!response) return fail("network");
      if (response.status !== 201) return fail(await problem(response));
      const created = await response.json();
      session = { code: created.code, key: created.presenter_key, join_url: created.join_url };
      store(session);
      sent = null;
      render();
      if (role === "deck") showPanel(true);
    }

    function forget() {
      session = null;
      store(null);
      render();
    }

    async function end() {
      if (!session) return;
      const response = await fetch("/api/live/" + session.code, { method: "DELETE", headers: headers() }).catch(() => null);
      if (response && (response.ok || response.status === 404 || response.status === 403)) forget();
    }

    // What this deck shows: its lesson, language, current slide and widget state (the query string).
    function current() {
      const slides = Array.from(deck.querySelectorAll(".slide"));
      const index = slides.findIndex((s) => s.classList.contains("is-current"));
      const params = new URLSearchParams(window.location.search);
      params.delete("embed");
      return { lesson: deck.dataset.deck, lang: deck.dataset.lang, slide: Math.max(index, 0) + 1, query: params.toString() };
    }

    async function send(state) {
      const body = JSON.stringify(state);
      const response = await fetch("/api/live/" + session.code + "/state", { method: "PUT", headers: headers(), body }).catch(() => null);
      if (!response) return; // offline for a moment: the next tick tries again
      if (response.status === 204) sent = body;
      else if (response.status === 429) blockedUntil = Date.now() + 1000 * (Number(response.headers.get("retry-after")) || 2);
      else if (response.status === 404 || response.status === 403) forget();
      else sent = body; // a refusal (413, 422) would only repeat itself
    }

    // Slide changes and widget edits: checked often, sent once they settle (debounced).
    function watch() {
      if (!session || !deck || Date.now() < blockedUntil) return;
      const body = JSON.stringify(current());
      if (body === sent || body === watch.pending) return;
      watch.pending = body;
      clearTimeout(timer);
      timer = setTimeout(() => { watch.pending = null; if (session) send(JSON.parse(body)); }, 300);
    }

    async function readAnswers() {
      if (!session) return;
      const response = await fetch("/api/live/" + session.code + "/answers", { headers: headers() }).catch(() => null);
      if (!response) return;
      if (response.status === 404 || response.status === 403) return forget();
      if (!response.ok) return;
      const data = await response.json();
      root.querySelector("[data-live-followers]").textContent = String(data.followers);
      const list = root.querySelector("[data-live-answers]");
      const rows = data.exercises.map((x) => `${x.lesson} · ${x.id}: ` + fill(root.dataset.textRow, x));
      const text = rows.length ? rows : [root.dataset.textNone];
      if (Array.from(list.children).map((li) => li.textContent).join("\n") === text.join("\n")) return;
      list.replaceChildren(...text.map((line) => { const li = document.createElement("li"); li.textContent = line; return li; }));
    }

    toggle.addEventListener("click", () => {
      if (!session) start();
      else if (role === "deck") showPanel(panel.hidden);
    });
    const hide = root.querySelector("[data-live-hide]");
    if (hide) hide.addEventListener("click", () => { showPanel(false); toggle.focus(); });
    root.querySelector("[data-live-end]").addEventListener("click", end);
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && role === "deck") { event.stopPropagation(); showPanel(false); toggle.focus(); }
    });
    // The keys of the slides must not act while the panel's buttons have focus.
    panel.setAttribute("data-keys-own", "");
    // Started or ended in another window (the speaker view and the slides share the session).
    window.addEventListener("storage", (event) => {
      if (event.key !== STORE) return;
      const before = session;
      session = stored();
      sent = null;
      render();
      if (role === "deck" && session && !before) showPanel(true);
    });
    render();
    if (role === "deck" && deck) setInterval(watch, 250);
  }

  // ---- student: the join page ----------------------------------------------------------------
  function follower(root) {
    const frame = root.querySelector("[data-live-frame]");
    const status = root.querySelector("[data-live-status]");
    const form = root.querySelector("[data-live-controls]");
    const lessons = JSON.parse(root.querySelector("[data-live-lessons]").textContent);
    let latest = null;  // the presenter's last state
    let shown = null;   // what the frame shows: {lesson, lang, view, query}
    let lastId = null;
    let source = null;
    let ended = false;
    let retry = 1000;

    const choice = (name) => form.elements[name].value;
    const following = () => form.elements.follow.checked;

    function say(text) { if (status.textContent !== text) status.textContent = text; }

    function sayState() {
      if (ended) return say(root.dataset.textEnded);
      if (!following()) return say(root.dataset.textExploring);
      if (!latest) return say(root.dataset.textConnecting);
      const lesson = (lessons[choice("lang")] || {})[latest.lesson];
      say(fill(root.dataset.textFollowing, { lesson: lesson ? lesson.title : latest.lesson, slide: latest.slide }));
    }

    function url(state, lang, view) {
      const base = `/${lang}/lessons/${encodeURIComponent(state.lesson)}`;
      if (view === "slides") {
        const params = new URLSearchParams(state.query);
        params.set("embed", "1");
        return `${base}/present?${params}#${state.slide}`;
      }
      return base + (state.query ? "?" + state.query : "");
    }

    // Blocks whose `{block}.{param}` values differ between two query strings.
    function changedBlocks(before, after) {
      const a = new URLSearchParams(before), b = new URLSearchParams(after), blocks = new Set();
      for (const key of new Set([...a.keys(), ...b.keys()])) {
        if (a.getAll(key).join() !== b.getAll(key).join()) blocks.add(key.split(".")[0]);
      }
      return blocks;
    }

    // Re-render only the widgets (or exercises) the presenter changed; false when that can't be done.
    function refreshBlocks(state, blocks, lang) {
      const win = frame.contentWindow, doc = frame.contentDocument;
      if (!win || !doc || !win.htmx) return false;
      const base = `/${lang}/lessons/${encodeURIComponent(state.lesson)}`;
      const jobs = [];
      for (const block of blocks) {
        if (block === "hide") return false;
        if (doc.getElementById("w-" + block)) {
          jobs.push([`${base}/widgets/${encodeURIComponent(block)}?${state.query}`, "#w-" + block]);
        } else if (doc.getElementById("x-" + block)) {
          const seed = new URLSearchParams(state.query).get(block + ".seed") || "";
          jobs.push([`${base}/exercises/${encodeURIComponent(block)}?seed=${encodeURIComponent(seed)}`, "#x-" + block]);
        } else {
          return false;
        }
      }
      jobs.forEach(([address, target]) => win.htmx.ajax("GET", address, { target, swap: "outerHTML" }));
      return true;
    }

    function place(state, view, lang) {
      const doc = frame.contentDocument;
      if (!doc) return;
      if (view === "slides") {
        if (frame.contentWindow.location.hash !== "#" + state.slide) frame.contentWindow.location.hash = "#" + state.slide;
        return;
      }
      const anchors = ((lessons[lang] || {})[state.lesson] || {}).anchors || [];
      const anchor = anchors[state.slide - 1];
      const target = anchor === "~end" ? doc.querySelector(".key-points") : anchor ? doc.getElementById(anchor) : null;
      // Scroll the frame only (scrollIntoView would scroll this page too).
      const win = frame.contentWindow;
      win.scrollTo(0, target ? target.getBoundingClientRect().top + win.scrollY : 0);
    }

    function apply(force) {
      sayState();
      if (!latest || !following()) return;
      const state = latest, lang = choice("lang"), view = choice("view");
      const same = !force && shown && shown.lesson === state.lesson && shown.lang === lang && shown.view === view;
      if (same && shown.query !== state.query && !refreshBlocks(state, changedBlocks(shown.query, state.query), lang)) {
        return load(state, lang, view);
      }
      if (!same) return load(state, lang, view);
      shown.query = state.query;
      place(state, view, lang);
    }

    function load(state, lang, view) {
      shown = { lesson: state.lesson, lang, view, query: state.query };
      frame.onload = () => place(latest || state, view, lang);
      frame.src = url(state, lang, view);
    }

    function finish() {
      ended = true;
      if (source) source.close();
      sayState();
    }

    function connect() {
      const address = root.dataset.events + (lastId !== null ? "?resume=" + encodeURIComponent(lastId) : "");
      source = new EventSource(address);
      source.addEventListener("open", () => { retry = 1000; sayState(); });
      source.addEventListener("state", (event) => {
        lastId = event.lastEventId || lastId;
        latest = JSON.parse(event.data);
        apply(false);
      });
      source.addEventListener("answers", (event) => { lastId = event.lastEventId || lastId; });
      source.addEventListener("end", finish);
      source.addEventListener("error", () => {
        if (ended) return;
        say(root.dataset.textReconnecting);
        // The browser retries by itself unless the server refused (404, 409, 429): then we decide.
        if (source.readyState !== EventSource.CLOSED) return;
        fetch(root.dataset.check, { method: "GET", cache: "no-store" }).then((response) => {
          if (response.status === 404) finish();
          else setTimeout(connect, retry);
        }).catch(() => setTimeout(connect, retry));
        retry = Math.min(retry * 2, 15000);
      });
    }

    form.addEventListener("change", (event) => apply(event.target.name !== "follow" || following()));
    connect();
  }

  function boot() {
    document.querySelectorAll("[data-live-presenter]").forEach((root) => {
      const deck = document.querySelector("[data-deck]");
      if (root.dataset.livePresenter === "deck" && (!deck || deck.hasAttribute("data-embed"))) return;
      presenter(root);
    });
    const join = document.querySelector("[data-live-join]");
    if (join) follower(join);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
