"""Depthwise separable against standard convs, and EfficientNet-Lite0 against AlexNet: counts checked by hand
formulas, by the modules' own parameters and by PyTorch's FLOP counter."""

import pytest
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from app.compute.errors import InputError
from app.compute.nets import separable
from app.compute.nets.efficientnet import EfficientNetLite0


@pytest.mark.parametrize(("c_in", "c_out", "k", "side"), [(128, 128, 3, 56), (32, 16, 3, 112), (672, 112, 5, 14),
                                                          (3, 64, 7, 9), (16, 16, 1, 4)])
def test_costs_follow_the_hand_formulas(c_in, c_out, k, side):
    cost = separable.separable_cost(c_in, c_out, k, side)
    assert cost["standard"] == {"params": k * k * c_in * c_out, "macs": side * side * k * k * c_in * c_out}
    assert cost["depthwise"] == {"params": k * k * c_in, "macs": side * side * k * k * c_in}
    assert cost["pointwise"] == {"params": c_in * c_out, "macs": side * side * c_in * c_out}
    assert cost["separable"]["params"] == k * k * c_in + c_in * c_out
    assert cost["separable"]["macs"] == side * side * (k * k * c_in + c_in * c_out)
    assert 1 / cost["ratio"]["macs"] == pytest.approx(1 / c_out + 1 / (k * k))
    assert cost["ratio"]["params"] == pytest.approx(cost["ratio"]["macs"])


def test_the_lesson_example_is_about_eight_times_cheaper():
    cost = separable.separable_cost(128, 128, 3, 56)
    assert (cost["standard"]["params"], cost["separable"]["params"]) == (147_456, 17_536)
    assert cost["ratio"]["macs"] == pytest.approx(147_456 / 17_536)


@pytest.mark.parametrize("args", [(0, 8, 3, 8), (8, 8, 4, 8), (8, 8, 3, 0), (8, 5000, 3, 8), (8.5, 8, 3, 8),
                                  (True, 8, 3, 8)])
def test_bad_shapes_are_input_errors(args):
    with pytest.raises(InputError):
        separable.separable_cost(*args)


def _flop_counted_macs(model, shape):
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(*shape))
    return counter.get_total_flops() // 2  # PyTorch counts a multiply-add as two FLOPs


def test_whole_networks_match_numel_and_the_flop_counter():
    result = separable.network_comparison()
    lite, alexnet = EfficientNetLite0().eval(), torchvision.models.alexnet(weights=None).eval()
    assert result["efficientnet"]["params"] == sum(p.numel() for p in lite.parameters()) == 4_652_008
    assert result["alexnet"]["params"] == sum(p.numel() for p in alexnet.parameters()) == 61_100_840
    with torch.no_grad():
        assert result["efficientnet"]["macs"] == _flop_counted_macs(lite, (1, 3, 224, 224))
        assert result["alexnet"]["macs"] == _flop_counted_macs(alexnet, (1, 3, 224, 224))
    assert result["params_ratio"] == pytest.approx(61_100_840 / 4_652_008)
    fc = sum(p.numel() for m in alexnet.classifier if isinstance(m, torch.nn.Linear) for p in m.parameters())
    assert result["alexnet"]["fc_params"] == fc
    assert result["alexnet"]["weight_layers"] == 8 and result["efficientnet"]["weight_layers"] == 1 + 2 + 15 * 3 + 2
    assert result["efficientnet"]["top1"] > result["alexnet"]["top1"]


def test_lite0_split_adds_up_to_the_whole_network():
    result = separable.network_comparison()
    split = result["split"]
    assert sum(part["params"] for part in split.values()) == result["efficientnet"]["params"]
    assert sum(part["macs"] for part in split.values()) == result["efficientnet"]["macs"]
    lite = EfficientNetLite0()
    depthwise = sum(m.weight.numel() for m in lite.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1)
    assert split["depthwise"]["params"] == depthwise
    assert split["pointwise"]["macs"] > split["depthwise"]["macs"]  # mixing channels is the expensive part
