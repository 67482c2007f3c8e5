"""The padding-stride and pooling lessons in a real browser: both languages, every widget once, slides, a phone."""

import re

import pytest
from playwright.sync_api import expect

from app.compute.ops import arithmetic, conv_trace, layer_shapes, pool
from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question
from tests.browser.conftest import WIDER_THAN_SCREEN, change, shoot, slide_number

PADDING = "/{lang}/lessons/padding-stride"
POOLING = "/{lang}/lessons/pooling"
TITLES = {"padding-stride": ("Padding and stride", "Дополнение нулями и шаг"), "pooling": ("Pooling", "Пулинг")}


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize(("slug", "widgets", "exercises"), [("padding-stride", 9, 4), ("pooling", 6, 4)])
def test_lessons_in_both_languages(page, server, lang, slug, widgets, exercises):
    page.goto(f"{server}/{lang}/lessons/{slug}")
    expect(page.locator("h1")).to_have_text(TITLES[slug][0 if lang == "en" else 1])
    expect(page.locator("[data-widget]")).to_have_count(widgets)
    expect(page.locator("[data-exercise]")).to_have_count(exercises)
    expect(page.locator(".widget-error")).to_have_count(0)
    shoot(page, f"{slug}-{lang}-desktop")


def test_padding_stride_widgets(page, server):
    page.goto(server + PADDING.format(lang="en"))
    # Shrinking: a 5×5 filter, the sizes the backend computes.
    change(page.locator('#w-shrink input[name="shrink.kernel"]'), 5)
    rows = layer_shapes.shrink_table(32, 5, 8)
    expected = [f"{r['unpadded']}×{r['unpadded']}" for r in rows if r["unpadded"]]
    expect(page.locator("#w-shrink [data-unpadded]")).to_have_text(expected)
    expect(page).to_have_url(re.compile(r"shrink\.kernel=5"))
    # Zero padding, reused conv2d: click the corner output, its sum counts the 4 real pixels under the window.
    trace = conv_trace.conv2d_trace([[1] * 7] * 7, [[1] * 3] * 3, 1, 1)
    page.locator('#w-seven [data-grid="output"] button[data-cell="0"]').click()
    expect(page.locator("#w-seven [data-detail]")).to_contain_text(f"= {trace['steps'][0]['sum']}")
    # The explorer: stride 3 does not fit; the formula, the verdict and the unseen cells are the backend's.
    change(page.locator('#w-formula input[name="formula.stride"]'), 3)
    result = arithmetic.conv_arithmetic(7, 3, 3, 0)
    expect(page.locator("#w-formula [data-formula]")).to_have_text(f"W2 = {result['formula']}")
    expect(page.locator("#w-formula [data-verdict]")).to_have_attribute("data-verdict", "fraction")
    expect(page.locator('#w-formula [data-status="unseen"]')).to_have_count(result["unseen"])
    expect(page.locator("#w-formula [data-window]")).to_have_count(result["floor_output"])
    # Common settings: an odd width makes every padding fit the F = 5, S = 2 row.
    change(page.locator('#w-common input[name="common.width"]'), 31)
    fits = arithmetic.paddings_that_fit(31, 5, 2, 4)
    expect(page.locator("#w-common [data-fit]")).to_have_attribute("data-fit", ",".join(map(str, fits)))
    # An exercise answered with the number the server expects for this seed.
    box = page.locator('[data-block="out-size"]')
    seed = int(box.get_attribute("data-seed"))
    answer = make_question(EXERCISES["ps-output-size"], seed, "en", {}).answer
    box.locator('input[name="answer"]').fill(str(answer))
    box.locator('button[type="submit"]').click()
    expect(box.locator(".feedback")).to_have_class(re.compile("correct"))
    shoot(page, "padding-stride-en-widgets", full_page=False)


def test_pooling_widgets(page, server):
    page.goto(server + POOLING.format(lang="ru"))
    grid = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    trace = pool.pool2d_trace(grid, "max", 2, 2)
    widget = page.locator("#w-max")
    widget.locator('[data-step="1"]').click()
    winner = trace["steps"][1]["argmax"]
    expect(widget.locator('[data-grid="input"] td.is-max')).to_have_count(1)
    expect(widget.locator('[data-grid="input"] td.is-max')).to_have_attribute("data-r", str(winner[0]))
    expect(widget.locator('[data-grid="input"] td.is-max')).to_have_attribute("data-c", str(winner[1]))
    expect(widget.locator('[data-grid="input"] td.pp-was-max')).to_have_count(1)
    expect(widget.locator("[data-detail]")).to_contain_text(f"= {trace['steps'][1]['result']:g} ▲")
    # Switch to average: the widget re-renders with the backend's means.
    widget.locator('select[name="max.mode"]').select_option("avg")
    averaged = pool.pool2d_trace(grid, "avg", 2, 2)
    expect(page.locator("#w-max [data-detail]")).to_contain_text(f"/ 4 = {averaged['steps'][0]['result']:g}")
    page.locator('#w-max [data-grid="output"] button[data-cell="3"]').click()
    expect(page.locator("#w-max [data-detail]")).to_contain_text(f"/ 4 = {averaged['steps'][3]['result']:g}")
    expect(page.locator('#w-max [data-grid="input"] td.is-max')).to_have_count(0)
    # The photo: pooling twice, the shapes along the way.
    change(page.locator('#w-photo input[name="photo.times"]'), 2)
    expect(page.locator("#w-photo .pp-shape")).to_have_text(["256×170", "128×85", "64×42"])
    # The network: overlapping 3×3 pooling at stride 2 changes the shapes.
    page.locator('#w-stack select[name="stack.pool"]').select_option("3")
    table = layer_shapes.stack_shapes((1, 32, 32), layer_shapes.small_stack(5, False, 6, 16, 3, 2))  # LeNet's own
    shapes = [f"{r['output'][2]}x{r['output'][1]}x{r['output'][0]}" for r in table["rows"]]
    cells = page.locator("#w-stack td[data-shape]")
    for i, shape in enumerate(shapes):
        expect(cells.nth(i)).to_have_attribute("data-shape", shape)
    expect(page.locator("#w-stack [data-total]")).to_have_attribute("data-total", str(table["total_params"]))
    shoot(page, "pooling-ru-widgets", full_page=False)


@pytest.mark.parametrize(("slug", "selector", "lang"), [
    ("padding-stride", "#w-uneven", "en"), ("padding-stride", "#w-seven", "ru"),
    ("pooling", "#w-overlap", "en"), ("pooling", "#w-photo", "ru"), ("pooling", "#w-alexnet", "en"),
])
def test_present_mode_1280x720(page, server, slug, selector, lang):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/{lang}/lessons/{slug}/present")
    number = slide_number(page, selector)
    page.goto(f"{server}/{lang}/lessons/{slug}/present#{number}")
    expect(page.locator(f".slide.is-current {selector}")).to_be_visible()
    if selector == "#w-overlap":
        page.locator('.slide.is-current [data-step="1"]').click()
        expect(page.locator(".slide.is-current td.is-max")).to_have_count(1)
    shoot(page, f"{slug}-{lang}-present-{selector[3:]}-1280x720", full_page=False)


@pytest.mark.parametrize(("slug", "lang"), [("padding-stride", "ru"), ("pooling", "en")])
def test_phone_width(page, server, slug, lang):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/{lang}/lessons/{slug}")
    expect(page.locator(".widget-error")).to_have_count(0)
    shoot(page, f"{slug}-{lang}-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDER_THAN_SCREEN)
    assert overflow <= 390, (overflow, wide)
