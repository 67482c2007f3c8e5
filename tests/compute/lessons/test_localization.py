"""Box formats, the L2 loss, head sizes, the ImageNet rule, K boxes and pose outputs, against references written here."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torchvision.models import ResNet18_Weights

from app.compute.lessons import localization as loc
from app.compute import samples
from app.compute.errors import InputError

coordinate = st.integers(min_value=0, max_value=500)


@st.composite
def boxes(draw):
    x1, x2 = sorted((draw(coordinate), draw(coordinate)))
    y1, y2 = sorted((draw(coordinate), draw(coordinate)))
    return [x1, y1, x2, y2]


def test_box_formats_by_hand():
    f = loc.box_formats([10, 20, 50, 80])
    assert f["xywh"] == [10, 20, 40, 60] and f["center"] == [30, 50] and f["area"] == 2400


@settings(max_examples=60, deadline=None)
@given(boxes(), boxes())
def test_l2_loss_is_torch_mse_sum(a, b):
    for notation in ("xywh", "xyxy"):
        result = loc.l2_loss(a, b, notation)
        as_xywh = lambda q: [q[0], q[1], q[2] - q[0], q[3] - q[1]]  # noqa: E731
        p, t = (a, b) if notation == "xyxy" else (as_xywh(a), as_xywh(b))
        expected = torch.nn.functional.mse_loss(torch.tensor(p, dtype=torch.float64),
                                                torch.tensor(t, dtype=torch.float64), reduction="sum")
        assert result["loss"] == pytest.approx(float(expected))
        assert result["distance"] == pytest.approx(math.sqrt(float(expected)))


def test_same_l2_loss_different_iou():
    # A 10-px shift costs the same on a big box and on a small one, but only the small one stops overlapping.
    big = loc.l2_loss([10, 0, 110, 100], [0, 0, 100, 100], "xyxy")
    small = loc.l2_loss([10, 0, 20, 10], [0, 0, 10, 10], "xyxy")
    assert big["loss"] == small["loss"] == 200
    assert big["iou"] == pytest.approx(9000 / 11000) and small["iou"] == 0


@pytest.mark.parametrize("features, classes", [(4096, 1000), (25088, 20), (1, 1), (512, 80)])
def test_head_sizes_match_nn_linear(features, classes):
    sizes = loc.head_sizes(features, classes)
    with torch.device("meta"):
        for key, outputs in (("classification", classes), ("agnostic", 4), ("specific", 4 * classes)):
            layer = nn.Linear(features, outputs)
            assert sizes[key]["outputs"] == outputs
            assert sizes[key]["weights"] == layer.weight.numel()
            assert sizes[key]["biases"] == layer.bias.numel()
            assert sizes[key]["params"] == sum(p.numel() for p in layer.parameters())
    assert sizes["agnostic"]["params"] == features * 4 + 4
    assert sizes["specific"]["params"] == features * 4 * classes + 4 * classes


@pytest.mark.parametrize("features, classes", [(0, 10), (10, 0), (True, 3), (2.5, 3), (10, 10**9)])
def test_head_sizes_reject_bad_sizes(features, classes):
    with pytest.raises(InputError):
        loc.head_sizes(features, classes)


def test_attach_points_come_from_the_real_networks():
    vgg = {p["where"]: p for p in loc.attach_points("vgg16")}
    assert vgg["conv"]["shape"] == [512, 7, 7] and vgg["conv"]["features"] == 7 * 7 * 512
    assert vgg["fc"]["features"] == 4096
    model = torch.nn.Sequential(*list(__import__("torchvision").models.vgg16(weights=None).classifier)[:-1])
    assert model[-3].out_features == vgg["fc"]["features"]  # fc7 in, before dropout and the class scores
    alex = {p["where"]: p for p in loc.attach_points("alexnet")}
    assert alex["conv"]["features"] == 6 * 6 * 256 and alex["fc"]["layer"] == "fc7"
    assert loc.deeppose_features() == {"layer": "fc7", "features": 4096}
    with pytest.raises(InputError):
        loc.attach_points("resnet18")


def test_k_boxes_and_pose():
    assert loc.k_boxes(loc.LECTURE_K, 4096)["outputs"] == 16
    assert loc.k_boxes(4, 4096)["head"]["params"] == 4096 * 16 + 16
    pose = loc.pose_outputs(17, 4096)
    assert pose["outputs"] == 34 and pose["head"]["weights"] == 4096 * 34
    with pytest.raises(InputError):
        loc.k_boxes(0, 4096)


def ref_iou(a, b):
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["espresso", "cup"]), boxes()), min_size=1, max_size=5), boxes())
def test_imagenet_rule_matches_a_plain_loop(guesses, truth):
    result = loc.imagenet_rule("espresso", truth, [{"label": label, "box": box} for label, box in guesses])
    expected = [label == "espresso" and ref_iou(box, truth) >= 0.5 for label, box in guesses]
    assert [g["correct"] for g in result["guesses"]] == expected
    assert result["correct"] is any(expected)
    assert result["first_correct"] == (expected.index(True) if any(expected) else None)


def test_imagenet_rule_needs_both_class_and_box():
    truth = [0, 0, 100, 100]
    result = loc.imagenet_rule("espresso", truth, [
        {"label": "cup", "box": [0, 0, 100, 100]},  # perfect box, wrong class
        {"label": "espresso", "box": [0, 0, 100, 40]},  # right class, IoU 0.4
    ])
    assert not result["correct"]
    assert result["guesses"][0]["box_ok"] and not result["guesses"][0]["label_ok"]
    assert result["guesses"][1]["label_ok"] and result["guesses"][1]["iou"] == pytest.approx(0.4)


@pytest.mark.parametrize("guesses", [[], [{"label": "cup", "box": [0, 0, 1, 1]}] * 6, [{"label": "cup"}],
                                     [{"label": "", "box": [0, 0, 1, 1]}], [{"label": "cup", "box": [5, 5, 1, 1]}]])
def test_imagenet_rule_bad_guesses(guesses):
    with pytest.raises(InputError):
        loc.imagenet_rule("espresso", [0, 0, 10, 10], guesses)


def test_lecture_data_and_annotations():
    assert loc.IMAGENET_LOCALIZATION["guesses"] == 5 and loc.IMAGENET_LOCALIZATION["iou_threshold"] == 0.5
    categories = ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
    assert len(categories) == loc.IMAGENET_LOCALIZATION["classes"]
    assert all(name in categories for name in loc.RULE_CLASSES) and loc.RULE_TRUTH.label in loc.RULE_CLASSES
    assert len(loc.CAT_PARTS) == loc.LECTURE_K
    for sample, parts in (("chelsea", loc.CAT_PARTS), (loc.RULE_SAMPLE, (loc.RULE_TRUTH,))):
        width, height = samples.load_sample(sample, 800).size
        for part in parts:
            x1, y1, x2, y2 = part.box
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height


def test_seeded_guesses_are_reproducible_and_varied():
    size = samples.load_sample(loc.RULE_SAMPLE, 800).size
    first = loc.seeded_guesses(1, size)
    assert first == loc.seeded_guesses(1, size) and len(first) == 5
    assert sum(g["label"] == loc.RULE_TRUTH.label for g in first) == 1
    ious = [ref_iou(g["box"], loc.RULE_TRUTH.box) for g in first]
    assert max(ious) > 0.5 > min(ious)
    assert {tuple(map(tuple, (g["box"] for g in loc.seeded_guesses(s, size)))) for s in range(5)}.__len__() == 5
