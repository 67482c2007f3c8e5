"""The vgg and resnet lessons in a real browser: both languages, every widget used once with the
backend's numbers checked, presentation mode at projector size and the pages at phone width."""

import re

import pytest
from playwright.sync_api import expect

from app.compute.nets import activations
from app.compute.nets.architectures import architecture_table, vgg_configurations
from app.compute.nets import separable
from app.lessons import load_catalog
from app.settings import ROOT
from app.web.widgets import EXERCISES, WIDGETS
from tests.browser.conftest import WIDER_THAN_SCREEN, change, reveal_deferred, shoot, slide_number

CATALOG = load_catalog(ROOT / "lessons", WIDGETS, EXERCISES)


def _select(page, widget_id, name, value):
    page.locator(f'#{widget_id} select[name="{name}"]').select_option(value)


def _set_number(page, widget_id, name, value):
    change(page.locator(f'#{widget_id} input[name="{name}"]'), value)


def test_vgg_lesson_in_english_every_widget_once(page, server):
    table = architecture_table("vgg16")
    rows, totals = table["layers"], table["totals"]
    page.goto(f"{server}/en/lessons/vgg")
    reveal_deferred(page)  # the widgets that run a network arrive once scrolled to
    expect(page.locator("h1")).to_have_text("VGG")
    # Every widget block of the lesson, as the catalog lists them, is on the page once, started.
    widgets = [b for b in CATALOG.get("en", "vgg").blocks.values() if b.kind == "widget"]
    expect(page.locator("[data-widget]")).to_have_count(len(widgets))
    for block in widgets:
        expect(page.locator(f'#w-{block.id}[data-widget="{block.name}"]')).to_have_count(1)
    expect(page.locator("[data-exercise]")).to_have_count(3)
    expect(page.locator(".widget-error")).to_have_count(0)
    # Without pretrained weights the table says so and names the one command that fetches them.
    expect(page.locator("#w-table .weights-missing")).to_contain_text("stride weights fetch vgg16")
    shoot(page, "vgg-en-desktop")

    # The layer-by-layer table: the whole table first, then step, jump and play through it.
    widget = page.locator("#w-table")
    widget.scroll_into_view_if_needed()
    expect(widget.locator("[data-position]")).to_have_text(f"{len(rows)} / {len(rows)}")
    widget.locator("[data-restart]").click()
    widget.locator('[data-step="1"]').click()
    expect(widget.locator("tr.is-current")).to_have_attribute("data-row", "1")
    expect(widget.locator("tr.is-pending")).to_have_count(len(rows) - 2)
    values = rows[0]["activations"] + rows[1]["activations"]
    expect(widget.locator('[data-total="values"]')).to_have_text(f"{values:,}")
    expect(widget.locator('[data-total="params"]')).to_have_text(f"{rows[1]['params']:,}")
    expect(widget.locator('[data-panel="1"]')).to_be_visible()
    fc1 = next(i for i, r in enumerate(rows) if r["name"] == "fc1")
    widget.locator(f'[data-goto="{fc1}"]').click()  # jump by the row's name: the parameter share leaps
    share = 100 * sum(r["params"] for r in rows[:fc1 + 1]) / totals["params"]
    expect(widget.locator('[data-total="params_share_text"]')).to_have_text(f"{share:.2f}%")
    expect(widget.locator(f'[data-panel="{fc1}"]')).to_contain_text("vector")
    widget.locator("[data-play]").click()
    expect(widget.locator("[data-play]")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(1100)
    widget.locator("[data-play]").click()
    expect(widget.locator("[data-play]")).to_have_attribute("aria-pressed", "false")
    current = int(widget.locator("tr.is-current").get_attribute("data-row"))
    assert current > fc1
    shoot(page, "vgg-en-table", full_page=False)
    # Another photo re-renders the widget through htmx, and the link keeps the photo and the position.
    _select(page, "w-table", "table.sample", "coffee")
    expect(page).to_have_url(re.compile(r"table\.sample=coffee"))
    expect(page).to_have_url(re.compile(rf"table\.step={current}"))
    expect(page.locator("#w-table tr.is-current")).to_have_attribute("data-row", str(current))

    _set_number(page, "w-stack", "stack.layers", 2)
    comparison = activations.stack_comparison(2, 256)
    expect(page.locator("#w-stack")).to_contain_text(f"{comparison['stack_weights']:,}")
    expect(page.locator("#w-stack .rf-grid td")).to_have_count(comparison["receptive_field"] ** 2)

    _select(page, "w-configs", "configs.columns", "all")
    configs = vgg_configurations(("A", "B", "C", "D", "E"))
    expect(page.locator("#w-configs thead tr").first.locator("th")).to_have_count(5)
    expect(page.locator("#w-configs")).to_contain_text(f"{configs['E']['weight_layers']} weight layers")

    _select(page, "w-chart", "chart.scale", "log")
    expect(page).to_have_url(re.compile(r"chart\.scale=log"))
    expect(page.locator("#w-chart .main-svg").first).to_be_visible()

    _set_number(page, "w-lecture", "lecture.batch", 8)
    forward = totals["activation_bytes"] * 8 / 2**20
    expect(page.locator("#w-lecture [data-batch-result]")).to_contain_text(f"{forward:.1f} MiB")

    exercise = page.locator("#x-params")
    exercise.get_by_role("button", name="Worked solution").click()
    answer = exercise.locator(".solution").inner_text().rsplit("=", 1)[1].strip().replace(",", "")
    exercise.locator('input[name="answer"]').fill(answer)
    exercise.locator("button[type=submit]").click()
    expect(exercise.locator(".feedback.correct")).to_be_visible()


def test_vgg_lesson_in_russian_with_a_bad_state(page, server, watch):
    watch.allowed_statuses.add(422)
    page.goto(f"{server}/ru/lessons/vgg?table.step=99")
    reveal_deferred(page)  # the widgets that run a network arrive once scrolled to
    expect(page.locator("h1")).to_have_text("VGG")
    expect(page.locator("#w-table [role=alert]")).to_contain_text("от 0 до 21")
    # The table stays (issue 14), with the default step; the step field keeps what was asked for.
    expect(page.locator("#w-table tr[data-row]")).to_have_count(22)
    expect(page.locator("#w-table .weights-missing")).to_contain_text("не установлены")
    shoot(page, "vgg-ru-desktop")


def _resnet_page(page, server, lang):
    page.goto(f"{server}/{lang}/lessons/resnet")
    reveal_deferred(page)  # the widgets that run a network arrive once scrolled to
    expect(page.locator("h1")).to_have_text("ResNet")
    expect(page.locator("[data-widget]")).to_have_count(6)
    expect(page.locator("[data-exercise]")).to_have_count(3)
    expect(page.locator(".widget-error")).to_have_count(0)
    # No ResNet-18 weights on this server: EfficientNet-Lite0, installed with the course, classifies the photo.
    expect(page.locator("#w-classify .weights-missing")).to_have_count(0)
    expect(page.locator("#w-classify [data-top5] li")).to_have_count(5)
    shoot(page, f"resnet-{lang}-desktop")


def test_resnet_lesson_in_russian(page, server):
    _resnet_page(page, server, "ru")
    expect(page.locator("#w-block")).to_contain_text("не обученный")


def test_resnet_lesson_in_english_every_widget_once(page, server):
    _resnet_page(page, server, "en")
    _select(page, "w-depth", "depth.scale", "linear")
    expect(page).to_have_url(re.compile(r"depth\.scale=linear"))
    expect(page.locator("#w-depth .main-svg").first).to_be_visible()

    block = page.locator("#w-block")
    before = block.locator("img").nth(1).get_attribute("src")
    _set_number(page, "w-block", "block.channel", 1)  # channels count from 1: the array's channel 0
    expect(page).to_have_url(re.compile(r"block\.channel=1"))
    expect(page.locator("#w-block")).to_contain_text("[6×112×112]")
    assert page.locator("#w-block img").nth(1).get_attribute("src") != before
    demo = activations.residual_demo("chelsea", "/nonexistent")  # the server has no weights either
    expect(page.locator("#w-block")).to_contain_text(f"{demo['fx'][0].max():.3f}")
    shoot(page, "resnet-en-block", full_page=False)

    _select(page, "w-table", "table.compare", "none")
    expect(page.locator("#w-table")).not_to_contain_text("VGG-16’s")
    params = architecture_table("resnet18")["totals"]["params"]
    expect(page.locator("#w-table tfoot")).to_contain_text(f"{params:,}")

    # Live classification: ResNet-18 needs a fetch, so the picker disables it with the command and
    # EfficientNet-Lite0 answers; the lesson's sample is Chelsea, a cat among the first three classes.
    resnet = page.locator('#w-classify select[name="classify.model"] option[value="resnet18"]')
    expect(resnet).to_be_disabled()
    expect(resnet).to_contain_text("stride weights fetch resnet18")
    expect(page.locator('#w-classify [data-photo-input]')).to_have_attribute("data-model", "efficientnet_lite0")
    expect(page.locator("#w-classify [data-top5] li")).to_have_count(5)
    top3 = page.locator("#w-classify [data-top5] .top5-label").all_text_contents()[:3]
    assert {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat"} & set(top3), top3
    shoot(page, "resnet-en-classify-efficientnet", full_page=False)

    # Depthwise separable against standard: a 5×5 kernel, counted again by the server.
    _select(page, "w-separable", "separable.kernel", "5")
    expect(page).to_have_url(re.compile(r"separable\.kernel=5"))
    cost = separable.separable_cost(128, 128, 5, 56)
    expect(page.locator("#w-separable [data-standard-params]")).to_have_attribute(
        "data-standard-params", str(cost["standard"]["params"]))
    expect(page.locator("#w-separable [data-ratio]")).to_contain_text(f"{cost['ratio']['macs']:.2f}× cheaper")
    shoot(page, "resnet-en-separable", full_page=False)


@pytest.mark.parametrize(("slug", "widget"), [("vgg", "#w-table"), ("resnet", "#w-block")])
def test_presentation_and_phone(page, server, slug, widget):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/en/lessons/{slug}/present")
    slide = slide_number(page, widget)
    for lang in ("en", "ru"):
        page.goto(f"{server}/{lang}/lessons/{slug}/present#{slide}")
        expect(page.locator(f".slide.is-current {widget}")).to_be_visible()
        shoot(page, f"{slug}-{lang}-present", full_page=False)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/en/lessons/{slug}")
    reveal_deferred(page)  # the widgets that run a network arrive once scrolled to
    assert page.evaluate(WIDER_THAN_SCREEN) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    shoot(page, f"{slug}-en-phone")
