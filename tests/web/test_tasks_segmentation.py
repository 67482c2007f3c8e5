"""Lessons 12, 15 and 16 through the ASGI app: widget fragments with default, edge and bad values, the
missing-weights notes, and the live path with weights the test writes itself (untrained, weights=None)."""

import html
import re
from urllib.parse import quote

import pytest
import torch
from fastapi.testclient import TestClient

from app.compute.lessons import datasets
from app.compute.nets import fcn, registry
from app.compute.ops import segmentation_metrics as sm
from app.main import create_app
from app.settings import Settings
from tests.web.refusals import kept_refusal

PHOTO_MODELS = ["resnet18", "fasterrcnn_mobilenet_v3_large_fpn", "lraspp_mobilenet_v3_large", "maskrcnn_resnet50_fpn",
                "keypointrcnn_resnet50_fpn"]


def fragment(client, slug, block, lang="en", **params):
    query = "&".join(f"{block}.{k}={quote(str(v))}" for k, v in params.items())
    return client.get(f"/{lang}/lessons/{slug}/widgets/{block}" + (f"?{query}" if query else ""))


def text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


@pytest.mark.parametrize("slug, block, params", [
    ("cv-tasks", "table", {"height": 1, "width": 1, "objects": 0}),
    ("cv-tasks", "table", {"height": 4096, "width": 4096, "objects": 100}),
    ("cv-tasks", "photo", {"sample": "coffee"}),
    ("segmentation", "live", {"semantic": "fcn_resnet50", "sample": "chelsea"}),
    ("segmentation", "iou", {"size": 6, "change": "none"}),
    ("segmentation", "iou", {"size": 16, "change": "noise", "amount": 3, "scene": 999, "background": "no"}),
    ("segmentation", "iou", {"change": "erode", "amount": 3}),
    ("segmentation", "iou", {"change": "dilate", "amount": 2, "brush": 0}),
    ("segmentation", "fcn", {"height": 32, "width": 32}),
    ("segmentation", "fcn", {"height": 160, "width": 33}),
    ("datasets", "table", {"detections": 1}),
    ("datasets", "table", {"detections": 1000}),
    ("datasets", "compare", {"first": "coco2014", "second": "coco2014", "scale": "linear"}),
    ("datasets", "compare", {"first": "ilsvrc2014", "second": "voc2010", "detections": 7}),
])
def test_edge_values_render(client, slug, block, params):
    response = fragment(client, slug, block, **params)
    assert response.status_code == 200, response.text[:800]
    assert "widget-error" not in response.text


@pytest.mark.parametrize("slug, block, params, en, ru", [
    ("cv-tasks", "table", {"height": 0}, "between 1 and 4096", "от 1 до 4096"),
    ("cv-tasks", "table", {"objects": "many"}, "whole number", "нужно целое число"),
    ("cv-tasks", "photo", {"sample": "nope"}, "must be one of", "нужно одно из значений"),
    ("segmentation", "live", {"semantic": "vgg16"}, "must be one of", "нужно одно из значений"),
    ("segmentation", "iou", {"change": "melt"}, "must be one of", "нужно одно из значений"),
    ("segmentation", "iou", {"brush": 4}, "between 0 and 3", "от 0 до 3"),
    ("segmentation", "iou", {"pred": "01/0x"}, "rows of digits", "строки цифр"),
    ("segmentation", "iou", {"pred": "0123/0123/0123/0123"}, "reset the painting", "сбросьте рисунок"),
    ("segmentation", "iou", {"pred": "/".join(["5" * 10] * 10)}, "outside 0 … 3", "вне диапазона 0 … 3"),
    ("segmentation", "fcn", {"height": 31}, "between 32 and 160", "от 32 до 160"),
    ("segmentation", "fcn", {"width": "NaN"}, "whole number", "нужно целое число"),
    ("datasets", "table", {"detections": 0}, "between 1 and 1000", "от 1 до 1000"),
    ("datasets", "compare", {"first": "mnist"}, "must be one of", "нужно одно из значений"),
    ("datasets", "compare", {"scale": "cubic"}, "must be one of", "нужно одно из значений"),
])
def test_bad_values_answer_422_in_both_languages(client, slug, block, params, en, ru):
    english = fragment(client, slug, block, "en", **params)
    russian = fragment(client, slug, block, "ru", **params)
    assert en in kept_refusal(english) and ru in kept_refusal(russian)


def test_task_table_numbers_are_computed_and_the_blank_cell_is_marked(client):
    response = fragment(client, "cv-tasks", "table", height=48, width=64, objects=3)
    rows = dict(re.findall(r'<tr data-task="([a-z-]+)".*?data-numbers>([^<]+)<', response.text, re.S))
    assert rows["semantic-segmentation"] == "3,072"
    assert rows["instance-segmentation"] == f"{3 * (1 + 48 * 64):,}"
    assert rows["detection"] == "15" and rows["classification"] == "1"
    assert rows["keypoints"] == str(3 * 17 * 2)
    assert response.text.count("data-blank") == 1
    blank_row = re.search(r'<tr data-task="instance-segmentation".*?</tr>', response.text, re.S).group(0)
    assert "data-blank" in blank_row and "mask AP" in blank_row
    # Lessons that exist are links; this one is (it is this lesson's neighbour, lesson 15).
    assert 'href="/en/lessons/segmentation"' in response.text
    russian = fragment(client, "cv-tasks", "table", "ru", height=48, width=64, objects=3)
    assert "3\u00a0072" in russian.text


def test_iou_widget_shows_the_backends_numbers(client):
    response = fragment(client, "segmentation", "iou", scene=5, size=8, change="dilate", amount=1, background="no")
    truth = sm.toy_scene(5, 8)
    scores = sm.segmentation_scores(truth, sm.dilate(truth, 1), 4, include_background=False)
    shown = re.findall(r"data-iou-value>([^<]+)<", response.text)
    assert shown == [f"{c['iou']:.3f}" for c in scores["classes"] if c["iou"] is not None]
    mean = re.search(r"data-mean>.*?<strong>([^<]+)</strong>", response.text, re.S).group(1)
    assert mean == f"{scores['mean_iou']:.3f}"
    assert response.text.count('class="cell ') == 64
    assert f'data-pred-text="{sm.format_label_map(sm.dilate(truth, 1))}"' in response.text


def test_iou_widget_takes_a_painted_prediction(client):
    truth = sm.toy_scene(3, 10)
    painted = truth.copy()
    painted[0, :] = 3
    response = fragment(client, "segmentation", "iou", scene=3, size=10, pred=sm.format_label_map(painted))
    scores = sm.segmentation_scores(truth, painted, 4)
    person = next(c for c in scores["classes"] if c["index"] == 3)
    assert re.search(rf'data-class="3".*?= {person["union"]}</td>', response.text, re.S)
    assert "painted by you" in response.text and "data-unpaint" in response.text
    assert f'value="{sm.format_label_map(painted)}" data-pred' in response.text


def test_fcn_widget_shows_torch_shapes_and_its_error(client):
    response = fragment(client, "segmentation", "fcn", height=64, width=48)
    demo = fcn.fcn_demo(64, 48)
    fc1 = re.search(r'<tr data-layer="fc1".*?</tr>', response.text, re.S).group(0)
    assert "Linear 400→120" in fc1 and "Conv2d 16→120, 5×5" in fc1
    assert "data-error" in fc1 and "120×9×5" in fc1
    assert "mat1 and mat2 shapes cannot be multiplied" in response.text
    assert f"{_shape(demo['score_map'])}" in text(response) and "5×64×48" in text(response)


def _shape(shape):
    return "×".join(str(v) for v in shape)


def test_dataset_table_derives_from_the_lecture(client):
    response = fragment(client, "datasets", "table", detections=100)
    body = text(response)
    for key in datasets.DATASETS:
        d = datasets.derived(key, 100)
        assert f"{d['objects']:,}" in body and f"{d['detections']:,}" in body
    assert "~20k" in body and "1.3 GB" in body and "123,287" in body
    assert datasets.LECTURE in body


def test_dataset_compare_chart_and_ratios(client):
    response = fragment(client, "datasets", "compare", first="voc2010", second="coco2014", detections=100)
    assert "data-plotly" in response.text
    ratio = re.search(r'data-quantity="objects".*?data-ratio>([^<]+)<', response.text, re.S).group(1)
    assert ratio.strip() == f"× {864_000 / 48_000:.2f}"
    page = client.get("/en/lessons/datasets")
    assert "plotly-basic.min.js" in page.text and "charts.js" in page.text


# ---- Models: missing weights here, and the live path with weights the test writes ----


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_plain_install_classifies_with_efficientnet_and_names_the_other_commands(client, lang):
    response = fragment(client, "cv-tasks", "photo", lang)
    assert response.status_code == 200
    # No torchvision weights: EfficientNet-Lite0, installed with the course, answers the classification row.
    assert 'data-photo-input data-model="efficientnet_lite0"' in response.text and "data-run" in response.text
    assert response.text.count("data-panel-missing") == 4
    models = re.search(r'<script type="application/json" data-models>(.*?)</script>', response.text, re.S).group(1)
    assert '"model": "efficientnet_lite0", "task": "classification", "present": true' in models
    others = PHOTO_MODELS[1:]
    for model in others:
        assert f"stride weights fetch {model}</code>" in response.text
    assert f"stride weights fetch {' '.join(others)}" in response.text
    assert "stride weights fetch resnet18" not in response.text
    top = client.post("/api/models/efficientnet_lite0/predict", json={"sample": "astronaut"})
    assert top.status_code == 200 and len(top.json()["top5"]) == 5
    live = fragment(client, "segmentation", "live", lang)
    assert live.text.count("data-panel-missing") == 2
    assert "stride weights fetch lraspp_mobilenet_v3_large maskrcnn_resnet50_fpn" in live.text


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    for name in ("resnet18", "lraspp_mobilenet_v3_large"):
        spec = registry.MODELS[name]
        torch.save(spec.build().state_dict(), registry.weights_path(spec, folder))
    return folder


@pytest.fixture(scope="module")
def live_client(weights_dir):
    app = create_app(Settings(device="cpu", weights_dir=weights_dir))
    with TestClient(app) as client:
        yield client
    registry.clear_loaded()


def test_present_weights_get_a_photo_input_and_the_rest_a_note(live_client):
    response = fragment(live_client, "cv-tasks", "photo")
    assert 'data-photo-input data-model="resnet18"' in response.text and "data-run" in response.text
    assert response.text.count("data-panel-missing") == 3
    assert response.text.count("data-stage") == 2
    models = re.search(r'<script type="application/json" data-models>(.*?)</script>', response.text, re.S).group(1)
    assert '"model": "lraspp_mobilenet_v3_large", "task": "semantic-segmentation", "present": true' in models
    live = fragment(live_client, "segmentation", "live")
    assert 'data-model="lraspp_mobilenet_v3_large"' in live.text and live.text.count("data-panel-missing") == 1
    # FCN's weights are missing here: its option is disabled with the command, and LR-ASPP runs instead.
    fcn_page = fragment(live_client, "segmentation", "live", semantic="fcn_resnet50")
    assert 'data-model="lraspp_mobilenet_v3_large"' in fcn_page.text and fcn_page.text.count("data-panel-missing") == 1
    option = re.search(r'<option value="fcn_resnet50"[^>]*>([^<]*)</option>', html.unescape(fcn_page.text))
    assert " disabled " in option.group(0) and "stride weights fetch fcn_resnet50" in option.group(1)


def test_the_widgets_models_answer_through_the_api(live_client):
    """What tasks-segmentation.js asks for: the driver's and the other panels' predictions."""
    top = live_client.post("/api/models/resnet18/predict", json={"sample": "astronaut"})
    assert top.status_code == 200 and len(top.json()["top5"]) == 5
    mask = live_client.post("/api/models/lraspp_mobilenet_v3_large/predict", json={"sample": "astronaut"})
    assert mask.status_code == 200, mask.text
    body = mask.json()
    assert body["task"] == "semantic-segmentation" and body["mask_png"].startswith("data:image/png;base64,")
    assert sum(c["fraction"] for c in body["classes"]) == pytest.approx(1, abs=0.01)
    assert all(c["color"] is None or re.fullmatch(r"#[0-9A-F]{6}", c["color"]) for c in body["classes"])
    missing = live_client.post("/api/models/maskrcnn_resnet50_fpn/predict?lang=ru", json={"sample": "astronaut"})
    assert missing.status_code == 503 and missing.json()["command"] == "stride weights fetch maskrcnn_resnet50_fpn"


def test_page_renders_without_running_a_model(live_client):
    before = live_client.get("/healthz").json()["queue"]
    assert live_client.get("/en/lessons/cv-tasks").status_code == 200
    assert live_client.get("/en/lessons/segmentation/present").status_code == 200
    after = live_client.get("/healthz").json()["queue"]
    assert after["computed"] == before["computed"]
