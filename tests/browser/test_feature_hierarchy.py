"""The feature-hierarchy lesson in a real browser: both languages, every widget once, slides, a phone, and an
upload to a server that has (seeded, test-only) ResNet-18 weights."""

import base64
import re
import shutil

import pytest
import torch
import torchvision
from playwright.sync_api import expect

from app.compute.nets import feature_maps, registry
from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question
from tests.browser.conftest import ROOT, WIDER_THAN_SCREEN, Watch, reveal_deferred, shoot, slide_number, start_server, stop_server

SLUG = "feature-hierarchy"
TITLES = {"en": "Feature hierarchy", "ru": "Иерархия признаков"}


def channels(page, scope):
    return [int(c) for c in page.locator(f"{scope} .fh-map").evaluate_all("(bs) => bs.map((b) => b.dataset.channel)")]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lesson_in_both_languages(page, server, lang):
    page.goto(f"{server}/{lang}/lessons/{SLUG}")
    reveal_deferred(page)  # the hierarchy runs a network: it arrives once scrolled to
    expect(page.locator("h1")).to_have_text(TITLES[lang])
    expect(page.locator("[data-widget]")).to_have_count(3)
    expect(page.locator("[data-exercise]")).to_have_count(4)
    expect(page.locator(".widget-error")).to_have_count(0)
    shoot(page, f"{SLUG}-{lang}-desktop")


def test_widgets(page, server):
    page.goto(f"{server}/en/lessons/{SLUG}")
    reveal_deferred(page)  # the hierarchy runs a network: it arrives once scrolled to
    widget = page.locator("#w-hierarchy")
    if widget.locator("[data-weights-missing]").count():
        # This server has no ImageNet weights: the note names the command, and LeNet-5 shows the hierarchy.
        expect(widget.locator("[data-weights-missing] [data-code]")).to_have_text("stride weights fetch resnet18")
        result = feature_maps.digit_hierarchy(3)
    else:
        # ResNet-18 when its weights were fetched here, else EfficientNet-Lite0 (installed with the course).
        model = widget.locator('select[name="hierarchy.model"]').input_value()
        result = feature_maps.sample_hierarchy(model, "chelsea", ROOT / "weights")
    # Pick the second stage of the strip: htmx re-renders the widget with that layer's ranked channels.
    stage = result["layers"][feature_maps.stages(result["layers"])[1]]
    widget.locator(f'.fh-stage[data-pick="{stage["name"]}"]').click()
    expect(page.locator(f'#w-hierarchy .fh-layer-button[data-pick="{stage["name"]}"]')).to_have_attribute("aria-pressed", "true")
    assert channels(page, "#w-hierarchy") == [m["channel"] for m in stage["maps"]]
    expect(page).to_have_url(re.compile(rf"hierarchy\.layer={re.escape(stage['name'])}"))
    # Enlarge the third channel: the caption gives its channel and mean as the server computed them.
    page.locator('#w-hierarchy .fh-map[data-rank="3"]').click()
    third = stage["maps"][2]
    expect(page.locator("#w-hierarchy [data-zoom-caption]")).to_contain_text(
        f"{stage['name']}, channel {third['channel'] + 1} (index {third['channel']} in PyTorch): #3 by mean activation")
    expect(page.locator("#w-hierarchy [data-zoom-caption]")).to_contain_text(f"mean {third['mean']:.2f}")
    expect(page).to_have_url(re.compile(r"hierarchy\.rank=3"))
    # The depth table for another network.
    page.locator('#w-depth select[name="depth.model"]').select_option("vgg16")
    expect(page.locator("#w-depth tr[data-row]")).to_have_count(len(feature_maps.feature_layers("vgg16")))
    expect(page.locator("#w-depth [data-field]").last).to_have_text(
        f"{feature_maps.feature_layers('vgg16')[-1]['receptive_field']}×{feature_maps.feature_layers('vgg16')[-1]['receptive_field']}")
    # An exercise answered with the number the server expects for this seed.
    box = page.locator('[data-block="field"]')
    answer = make_question(EXERCISES["fh-receptive-field"], int(box.get_attribute("data-seed")), "en", {}).answer
    box.locator('input[name="answer"]').fill(str(answer))
    box.locator('button[type="submit"]').click()
    expect(box.locator(".feedback")).to_have_class(re.compile("correct"))
    shoot(page, f"{SLUG}-en-widgets", full_page=False)


@pytest.mark.parametrize(("selector", "lang"), [("#w-hierarchy", "en"), ("#w-depth", "ru"), ("#w-deep", "ru")])
def test_present_mode_1280x720(page, server, selector, lang):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/{lang}/lessons/{SLUG}/present")
    number = slide_number(page, selector)
    page.goto(f"{server}/{lang}/lessons/{SLUG}/present#{number}")
    expect(page.locator(f".slide.is-current {selector}")).to_be_visible()
    shoot(page, f"{SLUG}-{lang}-present-{selector[3:]}-1280x720", full_page=False)


def test_phone_width(page, server):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/ru/lessons/{SLUG}")
    reveal_deferred(page)  # the hierarchy runs a network: it arrives once scrolled to
    expect(page.locator(".widget-error")).to_have_count(0)
    page.locator('#w-hierarchy .fh-map[data-rank="2"]').click()
    shoot(page, f"{SLUG}-ru-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.evaluate(WIDER_THAN_SCREEN)


# A server with weights: the upload path

@pytest.fixture(scope="module")
def stocked_server(tmp_path_factory):
    """This lesson alone, served with seeded random ResNet-18 weights under the real file name (test only)."""
    weights = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(),
               registry.weights_path(registry.MODELS["resnet18"], weights))
    lessons = tmp_path_factory.mktemp("lessons")
    for lang in ("en", "ru"):
        (lessons / lang).mkdir()
        shutil.copy(ROOT / "lessons" / lang / "07-feature-hierarchy.md", lessons / lang)
    process, base = start_server(STRIDE_WEIGHTS_DIR=weights, STRIDE_LESSONS_DIR=lessons)
    yield base
    stop_server(process)


def test_upload_shows_the_maps_of_your_photo(context, stocked_server, tmp_path):
    from PIL import Image

    photo = tmp_path / "mine.png"
    image = Image.new("RGB", (320, 240), (30, 120, 200))
    image.paste((250, 200, 20), (100, 60, 220, 180))
    image.save(photo)
    watch = Watch(stocked_server)
    watch.allowed_statuses.update({413, 415})  # the file over the body limit and the one that is not a picture
    page = context.new_page()
    watch.attach(page)
    page.goto(f"{stocked_server}/ru/lessons/{SLUG}?hierarchy.layer=layer2.1")
    reveal_deferred(page)  # the hierarchy runs a network: it arrives once scrolled to
    widget = page.locator("#w-hierarchy")
    expect(widget.locator("[data-weights-missing]")).to_have_count(0)
    before = widget.locator("[data-input]").get_attribute("src")
    # What the features API computes for this photo, layer by layer: the page must show the same maps.
    reply = page.request.post(f"{stocked_server}/api/features/resnet18", multipart={
        "image": {"name": "mine.png", "mimeType": "image/png", "buffer": photo.read_bytes()}})
    answer = {layer["name"]: layer for layer in reply.json()["layers"]}
    assert list(answer) == [layer["name"] for layer in feature_maps.feature_layers("resnet18")]
    # The photo goes to the widget's fragment as a multipart form; the server renders the widget on it.
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/widgets/hierarchy")):
        page.locator("#w-hierarchy input[data-file]").first.set_input_files(str(photo))
    expect(page.locator("#w-hierarchy [data-status]")).to_contain_text("ваша фотография", ignore_case=True)
    assert page.locator("#w-hierarchy [data-input]").get_attribute("src") != before
    assert channels(page, "#w-hierarchy") == [m["channel"] for m in answer["layer2.1"]["maps"]]
    # Switching layers sends the same photo again: the maps are still those of your photo.
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/widgets/hierarchy")):
        page.locator('#w-hierarchy .fh-stage[data-pick="layer4.1"]').click()
    expect(page.locator('#w-hierarchy .fh-layer-button[data-pick="layer4.1"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#w-hierarchy [data-status]")).to_contain_text("ваша фотография", ignore_case=True)
    assert channels(page, "#w-hierarchy") == [m["channel"] for m in answer["layer4.1"]["maps"]]
    expect(page).to_have_url(re.compile(r"hierarchy\.layer=layer4\.1"))
    page.locator('#w-hierarchy .fh-map[data-rank="2"]').click()
    second = answer["layer4.1"]["maps"][1]
    mean = f"{second['mean']:.2f}".replace(".", ",")
    expect(page.locator("#w-hierarchy [data-zoom-caption]")).to_contain_text(f"layer4.1, канал {second['channel'] + 1} (индекс {second['channel']} в PyTorch): №2")
    expect(page.locator("#w-hierarchy [data-zoom-caption]")).to_contain_text(f"среднее {mean}")
    expect(page).to_have_url(re.compile(r"hierarchy\.rank=2"))
    shoot(page, f"{SLUG}-ru-upload", full_page=False)
    # A file that is not a picture: the widget stays, on its sample photo, and the box says why.
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a picture")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/widgets/hierarchy")) as bad:
        page.locator("#w-hierarchy input[data-file]").first.set_input_files(str(text_file))
    assert bad.value.status == 415
    expect(page.locator("#w-hierarchy [data-error]")).to_be_visible()
    expect(page.locator("#w-hierarchy [data-error]")).to_contain_text("PNG")
    expect(page.locator("#w-hierarchy .fh-map")).to_have_count(feature_maps.CHANNELS_SHOWN)
    shoot(page, f"{SLUG}-ru-upload-refused", full_page=False)
    # A file over the body limit is refused before any route reads it (JSON 413): the box says so, the widget stays.
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + bytes(11 * 2**20))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/widgets/hierarchy")) as huge:
        page.locator("#w-hierarchy input[data-file]").first.set_input_files(str(big))
    assert huge.value.status == 413
    expect(page.locator("#w-hierarchy [data-error]")).to_contain_text("больше 10 МБ")
    expect(page.locator("#w-hierarchy .fh-map")).to_have_count(feature_maps.CHANNELS_SHOWN)
    # A photo dropped on the box goes the same way as a chosen one.
    drop = """(b64) => {
      const file = new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "drop.png", { type: "image/png" });
      const files = new DataTransfer();
      files.items.add(file);
      document.querySelector("#w-hierarchy [data-drop]").dispatchEvent(
        new DragEvent("drop", { dataTransfer: files, bubbles: true, cancelable: true }));
    }"""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/widgets/hierarchy")) as dropped:
        page.evaluate(drop, base64.b64encode(photo.read_bytes()).decode())
    assert dropped.value.status == 200
    expect(page.locator("#w-hierarchy [data-status]")).to_contain_text("ваша фотография", ignore_case=True)
    assert channels(page, "#w-hierarchy") == [m["channel"] for m in answer["layer4.1"]["maps"]]
    page.close()
    assert watch.problems == [], "\n".join(watch.problems)
