"""The localization and detection lessons in a real browser: both languages, every widget once, the
browser's IoU against app.compute.ops.metrics, slides at 1280×720 and a 390-px phone.

No pretrained weights are installed here, so the live widgets must show the missing-weights note;
their live path is tested in tests/web with weights the test writes itself.
"""

import random
import re

import pytest
from playwright.sync_api import expect

from app.compute.lessons import detection_eval, localization
from app.compute.ops import metrics
from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question
from tests.browser.conftest import WIDER_THAN_SCREEN, shoot, slide_number

TITLES = {"localization": ("Classification and localization", "Классификация и локализация"),
          "detection": ("Object detection", "Детекция объектов")}
COUNTS = {"localization": (7, 4), "detection": (5, 5)}  # widgets, exercises


def drag(page, locator, dx, dy, at=(0.5, 0.5)):
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1]
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=6)
    page.mouse.up()


def coords(locator) -> list[float]:
    return [float(v) for v in locator.inner_text().replace(" ", "").split(",")]


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("slug", ["localization", "detection"])
def test_lessons_in_both_languages(page, server, slug, lang):
    page.goto(f"{server}/{lang}/lessons/{slug}")
    expect(page.locator("h1")).to_have_text(TITLES[slug][0 if lang == "en" else 1])
    expect(page.locator("[data-widget]")).to_have_count(COUNTS[slug][0])
    expect(page.locator("[data-exercise]")).to_have_count(COUNTS[slug][1])
    expect(page.locator(".widget-error")).to_have_count(0)
    # No weights on this machine: every live widget says so and names its command.
    missing = page.locator("[data-weights-missing]")
    expect(missing).to_have_count(1)
    expect(missing.locator("code")).to_contain_text("stride weights fetch")
    shoot(page, f"{slug}-{lang}-desktop")


def test_iou_playground_drag_keyboard_and_server_check(page, server):
    page.goto(f"{server}/en/lessons/localization")
    widget = page.locator("#w-iou")
    widget.scroll_into_view_if_needed()
    before = widget.locator("[data-iou]").inner_text()
    drag(page, widget.locator('[data-id="b"] .ld-body'), -40, -30)
    expect(widget.locator("[data-iou]")).not_to_have_text(before)
    check = widget.locator("[data-server-check]")
    expect(check).to_have_attribute("data-agrees", "1")
    a, b = coords(widget.locator('[data-coords="a"]')), coords(widget.locator('[data-coords="b"]'))
    expected = metrics.iou(a, b)["iou"]
    assert float(check.get_attribute("data-server-iou")) == pytest.approx(expected)
    expect(widget.locator("[data-iou]")).to_have_text(f"{expected:.3f}")
    expect(page).to_have_url(re.compile(r"iou\.box_b="))
    # The keyboard: Tab-focus box A, move it right, grow it down; the server agrees again.
    widget.locator('[data-id="a"]').focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    expect(widget.locator('[data-coords="a"]')).not_to_have_text(", ".join(str(int(v)) for v in a))
    moved = coords(widget.locator('[data-coords="a"]'))
    expect(check).to_contain_text(f"{metrics.iou(moved, b)['iou']:.3f}")
    expect(check).to_have_attribute("data-agrees", "1")
    shoot(page, "localization-en-iou-dragged", full_page=False)


def test_browser_iou_formula_matches_metrics(page, server):
    page.goto(f"{server}/en/lessons/localization")
    rng = random.Random(13)
    pairs = []
    for _ in range(300):
        pair = []
        for _ in range(2):
            x1, y1 = rng.uniform(0, 100), rng.uniform(0, 100)
            # Some integer boxes, some touching or empty ones, most with fractions.
            w, h = rng.choice([0, rng.randint(1, 60), rng.uniform(0, 80)]), rng.choice([rng.randint(1, 60), rng.uniform(0, 80)])
            pair.append([x1, y1, x1 + w, y1 + h])
        pairs.append(pair)
    browser = page.evaluate("(pairs) => pairs.map(([a, b]) => Stride.boxes.iou(a, b))", pairs)
    for (a, b), got in zip(pairs, browser):
        want = metrics.iou(a, b)
        for key in ("iou", "intersection", "union"):
            assert got[key] == pytest.approx(want[key], rel=1e-12, abs=1e-12), (a, b, key)


def test_localization_widgets(page, server):
    page.goto(f"{server}/ru/lessons/localization")
    # The L2 loss: compare the corners instead of (x, y, w, h); the loss is the server's.
    page.locator('#w-l2 select[name="l2.notation"]').select_option("xyxy")
    loss = localization.l2_loss([60, 30, 380, 300], [25, 0, 392, 290], "xyxy")["loss"]
    expect(page.locator("#w-l2 [data-l2-loss]")).to_have_text(f"{int(loss):,}".replace(",", "\u202f"))
    # Heads: 20 classes.
    classes = page.locator('#w-heads input[name="heads.classes"]')
    classes.fill("20")
    classes.dispatch_event("change")
    sizes = localization.head_sizes(4096, 20)
    expect(page.locator('#w-heads [data-head="specific"]')).to_have_attribute("data-params", str(sizes["specific"]["params"]))
    # The ImageNet rule: drag guess 5 and the server judges the five guesses again.
    rule = page.locator("#w-rule")
    rule.scroll_into_view_if_needed()
    before = rule.locator('[data-box-input="5"]').input_value()
    drag(page, rule.locator('[data-id="5"] .ld-body'), -25, 20, at=(0.1, 0.5))
    expect(rule.locator('[data-box-input="5"]')).not_to_have_value(before)
    boxes = [[float(v) for v in rule.locator(f'[data-box-input="{n}"]').input_value().split()] for n in range(1, 6)]
    labels = [rule.locator(f'select[name="rule.c{n}"]').input_value() for n in range(1, 6)]
    judged = localization.imagenet_rule(localization.RULE_TRUTH.label, localization.RULE_TRUTH.box,
                                        [{"label": c, "box": b} for c, b in zip(labels, boxes)])
    expect(rule.locator("[data-rule-verdict]")).to_have_attribute("data-rule-verdict", "correct" if judged["correct"] else "error")
    expect(rule.locator('[data-guess="5"] [data-iou]')).to_contain_text(f"{judged['guesses'][4]['iou']:.3f}".replace(".", ","))
    # K objects.
    k = page.locator('#w-kboxes input[name="kboxes.k"]')
    k.fill("2")
    k.dispatch_event("change")
    expect(page.locator("#w-kboxes [data-k-outputs]")).to_have_text("8")
    # An exercise answered with the number the server expects for this seed.
    box = page.locator('[data-block="iou-quiz"]')
    answer = make_question(EXERCISES["loc-iou-boxes"], int(box.get_attribute("data-seed")), "ru", {}).answer
    box.locator('input[name="answer"]').fill(str(answer).replace(".", ","))
    box.locator('button[type="submit"]').click()
    expect(box.locator(".feedback")).to_have_class(re.compile("correct"))
    shoot(page, "localization-ru-widgets", full_page=False)


def test_detection_widgets(page, server):
    page.goto(f"{server}/en/lessons/detection")
    # The timeline: pick SPP-net.
    page.locator("#w-timeline label", has_text="SPP-net").click()
    expect(page.locator("#w-timeline [data-method]")).to_have_attribute("data-method", "spp-net")
    expect(page).to_have_url(re.compile(r"timeline\.step=3"))
    # The AP builder works on synthetic detections here, and says so.
    ap = page.locator("#w-ap")
    expect(ap.locator("[data-source]")).to_have_attribute("data-source", "synthetic")
    ap.scroll_into_view_if_needed()
    ap.locator('[data-k-step="1"]').click()
    expect(page.locator('#w-ap input[name="ap.k"]')).to_have_value("3")
    truth = detection_eval.reference_truth("coffee")
    found = detection_eval.synthetic_detections("coffee", 4)
    result = detection_eval.ap_steps(truth, found, 3)
    expect(page.locator("#w-ap [data-map]")).to_contain_text(f"{result['map']:.3f}")
    expect(page.locator("#w-ap tr[data-tp]")).to_have_count(3)
    # Draw a ground-truth box on an empty spot: the server counts it as one more object.
    drag(page, page.locator("#w-ap [data-stage-svg]"), 60, 50, at=(0.03, 0.04))
    expect(page.locator('#w-ap input[name="ap.truth"]')).to_have_value(re.compile(r"; cup [\d. ]+$"))
    expect(page.locator('#w-ap [data-ap-class="cup"]')).to_contain_text("2 in the ground truth")
    # An exercise.
    box = page.locator('[data-block="ap-quiz"]')
    answer = make_question(EXERCISES["det-average-precision"], int(box.get_attribute("data-seed")), "en", {}).answer
    box.locator('input[name="answer"]').fill(str(answer))
    box.locator('button[type="submit"]').click()
    expect(box.locator(".feedback")).to_have_class(re.compile("correct"))
    shoot(page, "detection-en-widgets", full_page=False)


@pytest.mark.parametrize(("slug", "selector", "lang"), [
    ("localization", "#w-iou", "en"), ("localization", "#w-rule", "ru"), ("localization", "#w-heads", "en"),
    ("detection", "#w-ap", "ru"), ("detection", "#w-timeline", "en"),
])
def test_present_mode_1280x720(page, server, slug, selector, lang):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/{lang}/lessons/{slug}/present")
    number = slide_number(page, selector)
    page.goto(f"{server}/{lang}/lessons/{slug}/present#{number}")
    current = page.locator(f".slide.is-current {selector}")
    expect(current).to_be_visible()
    if selector == "#w-iou":
        before = current.locator("[data-iou]").inner_text()
        drag(page, current.locator('[data-id="a"] .ld-body'), 30, 10)
        expect(current.locator("[data-iou]")).not_to_have_text(before)
        expect(current.locator("[data-server-check]")).to_have_attribute("data-agrees", "1")
    shoot(page, f"{slug}-{lang}-present-{selector[3:]}-1280x720", full_page=False)


@pytest.mark.parametrize(("slug", "lang"), [("localization", "en"), ("detection", "ru")])
def test_phone_width(page, server, slug, lang):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/{lang}/lessons/{slug}")
    expect(page.locator(".widget-error")).to_have_count(0)
    shoot(page, f"{slug}-{lang}-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, (overflow, page.evaluate(WIDER_THAN_SCREEN))
