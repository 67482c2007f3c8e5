"""Lessons 12 (cv-tasks), 15 (segmentation) and 16 (datasets) in a real browser: both languages, every widget
once, the missing-weights notes (no weights on the test server), slides at 1280×720 and a 390-px phone."""

import re

import pytest
from playwright.sync_api import expect

from app.compute import samples
from app.compute.lessons import cv_tasks, datasets
from app.compute.nets import inference
from app.compute.ops import segmentation_metrics as sm
from app.web.api.uploads import SAMPLE_SIDE
from app.web.i18n import translate
from tests.references import fcn_score_map_side
from tests.browser.conftest import WIDER_THAN_SCREEN, change, shoot, slide_number

TITLES = {"cv-tasks": ("Computer vision tasks", "Задачи компьютерного зрения"),
          "segmentation": ("Segmentation", "Сегментация"), "datasets": ("Datasets", "Наборы данных")}
COUNTS = {"cv-tasks": (3, 4), "segmentation": (4, 4), "datasets": (2, 4)}  # deferred widgets not yet loaded


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("slug", list(TITLES))
def test_lessons_in_both_languages(page, server, lang, slug):
    page.goto(f"{server}/{lang}/lessons/{slug}")
    expect(page.locator("h1")).to_have_text(TITLES[slug][lang == "ru"])
    widgets, exercises = COUNTS[slug]
    expect(page.locator("[data-widget]")).to_have_count(widgets)
    expect(page.locator("[data-exercise]")).to_have_count(exercises)
    shoot(page, f"{slug}-{lang}-desktop")


def test_cv_tasks_table_and_missing_weights(page, server, tmp_path):
    page.goto(f"{server}/en/lessons/cv-tasks")
    table = page.locator("#w-table")
    change(table.locator('input[name="table.height"]'), 100)
    semantic = page.locator('#w-table tr[data-task="semantic-segmentation"] [data-numbers]')
    expected = cv_tasks.answer_size("semantic-segmentation", 100, 640, 3)["numbers"]
    expect(semantic).to_have_text(f"{expected:,}")
    expect(page).to_have_url(re.compile(r"table\.height=100"))
    expect(page.locator('#w-table tr[data-task="instance-segmentation"] [data-blank]')).to_be_visible()
    # No torchvision weights on this server: the four torchvision panels say so and name their command;
    # EfficientNet-Lite0, installed with the course, answers the classification row (issue 9).
    photo = page.locator("#w-photo")
    expect(photo.locator("[data-panel-missing]")).to_have_count(4)
    expect(photo.locator("[data-missing-all] code")).to_contain_text("stride weights fetch ")
    expect(photo.locator('[data-panel="keypointrcnn_resnet50_fpn"] code')).to_have_text(
        "stride weights fetch keypointrcnn_resnet50_fpn")
    classify = photo.locator('[data-panel="efficientnet_lite0"][data-task="classification"]')
    expect(classify.locator("[data-panel-missing]")).to_have_count(0)
    expect(photo.locator("[data-photo-input]")).to_have_count(1)
    photo.scroll_into_view_if_needed()
    photo.locator("[data-run]").click()
    top5 = classify.locator("ol.ts-top5 li")
    expect(top5).to_have_count(5, timeout=60_000)
    # The same photo through the model in this process: the page shows its top class and probability.
    sample = re.search(r"/api/samples/([a-z0-9_-]+)\.jpg", classify.locator("[data-stage] img").get_attribute("src"))[1]
    result = inference.predict("efficientnet_lite0", samples.load_sample(sample, SAMPLE_SIDE), tmp_path)
    best = result["top5"][0]
    expect(top5.first.locator(".ts-top5-label")).to_have_text(best["label"])
    expect(top5.first.locator(".num")).to_have_text(f"{100 * best['probability']:.1f}\u00a0%")
    expect(classify.locator("[data-panel-error]")).to_be_hidden()
    shoot(page, "cv-tasks-en-photo-missing", full_page=False)


def test_segmentation_paint_a_pixel_and_recompute(page, server):
    page.goto(f"{server}/en/lessons/segmentation")
    widget = page.locator("#w-iou")
    widget.scroll_into_view_if_needed()
    widget.locator('select[name="iou.brush"]').select_option("3")
    truth = sm.toy_scene(3, 10)
    painted = sm.shift(truth, 1, 1)  # the lesson's prediction: shifted by one pixel
    painted[1, 4] = 3
    page.locator('#w-iou button.cell[data-i="1"][data-j="4"]').click()
    expect(page).to_have_url(re.compile(r"iou\.pred=.*iou\.brush=3|iou\.brush=3.*iou\.pred="))
    scores = sm.segmentation_scores(truth, painted, 4)
    person = next(c for c in scores["classes"] if c["index"] == 3)
    assert person["intersection"] == 1
    expect(page.locator('#w-iou tr[data-class="3"] [data-iou-value]')).to_have_text(f"{person['iou']:.3f}")
    expect(page.locator("#w-iou [data-mean] strong")).to_have_text(f"{scores['mean_iou']:.3f}")
    # Keyboard: focus is back on the painted pixel; move right and paint with Enter.
    expect(page.locator('#w-iou button.cell[data-i="1"][data-j="4"]')).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    painted[2, 4] = 3
    scores = sm.segmentation_scores(truth, painted, 4)
    expect(page.locator("#w-iou [data-mean] strong")).to_have_text(f"{scores['mean_iou']:.3f}")
    shoot(page, "segmentation-en-iou", full_page=False)
    # The FCN: another input size, torch's shapes.
    change(page.locator('#w-fcn input[name="fcn.height"]'), 100)
    side = fcn_score_map_side(100)
    expect(page.locator('#w-fcn tr[data-layer="fc2"] td').nth(3)).to_have_text(f"5×{side}×{fcn_score_map_side(48)}")
    expect(page.locator("#w-fcn [data-torch-error]")).to_contain_text("mat1 and mat2")
    # Live masks need weights this server does not have.
    # Live masks need weights this server does not have: the panels name the command, and the picker
    # disables each model that needs a fetch, saying why (issue 9).
    expect(page.locator("#w-live [data-panel-missing]")).to_have_count(2)
    expect(page.locator('#w-live [data-panel="lraspp_mobilenet_v3_large"] code')).to_have_text(
        "stride weights fetch lraspp_mobilenet_v3_large")
    fcn_option = page.locator('#w-live select[name="live.semantic"] option[value="fcn_resnet50"]')
    expect(fcn_option).to_be_disabled()
    expect(fcn_option).to_contain_text("stride weights fetch fcn_resnet50")
    expect(fcn_option).to_have_attribute("title", re.compile(r"stride weights fetch fcn_resnet50"))


def test_datasets_table_and_chart_in_russian(page, server):
    page.goto(f"{server}/ru/lessons/datasets")
    change(page.locator('#w-table input[name="table.detections"]'), 10)
    expected = datasets.derived("coco2014", 10)["detections"]
    cell = page.locator('#w-table tr[data-quantity="detections"] td').nth(2)
    expect(cell).to_have_text("≈\u202f" + f"{expected:,}".replace(",", "\u00a0"))
    compare = page.locator("#w-compare")
    compare.scroll_into_view_if_needed()
    expect(compare.locator(".plotly-target .main-svg").first).to_be_visible()
    compare.locator('select[name="compare.second"]').select_option("ilsvrc2014")
    ratio = datasets.compare("voc2010", "ilsvrc2014", 100)["ratios"]["images"]
    expect(page.locator('#w-compare tr[data-quantity="images"] [data-ratio]')).to_contain_text(f"{ratio:.2f}".replace(".", ","))
    expect(page.locator("#w-compare .plotly-target .main-svg").first).to_be_visible()
    shoot(page, "datasets-ru-compare", full_page=False)


@pytest.mark.parametrize("slug, selector", [("cv-tasks", "#w-photo"), ("segmentation", "#w-iou"),
                                            ("datasets", "#w-compare")])
def test_present_mode_1280x720(page, server, slug, selector):
    page.set_viewport_size({"width": 1280, "height": 720})
    number = None
    page.goto(f"{server}/en/lessons/{slug}/present")
    number = slide_number(page, selector)
    page.goto(f"{server}/en/lessons/{slug}/present#{number}")
    slide = page.locator(f".slide:has({selector})")
    expect(slide).to_have_class(re.compile("is-current"))
    if slug == "segmentation":
        # Arrow keys on a focused pixel move between pixels, not slides.
        page.locator('#w-iou button.cell[data-i="0"][data-j="0"]').focus()
        page.keyboard.press("ArrowDown")
        expect(page.locator('#w-iou button.cell[data-i="1"][data-j="0"]')).to_be_focused()
        expect(page).to_have_url(re.compile(rf"#{number}$"))
    if slug == "cv-tasks":
        # On a slide the five panels come in two parts: label, boxes and pixels, then instances and poses.
        pager = page.locator("#w-photo > .deck-pager button")
        expect(pager).to_have_text([translate("en", "ts_deck_page_whole"), translate("en", "ts_deck_page_objects")])
        shown = page.locator("#w-photo .ts-panel:not(.deck-page-hidden)")
        expect(shown).to_have_count(3)
        pager.nth(1).click()
        expect(shown).to_have_count(2)
        expect(shown.first).to_have_attribute("data-task", "instance-segmentation")
        expect(shown.last).to_have_attribute("data-task", "keypoints")
    shoot(page, f"{slug}-en-present-1280x720", full_page=False)


@pytest.mark.parametrize("slug", list(TITLES))
def test_phone_390(page, server, slug):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/ru/lessons/{slug}")
    assert page.evaluate(WIDER_THAN_SCREEN) == []
    shoot(page, f"{slug}-ru-phone-390")
