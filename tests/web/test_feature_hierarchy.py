"""The feature-hierarchy lesson: its widgets with and without pretrained weights, the features API, bad state,
and its exercises checked against independent arithmetic."""

import dataclasses
import html
import io
import re
import shutil

import numpy as np
import pytest
import torch
import torchvision
from fastapi.testclient import TestClient
from PIL import Image

from app.compute.nets import feature_maps, registry
from app.main import create_app
from app.settings import ROOT, Settings
from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question
from tests.web.refusals import kept_refusal

SLUG = "feature-hierarchy"
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def make_client(weights_dir, lessons_dir):
    return TestClient(create_app(Settings(device="cpu", weights_dir=weights_dir, lessons_dir=lessons_dir)))


@pytest.fixture(scope="module")
def lessons_dir(tmp_path_factory):
    """This lesson alone, so that these tests do not depend on the state of other lessons."""
    folder = tmp_path_factory.mktemp("lessons")
    for lang in ("en", "ru"):
        (folder / lang).mkdir()
        shutil.copy(ROOT / "lessons" / lang / "07-feature-hierarchy.md", folder / lang)
    return folder


@pytest.fixture(scope="module")
def bare(tmp_path_factory, lessons_dir):
    """A server without any pretrained weights, like a classroom machine with no internet."""
    with make_client(tmp_path_factory.mktemp("no-weights"), lessons_dir) as client:
        yield client


@pytest.fixture
def no_package(monkeypatch):
    """Not even EfficientNet-Lite0's package (a broken install): no ImageNet network at all, LeNet-5 stands in."""
    spec = dataclasses.replace(registry.MODELS["efficientnet_lite0"], installed_file=lambda: None)
    monkeypatch.setitem(registry.MODELS, "efficientnet_lite0", spec)


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    """ResNet-18 with seeded random weights saved under its real file name: checks the schema, never shown."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(),
               registry.weights_path(registry.MODELS["resnet18"], folder))
    return folder


@pytest.fixture(scope="module")
def stocked(weights_dir, lessons_dir):
    with make_client(weights_dir, lessons_dir) as client:
        yield client
    registry.clear_loaded()


def fragment(client, block, lang="en", **state):
    query = "&".join(f"{block}.{key}={value}" for key, value in state.items())
    return client.get(f"/{lang}/lessons/{SLUG}/widgets/{block}" + (f"?{query}" if query else ""))


def text(response) -> str:
    return html.unescape(response.text)


def has_upload(response) -> bool:
    return re.search(r"\bdata-photo-upload\s", response.text) is not None


def pressed(response, selector_class: str) -> list[str]:
    return re.findall(rf'class="[^"]*{selector_class}[^"]*" data-pick="([^"]+)"[^>]*aria-pressed="true"', response.text)


# Without weights: a plain note, the command, and the trained LeNet-5 instead

@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lesson_renders_without_weights(bare, lang):
    response = bare.get(f"/{lang}/lessons/{SLUG}")
    assert response.status_code == 200
    # The hierarchy runs a network: the page defers it, and htmx fetches it once it is revealed.
    deferred = re.findall(r'data-deferred hx-get="([^"]+)" hx-trigger="revealed[^"]*"', response.text)
    assert len(deferred) == 2
    page = response.text + "".join(bare.get(html.unescape(url)).text for url in deferred)
    assert "widget-error" not in page
    # EfficientNet-Lite0 comes with the installation: both hierarchies show it, with no fetch to ask for
    assert "data-weights-missing" not in page and page.count('<option value="efficientnet_lite0" selected>') == 2


@pytest.mark.parametrize(("lang", "phrase"), [("en", "are not installed"), ("ru", "не установлены")])
def test_missing_weights_name_the_command_and_show_lenet(bare, no_package, lang, phrase):
    response = fragment(bare, "hierarchy", lang)
    assert response.status_code == 200
    page = text(response)
    assert phrase in page and "stride weights fetch resnet18" in page
    assert not has_upload(response)  # no upload without a trained network
    assert pressed(response, "fh-layer-button") == ["c1"]
    assert re.findall(r'fh-layer-button" data-pick="([^"]+)"', response.text) == ["c1", "c3", "c5"]
    digit = feature_maps.digit_hierarchy(3)
    assert len(re.findall(r'class="fh-map"', response.text)) == len(digit["layers"][0]["maps"]) == 6
    reads = {"en": f"reads this digit as {digit['prediction']}", "ru": f"как {digit['prediction']}"}[lang]
    assert reads in page


def test_missing_weights_follow_the_chosen_model(bare, no_package):
    page = text(fragment(bare, "hierarchy", model="vgg16"))
    assert "stride weights fetch vgg16" in page and "VGG-16" in page


def test_an_imagenet_layer_maps_to_lenet_at_the_same_depth(bare, no_package):
    assert pressed(fragment(bare, "deep"), "fh-layer-button") == ["c5"]  # the lesson asks for layer4.1
    assert pressed(fragment(bare, "hierarchy", layer="layer2.1"), "fh-layer-button") == ["c3"]


def test_lenet_maps_are_the_computed_ones(bare, no_package):
    response = fragment(bare, "hierarchy", digit=7, layer="c3", rank=2)
    digit = feature_maps.digit_hierarchy(7)
    c3 = digit["layers"][1]
    channels = [int(c) for c in re.findall(r'class="fh-map"[^>]*data-channel="(\d+)"', response.text)]
    assert channels == [m["channel"] for m in c3["maps"]]
    second = c3['maps'][1]['channel']
    assert f"c3, channel {second + 1} (index {second} in PyTorch): #2" in text(response)


def test_rank_beyond_a_small_layer_is_its_last(bare, no_package):
    response = fragment(bare, "hierarchy", layer="c1", rank=8)
    assert re.search(r'name="hierarchy.rank" value="6"', response.text)


def test_the_api_says_what_is_missing(bare):
    response = bare.post("/api/features/resnet18", json={"sample": "chelsea"}, headers={"accept-language": "ru"})
    assert response.status_code == 503
    assert response.json()["command"] == "stride weights fetch resnet18"


def test_without_any_imagenet_weights_both_hierarchies_fall_back_to_lenet(bare, no_package):
    for block in ("hierarchy", "deep"):
        response = fragment(bare, block)
        assert "data-weights-missing" in response.text and "stride weights fetch resnet18" in text(response)


# A plain install: EfficientNet-Lite0's real maps, the networks that need a fetch disabled in the picker

@pytest.mark.parametrize("lang", ["en", "ru"])
def test_plain_install_shows_efficientnet_and_disables_the_others(bare, lang):
    response = fragment(bare, "hierarchy", lang)
    assert response.status_code == 200 and "data-weights-missing" not in response.text and has_upload(response)
    page = text(response)
    assert '<option value="efficientnet_lite0" selected>EfficientNet-Lite0</option>' in page
    for name in ("resnet18", "vgg16", "alexnet"):
        option = re.search(rf'<option value="{name}"[^>]*>([^<]*)</option>', page)
        assert " disabled " in option.group(0) and f"stride weights fetch {name}" in option.group(1)
    result = feature_maps.sample_hierarchy("efficientnet_lite0", "chelsea", "/nonexistent")
    names = [layer["name"] for layer in result["layers"]]
    assert re.findall(r'fh-layer-button" data-pick="([^"]+)"', response.text) == names
    assert pressed(response, "fh-layer-button") == ["_conv_stem"]  # the lesson asks for conv1: the first layer
    channels = [int(c) for c in re.findall(r'class="fh-map"[^>]*data-channel="(\d+)"', response.text)]
    assert channels == [m["channel"] for m in result["layers"][0]["maps"]]
    block = fragment(bare, "hierarchy", lang, layer="_blocks.3")
    says = {"en": "inverted residual block: a 1×1 conv widens to 144 channels, a 5×5 depthwise conv with stride 2, "
                  "a 1×1 conv narrows to 40 channels",
            "ru": "инвертированный остаточный блок: свёртка 1×1 расширяет до 144 каналов, поканальная свёртка 5×5 "
                  "с шагом 2, свёртка 1×1 сужает до 40 каналов"}[lang]
    assert says in text(block)
    assert pressed(fragment(bare, "deep"), "fh-layer-button") == ["_conv_head"]  # layer4.1: the deepest


def test_api_gives_efficientnet_maps_for_every_stage(bare):
    response = bare.post("/api/features/efficientnet_lite0", json={"sample": "chelsea"})
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    names = [layer["name"] for layer in body["layers"]]
    assert names == ["_conv_stem", *[f"_blocks.{i}" for i in range(16)], "_conv_head"]
    assert [names[i] for i in body["stages"]] == ["_blocks.0", "_blocks.2", "_blocks.4", "_blocks.10", "_conv_head"]
    for layer in body["layers"]:
        assert len(layer["maps"]) == feature_maps.CHANNELS_SHOWN and layer["scale"] > 0
        assert all(m["url"].startswith("data:image/png;base64,") for m in layer["maps"])
    upload = bare.post("/api/features/efficientnet_lite0", files={"image": ("mine.png", png(), "image/png")})
    assert upload.status_code == 200 and len(upload.json()["layers"]) == 18


# With weights: the ImageNet hierarchy, layer by layer

def test_present_weights_show_the_imagenet_hierarchy(stocked, weights_dir):
    response = fragment(stocked, "hierarchy", layer="layer3.1", rank=4)
    assert response.status_code == 200, response.text[:500]
    assert "data-weights-missing" not in response.text and has_upload(response)
    result = feature_maps.sample_hierarchy("resnet18", "chelsea", weights_dir)
    names = [layer["name"] for layer in result["layers"]]
    assert re.findall(r'fh-layer-button" data-pick="([^"]+)"', response.text) == names
    assert re.findall(r'class="fh-stage" data-pick="([^"]+)"', response.text) == [
        names[i] for i in feature_maps.stages(result["layers"])]
    layer = result["layers"][names.index("layer3.1")]
    channels = [int(c) for c in re.findall(r'class="fh-map"[^>]*data-channel="(\d+)"', response.text)]
    assert channels == [m["channel"] for m in layer["maps"]]
    fourth = layer["maps"][3]
    assert f"layer3.1, channel {fourth['channel'] + 1} (index {fourth['channel']} in PyTorch): #4 by mean activation. Map 14×14, mean {fourth['mean']:.2f}" in text(response)
    assert "each of its values sees 211×211 pixels" in text(response)


def test_hide_upload(stocked):
    response = stocked.get(f"/en/lessons/{SLUG}/widgets/hierarchy?hide=upload")
    assert response.status_code == 200 and not has_upload(response)


def test_a_model_without_weights_beside_one_with(stocked):
    page = text(fragment(stocked, "hierarchy", model="alexnet", layer="layer4.1"))
    assert "stride weights fetch alexnet" in page


def png(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((np.indices(size[::-1]).sum(0) % 255).astype(np.uint8)).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def check_schema(body: dict):
    assert body["model"] == "resnet18" and body["input"]["size"] == [224, 224]
    assert body["input"]["url"].startswith("data:image/jpeg;base64,")
    assert [layer["name"] for layer in body["layers"]] == [l["name"] for l in feature_maps.feature_layers("resnet18")]
    assert body["stages"] == [0, 2, 4, 6, 8]
    for layer in body["layers"]:
        assert set(layer) >= {"name", "kind", "shape", "receptive_field", "mean", "zero_fraction", "scale", "maps"}
        assert len(layer["maps"]) == feature_maps.CHANNELS_SHOWN
        means = [m["mean"] for m in layer["maps"]]
        assert means == sorted(means, reverse=True)
        assert [m["rank"] for m in layer["maps"]] == list(range(1, 9))
        assert all(m["url"].startswith("data:image/png;base64,") and m["size"] == layer["shape"][1:] for m in layer["maps"])


def test_api_on_a_sample_and_an_upload(stocked):
    response = stocked.post("/api/features/resnet18", json={"sample": "coffee"})
    assert response.status_code == 200, response.text[:300]
    check_schema(response.json())
    again = stocked.post("/api/features/resnet18", json={"sample": "coffee"})
    assert again.json() == response.json()
    upload = stocked.post("/api/features/resnet18", files={"image": ("mine.png", png(), "image/png")})
    assert upload.status_code == 200, upload.text[:300]
    check_schema(upload.json())


# The student's photo: a multipart form to the widget's fragment, rendered with the template samples use

def send_photo(client, data: bytes, lang="en", kind="image/png", block="hierarchy", query="", **state):
    fields = {f"{block}.{key}": str(value) for key, value in state.items()}
    return client.post(f"/{lang}/lessons/{SLUG}/widgets/{block}{query}", data=fields,
                       files={"image": ("mine.png", data, kind)})


def map_channels(response) -> list[int]:
    return [int(c) for c in re.findall(r'class="fh-map"[^>]*data-channel="(\d+)"', response.text)]


def test_a_sent_photo_shows_its_own_hierarchy(stocked):
    photo = png((96, 80))
    api = stocked.post("/api/features/resnet18", files={"image": ("mine.png", photo, "image/png")}).json()
    before = stocked.get("/healthz").json()["queue"]["cached"]
    response = send_photo(stocked, photo, "ru", layer="layer4.1", rank=2, sample="coffee")
    assert response.status_code == 200, response.text[:300]
    page = text(response)
    # The same maps as the API computes for this photo, on the layer the form asked for, in the one template.
    layer = next(item for item in api["layers"] if item["name"] == "layer4.1")
    assert map_channels(response) == [m["channel"] for m in layer["maps"]]
    assert pressed(response, "fh-layer-button") == ["layer4.1"]
    second = layer["maps"][1]
    assert f"layer4.1, канал {second['channel'] + 1} (индекс {second['channel']} в PyTorch): №2" in page
    assert f"среднее {second['mean']:.2f}".replace(".", ",") in page
    assert "Ваша фотография, уменьшенная" in page and "не сохраняется на сервере" in page
    assert re.search(r"data-photo-upload[^>]*data-photo-shown", response.text)  # the file inputs keep the photo
    assert re.search(r'id="hierarchy-photo-file"[^>]*hx-preserve', response.text)
    assert stocked.get("/healthz").json()["queue"]["cached"] == before  # nothing of the photo is kept


def test_a_sample_keeps_no_photo(stocked):
    response = fragment(stocked, "hierarchy")
    assert has_upload(response) and "data-photo-shown" not in response.text and "hx-preserve" not in response.text
    assert 'hx-post="/en/lessons/feature-hierarchy/widgets/hierarchy"' in response.text
    assert 'hx-encoding="multipart/form-data"' in response.text


@pytest.mark.parametrize(("data", "kind", "status", "phrase"), [
    (b"not a picture", "text/plain", 415, {"en": "PNG", "ru": "PNG"}),
    (b"", "image/png", 400, {"en": "empty", "ru": "пуст"}),
])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_bad_file_keeps_the_widget_and_says_why(stocked, data, kind, status, phrase, lang):
    response = send_photo(stocked, data, lang, kind=kind, layer="layer2.1")
    assert response.status_code == status, response.text[:300]
    error = re.search(r'<p class="photo-error" role="alert" data-error\s*>([^<]+)</p>', response.text)
    assert error and phrase[lang] in html.unescape(error.group(1))
    assert (CYRILLIC.search(error.group(1)) is not None) == (lang == "ru")
    # The widget stays, on its sample photo and the layer the form asked for.
    assert 'data-widget="feature-hierarchy"' in response.text and "data-photo-shown" not in response.text
    assert pressed(response, "fh-layer-button") == ["layer2.1"]


def test_a_form_without_a_file_says_so(stocked):
    response = stocked.post(f"/en/lessons/{SLUG}/widgets/hierarchy", data={"hierarchy.layer": "layer2.1"},
                            files={"other": ("a.png", png(), "image/png")})
    assert response.status_code == 422
    assert "The form needs a file in the 'image' field." in text(response)


def test_only_photo_widgets_take_a_photo(stocked):
    response = send_photo(stocked, png(), block="depth")
    assert response.status_code == 405


def test_a_sent_photo_keeps_hidden_controls_hidden(stocked):
    response = send_photo(stocked, png(), query="?hide=model")
    assert response.status_code == 200
    assert 'name="hierarchy.model"' in response.text and "<select name=\"hierarchy.model\"" not in response.text
    assert 'hx-post="/en/lessons/feature-hierarchy/widgets/hierarchy?hide=model"' in response.text


@pytest.mark.parametrize(("call", "status"), [
    (dict(url="/api/features/lenet5", json={"sample": "chelsea"}), 404),
    (dict(url="/api/features/nope", json={"sample": "chelsea"}), 404),
    (dict(url="/api/features/vgg16", json={"sample": "chelsea"}), 503),
    (dict(url="/api/features/resnet18", json={"sample": "nope"}), 404),
    (dict(url="/api/features/resnet18", json={"photo": "chelsea"}), 422),
    (dict(url="/api/features/resnet18", files={"image": ("a.txt", b"not a picture", "text/plain")}), 415),
    (dict(url="/api/features/resnet18", content=b"x", headers={"content-type": "text/plain"}), 415),
])
def test_api_refuses_bad_requests(stocked, call, status):
    response = stocked.post(**call)
    assert response.status_code == status, response.text[:300]
    assert response.json()["detail"]


# Bad state in both languages

@pytest.mark.parametrize(("block", "state"), [
    ("hierarchy", {"model": "lenet5"}), ("hierarchy", {"sample": "nope"}), ("hierarchy", {"layer": "fc"}),
    ("hierarchy", {"rank": 0}), ("hierarchy", {"rank": 9}), ("hierarchy", {"rank": "two"}),
    ("hierarchy", {"digit": 10}), ("hierarchy", {"digit": "x"}), ("depth", {"model": "alexnet2012"}),
])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_bad_state_is_422_with_a_translated_message(bare, block, state, lang):
    response = fragment(bare, block, lang, **state)
    assert bool(CYRILLIC.search(kept_refusal(response))) == (lang == "ru")


# Smaller and deeper: the table of shapes

@pytest.mark.parametrize("model", list(feature_maps.FEATURE_NETWORKS))
def test_depth_table_is_the_computed_one(bare, model):
    response = fragment(bare, "depth", model=model)
    assert response.status_code == 200
    layers = feature_maps.feature_layers(model)
    assert re.findall(r'<tr data-row="([^"]+)"', response.text) == [layer["name"] for layer in layers]
    fields = [int(v) for v in re.findall(r"data-field>(\d+)×", response.text)]
    assert fields == [layer["receptive_field"] for layer in layers]
    channels = [int(v) for v in re.findall(r"data-channels>(\d+)<", response.text)]
    assert channels == [layer["shape"][0] for layer in layers]
    assert response.text.count("is-stage") == len(feature_maps.stages(layers))


# Exercises against plain arithmetic

def test_vgg_shape_answers_follow_halving():
    for seed in range(30):
        question = make_question(EXERCISES["fh-vgg-shape"], seed, "en", {})
        prompt = html.unescape(str(question.prompt))
        side = int(re.search(r"gets a (\d+)×", prompt).group(1))
        depth = int(re.search(r"output of layer (\d+)", prompt).group(1))
        plan = re.search(r"layers are: (.*?)\. Every", prompt).group(1).split(", ")
        assert len(plan) == depth
        pools = plan.count("maxpool")
        channels = [int(p.split("-")[1]) for p in plan if p != "maxpool"][-1]
        assert question.answer == (side // 2**pools, side // 2**pools, channels)


def test_receptive_field_answers_follow_the_recurrence():
    sizes = {"3×3 conv, stride 1": (3, 1), "5×5 conv, stride 1": (5, 1), "2×2 max pool, stride 2": (2, 2)}
    for seed in range(30):
        question = make_question(EXERCISES["fh-receptive-field"], seed, "en", {})
        plan = re.search(r"A stack of layers: (.*?)\. How", html.unescape(str(question.prompt))).group(1).split(" → ")
        field, jump = 1, 1
        for item in plan:
            kernel, stride = sizes[item]
            field, jump = field + (kernel - 1) * jump, jump * stride
        assert question.answer == field


def test_channel_rank_answers_are_the_largest_mean():
    for seed in range(30):
        question = make_question(EXERCISES["fh-channel-rank"], seed, "en", {})
        tables = re.findall(r"<table.*?</table>", str(question.figure))
        volume = np.array([[[int(v) for v in re.findall(r"<td>(\d+)</td>", row)]
                            for row in re.findall(r"<tr>.*?</tr>", table)] for table in tables])
        assert volume.shape[1:] == (3, 3)
        means = volume.mean(axis=(1, 2))
        assert question.answer == int(np.argmax(means)) + 1 and (means == means.max()).sum() == 1  # counted from 1
        assert f"channel {question.answer}</h4>" in str(question.figure)


def test_deepest_answer_has_the_smallest_maps():
    for seed in range(30):
        question = make_question(EXERCISES["fh-deepest"], seed, "ru", {})
        shapes = {key: [int(v) for v in label.split("×")] for key, label in question.choices}
        assert min(shapes, key=lambda key: shapes[key][0]) == question.answer
