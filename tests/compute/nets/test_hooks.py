"""Forward-hook recorders and parameter counting, against what the modules themselves say."""

import pytest
import torch
from torch import nn

from app.compute.nets.hooks import count_parameters, forward_events, inside, recording


def test_forward_events_record_calls_in_order_and_remove_hooks_even_on_error():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
    watched = {"0": model[0], "2": model[2]}
    with forward_events(watched, lambda n, m, i, o: (n, tuple(o.shape))) as events:
        model(torch.zeros(1, 1, 4, 4))
    assert events == [("0", (1, 2, 2, 2)), ("2", (1, 3))]
    with pytest.raises(RuntimeError):
        with forward_events(watched, lambda n, m, i, o: n):
            model(torch.zeros(1, 1, 5, 5))  # wrong size for the Linear
    assert all(not m._forward_hooks for m in model.modules())


def test_recording_keeps_named_outputs_and_refuses_unknown_names():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    x = torch.randn(1, 1, 6, 6)
    with recording(model, ["0", "1"]) as outputs:
        y = model(x)
    torch.testing.assert_close(outputs["0"], model[0](x))
    torch.testing.assert_close(outputs["1"], y)
    with pytest.raises(KeyError):
        with recording(model, ["nope"]):
            pass
    assert all(not m._forward_hooks for m in model.modules())


def test_count_parameters_splits_weights_and_biases():
    assert count_parameters(nn.Sequential(nn.Conv2d(3, 5, 3), nn.BatchNorm2d(5))) == (3 * 5 * 9 + 5, 5 + 5)
    assert count_parameters([nn.Linear(4, 2), nn.Linear(2, 1, bias=False)]) == (4 * 2 + 2, 2)
    assert inside("layer1.0.conv1", "layer1.0") and not inside("layer1.10", "layer1.1")
