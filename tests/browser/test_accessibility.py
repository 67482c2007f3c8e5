"""axe-core (wcag2a, wcag2aa, wcag21aa, best-practice) finds nothing, of any impact, on every view a student or a
presenter opens: the outline, every lesson page and every lesson's slides (first slide, then the overview) in both
languages, the live join page, the presenter's live panel and the speaker window. Each view is loaded once and
checked twice: with its widgets as they start, and after one interaction (a widget's first control used with the
keyboard; on slides, the overview opened)."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.lessons import load_catalog
from app.settings import ROOT
from app.web.widgets import EXERCISES, WIDGETS
from tests.browser.conftest import Watch

CATALOG = load_catalog(ROOT / "lessons", WIDGETS, EXERCISES)
SLUGS = [lesson.slug for lesson in CATALOG.ordered("en")]
AXE = Axe()
OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}

# The first control of the first widget that has one, used the way a keyboard user would: a button pressed with
# Enter, a slider or number field stepped with an arrow key, a select moved with an arrow key, a checkbox toggled
# with Space. Returns what it did (for the failure message), or "" when the page has no widget control.
FIRST_CONTROL = """() => {
  const visible = (e) => e.offsetParent !== null && !e.disabled && !e.closest('[inert], [hidden]');
  const controls = Array.from(document.querySelectorAll(
    '[data-widget] button, [data-widget] input:not([type=hidden]):not([type=file]), [data-widget] select'));
  const found = controls.find(visible);
  if (!found) return "";
  found.setAttribute('data-axe-target', '');
  return found.tagName.toLowerCase() + (found.type ? '[type=' + found.type + ']' : '') + ' '
    + (found.getAttribute('aria-label') || found.name || found.textContent.trim()).slice(0, 40);
}"""


def violations(page) -> list[str]:
    """axe-core's violations on the page as it stands, one readable line per element."""
    results = AXE.run(page, options=OPTIONS).response
    lines = []
    for rule in results["violations"]:
        for node in rule["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']}\n    at {target}\n"
                         f"    {node['html'][:160]}")
    return lines


def interact(page) -> str:
    """One keyboard interaction with the page's first widget control; waits for htmx to settle."""
    what = page.evaluate(FIRST_CONTROL)
    if not what:
        return "nothing to use"
    control = page.locator("[data-axe-target]")
    control.focus()
    kind = what.split(" ", 1)[0]
    if kind.startswith("button"):
        page.keyboard.press("Enter")
    elif kind in ("input[type=checkbox]", "input[type=radio]"):
        page.keyboard.press("Space")
    else:
        page.keyboard.press("ArrowUp" if kind.startswith("input") else "ArrowDown")
        control.dispatch_event("change")
    page.evaluate("() => document.querySelector('[data-axe-target]')?.removeAttribute('data-axe-target')")
    settle(page)
    return what


def settle(page):
    """Wait until htmx has no request in flight and the page has painted."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')", timeout=30_000)
    page.wait_for_timeout(150)


@pytest.fixture(scope="module")
def axe_page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(server)
    watch.attach(page)
    page.watch = watch
    yield page
    context.close()


@pytest.fixture
def axe_page_fresh(axe_page):
    """The shared page, its problem list emptied: each view answers for its own requests."""
    axe_page.watch.problems.clear()
    return axe_page


def check(page, view: str, before: list[str], after: list[str], action: str):
    report = []
    if before:
        report.append(f"{view}, as it loads:\n  " + "\n  ".join(before))
    if after:
        report.append(f"{view}, after {action}:\n  " + "\n  ".join(after))
    assert not report, "axe-core violations\n" + "\n".join(report)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_outline(axe_page_fresh, server, lang):
    axe_page = axe_page_fresh
    axe_page.goto(f"{server}/{lang}/")
    before = violations(axe_page)
    axe_page.keyboard.press("Tab")
    check(axe_page, f"outline ({lang})", before, violations(axe_page), "Tab")


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lesson_page(axe_page_fresh, server, lang, slug):
    axe_page = axe_page_fresh
    axe_page.goto(f"{server}/{lang}/lessons/{slug}")
    settle(axe_page)
    before = violations(axe_page)
    action = interact(axe_page)
    check(axe_page, f"/{lang}/lessons/{slug}", before, violations(axe_page), action)
    assert axe_page.watch.problems == [], "\n".join(axe_page.watch.problems)


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_slides_and_overview(axe_page_fresh, server, lang, slug):
    axe_page = axe_page_fresh
    axe_page.set_viewport_size({"width": 1280, "height": 720})
    axe_page.goto(f"{server}/{lang}/lessons/{slug}/present#1")
    settle(axe_page)
    before = violations(axe_page)
    axe_page.keyboard.press("o")
    expect(axe_page.locator(".deck-root")).to_have_class(re.compile("overview"))
    check(axe_page, f"/{lang}/lessons/{slug}/present", before, violations(axe_page), "opening the overview")
    axe_page.set_viewport_size({"width": 1280, "height": 800})
    assert axe_page.watch.problems == [], "\n".join(axe_page.watch.problems)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_live_pages_and_speaker_window(browser, server, lang):
    """The presenter's live panel, a student's join page (reading, then watching slides) and the speaker window."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    watch = Watch(server)
    try:
        presenter = context.new_page()
        watch.attach(presenter)
        presenter.goto(f"{server}/{lang}/lessons/convolution/present")
        presenter.locator("[data-live-toggle]").click()
        panel = presenter.locator("#live-panel-deck")
        expect(panel).to_be_visible()
        code = panel.locator("[data-live-code]").inner_text()
        check(presenter, "presenter with the live panel open", violations(presenter), [], "")

        student = context.new_page()
        watch.attach(student)
        student.goto(f"{server}/live/{code}?lang={lang}")
        expect(student.locator("[data-live-status]")).not_to_be_empty()
        before = violations(student)
        student.locator("input[name=view][value=slides]").check()
        student.wait_for_timeout(300)
        check(student, f"/live/{code}?lang={lang}", before, violations(student), "choosing slides")

        with context.expect_page() as popup:
            presenter.keyboard.press("Escape")
            presenter.keyboard.press("s")
        speaker = popup.value
        watch.attach(speaker)
        speaker.wait_for_load_state()
        expect(speaker.locator("[data-counter]")).not_to_be_empty()
        before = violations(speaker)
        speaker.keyboard.press("ArrowRight")
        expect(speaker).to_have_url(re.compile(r"#2$"))
        check(speaker, "speaker window", before, violations(speaker), "ArrowRight")
    finally:
        context.close()
    assert watch.problems == [], "\n".join(watch.problems)
