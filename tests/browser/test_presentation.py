"""Presentation mode: keyboard and clicker keys, slide number in the URL, overview, blank, speaker view."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot


def current(page):
    return page.locator(".slide.is-current")


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_keyboard_navigation_and_reload(context, watch, server, size):
    page = context.new_page()
    watch.attach(page)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{server}/en/lessons/convolution/present")
    total = page.locator(".slide").count()
    expect(current(page)).to_have_class(re.compile("title-slide"))
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"#2$"))
    page.keyboard.press("PageDown")
    expect(page).to_have_url(re.compile(r"#3$"))
    page.keyboard.press("PageUp")
    expect(page).to_have_url(re.compile(r"#2$"))
    page.keyboard.press("End")
    expect(page).to_have_url(re.compile(rf"#{total}$"))
    page.keyboard.press("Home")
    expect(page).to_have_url(re.compile(r"#1$"))
    # Type large enough for the back of a hall: body text at least 28 px on a projector.
    page.keyboard.press("ArrowRight")
    size_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.slide.is-current p')).fontSize)")
    assert size_px >= 24, size_px
    shoot(page, f"present-en-{size[0]}x{size[1]}", full_page=False)
    # Reload stays put.
    page.goto(f"{server}/en/lessons/convolution/present#4")
    expect(page.locator(".slide").nth(3)).to_have_class(re.compile("is-current"))
    fourth = page.locator(".slide").nth(3).evaluate("(s) => s.outerHTML.slice(0, 200)")
    page.reload()
    expect(page.locator(".slide").nth(3)).to_have_class(re.compile("is-current"))
    assert current(page).evaluate("(s) => s.outerHTML.slice(0, 200)") == fourth
    assert watch.problems == [], watch.problems


def test_widget_inside_slide_and_keys_while_typing(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/ru/lessons/convolution/present")
    slide = page.locator('.slide:has(#w-numbers)')
    number = page.locator(".slide").evaluate_all("(s, target) => s.indexOf(target)", slide.element_handle())
    page.goto(f"{server}/ru/lessons/convolution/present#{number + 1}")
    expect(slide).to_have_class(re.compile("is-current"))
    slide.locator('[data-step="1"]').click()
    expect(slide.locator('[data-grid="output"] td.is-current')).to_have_attribute("data-j", "1")
    # Arrow keys inside a text field edit the field, not the slide.
    field = slide.locator('input[name="numbers.kernel"]')
    field.focus()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"#{number + 1}$"))
    shoot(page, "present-ru-conv2d-1280x720", full_page=False)


def test_overview_blackout_and_speaker_view(page, server, context):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/en/lessons/convolution/present#2")
    page.keyboard.press("o")
    expect(page.locator(".deck-root")).to_have_class(re.compile("overview"))
    shoot(page, "present-en-overview", full_page=False)
    page.locator(".slide").nth(4).click()
    expect(page).to_have_url(re.compile(r"#5$"))
    expect(page.locator(".deck-root")).not_to_have_class(re.compile("overview"))
    page.keyboard.press("b")
    expect(page.locator("[data-blackout]")).to_be_visible()
    page.keyboard.press("b")
    expect(page.locator("[data-blackout]")).to_be_hidden()

    with context.expect_page() as popup:
        page.keyboard.press("s")
    speaker = popup.value
    speaker.wait_for_load_state()
    expect(speaker.locator("[data-counter]")).to_contain_text("5")
    # The projected deck moves, the speaker view follows, with this slide's notes.
    page.keyboard.press("ArrowRight")
    expect(speaker).to_have_url(re.compile(r"#6$"))
    expect(speaker.locator("[data-notes]")).not_to_be_empty()
    # Keys in the speaker window move the projected deck.
    speaker.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"#7$"))
    speaker.set_viewport_size({"width": 1280, "height": 800})
    speaker.wait_for_timeout(500)
    shoot(speaker, "speaker-en", full_page=False)


def test_phone_width_pages(context, watch, server):
    page = context.new_page()
    watch.attach(page)
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [("/en/", "outline-en-phone"), ("/ru/lessons/convolution", "convolution-ru-phone")]:
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{path} scrolls sideways: {width}px"
        shoot(page, name)
    assert watch.problems == [], watch.problems
