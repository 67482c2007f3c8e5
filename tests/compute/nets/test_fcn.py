"""The fully convolutional idea: FC layers as convolutions, checked against the classifier itself."""

import pytest
import torch
import torchvision
from torch import nn

from app.compute.nets import fcn
from app.compute.errors import InputError
from tests.references import fcn_score_map_side


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_fcn_is_the_classifier_at_its_own_size(seed):
    classifier = fcn.build_classifier(6, seed)
    model = fcn.convolutionalize(classifier)
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        assert model(x).shape == (4, 6, 1, 1)
        torch.testing.assert_close(model(x).flatten(1), classifier(x))
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in classifier.parameters())


@pytest.mark.parametrize("height, width", [(32, 32), (33, 45), (48, 64), (70, 37)])
def test_each_score_cell_is_the_classifier_on_one_window(height, width):
    """Reference: crop every 32×32 window at stride 4 in a loop and run the classifier on it."""
    classifier = fcn.build_classifier(3, 2)
    model = fcn.convolutionalize(classifier)
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        scores = model(x)[0]  # (3, map_h, map_w)
        assert scores.shape[1:] == (fcn_score_map_side(height), fcn_score_map_side(width))
        for i in range(scores.shape[1]):
            for j in range(scores.shape[2]):
                crop = x[:, :, 4 * i:4 * i + 32, 4 * j:4 * j + 32]
                torch.testing.assert_close(scores[:, i, j], classifier(crop)[0], rtol=1e-5, atol=1e-6)


def test_score_map_side_matches_torch():
    model = fcn.convolutionalize(fcn.build_classifier()).to("meta")
    for side in range(32, fcn.MAX_SIDE + 1):
        assert model(torch.empty(1, 3, side, 32, device="meta")).shape[2] == fcn_score_map_side(side), side


def test_demo_reports_shapes_errors_and_equalities():
    demo = fcn.fcn_demo(64, 48, 5, 0)
    assert demo["score_map"] == [5, 9, 5] and demo["windows"] == 45
    assert demo["upsampled"] == [5, 64, 48]
    assert demo["same_at_train"] < 1e-5 and demo["sliding_max_difference"] < 1e-5
    assert demo["params"] == demo["params_fcn"]
    assert demo["classifier"]["small"]["error"] is None
    error = demo["classifier"]["large"]["error"]
    assert error["layer"] == "fc1" and "mat1 and mat2" in error["message"]
    assert demo["fcn"]["large"]["error"] is None
    shapes = {row["name"]: row["shape"] for row in demo["fcn"]["large"]["rows"]}
    assert shapes["pool2"] == [16, 13, 9] and shapes["fc1"] == [120, 9, 5]
    assert demo["classifier"]["small"]["rows"][-1]["shape"] == [5]


@pytest.mark.parametrize("height, width, classes", [(31, 40, 5), (40, 161, 5), (40, 40, 1), (40, 40, 22), (40.0, 40, 5), (True, 40, 5)])
def test_demo_refuses_bad_sizes(height, width, classes):
    with pytest.raises(InputError):
        fcn.fcn_demo(height, width, classes)


@pytest.mark.parametrize("height, width", [(224, 224), (512, 384), (500, 375), (320, 240)])
def test_vgg_score_map_matches_torchvision(height, width):
    """VGG-16's conv layers, then fc6 as a 7×7 conv, run on the meta device (shapes only)."""
    with torch.device("meta"):
        features = torchvision.models.vgg16(weights=None).features
        head = nn.Sequential(features, nn.Conv2d(512, 4096, 7), nn.Conv2d(4096, 4096, 1))
    out = head(torch.empty(1, 3, height, width, device="meta"))
    assert list(out.shape[2:]) == fcn.vgg_score_map(height, width)
