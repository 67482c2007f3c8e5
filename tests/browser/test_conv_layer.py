"""The conv-layer lesson in a real browser: both languages, every widget once, slides and a phone."""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from app.compute.ops import conv_layer
from tests.browser.conftest import change, shoot

LESSON = "/{lang}/lessons/conv-layer"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lesson_page_both_languages(page, server, lang):
    page.goto(server + LESSON.format(lang=lang))
    expect(page.locator("h1")).to_have_text("The convolutional layer" if lang == "en" else "Свёрточный слой")
    expect(page.locator("[data-widget]")).to_have_count(6)
    expect(page.locator("[data-exercise]")).to_have_count(4)
    expect(page.locator("#w-dot [data-check]")).to_contain_text("✓")
    shoot(page, f"conv-layer-{lang}-desktop")


def test_dot_click_a_map_pixel_and_hover_its_field(page, server):
    page.goto(server + LESSON.format(lang="en"))
    widget = page.locator("#w-dot")
    picture = widget.locator("[data-rf-map]")
    picture.scroll_into_view_if_needed()
    box = picture.bounding_box()
    # Hover the map's pixel [3, 20] (row 4, column 21 counted from 1): the 5×5 field at rows 3–7, columns 20–24
    # of the arrays (4–8 and 21–25 on the page) lights up on the input.
    page.mouse.move(box["x"] + box["width"] * 20.5 / 28, box["y"] + box["height"] * 3.5 / 28)
    field = widget.locator("[data-rf-box]")
    expect(field).to_be_visible()
    expect(field).to_have_attribute("data-rows", "3-7")
    expect(field).to_have_attribute("data-cols", "20-24")
    expect(widget.locator("[data-rf-readout]")).to_contain_text("(4, 21) sees input rows 4–8 and columns 21–25")
    # Click it: the widget re-renders for that position with the backend's number.
    page.mouse.click(box["x"] + box["width"] * 20.5 / 28, box["y"] + box["height"] * 3.5 / 28)
    expect(page).to_have_url(re.compile(r"dot\.row=4.*dot\.col=21|dot\.col=21.*dot\.row=4"))
    widget = page.locator("#w-dot")
    expect(widget.locator('[data-at="3,20"]')).to_be_attached()
    x = conv_layer.photo_volume("chelsea", 32)
    w = conv_layer.FILTER_BANK["vertical_edge"].weights
    expected = float((x[:, 3:8, 20:25] * w).sum()) + 0.1
    result = float(widget.locator("[data-result]").inner_text())
    assert result == pytest.approx(expected, abs=1e-9)
    expect(widget.locator("[data-check]")).to_contain_text("✓")
    shoot(page, "conv-layer-en-dot", full_page=False)


def test_bank_hover_lights_the_receptive_field(page, server):
    page.goto(server + LESSON.format(lang="en"))
    widget = page.locator("#w-bank")
    maps = widget.locator("[data-rf-map]")
    expect(maps).to_have_count(len(conv_layer.FILTER_BANK))
    maps.nth(5).scroll_into_view_if_needed()
    box = maps.nth(5).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.99, box["y"] + box["height"] * 0.01)
    field = widget.locator("[data-rf-box]")
    expect(field).to_be_visible()
    expect(field).to_have_attribute("data-rows", "0-4")
    expect(field).to_have_attribute("data-cols", "91-95")  # the last of 92 columns sees input 91–95
    widget.locator('select[name="bank.relu"]').select_option("on")
    expect(page.locator("#w-bank [data-volume]")).to_contain_text("ReLU")


def test_russian_widgets_rerender_with_backend_shapes(page, server):
    page.goto(server + LESSON.format(lang="ru"))
    # K filters → K maps.
    change(page.locator('#w-filters input[name="filters.filters"]'), 8)
    expect(page.locator("#w-filters [data-shape]")).to_have_text("28×28×8")
    expect(page.locator("#w-filters .clayer-map-item")).to_have_count(8)
    # The lecture's pipeline without padding: both figures, and why they differ.
    page.locator('#w-pipeline select[name="pipeline.padding"]').select_option("none")
    conv_row = page.locator('#w-pipeline tr[data-layer="conv"]')
    expect(conv_row.locator("[data-shape]")).to_have_text("28×28×12")
    expect(conv_row).to_contain_text("32×32×12")
    expect(conv_row).to_contain_text("≠")
    # ReLU: a negative bias; the counts are numpy's.
    change(page.locator('#w-relu input[name="relu.bias"]'), "-0.3")
    x = conv_layer.photo_volume("chelsea", 32)
    w = conv_layer.FILTER_BANK["vertical_edge"].weights
    activation = np.array([[(x[:, i:i + 5, j:j + 5] * w).sum() - 0.3 for j in range(28)] for i in range(28)])
    expect(page.locator("#w-relu [data-counts]")).to_contain_text(f"{int((activation < 0).sum())} из 784")
    expect(page.locator("#w-relu td.clayer-zeroed")).to_have_count(int((activation[8:14, 8:14] < 0).sum()))
    # The stack: CONV2's filters follow CONV1's K, and its pixels see 9×9.
    change(page.locator('#w-stack input[name="stack.k1"]'), 4)
    step = page.locator('#w-stack [data-step-name="conv2"]')
    expect(step).to_contain_text("5×5×4")
    expect(step.locator("[data-shape]")).to_have_text("24×24×10")
    first = step.locator("[data-rf-map]").first
    first.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#w-stack [data-rf-box]")).to_have_attribute("data-rows", "1-9")
    expect(page).to_have_url(re.compile(r"stack\.k1=4"))


def test_present_mode_1280x720(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server + LESSON.format(lang="en") + "/present")
    slide = page.locator(".slide:has(#w-dot)")
    number = page.locator(".slide").evaluate_all("(s, target) => s.indexOf(target)", slide.element_handle())
    page.goto(server + LESSON.format(lang="en") + f"/present#{number + 1}")
    expect(slide).to_have_class(re.compile("is-current"))
    # Arrow keys on a focused map move its pixel (from the one shown, [10, 12]), not the slide; Enter picks it.
    picture = slide.locator("[data-rf-map]")
    picture.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(rf"#{number + 1}$"))
    page.keyboard.press("Enter")
    expect(page.locator('#w-dot [data-at="11,13"]')).to_be_attached()  # the server's re-render
    expect(page.locator("#w-dot [data-check]")).to_contain_text("✓")
    expect(page.locator("#w-dot [data-rf-map]")).to_be_focused()  # the keyboard stays on the map
    page.locator(".slide.is-current").evaluate("s => s.scrollTop = 0")
    shoot(page, "conv-layer-en-present-1280x720", full_page=False)
    bank = page.locator(".slide:has(#w-bank)")
    number = page.locator(".slide").evaluate_all("(s, target) => s.indexOf(target)", bank.element_handle())
    page.goto(server + LESSON.format(lang="ru") + f"/present#{number + 1}")
    expect(page.locator(".slide.is-current #w-bank")).to_be_visible()
    shoot(page, "conv-layer-ru-present-bank-1280x720", full_page=False)


def test_phone_width(page, server):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server + LESSON.format(lang="ru"))
    expect(page.locator("#w-dot [data-check]")).to_contain_text("✓")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, overflow
    shoot(page, "conv-layer-ru-phone")
