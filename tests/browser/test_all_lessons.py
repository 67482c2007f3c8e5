"""Every lesson, in both languages: the page, the slides at projector size and the page at phone width
load without a console error, a failed request or a request to another host."""

import re

import pytest
from playwright.sync_api import expect

from app.lessons import load_catalog
from app.settings import ROOT
from app.web.widgets import EXERCISES, WIDGETS
from tests.browser.conftest import shoot

CATALOG = load_catalog(ROOT / "lessons", WIDGETS, EXERCISES)
CASES = [(lang, lesson.slug) for lang in ("en", "ru") for lesson in CATALOG.ordered(lang)]


@pytest.mark.parametrize("lang, slug", CASES)
def test_lesson_page_slides_and_phone(context, watch, server, lang, slug):
    page = context.new_page()
    watch.attach(page)
    page.goto(f"{server}/{lang}/lessons/{slug}")
    expect(page.locator("h1")).to_have_text(CATALOG.get(lang, slug).title)
    # Every widget started (its script ran) or is a static one; none shows an error.
    expect(page.locator(".widget-error")).to_have_count(0)
    shoot(page, f"all-{slug}-{lang}-desktop", full_page=False)

    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/{lang}/lessons/{slug}/present")
    total = page.locator(".slide").count()
    page.keyboard.press("End")
    expect(page).to_have_url(re.compile(rf"#{total}$"))
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"#2$"))
    shoot(page, f"all-{slug}-{lang}-present", full_page=False)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/{lang}/lessons/{slug}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"{slug} ({lang}) scrolls sideways at phone width: {width}px"
    assert watch.problems == [], "\n".join(watch.problems)
