"""The convolution lesson in a real browser: both languages, the animation, a clicked cell, kernel presets."""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.references import conv2d_loops


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lesson_page_both_languages(page, server, lang):
    page.goto(f"{server}/{lang}/lessons/convolution")
    expect(page.locator("h1")).to_have_text("Convolution" if lang == "en" else "Свёртка")
    expect(page.locator("[data-widget]")).to_have_count(5)
    expect(page.locator("[data-exercise]")).to_have_count(4)
    shoot(page, f"convolution-{lang}-desktop")


def test_animation_steps_and_clicked_cell_shows_backend_sum(page, server):
    page.goto(f"{server}/en/lessons/convolution")
    widget = page.locator("#w-numbers")
    widget.scroll_into_view_if_needed()
    # The trace the page animates is the backend's: compare with an independent compute call.
    inputs = widget.locator('input[name="numbers.input"]').input_value()
    kernel = widget.locator('input[name="numbers.kernel"]').input_value()
    grid = [[float(v) for v in row.split()] for row in inputs.split(";")]
    k = [[float(v) for v in row.split()] for row in kernel.split(";")]
    expected = conv2d_loops(np.array([grid]), np.array([[k]]))[0]
    # Step: the second output cell becomes current and its value appears.
    widget.locator('[data-step="1"]').click()
    current = widget.locator('[data-grid="output"] td.is-current')
    expect(current).to_have_attribute("data-j", "1")
    expect(widget.locator("[data-position]")).to_have_text(re.compile(r"^2 / \d+$"))
    # Scrub to the end: every value is shown.
    scrub = widget.locator("[data-scrub]")
    scrub.fill(scrub.get_attribute("max"))
    expect(widget.locator('[data-grid="output"] [data-value]:visible')).to_have_count(expected.size)
    # Click the last-row, first-column cell: the products and their sum are the backend's.
    rows, cols = expected.shape
    widget.locator(f'[data-grid="output"] td[data-i="{rows - 1}"][data-j="0"] button').click()
    detail = widget.locator("[data-detail]").inner_text()
    assert detail.endswith(f"= {expected[rows - 1, 0]:g}"), detail
    assert detail.count("·") == len(k) * len(k[0])
    # Hover lights up the receptive field: kh·kw input cells.
    widget.locator('[data-grid="output"] td[data-i="0"][data-j="0"]').hover()
    expect(widget.locator('[data-grid="input"] td.is-hover')).to_have_count(len(k) * len(k[0]))
    # Play runs the animation forward.
    widget.locator("[data-play]").click()
    expect(widget.locator("[data-play]")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(1200)
    widget.locator("[data-play]").click()
    shoot(page, "convolution-en-conv2d", full_page=False)


def test_changing_stride_rerenders_and_keeps_state_in_url(page, server):
    page.goto(f"{server}/en/lessons/convolution")
    widget = page.locator("#w-numbers")
    widget.locator('input[name="numbers.stride"]').fill("2")
    widget.locator('input[name="numbers.stride"]').dispatch_event("change")
    expect(page).to_have_url(re.compile(r"numbers\.stride=2"))
    widget = page.locator("#w-numbers")
    rows = widget.locator('[data-grid="output"] tr')
    expect(rows).to_have_count(2)  # 5×5 input, 3×3 kernel, stride 2 → 2×2
    # A copied link reopens the widget as it was.
    page.goto(page.url)
    expect(page.locator('#w-numbers input[name="numbers.stride"]')).to_have_value("2")


def test_bad_widget_state_gets_a_translated_message(page, server, watch):
    watch.allowed_statuses.add(422)
    # The conv2d widget is forgiving (issue 14): a stride it can't use keeps the widget and says why, in the
    # page's language, while the animation runs with the default stride.
    for lang, words in (("ru", "от 1 до 4"), ("en", "between 1 and 4")):
        page.goto(f"{server}/{lang}/lessons/convolution?numbers.stride=0")
        widget = page.locator("#w-numbers")
        expect(widget.locator("[role=alert]")).to_contain_text(words)
        expect(widget.locator("[data-grid=output]")).to_be_visible()
        expect(widget.locator("[data-reset-widget]")).to_have_count(0)
        stride = widget.locator('input[name="numbers.stride"]')  # keeps what was typed, marked invalid
        expect(stride).to_have_value("0")
        expect(stride).to_have_attribute("aria-invalid", "true")
    # A kernel it can't read keeps the student's text in the field, marked invalid and linked to the reason.
    page.goto(f"{server}/ru/lessons/convolution?numbers.kernel=1%202%3B%203")
    kernel = page.locator('#w-numbers input[name="numbers.kernel"]')
    expect(kernel).to_have_value("1 2; 3")
    expect(kernel).to_have_attribute("aria-invalid", "true")
    message = page.locator("#" + kernel.get_attribute("aria-describedby").split()[-1])
    expect(message).to_have_attribute("role", "alert")
    assert re.search("[а-яё]", message.inner_text(), re.I), message.inner_text()
    expect(page.locator("#w-numbers [data-grid=output]")).to_be_visible()


def test_kernel_preset_changes_the_activation_map(page, server):
    page.goto(f"{server}/en/lessons/convolution")
    widget = page.locator("#w-photo")
    widget.scroll_into_view_if_needed()
    before = widget.locator('img[data-photo="output"]').get_attribute("src")
    widget.locator('select[name="photo.preset"]').select_option("box_blur")
    expect(page.locator('#w-photo img[data-photo="output"]')).to_have_attribute("data-preset", "box_blur")
    after = page.locator('#w-photo img[data-photo="output"]').get_attribute("src")
    assert after != before and after.startswith("data:image/png;base64,")
    expect(page).to_have_url(re.compile(r"photo\.preset=box_blur"))
    shoot(page, "convolution-en-photo", full_page=False)


def test_one_d_widget_steps(page, server):
    page.goto(f"{server}/en/lessons/convolution")
    widget = page.locator("#w-slide1d")
    widget.locator('[data-step="1"]').click()
    widget.locator('[data-step="1"]').click()
    # y[2] of the true convolution of the lesson's signal: compare with numpy-free compute.
    x = [float(v) for v in widget.locator('input[name="slide1d.x"]').input_value().split()]
    h = [float(v) for v in widget.locator('input[name="slide1d.h"]').input_value().split()]
    y2 = sum(x[k] * h[2 - k] for k in range(len(x)) if 0 <= 2 - k < len(h))
    expect(widget.locator("[data-detail]")).to_contain_text(f"= {y2:g}")


def test_exercise_check_hint_solution_and_progress(page, server):
    page.goto(f"{server}/en/lessons/convolution")
    exercise = page.locator("#x-shape")
    seed = exercise.get_attribute("data-seed")
    expect(page).to_have_url(re.compile(rf"shape\.seed={seed}"))
    exercise.locator('input[name="answer"]').fill("1x1")
    exercise.locator("button[type=submit]").click()
    expect(exercise.locator(".feedback")).to_be_visible()
    exercise.get_by_role("button", name="Worked solution").click()
    solution = exercise.locator(".solution").inner_text()
    answer = solution.rsplit("→", 1)[1].strip()
    exercise.locator('input[name="answer"]').fill(answer)
    exercise.locator("button[type=submit]").click()
    expect(exercise.locator(".feedback.correct")).to_be_visible()
    page.goto(f"{server}/en/")
    item = page.locator('[data-lesson="convolution"]')
    expect(item.locator("[data-visited]")).to_be_visible()
    expect(item.locator("[data-solved]")).to_contain_text("1 of 4")
    shoot(page, "outline-en-progress")


def test_new_numbers_changes_seed(page, server):
    page.goto(f"{server}/en/lessons/convolution?cell.seed=5")
    exercise = page.locator("#x-cell")
    expect(exercise).to_have_attribute("data-seed", "5")
    exercise.locator("[data-new-variant]").click()
    expect(page.locator("#x-cell")).not_to_have_attribute("data-seed", "5")
    new_seed = page.locator("#x-cell").get_attribute("data-seed")
    expect(page).to_have_url(re.compile(rf"cell\.seed={new_seed}"))


def test_language_switch_keeps_place(page, server):
    page.goto(f"{server}/en/lessons/convolution?numbers.stride=2#s7")
    page.locator('.lang-switch a[hreflang="ru"]').click()
    expect(page).to_have_url(re.compile(r"/ru/lessons/convolution\?.*numbers\.stride=2.*#s7$"))
    expect(page.locator("h1")).to_have_text("Свёртка")
