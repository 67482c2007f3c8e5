"""The widgets issue 10 added, in a real browser: NMS's slider, MABO's boxes drawn and moved from the keyboard,
the transposed convolution stepping stamp by stamp, and the deferred upsampling and augmentation widgets."""

import re

import pytest
from playwright.sync_api import expect

from app.compute.ops import mabo, nms
from app.web.widgets.detection_steps import NMS_OBJECTS
from tests.browser.conftest import change, reveal_deferred, shoot


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_nms_slider_recomputes_on_the_server(page, server, lang):
    page.goto(f"{server}/{lang}/lessons/detection#w-nms")
    widget = page.locator("#w-nms")
    change(widget.locator('input[name="nms.threshold"]'), "0.95")
    found = nms.candidates(list(NMS_OBJECTS), (512, 512), 1)
    kept = len(nms.nms(found["boxes"], found["scores"], 0.95)["keep"])
    expect(page.locator("#w-nms tr.is-kept")).to_have_count(kept)
    expect(page.locator("#w-nms [data-nms-summary]")).to_contain_text(str(kept))
    shoot(page, f"nms-{lang}", full_page=False)


def test_mabo_boxes_move_from_the_keyboard(page, server):
    page.goto(f"{server}/en/lessons/cv-tasks#w-mabo")
    box = page.locator("#w-mabo [data-editable] .ld-box").first
    box.focus()
    expect(box).to_have_attribute("aria-label", re.compile(r"T1"))
    page.keyboard.press("ArrowRight")
    field = page.locator('#w-mabo input[name="mabo.truth"]')
    expect(field).not_to_have_value(re.compile(r"^20 15 365 512;"))  # the server got the moved box back
    truth = [[float(v) for v in part.split()] for part in field.input_value().split(";")]
    expected = mabo.mabo(truth, mabo.sliding_windows(512, 512, [64, 128, 256], 0.5))["mabo"]
    expect(page.locator("#w-mabo [data-mabo]")).to_contain_text(f"{expected:.3f}")


def test_transposed_convolution_steps(page, server):
    page.goto(f"{server}/en/lessons/segmentation#w-transposed")
    widget = page.locator("#w-transposed")
    detail = widget.locator("[data-detail]")
    expect(detail).to_contain_text("Input cell (0, 0) = 1 stamps 1 × the kernel")
    widget.locator('[data-step="1"]').click()
    expect(detail).to_contain_text("Input cell (0, 1) = 2 stamps 2")
    expect(widget.locator('[data-grid="output"] td.in-window')).to_have_count(9)
    # After two stamps (1 then 2, kernel of ones, stride 2) the shared column holds 1 + 2.
    expect(widget.locator('[data-grid="output"] td[data-r="0"][data-c="2"]')).to_have_text("3")
    reveal_deferred(page)
    expect(page.locator("#w-upsample [data-up-errors] tr")).to_have_count(4)
    shoot(page, "segmentation-transposed", full_page=False)


def test_alexnet_augmentation_arrives_deferred(page, server):
    page.goto(f"{server}/ru/lessons/alexnet")
    reveal_deferred(page)
    expect(page.locator("#w-augment .aug-copies img")).to_have_count(6)
    expect(page.locator("#w-depth [data-db-table] tbody tr")).to_have_count(7)
