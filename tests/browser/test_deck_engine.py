"""The presentation engine: a 1280×720 deck scaled to the window, phones (reflowed slides, a bar that fits,
swipes), inert hidden slides and a keyboard-driven overview."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot

FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1']), canvas[tabindex]"


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (1024, 768)])
def test_deck_is_scaled_uniformly_and_letterboxed(context, watch, server, size):
    page = context.new_page()
    watch.attach(page)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{server}/en/lessons/convolution/present#3")
    box = page.locator(".slide.is-current").bounding_box()
    bar = page.locator(".deck-bar").bounding_box()
    scale = float(page.locator("[data-deck]").get_attribute("data-scale"))
    expected = min(size[0] / 1280, (size[1] - bar["height"]) / 720)
    assert scale == pytest.approx(expected, rel=1e-3)
    assert box["width"] == pytest.approx(1280 * scale, abs=1) and box["height"] == pytest.approx(720 * scale, abs=1)
    # Centred in the room above the bar: equal margins left and right, top and bottom.
    assert box["x"] == pytest.approx(size[0] - box["x"] - box["width"], abs=1.5)
    assert box["y"] == pytest.approx(bar["y"] - box["y"] - box["height"], abs=1.5)
    # The logical layout is the same at every size: the slide's own box is 1280×720 CSS px.
    assert page.evaluate("[document.querySelector('.slide.is-current').offsetWidth, document.querySelector('.slide.is-current').offsetHeight]") == [1280, 720]
    assert watch.problems == [], watch.problems


def test_hidden_slides_are_inert_and_overview_moves_by_keys(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/en/lessons/convolution/present#2")
    outside = page.evaluate(f"""() => Array.from(document.querySelectorAll('.slide:not(.is-current)'))
        .flatMap((s) => Array.from(s.querySelectorAll("{FOCUSABLE}")))
        .filter((e) => !e.closest('[inert]')).length""")
    assert outside == 0
    assert page.evaluate("document.querySelectorAll('.slide:not(.is-current):not([inert])').length") == 0
    # Tab never lands on a hidden slide.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("!document.activeElement.closest('.slide') || document.activeElement.closest('.slide').classList.contains('is-current')")

    page.keyboard.press("o")
    expect(page.locator(".deck-root")).to_have_class(re.compile("overview"))
    focused = "Array.from(document.querySelectorAll('.slide')).indexOf(document.activeElement)"
    assert page.evaluate(focused) == 1
    # Thumbnails are the only stops: nothing inside them can take the focus.
    inside = page.evaluate(f"""() => Array.from(document.querySelectorAll('.slide'))
        .flatMap((s) => Array.from(s.querySelectorAll("{FOCUSABLE}"))).filter((e) => !e.closest('[inert]')).length""")
    assert inside == 0
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) == 3
    columns = page.evaluate("""() => { const s = Array.from(document.querySelectorAll('.slide'));
        const top = s[0].offsetTop; return s.filter((e) => e.offsetTop === top).length; }""")
    assert columns > 1
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == 3 + columns
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(focused) == 2
    shoot(page, "deck-overview-keys", full_page=False)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#3$"))
    expect(page.locator(".deck-root")).not_to_have_class(re.compile("overview"))
    expect(page.locator(".slide").nth(2)).to_have_class(re.compile("is-current"))
    assert page.evaluate("document.querySelectorAll('.slide:not(.is-current):not([inert])').length") == 0


def swipe(page, start, end):
    """A one-finger swipe through the DevTools protocol: real touch input, so real pointer events."""
    cdp = page.context.new_cdp_session(page)
    steps = 6
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]})
    for i in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * i / steps
        y = start[1] + (end[1] - start[1]) * i / steps
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def heading_y(page):
    """The vertical middle of the current slide's heading, in viewport pixels."""
    box = page.locator(".slide.is-current h2").first.bounding_box()
    return box["y"] + box["height"] / 2


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_phone_bar_fits_and_swipes_move_slides(browser, server, lang):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{server}/{lang}/lessons/convolution/present#2")
        # Slides reflow at the phone's width; the text stays readable.
        assert page.evaluate("document.querySelector('[data-deck]').classList.contains('deck-reflow')")
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.slide.is-current p')).fontSize)")
        assert size >= 16, size
        # Every control of the bar is on screen and shows its whole label.
        cut = page.evaluate("""() => Array.from(document.querySelectorAll('.deck-bar > *'))
            .filter((e) => e.checkVisibility() && !e.classList.contains('deck-help'))
            .filter((e) => { const r = e.getBoundingClientRect();
              return r.left < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5 || e.scrollWidth > e.clientWidth + 1; })
            .map((e) => e.textContent.trim())""")
        assert cut == [], cut
        bar = page.locator(".deck-bar").bounding_box()
        assert bar["y"] + bar["height"] <= 844.5
        shoot(page, f"deck-phone-{lang}", full_page=False)
        # Swipes start on the slide's heading: a swipe that starts on a widget's field or canvas is the widget's.
        swipe(page, (320, heading_y(page)), (60, heading_y(page) + 10))
        expect(page).to_have_url(re.compile(r"#3$"))
        swipe(page, (320, heading_y(page)), (60, heading_y(page) + 10))
        expect(page).to_have_url(re.compile(r"#4$"))
        swipe(page, (60, heading_y(page)), (330, heading_y(page) - 5))
        expect(page).to_have_url(re.compile(r"#3$"))
        # A vertical drag scrolls the slide; it does not turn it.
        swipe(page, (200, 600), (210, 250))
        page.wait_for_timeout(300)
        expect(page).to_have_url(re.compile(r"#3$"))
    finally:
        context.close()


def test_speaker_previews_are_the_slides_in_miniature(page, server):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/en/lessons/convolution/speaker#3")
    frame = page.frame_locator("[data-frame=current]")
    expect(frame.locator(".slide.is-current")).to_be_visible()
    deck = frame.locator("[data-deck]")
    expect(deck).not_to_have_class(re.compile("deck-reflow"))
    scale = float(deck.get_attribute("data-scale"))
    box = page.locator("[data-frame=current]").bounding_box()
    assert scale == pytest.approx(min(box["width"] / 1280, box["height"] / 720), rel=0.02)
    assert frame.locator(".slide.is-current").evaluate("(s) => s.offsetWidth") == 1280
