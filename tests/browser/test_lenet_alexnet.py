"""The LeNet-5 and AlexNet lessons in a real browser: both languages, slides, a phone, the drawing canvas
(mouse strokes to a prediction), sample digits from the keyboard, maps and pixels, and each AlexNet widget."""

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from app.compute.nets import alexnet, digits, lenet
from tests.browser.conftest import shoot

TITLES = {("en", "lenet"): "LeNet-5", ("ru", "lenet"): "LeNet-5", ("en", "alexnet"): "AlexNet",
          ("ru", "alexnet"): "AlexNet"}


def slide_number(page, selector: str) -> int:
    slide = page.locator(f".slide:has({selector})")
    return page.locator(".slide").evaluate_all("(s, t) => s.indexOf(t) + 1", slide.element_handle())


def backend_result(drawing_b64: str) -> dict:
    image = Image.open(io.BytesIO(base64.b64decode(drawing_b64))).convert("RGB")
    return lenet.predict(lenet.preprocess_digit(image)["padded"])


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("slug", ["lenet", "alexnet"])
def test_lessons_in_both_languages(page, server, lang, slug):
    page.goto(f"{server}/{lang}/lessons/{slug}")
    expect(page.locator("h1")).to_have_text(TITLES[(lang, slug)])
    expect(page.locator(".widget-error")).to_have_count(0)
    expect(page.locator("[data-exercise]")).to_have_count(3 if slug == "lenet" else 5)
    if slug == "lenet":
        expect(page.locator("#w-draw [data-prediction]")).to_have_text("3")
        expect(page.locator("#w-training [data-accuracy]")).to_have_text(
            f"{100 * digits.training_report()['held_out_accuracy']:.1f}%")
    else:
        expect(page.locator('#w-table [data-match="yes"]')).to_have_count(len(alexnet.LECTURE_LISTING))
        expect(page.locator("#w-relu .plotly-target")).to_have_count(1)
    shoot(page, f"{slug}-{lang}-desktop")


def test_draw_a_digit_with_the_mouse(page, server):
    page.goto(f"{server}/en/lessons/lenet?draw.sample=")
    widget = page.locator("#w-draw")
    expect(widget.locator(".lenet-empty")).to_be_visible()
    canvas = widget.locator("[data-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()

    def at(x, y):
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    # A seven: the bar, then the long stroke down, with the mouse.
    page.mouse.move(*at(0.25, 0.2))
    page.mouse.down()
    for t in np.linspace(0, 1, 12):
        page.mouse.move(*at(0.25 + 0.5 * t, 0.2))
    for t in np.linspace(0, 1, 16):
        page.mouse.move(*at(0.75 - 0.28 * t, 0.2 + 0.65 * t))
    page.mouse.up()
    prediction = widget.locator("[data-prediction]")
    expect(prediction).to_be_visible(timeout=5000)
    expect(page).to_have_url(re.compile(r"draw\.drawing="))
    # The page shows the backend's numbers for exactly the pixels the canvas sent.
    drawing = widget.locator('input[name="draw.drawing"]').input_value()
    expected = backend_result(drawing)
    expect(prediction).to_have_text(str(expected["prediction"]))
    assert expected["prediction"] == 7
    shown = widget.locator("[data-probability]").all_inner_texts()
    assert shown == [f"{100 * p:.1f}%" for p in expected["probabilities"]]
    expect(widget.locator("[data-announce]")).to_contain_text("7")
    expect(widget.locator(".step-list img")).to_have_count(6)
    shoot(page, "lenet-en-drawn-seven", full_page=False)

    # A copied link reopens the same drawing and answer.
    page.goto(page.url)
    expect(page.locator("#w-draw [data-prediction]")).to_have_text("7")

    # Clear empties the canvas and the answer.
    page.locator("#w-draw [data-clear]").click()
    expect(page.locator("#w-draw .lenet-empty")).to_be_visible()


def test_samples_from_the_keyboard_and_a_clicked_map(page, server):
    page.goto(f"{server}/ru/lessons/lenet")
    widget = page.locator("#w-draw")
    sample = widget.locator('[data-sample="8"]')
    sample.focus()
    page.keyboard.press("Enter")
    expect(widget.locator("[data-prediction]")).to_have_text("8")
    expect(sample).to_have_attribute("aria-pressed", "true")
    # The sample is painted on the canvas, so the student can draw over it.
    ink = widget.locator("[data-canvas]").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n; }")
    assert ink > 500

    # Click map 3 of C3 (the array's map 2; the page counts from 1): its strongest pixel is computed, and the sum
    # line is the backend's.
    widget.locator('[data-pick-layer="c3"][data-pick-channel="3"]').click()
    detail = widget.locator(".lenet-detail")
    expect(detail.locator("h3")).to_contain_text("c3, карта 3")
    result = lenet.predict(lenet.preprocess_digit(digits.sample_digit(8))["padded"])
    maps = result["activations"]["c3"][2]
    i, j = np.unravel_index(maps.argmax(), maps.shape)
    expect(widget.locator('input[name="draw.row"]')).to_have_value(str(i + 1))
    expect(widget.locator('input[name="draw.col"]')).to_have_value(str(j + 1))
    expect(detail.locator("[data-sum-line] strong")).to_have_text(f"{float(maps[i, j]):.4f}".rstrip("0").rstrip("."))
    expect(detail.locator(".channel-cards li")).to_have_count(6)

    # Click a pixel of the enlarged map: the top-left one.
    zoom = detail.locator("[data-pick-pixel]")
    zoom.click(position={"x": 2, "y": 2})
    expect(widget.locator('input[name="draw.row"]')).to_have_value("1")
    expect(widget.locator('input[name="draw.col"]')).to_have_value("1")
    value = lenet.filter_and_pixel("c3", 2, 0, 0, result["activations"])["output"]
    expect(detail.locator("[data-sum-line] strong")).to_have_text(f"{value:.4f}".rstrip("0").rstrip(".") or "0")

    # The keyboard way: choose the output layer in the select; a neuron's computation appears.
    widget.locator('select[name="draw.layer"]').select_option("output")
    expect(detail.locator("h3")).to_contain_text("output")
    expect(detail.locator(".contrib tbody tr")).to_have_count(9)
    expect(page).to_have_url(re.compile(r"draw\.layer=output"))
    shoot(page, "lenet-ru-maps", full_page=False)


def test_alexnet_widgets(page, server):
    page.goto(f"{server}/en/lessons/alexnet")
    conv1 = page.locator("#w-conv1")
    expect(conv1.locator("[data-valid]")).to_have_attribute("data-valid", "no")
    field = conv1.locator('input[name="conv1.width"]')
    field.fill("227")
    field.dispatch_event("change")
    expect(page.locator("#w-conv1 [data-valid]")).to_have_attribute("data-valid", "yes")
    expect(page.locator("#w-conv1 [data-formula]")).to_contain_text(
        alexnet.input_size_puzzle((227,))[0]["formula"])

    relu = page.locator("#w-relu")
    x = relu.locator('input[name="relu.x"]')
    x.fill("-1.5")
    x.dispatch_event("change")
    point = alexnet.activations_at(-1.5)
    expect(page.locator('#w-relu [data-fn="tanh"] [data-slope]')).to_have_text(
        f"{point['tanh_slope']:.4f}".rstrip("0"))
    expect(page.locator("#w-relu .plotly-target")).to_have_count(1)

    dropout = page.locator("#w-dropout")
    dropout.locator("[data-new-mask]").click()
    expect(page.locator('#w-dropout input[name="dropout.seed"]')).to_have_value("2")
    demo = alexnet.dropout_demo(alexnet.dropout_vector(7), 0.5, 2)
    marks = page.locator('#w-dropout [data-row="mask"] td').all_inner_texts()
    assert [m.startswith("✓") for m in marks] == demo["keep"]
    expect(page).to_have_url(re.compile(r"dropout\.seed=2"))

    expect(page.locator("#w-torchvision [data-params-diff]").first).to_have_text("0")
    shoot(page, "alexnet-en-widgets", full_page=False)


@pytest.mark.parametrize("slug, selector", [("lenet", "#w-draw"), ("alexnet", "#w-table")])
def test_slides_at_projector_size(page, server, slug, selector):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/en/lessons/{slug}/present")
    number = slide_number(page, selector)
    page.goto(f"{server}/en/lessons/{slug}/present#{number}")
    expect(page.locator(f".slide.is-current {selector}")).to_be_visible()
    if slug == "lenet":
        # The canvas and the answer share the first screen of the slide.
        canvas = page.locator(".slide.is-current [data-canvas]").bounding_box()
        bars = page.locator(".slide.is-current .prob-bars").bounding_box()
        assert canvas["y"] + canvas["height"] <= 720 and bars["y"] + bars["height"] <= 720
    shoot(page, f"{slug}-en-present-1280x720", full_page=False)
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"#{number + 1}$"))


@pytest.mark.parametrize("lang, slug", [("ru", "lenet"), ("en", "alexnet")])
def test_phone_width(page, server, lang, slug):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/{lang}/lessons/{slug}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    target = page.locator("#w-draw" if slug == "lenet" else "#w-table")
    target.scroll_into_view_if_needed()
    shoot(page, f"{slug}-{lang}-phone", full_page=False)
    if slug == "lenet":
        # A finger on a touch screen draws too (pointer events with touch): clear the sample, draw a 1.
        page.locator("#w-draw [data-clear]").click()
        expect(page.locator("#w-draw .lenet-empty")).to_be_visible()
        canvas = page.locator("#w-draw [data-canvas]")
        box = canvas.bounding_box()
        canvas.dispatch_event("pointerdown", {"pointerType": "touch", "pointerId": 7, "button": 0,
                                              "clientX": box["x"] + box["width"] * 0.5, "clientY": box["y"] + 20,
                                              "isPrimary": True})
        for k in range(1, 12):
            canvas.dispatch_event("pointermove", {"pointerType": "touch", "pointerId": 7, "isPrimary": True,
                                                  "clientX": box["x"] + box["width"] * 0.5,
                                                  "clientY": box["y"] + 20 + k * (box["height"] - 40) / 11})
        canvas.dispatch_event("pointerup", {"pointerType": "touch", "pointerId": 7, "isPrimary": True})
        expect(page).to_have_url(re.compile(r"draw\.drawing="))
        expect(page.locator("#w-draw [data-prediction]")).to_have_text("1")
        shoot(page, f"{slug}-{lang}-phone-drawn", full_page=False)
