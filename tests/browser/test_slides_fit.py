"""Every slide of every lesson fits the screen it is projected on, in both languages, at 1280×720 and 1920×1080.

One page load per lesson, language and size; the slides are walked by hash in that page and each is measured
by one JS function (every part of a widget shown a part at a time): the slide must not scroll, hold no scrolling region, cut nothing off at its bottom or
right, and carry no visible text under 16 px on screen at 1280×720 (18 px at 1920×1080), the deck's scale
included. Run it as a script for a summary of offenders over every lesson:

    .venv/bin/python -m tests.browser.test_slides_fit [--shots] [--size=1280x720] [--lang=en] [--update-known] [slug ...]

Overflow that is known and not yet fixed is listed in tests/browser/slides_fit_known.py (issue 8): the test fails
on any overflow not listed there, and on any listed slide that now fits, so the list can only shrink.
`--update-known` rewrites the entries for the cases it ran from what it measured. Small text has no such list.
"""

import sys

import pytest

from app.lessons import load_catalog
from app.settings import ROOT
from app.web.widgets import EXERCISES, WIDGETS
from tests.browser.conftest import SHOTS
from tests.browser.slides_fit_known import KNOWN, REASON

CATALOG = load_catalog(ROOT / "lessons", WIDGETS, EXERCISES)
SIZES = {(1280, 720): 16, (1920, 1080): 18}  # screen size -> smallest text allowed on it, in CSS px
CASES = [
    (lang, lesson.slug, size) for size in SIZES for lang in ("en", "ru") for lesson in CATALOG.ordered(lang)
]

# Measures the current slide. Returns {overflow: [...], small: [...]} with short descriptions.
MEASURE = """async (minimum) => {
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const root = document.querySelector('[data-deck]');
  const slide = document.querySelector('.slide.is-current');
  const scale = parseFloat(root.dataset.scale || '1');
  const box = slide.getBoundingClientRect();
  const name = (e) => {
    const cls = typeof e.className === 'string' ? e.className.trim().split(/\\s+/).slice(0, 2).join('.') : '';
    return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (cls ? '.' + cls : '');
  };
  const visible = (e) => e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const overflow = [];
  if (slide.scrollHeight > slide.clientHeight + 1) overflow.push(`slide scrolls ${slide.scrollHeight}>${slide.clientHeight}`);
  if (slide.scrollWidth > slide.clientWidth + 1) overflow.push(`slide scrolls sideways ${slide.scrollWidth}>${slide.clientWidth}`);
  const inPlot = (e) => e.closest('.js-plotly-plot');
  for (const e of slide.querySelectorAll('*')) {
    if (!visible(e) || inPlot(e) || e.closest('.visually-hidden, .speaker-notes')) continue;
    const style = getComputedStyle(e);
    const scrolls = (v) => v === 'auto' || v === 'scroll';
    if ((scrolls(style.overflowY) && e.scrollHeight > e.clientHeight + 1) ||
        (scrolls(style.overflowX) && e.scrollWidth > e.clientWidth + 1)) {
      overflow.push(`scrolls inside: ${name(e)} ${e.scrollWidth}x${e.scrollHeight} in ${e.clientWidth}x${e.clientHeight}`);
      continue;
    }
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    if (r.bottom > box.bottom + 1 || r.right > box.right + 1) {
      // Report the outermost element cut off, not every descendant of it.
      const parent = e.parentElement.getBoundingClientRect();
      if (e.parentElement === slide || parent.bottom <= box.bottom + 1 && parent.right <= box.right + 1)
        overflow.push(`cut off: ${name(e)} ${Math.round((r.bottom - box.bottom) / scale)}px below, ${Math.round((r.right - box.right) / scale)}px right`);
    }
  }
  const small = new Map();
  const note = (e, px, text) => {
    const key = `${name(e)} ${px.toFixed(1)}px`;
    if (!small.has(key)) small.set(key, text.trim().slice(0, 30));
  };
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const e = node.parentElement;
    if (!e || e.closest('script, style, .speaker-notes, .visually-hidden, [aria-hidden="true"]:not(svg *)')) continue;
    if (!visible(e)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || r.top >= box.bottom || r.left >= box.right) continue;
    let px = parseFloat(getComputedStyle(e).fontSize);
    if (e instanceof SVGElement) {
      const ctm = e.getScreenCTM();
      px *= ctm ? Math.hypot(ctm.a, ctm.b) : scale;
    } else px *= scale;
    if (px < minimum - 0.05) note(e, px, node.textContent);
  }
  for (const e of slide.querySelectorAll('input:not([type=range]):not([type=checkbox]):not([type=radio]):not([type=file]):not([type=hidden]), select, textarea')) {
    if (!visible(e)) continue;
    const px = parseFloat(getComputedStyle(e).fontSize) * scale;
    if (px < minimum - 0.05) note(e, px, e.value || '');
  }
  return { overflow: overflow.slice(0, 6), small: Array.from(small, ([k, v]) => `${k} "${v}"`).slice(0, 6) };
}"""


def walk(page, base: str, lang: str, slug: str, size: tuple[int, int], shots: bool = False) -> list[dict]:
    """Measure every slide of one lesson in one page; returns one record per slide."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    # A shared 2-core machine running a server, Chromium and torch at once can be slow to answer.
    page.goto(f"{base}/{lang}/lessons/{slug}/present#1", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    page.evaluate("document.fonts.ready")
    total = page.locator(".slide").count()
    records = []
    for n in range(1, total + 1):
        page.evaluate("(n) => { window.location.hash = '#' + n; }", n)
        page.wait_for_function("(n) => document.querySelectorAll('.slide')[n - 1].classList.contains('is-current')", arg=n)
        result = page.evaluate(MEASURE, SIZES[size])
        measure_parts(page, size, result)
        title = page.evaluate("document.querySelector('.slide.is-current').dataset.title || ''")
        part = sum(1 for r in records if r["title"] == title) + 1  # nth slide of this title in the lesson
        records.append({"slide": n, "title": title, "part": part, **result})
        if shots:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"fit-{slug}-{lang}-{size[0]}x{size[1]}-{n:02d}.png"))
    return records


def measure_parts(page, size: tuple[int, int], result: dict) -> None:
    """A widget shown a part at a time on slides (present.js PAGED): measure every part, not only the first, and
    add what a later part finds to the slide's record; then show the first part again."""
    pagers = page.locator(".slide.is-current .deck-pager")
    for p in range(pagers.count()):
        buttons = pagers.nth(p).locator("button")
        for k in range(1, buttons.count()):
            label = buttons.nth(k).inner_text().strip()
            buttons.nth(k).click()
            more = page.evaluate(MEASURE, SIZES[size])
            result["overflow"] += [f"(part {label!r}) {o}" for o in more["overflow"]]
            result["small"] += [f"(part {label!r}) {s}" for s in more["small"]]
        if buttons.count() > 1:
            buttons.nth(0).click()


def size_key(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def known_for(lang: str, slug: str, size: tuple[int, int]) -> set[tuple[str, int]]:
    """The listed overflowing slides of one case, as (slide title, nth slide of that title in the lesson)."""
    return {(title, part) for s, l, z, title, part, _ in KNOWN if (s, l, z) == (slug, lang, size_key(size))}


def describe(lang: str, slug: str, size: tuple[int, int], records: list[dict], known=frozenset()) -> list[str]:
    lines = []
    for r in records:
        if r["overflow"] or r["small"]:
            listed = " (listed as known)" if r["overflow"] and (r["title"], r["part"]) in known else ""
            lines.append(f"{slug} {lang} {size_key(size)} #{r['slide']} {r['title'][:40]!r} part {r['part']}{listed}")
            lines += [f"    overflow: {o}" for o in r["overflow"]] + [f"    small: {s}" for s in r["small"]]
    return lines


def judge(lang: str, slug: str, size: tuple[int, int], records: list[dict]) -> list[str]:
    """What fails: small text anywhere, overflow not listed as known, and listed slides that now fit."""
    known = known_for(lang, slug, size)
    bad = []
    for r in records:
        key = (r["title"], r["part"])
        if r["small"] or (r["overflow"] and key not in known):
            bad += describe(lang, slug, size, [{**r, "overflow": [] if key in known else r["overflow"]}])
    over = {(r["title"], r["part"]) for r in records if r["overflow"]}
    for title, part in sorted(known - over):
        bad.append(
            f"{slug} {lang} {size_key(size)} {title!r} part {part} fits now (or no longer exists): remove "
            f"({slug!r}, {lang!r}, {size_key(size)!r}, {title!r}, {part}, ...) from tests/browser/slides_fit_known.py"
        )
    return bad


def write_known(entries: list[tuple]) -> None:
    """Rewrite tests/browser/slides_fit_known.py with these entries, sorted."""
    from pathlib import Path

    path = Path(__file__).with_name("slides_fit_known.py")
    head = path.read_text(encoding="utf-8").split("KNOWN = [", 1)[0]
    order = {lesson.slug: i for i, lesson in enumerate(CATALOG.ordered("en"))}
    body = "".join(
        f"    ({s!r}, {l!r}, {z!r}, {t!r}, {p}, REASON),\n"
        for s, l, z, t, p, _ in sorted(set(entries), key=lambda e: (order.get(e[0], 99), e[0], e[1], e[2], e[4], e[3]))
    )
    path.write_text(head + "KNOWN = [\n" + body + "]\n", encoding="utf-8")


@pytest.mark.parametrize("lang, slug, size", CASES, ids=[f"{l}-{s}-{w}x{h}" for l, s, (w, h) in CASES])
def test_every_slide_fits(context, watch, server, lang, slug, size):
    page = context.new_page()
    watch.attach(page)
    records = walk(page, server, lang, slug, size)
    bad = judge(lang, slug, size, records)
    assert not bad, "slides that do not fit, or known overflow that is gone:\n" + "\n".join(bad)
    assert watch.problems == [], "\n".join(watch.problems)
    page.close()


def main(argv: list[str]) -> int:
    """Summary over every lesson (or the named ones): counts per size and language, then the offenders."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

    shots = "--shots" in argv
    update = "--update-known" in argv
    sizes = [tuple(int(v) for v in a.split("=")[1].split("x")) for a in argv if a.startswith("--size=")] or list(SIZES)
    langs = [a.split("=")[1] for a in argv if a.startswith("--lang=")] or ["en", "ru"]
    slugs = [a for a in argv if not a.startswith("--")] or [lesson.slug for lesson in CATALOG.ordered("en")]
    process, base = start_server()
    lines, totals, failures, measured = [], {}, [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            for size in sizes:
                for lang in langs:
                    t = totals.setdefault((size, lang), [0, 0, 0])
                    for slug in slugs:
                        records = walk(page, base, lang, slug, size, shots and size == (1280, 720))
                        t[0] += len(records)
                        t[1] += sum(1 for r in records if r["overflow"])
                        t[2] += sum(1 for r in records if r["small"])
                        lines += describe(lang, slug, size, records, known_for(lang, slug, size))
                        failures += judge(lang, slug, size, records)
                        measured += [(slug, lang, size_key(size), r["title"], r["part"], REASON)
                                     for r in records if r["overflow"]]
            browser.close()
    finally:
        stop_server(process)
    print("\n".join(lines))
    for (size, lang), (n, over, small) in totals.items():
        listed = sum(1 for e in KNOWN if e[1] == lang and e[2] == size_key(size))
        print(f"{size_key(size)} {lang}: {n} slides, {over} overflow, {small} with small text; {listed} listed as known")
    if update:
        ran = {(slug, lang, size_key(size)) for size in sizes for lang in langs for slug in slugs}
        write_known([e for e in KNOWN if e[:3] not in ran] + measured)
        print(f"rewrote tests/browser/slides_fit_known.py for {len(ran)} cases")
    elif failures:
        print("\nwhat the test fails on:\n" + "\n".join(failures))
    return 1 if failures and not update else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
