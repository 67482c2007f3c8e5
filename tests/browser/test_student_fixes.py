"""What a new student meets (issue 14), in a real browser, in both languages: handles of both IoU boxes can be
grabbed, bad typed input keeps the widget and the text, the kernel caption follows the kernel, exercise feedback."""

import re

import pytest
from playwright.sync_api import expect

from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question
from tests.browser.conftest import shoot

LANGS = ["en", "ru"]


def _drag(page, x, y, dx, dy):
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=6)
    page.mouse.up()


def _coords(locator) -> list[int]:
    return [int(v) for v in re.findall(r"-?\d+", locator.inner_text().replace("\u00a0", ""))]


@pytest.mark.parametrize("lang", LANGS)
def test_iou_handle_inside_the_other_box_resizes_its_own_box(page, server, lang):
    page.goto(f"{server}/{lang}/lessons/localization")
    widget = page.locator("#w-iou")
    widget.scroll_into_view_if_needed()
    a, b = _coords(widget.locator('[data-coords="a"]')), _coords(widget.locator('[data-coords="b"]'))
    assert b[0] < a[2] < b[2] and b[1] < a[3] < b[3], "the default layout puts A's bottom-right handle inside B"
    handle = widget.locator('[data-id="a"] .ld-handle[data-corner="se"]').bounding_box()
    _drag(page, handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2, 30, 20)
    a_after, b_after = _coords(widget.locator('[data-coords="a"]')), _coords(widget.locator('[data-coords="b"]'))
    assert b_after == b, "B must not move"
    assert a_after[:2] == a[:2] and a_after[2] > a[2] and a_after[3] > a[3], (a, a_after)
    # The grabbed box comes to the front: drawn last.
    assert widget.locator("[data-editable] > .ld-box").last.get_attribute("data-id") == "a"
    # B's top-left handle lies inside A now: it still resizes B.
    handle = widget.locator('[data-id="b"] .ld-handle[data-corner="nw"]').bounding_box()
    _drag(page, handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2, -15, -10)
    b_moved = _coords(widget.locator('[data-coords="b"]'))
    assert b_moved[2:] == b[2:] and b_moved[0] < b[0] and b_moved[1] < b[1]
    assert _coords(widget.locator('[data-coords="a"]')) == a_after
    expect(widget.locator("[data-server-check]")).not_to_contain_text("/api/")
    shoot(page, f"issue14-iou-{lang}", full_page=False)


@pytest.mark.parametrize("lang, message", [("en", "Row 2 has 2 numbers, row 1 has 3"),
                                           ("ru", "В строке 2 — 2 числа, а в строке 1 — 3")])
def test_ragged_input_keeps_the_typed_text(page, server, watch, lang, message):
    watch.allowed_statuses.add(422)  # a refused value: the fragment is 422 and still the whole widget
    page.goto(f"{server}/{lang}/lessons/convolution")
    widget = page.locator("#w-numbers")
    field = widget.locator('input[name="numbers.input"]')
    field.fill("1 2 3; 4 5; 6 7 8")
    field.press("Enter")
    widget = page.locator("#w-numbers")
    expect(widget.locator(".field-error")).to_contain_text(message)
    field = widget.locator('input[name="numbers.input"]')
    expect(field).to_have_value("1 2 3; 4 5; 6 7 8")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(widget.locator('[data-grid="output"]')).to_be_visible()
    expect(page.locator(".widget-error")).to_have_count(0)
    widget.scroll_into_view_if_needed()
    shoot(page, f"issue14-ragged-{lang}", full_page=False)
    # The pooling steps widget keeps it too (it used to turn into one generic message with a reset button).
    page.goto(f"{server}/{lang}/lessons/pooling")
    pool = page.locator("#w-max")
    pool.locator('input[name="max.input"]').fill("1 2 3; 4 5; 6 7 8")
    pool.locator('input[name="max.input"]').press("Enter")
    pool = page.locator("#w-max")
    expect(pool.locator(".field-error")).to_contain_text(message)
    expect(pool.locator('input[name="max.input"]')).to_have_value("1 2 3; 4 5; 6 7 8")
    expect(pool.locator('input[name="max.input"]')).to_have_attribute("aria-invalid", "true")
    expect(pool.locator('[data-grid="output"]')).to_be_visible()
    expect(page.locator(".widget-error")).to_have_count(0)
    pool.scroll_into_view_if_needed()
    shoot(page, f"issue14-ragged-pool-{lang}", full_page=False)


@pytest.mark.parametrize("lang, text", [("en", "multiplied by 9"), ("ru", "умножается на 9")])
def test_custom_kernel_caption_says_the_sum_multiplies(page, server, lang, text):
    page.goto(f"{server}/{lang}/lessons/convolution?photo.preset=custom&photo.kernel=1+1+1%3B1+1+1%3B1+1+1")
    caption = page.locator("#w-photo [data-kernel-effect]")
    expect(caption).to_contain_text(text)
    expect(caption).to_contain_text("9")
    page.locator("#w-photo").scroll_into_view_if_needed()
    shoot(page, f"issue14-kernel-caption-{lang}", full_page=False)


@pytest.mark.parametrize("lang, empty, solved", [("en", "The answer is empty", "solved with the worked solution"),
                                                 ("ru", "Ответ пустой", "решено с открытым разбором")])
def test_exercise_feedback(page, server, watch, lang, empty, solved):
    watch.allowed_statuses.add(422)
    page.goto(f"{server}/{lang}/lessons/convolution?cell.seed=3")
    exercise = page.locator("#x-cell")
    field = exercise.locator('input[name="answer"]')
    field.fill("abc")
    exercise.locator('button[type="submit"]').click()
    expect(exercise.locator(".feedback")).to_contain_text("abc")
    field.fill("")
    exercise.locator('button[type="submit"]').click()
    expect(exercise.locator(".feedback")).to_contain_text(empty)
    expect(exercise.locator(".feedback")).not_to_contain_text("abc")
    exercise.locator(".exercise-tools button").nth(1).click()  # the worked solution
    expect(exercise.locator(".solution")).to_be_visible()
    answer = make_question(EXERCISES["conv-cell"], 3, lang, {}).answer
    field.fill(f"{answer:g}")
    exercise.locator('button[type="submit"]').click()
    expect(exercise.locator(".feedback")).to_contain_text(solved)
    page.wait_for_function("(localStorage.getItem('stride.progress.v1') || '').includes('convolution/cell')")
    stored = page.evaluate("JSON.parse(localStorage.getItem('stride.progress.v1')).solved")
    assert stored == {"convolution/cell": "solution"}


@pytest.mark.parametrize("lang, title, lesson", [
    ("en", "Don't trust this answer.", "the network's confidence, not correctness"),
    ("ru", "Этому ответу не стоит доверять.", "уверенность сети, а не правильность"),
])
def test_one_dot_gets_a_warning(page, server, lang, title, lesson):
    page.goto(f"{server}/{lang}/lessons/lenet?draw.sample=")
    widget = page.locator("#w-draw")
    expect(widget.locator(".lenet-empty")).to_be_visible()
    canvas = widget.locator("[data-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 1, y)
    page.mouse.up()
    expect(widget.locator("[data-prediction]")).to_be_visible(timeout=10_000)
    warning = widget.locator("[data-untrusted]")
    expect(warning).to_contain_text(title)
    expect(warning).to_contain_text(lesson.split(",")[0])
    assert "too_small" in warning.get_attribute("data-untrusted")
    warning.scroll_into_view_if_needed()
    shoot(page, f"issue14-lenet-dot-{lang}", full_page=False)


@pytest.mark.parametrize("lang", LANGS)
def test_cv_tasks_photo_upload_and_camera(browser, server, lang, tmp_path):
    """Five tasks, one photo: the shared photo input (file and phone camera) runs whatever model is installed."""
    import io

    import numpy as np
    from PIL import Image

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server}/{lang}/lessons/cv-tasks")
        widget = page.locator("#w-photo")
        widget.scroll_into_view_if_needed()
        expect(widget.locator("[data-photo-input]")).to_have_count(1)
        camera = widget.locator('input[type="file"][capture]')
        expect(camera).to_have_attribute("accept", "image/*")
        panel = widget.locator('[data-panel] [data-stage]').first
        rng = np.random.default_rng(0)
        path = tmp_path / "photo.png"
        Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(path)
        widget.locator("input[type=file][data-file]").first.set_input_files(str(path))
        expect(panel.locator("img")).to_have_count(1, timeout=60_000)
        expect(widget.locator("[data-error]")).to_be_hidden()
        shoot(page, f"issue14-cv-tasks-upload-{lang}-390", full_page=False)
    finally:
        context.close()


@pytest.mark.parametrize("lang, label, one_d", [("en", "Output (1, 1) (PyTorch y[0, 0, 0, 0])", "Output 3, y[2] ="),
                                                ("ru", "Выход (1, 1) (PyTorch y[0, 0, 0, 0])", "Выход 3, y[2] =")])
def test_output_cells_count_from_one(page, server, lang, label, one_d):
    page.goto(f"{server}/{lang}/lessons/convolution")
    widget = page.locator("#w-numbers")
    widget.locator('[data-grid="output"] button').first.click()
    expect(widget.locator("[data-detail]")).to_contain_text(label)
    # The 1-D widget: positions from 1 under the numbers, the formula's index beside the output's number.
    slide = page.locator("#w-slide1d")
    expect(slide.locator('[data-row="x"] .index-row td').nth(1)).to_have_text("1")
    slide.locator('[data-row="y"] button').nth(2).click()
    expect(slide.locator("[data-detail]")).to_contain_text(one_d)
    # Pooling: the window's output and the winning input cell from 1, PyTorch's index beside.
    page.goto(f"{server}/{lang}/lessons/pooling")
    pool = page.locator("#w-max")
    pool.locator('[data-grid="output"] button').first.click()
    expect(pool.locator("[data-detail]")).to_contain_text(label)
    expect(pool.locator("[data-detail]")).to_contain_text("(2, 2)")  # 6 wins the top-left window: row 2, column 2


@pytest.mark.parametrize("lang, top5", [("en", "top 5 classes"), ("ru", "пять самых вероятных классов")])
def test_detection_takes_a_photo_without_detector_weights(browser, server, lang, top5, tmp_path):
    """'A detector at work' promises your own photo: without the detector's weights the photo input (file and phone
    camera) still takes it, the photo shows, and the installed classifier names what is in it."""
    import numpy as np
    from PIL import Image

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server}/{lang}/lessons/detection")
        widget = page.locator("#w-live")
        widget.scroll_into_view_if_needed()
        expect(widget.locator("[data-weights-missing]")).to_contain_text("stride weights fetch")
        expect(widget.locator("[data-photo-input]")).to_have_attribute("data-model", "efficientnet_lite0")
        expect(widget.locator('input[type="file"][capture]')).to_have_attribute("accept", "image/*")
        photo = widget.locator("[data-stage-photo]")
        expect(photo).to_be_visible()  # the sample shows before any answer
        expect(widget.locator("[data-list] tbody tr")).to_have_count(5, timeout=60_000)  # the sample, classified
        path = tmp_path / "photo.png"
        Image.fromarray(np.random.default_rng(1).integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(path)
        widget.locator("input[type=file][data-file]").first.set_input_files(str(path))
        expect(photo).to_have_attribute("src", re.compile(r"^blob:"), timeout=60_000)
        expect(widget.locator("[data-list] tbody tr")).to_have_count(5)
        expect(widget.locator("[data-count]")).to_contain_text(top5)
        expect(widget.locator("[data-error]")).to_be_hidden()
        shoot(page, f"issue14-detection-upload-{lang}-390", full_page=False)
    finally:
        context.close()
