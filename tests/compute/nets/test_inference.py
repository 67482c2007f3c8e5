"""predict and classify_batch: schemas, coordinates in the original image, and no network, ever.

Weights are random (built here with weights=None and saved under the registry's file name), so
these tests check the plumbing, not what a trained network answers. The R-CNNs run with a small
min_size so one image takes about a second on a CPU.
"""

import base64
import dataclasses
import io
import socket

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image, ImageDraw

from app.compute.nets import inference, registry
from app.compute.errors import InputError
from app.compute.nets.inference import PALETTE, classify_batch, predict
from app.compute.nets.registry import LENET_WEIGHTS, MODELS, WeightsMissing, weights_path

# Small inputs for the R-CNNs (they resize to min_size themselves) and few boxes per image;
# box_score_thresh 0 so that random weights still give boxes to check.
SMALL_RCNN = {"min_size": 64, "max_size": 96, "box_score_thresh": 0.0, "box_detections_per_img": 3}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    """A weights folder with random weights for the models these tests run, R-CNNs made small."""
    folder = tmp_path_factory.mktemp("weights")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("resnet18", "lraspp_mobilenet_v3_large", "fcn_resnet50", "fasterrcnn_mobilenet_v3_large_fpn",
                     "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn"):
            spec = MODELS[name]
            if spec.task in ("detection", "instance-segmentation", "keypoints"):
                spec = dataclasses.replace(spec, build_kwargs={**spec.build_kwargs, **SMALL_RCNN})
                patch.setitem(MODELS, name, spec)
            torch.manual_seed(0)
            torch.save(spec.build().state_dict(), weights_path(spec, folder))
        registry.clear_loaded()
        yield folder
        registry.clear_loaded()


def photo(width=160, height=120, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def decode_data_url(url: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(url[len(prefix):])))


# ---- classification ----


def reference_probabilities(image: Image.Image, state_path) -> torch.Tensor:
    """ResNet-18 as torchvision documents its ImageNet recipe, written out step by step."""
    model = torchvision.models.resnet18(num_classes=1000)
    model.load_state_dict(torch.load(state_path, weights_only=True))
    width, height = image.size
    short, long = min(width, height), max(width, height)
    new_long = int(256 * long / short)  # shorter side to 256, as torchvision rounds it
    size = (256, new_long) if width <= height else (new_long, 256)
    resized = np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.float32) / 255.0  # (h, w, 3)
    h, w = resized.shape[:2]
    top, left = int(round((h - 224) / 2.0)), int(round((w - 224) / 2.0))
    crop = resized[top:top + 224, left:left + 224]
    normalised = (crop - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    x = torch.from_numpy(normalised.astype(np.float32)).permute(2, 0, 1)[None]  # (1, 3, 224, 224)
    with torch.no_grad():
        return torch.softmax(model.eval()(x), dim=1)[0]


def test_classification_matches_the_documented_recipe(weights_dir):
    image = photo(300, 200)
    result = predict("resnet18", image, weights_dir)
    assert result["model"] == "resnet18"
    assert result["task"] == "classification"
    assert result["image_size"] == [300, 200]
    expected = reference_probabilities(image, weights_path(MODELS["resnet18"], weights_dir))
    top = expected.topk(5)
    assert [item["index"] for item in result["top5"]] == top.indices.tolist()
    assert [item["probability"] for item in result["top5"]] == pytest.approx(top.values.tolist(), abs=1e-5)
    assert [item["label"] for item in result["top5"]] == [MODELS["resnet18"].labels[i] for i in top.indices]


def test_batch_gives_what_single_images_give(weights_dir):
    images = [photo(160, 120, seed=1), photo(90, 200, seed=2), photo(2_000, 1_500, seed=3)]
    batch = classify_batch("resnet18", images, weights_dir)
    assert len(batch) == 3
    for image, together in zip(images, batch):
        alone = predict("resnet18", image, weights_dir)["top5"]
        assert [t["index"] for t in together["top5"]] == [a["index"] for a in alone]
        probabilities = [a["probability"] for a in alone]
        assert [t["probability"] for t in together["top5"]] == pytest.approx(probabilities, abs=1e-5)


@pytest.mark.skipif(not LENET_WEIGHTS.is_file(), reason="app/weights/lenet5.pt not committed yet")
def test_lenet_through_the_registry_matches_lenets_own_predict(tmp_path):
    from app.compute.nets import lenet

    canvas = Image.new("L", (140, 140), 255)
    ImageDraw.Draw(canvas).line([(70, 20), (70, 120)], fill=0, width=12)  # a "1"
    result = predict("lenet5", canvas.convert("RGB"), tmp_path)
    own = lenet.predict(lenet.preprocess_digit(canvas.convert("RGB"))["padded"], lenet.load_lenet())
    assert result["top5"][0]["label"] == str(own["prediction"])
    assert result["top5"][0]["probability"] == pytest.approx(max(own["probabilities"]), abs=1e-5)


# ---- detection family: coordinates mapped back, with stand-in networks ----


class FakeDetector:
    """Returns fixed outputs in the frame of the image it is given, and records that image."""

    def __init__(self, **outputs):
        self.outputs = outputs
        self.seen = None

    def __call__(self, images):
        self.seen = images[0]
        return [self.outputs]


def test_boxes_come_back_in_the_original_pixels(weights_dir, monkeypatch):
    fake = FakeDetector(
        boxes=torch.tensor([[10.0, 20.0, 110.0, 220.0], [0.0, 0.0, 1333.0, 1000.0], [5.0, 5.0, 6.0, 6.0]]),
        labels=torch.tensor([1, 3, 18]),
        scores=torch.tensor([0.9, 0.6, 0.2]),
    )
    monkeypatch.setattr(inference, "load_model", lambda *args, **kwargs: fake)
    result = predict("fasterrcnn_mobilenet_v3_large_fpn", photo(2_666, 2_000), weights_dir, score_threshold=0.5)
    assert tuple(fake.seen.shape) == (3, 1_000, 1_333)  # shrunk to MAX_SIDE before the network
    assert 0.0 <= float(fake.seen.min()) and float(fake.seen.max()) <= 1.0
    detections = result["detections"]
    assert [d["label"] for d in detections] == ["person", "car"]
    assert detections[0]["box"] == pytest.approx([20.0, 40.0, 220.0, 440.0], abs=0.1)
    assert detections[1]["box"] == pytest.approx([0.0, 0.0, 2_666.0, 2_000.0], abs=0.1)
    assert [d["color"] for d in detections] == PALETTE[:2]
    only_one = predict("fasterrcnn_mobilenet_v3_large_fpn", photo(2_666, 2_000), weights_dir, score_threshold=0.0,
                       max_detections=1)
    assert len(only_one["detections"]) == 1


def test_instance_masks_are_small_pngs_over_their_box(weights_dir, monkeypatch):
    masks = torch.zeros(1, 1, 100, 150)
    masks[0, 0, 20:60, 30:90] = 0.9  # the object fills the box
    fake = FakeDetector(
        boxes=torch.tensor([[30.0, 20.0, 90.0, 60.0]]), labels=torch.tensor([1]), scores=torch.tensor([0.8]),
        masks=masks,
    )
    monkeypatch.setattr(inference, "load_model", lambda *args, **kwargs: fake)
    result = predict("maskrcnn_resnet50_fpn", photo(150, 100), weights_dir)
    item = result["detections"][0]
    assert item["mask_box"] == [30.0, 20.0, 90.0, 60.0]
    mask = decode_data_url(item["mask"])
    assert mask.mode == "P" and mask.size == (60, 40)
    assert mask.info["transparency"] == 0
    assert np.asarray(mask).min() == 1  # every pixel of the box is the object
    assert mask.getpalette()[3:6] == [int(PALETTE[0][i:i + 2], 16) for i in (1, 3, 5)]
    assert len(item["mask"]) < 400


def test_keypoints_come_back_in_the_original_pixels(weights_dir, monkeypatch):
    points = torch.zeros(1, 17, 3)
    points[0, :, 0] = torch.arange(17.0) * 10  # x
    points[0, :, 1] = 50.0  # y
    points[0, :, 2] = 1.0
    fake = FakeDetector(
        boxes=torch.tensor([[0.0, 0.0, 200.0, 100.0]]), labels=torch.tensor([1]), scores=torch.tensor([0.99]),
        keypoints=points, keypoints_scores=torch.linspace(-1, 5, 17)[None],
    )
    monkeypatch.setattr(inference, "load_model", lambda *args, **kwargs: fake)
    result = predict("keypointrcnn_resnet50_fpn", photo(2_666, 2_000), weights_dir)
    person = result["people"][0]
    assert person["box"] == pytest.approx([0.0, 0.0, 400.0, 200.0], abs=0.1)
    assert [p[0] for p in person["keypoints"]] == pytest.approx([20.0 * k for k in range(17)], abs=0.1)
    assert {p[1] for p in person["keypoints"]} == {100.0}
    assert person["keypoints"][0][2] == pytest.approx(-1.0)
    assert result["keypoint_names"][0] == "nose" and len(result["keypoint_names"]) == 17
    assert len(result["skeleton"]) == 19
    assert all(0 <= i < 17 and 0 <= j < 17 for i, j in result["skeleton"])


class FakeSegmenter:
    def __call__(self, x):
        _, _, h, w = x.shape
        logits = torch.zeros(1, 21, h, w)
        logits[0, 15, :, : w // 2] = 5.0  # the left half is a person
        return {"out": logits}


def test_semantic_counts_are_in_the_original_pixels(weights_dir, monkeypatch):
    monkeypatch.setattr(inference, "load_model", lambda *args, **kwargs: FakeSegmenter())
    result = predict("lraspp_mobilenet_v3_large", photo(200, 100), weights_dir)
    classes = {c["label"]: c for c in result["classes"]}
    assert set(classes) == {"person", "__background__"}
    assert classes["person"]["pixels"] + classes["__background__"]["pixels"] == 200 * 100
    assert classes["person"]["pixels"] == pytest.approx(100 * 100, rel=0.02)
    assert classes["person"]["color"] == PALETTE[0]
    assert classes["__background__"]["color"] is None
    mask = decode_data_url(result["mask_png"])
    assert mask.mode == "P" and list(mask.size) == result["mask_size"]
    assert mask.info["transparency"] == 0
    assert set(np.unique(np.asarray(mask))) == {0, 15}


# ---- the real architectures, random weights, one small image each ----


def test_detector_schema(weights_dir):
    result = predict("fasterrcnn_mobilenet_v3_large_fpn", photo(), weights_dir, score_threshold=0.0)
    assert result["task"] == "detection"
    assert 1 <= len(result["detections"]) <= 3
    scores = [d["score"] for d in result["detections"]]
    assert scores == sorted(scores, reverse=True)
    for d in result["detections"]:
        x1, y1, x2, y2 = d["box"]
        assert 0 <= x1 <= x2 <= 160 and 0 <= y1 <= y2 <= 120
        assert d["label"] in MODELS["fasterrcnn_mobilenet_v3_large_fpn"].labels
    assert predict("fasterrcnn_mobilenet_v3_large_fpn", photo(), weights_dir, score_threshold=1.0)["detections"] == [
        d for d in result["detections"] if d["score"] >= 1.0
    ]


def test_mask_rcnn_schema(weights_dir):
    result = predict("maskrcnn_resnet50_fpn", photo(), weights_dir, score_threshold=0.0)
    assert result["task"] == "instance-segmentation"
    for d in result["detections"]:
        assert set(d) >= {"label", "score", "box", "color", "mask", "mask_box"}
        if d["mask"] is not None:
            assert decode_data_url(d["mask"]).mode == "P"


def test_keypoint_rcnn_schema(weights_dir):
    result = predict("keypointrcnn_resnet50_fpn", photo(), weights_dir, score_threshold=0.0)
    assert result["task"] == "keypoints"
    assert len(result["people"]) >= 1
    for person in result["people"]:
        assert len(person["keypoints"]) == 17
        assert all(0 <= x <= 160 and 0 <= y <= 120 for x, y, _ in person["keypoints"])


@pytest.mark.parametrize("name", ["lraspp_mobilenet_v3_large", "fcn_resnet50"])
def test_semantic_schema(weights_dir, name):
    result = predict(name, photo(64, 48), weights_dir)
    assert result["task"] == "semantic-segmentation"
    assert sum(c["pixels"] for c in result["classes"]) == 64 * 48
    assert sum(c["fraction"] for c in result["classes"]) == pytest.approx(1.0, abs=1e-3)
    assert decode_data_url(result["mask_png"]).size == tuple(result["mask_size"])


# ---- refusals ----


def test_missing_weights_name_the_command(tmp_path):
    for call in (lambda: predict("lraspp_mobilenet_v3_large", photo(), tmp_path),
                 lambda: classify_batch("resnet18", [photo()], tmp_path)):
        with pytest.raises(WeightsMissing) as err:
            call()
        assert err.value.command.startswith("stride weights fetch ")


@pytest.mark.parametrize(
    "kwargs",
    [{"score_threshold": -0.1}, {"score_threshold": 1.5}, {"score_threshold": "0.5"}, {"score_threshold": True},
     {"max_detections": 0}, {"max_detections": 101}, {"max_detections": 2.5}],
)
def test_bad_parameters_are_422(weights_dir, kwargs):
    with pytest.raises(InputError) as err:
        predict("fasterrcnn_mobilenet_v3_large_fpn", photo(), weights_dir, **kwargs)
    assert err.value.status == 422


def test_bad_calls_are_input_errors(weights_dir):
    with pytest.raises(InputError) as err:
        predict("resnet18", np.zeros((4, 4, 3)), weights_dir)
    assert err.value.status == 422
    with pytest.raises(InputError) as err:
        predict("resnet9000", photo(), weights_dir)
    assert err.value.status == 404
    with pytest.raises(InputError) as err:
        classify_batch("lraspp_mobilenet_v3_large", [photo()], weights_dir)
    assert err.value.status == 422
    for images in ([], [photo(8, 8)] * 65, "not a list"):
        with pytest.raises(InputError) as err:
            classify_batch("resnet18", images, weights_dir)
        assert err.value.status == 422
