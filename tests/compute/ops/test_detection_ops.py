"""NMS, MABO and transposed convolution against independent implementations: plain Python and torch."""

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st

from app.compute.errors import InputError
from app.compute.ops import mabo, nms, transposed_conv
from tests.references import conv_transpose2d_loops


def plain_iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def plain_nms(boxes, scores, t):
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep, by = [], {}
    for i in order:
        killer = next((k for k in keep if plain_iou(boxes[k], boxes[i]) > t), None)
        if killer is None:
            keep.append(i)
        else:
            by[i] = killer
    return keep, by


def random_boxes(rng, n, side=100):
    boxes = []
    for _ in range(n):
        x, y = rng.uniform(0, side), rng.uniform(0, side)
        boxes.append([x, y, x + rng.uniform(1, 40), y + rng.uniform(1, 40)])
    return boxes


@pytest.mark.parametrize("seed", range(40))
def test_nms_against_plain_python_and_torchvision(seed):
    rng = random.Random(seed)
    boxes = random_boxes(rng, rng.randint(0, 60))
    scores = rng.sample(range(10_000), len(boxes))  # distinct: the order is defined
    scores = [s / 10_000 for s in scores]
    t = rng.choice([0.0, 0.3, 0.5, 0.7, 1.0])
    result = nms.nms(boxes, scores, t)
    keep, by = plain_nms(boxes, scores, t)
    assert result["keep"] == keep
    assert result["keep"] == torchvision.ops.nms(torch.tensor(boxes, dtype=torch.float64).reshape(-1, 4),
                                                 torch.tensor(scores, dtype=torch.float64), t).tolist()
    assert {d["box"]: d["by"] for d in result["suppressed"]} == by
    for d in result["suppressed"]:
        assert d["iou"] == pytest.approx(plain_iou(boxes[d["box"]], boxes[d["by"]]))


@pytest.mark.parametrize(("boxes", "scores", "t"), [
    ("nope", [], 0.5), ([[0, 0, 1]], [1], 0.5), ([[0, 0, 1, 1]], [1, 2], 0.5), ([[2, 0, 1, 1]], [1], 0.5),
    ([[0, 0, 1, 1]], ["a"], 0.5), ([[0, 0, 1, 1]], [1], 1.5), ([[0, 0, 1, 1]], [1], True),
    ([[0, 0, 1, float("nan")]], [1], 0.5),
])
def test_nms_rejects_bad_input(boxes, scores, t):
    with pytest.raises(InputError) as error:
        nms.nms(boxes, scores, t)
    assert error.value.status == 422 and error.value.message("ru") != error.value.message("en")


def test_nms_limit_is_413():
    with pytest.raises(InputError) as error:
        nms.nms([[0, 0, 1, 1]] * (nms.MAX_BOXES + 1), [1] * (nms.MAX_BOXES + 1), 0.5)
    assert error.value.status == 413


@pytest.mark.parametrize("seed", range(20))
def test_mabo_against_plain_python(seed):
    rng = random.Random(seed)
    truth, proposals = random_boxes(rng, rng.randint(1, 8)), random_boxes(rng, rng.randint(0, 30))
    result = mabo.mabo(truth, proposals)
    best = [max((plain_iou(t, p) for p in proposals), default=0.0) for t in truth]
    assert result["best_iou"] == pytest.approx(best)
    assert result["mabo"] == pytest.approx(sum(best) / len(best))
    for t, index, value in zip(truth, result["best_proposal"], best):
        assert (index is None) == (value == 0) and (index is None or plain_iou(t, proposals[index]) == pytest.approx(value))


def test_mabo_needs_a_true_box():
    with pytest.raises(InputError) as error:
        mabo.mabo([], [[0, 0, 1, 1]])
    assert error.value.status == 422 and "true box" in error.value.message("en")


def test_sliding_windows_stay_inside_and_grow_mabo():
    windows = mabo.sliding_windows(200, 100, [32, 64])
    assert all(0 <= x1 < x2 <= 200 and 0 <= y1 < y2 <= 100 for x1, y1, x2, y2 in windows)
    # every size is present, stepped by half a window
    assert {round(x2 - x1) for x1, _, x2, _ in windows} == {32, 64}
    truth = [[40, 20, 100, 80]]
    assert mabo.mabo(truth, mabo.sliding_windows(200, 100, [32, 64]))["mabo"] >= \
        mabo.mabo(truth, mabo.sliding_windows(200, 100, [32]))["mabo"]


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.integers(1, 4), data=st.data())
def test_transposed_conv_loops_against_torch(h, w, kh, kw, stride, data):
    padding = data.draw(st.integers(0, 3))
    output_padding = data.draw(st.integers(0, stride - 1))
    rng = np.random.default_rng(h * 1000 + w * 100 + kh * 10 + kw)
    x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    out_h = transposed_conv.output_size(h, kh, stride, padding, output_padding)
    out_w = transposed_conv.output_size(w, kw, stride, padding, output_padding)
    if out_h < 1 or out_w < 1:
        with pytest.raises(InputError):
            transposed_conv.conv_transpose2d(x.tolist(), k.tolist(), stride, padding, output_padding)
        return
    expected = F.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None], stride=stride,
                                  padding=padding, output_padding=output_padding)[0, 0].numpy()
    assert np.allclose(conv_transpose2d_loops(x, k, stride, padding, output_padding), expected)
    result = transposed_conv.conv_transpose2d(x.tolist(), k.tolist(), stride, padding, output_padding)
    assert np.array_equal(np.array(result["output"]), expected) and result["output_shape"] == [out_h, out_w]


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"stride": 2, "output_padding": 2}, 422), ({"stride": 0}, 422), ({"padding": 5}, 422),
    ({"input": [[1, 2], [3]]}, 422), ({"input": [[float("inf")]]}, 422), ({"kernel": [[1] * 65]}, 422),
])
def test_transposed_conv_rejects_bad_input(kwargs, status):
    args = {"input": [[1, 2], [3, 4]], "kernel": [[1, 1], [1, 1]], **kwargs}
    with pytest.raises(InputError) as error:
        transposed_conv.conv_transpose2d(**args)
    assert error.value.status == status and error.value.message("ru") != error.value.message("en")


def plain_roi_pool(feature, box, output, scale):
    """Max over each bin, with Fast R-CNN's rounding: region corners rounded to cells, bins floor/ceil."""
    import math as m

    x1, y1, x2, y2 = (round(v * scale) for v in box)
    w, h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
    out = []
    for i in range(output):
        row = []
        for j in range(output):
            r0 = min(max(m.floor(i * h / output) + y1, 0), feature.shape[0])
            r1 = min(max(m.ceil((i + 1) * h / output) + y1, 0), feature.shape[0])
            c0 = min(max(m.floor(j * w / output) + x1, 0), feature.shape[1])
            c1 = min(max(m.ceil((j + 1) * w / output) + x1, 0), feature.shape[1])
            cells = [feature[r][c] for r in range(r0, r1) for c in range(c0, c1)]
            row.append(max(cells) if cells else 0.0)
        out.append(row)
    return out


@pytest.mark.parametrize("seed", range(20))
def test_roi_pool_against_plain_python(seed):
    from app.compute.ops import roi

    rng = random.Random(seed)
    feature = np.random.default_rng(seed).normal(size=(32, 32))
    x1, y1 = rng.uniform(0, 400), rng.uniform(0, 400)
    box = [x1, y1, min(512, x1 + rng.uniform(5, 300)), min(512, y1 + rng.uniform(5, 300))]
    output = rng.randint(1, 7)
    result = roi.roi_pool(feature, box, output)
    assert np.allclose(result["pooled"], plain_roi_pool(feature, box, output, 1 / 16))
    for value, cell in zip(np.array(result["pooled"]).ravel(), result["argmax"]):
        assert cell is None or feature[cell[0], cell[1]] == value


def test_anchors_against_the_faster_rcnn_formula():
    from app.compute.ops import roi

    anchors = roi.anchors(3, 5)
    assert len(anchors) == 9 and roi.anchor_count(60, 40) == 60 * 40 * 9 == 21_600
    for a in anchors:
        # area ≈ size², height / width ≈ ratio, centred on (5·16, 3·16), as torchvision rounds
        h_ratio = a["ratio"] ** 0.5
        w, h = a["size"] / h_ratio, a["size"] * h_ratio
        expected = [round(-w / 2) + 80, round(-h / 2) + 48, round(w / 2) + 80, round(h / 2) + 48]
        assert a["box"] == pytest.approx(expected, abs=1)
    assert {(a["size"], a["ratio"]) for a in anchors} == {(s, r) for s in (128, 256, 512) for r in (0.5, 1.0, 2.0)}


@pytest.mark.parametrize("seed", range(6))
def test_stamp_trace_ends_at_torch_and_adds_one_stamp_a_step(seed):
    rng = np.random.default_rng(seed)
    x, k = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 2))
    trace = transposed_conv.stamp_trace(x, k, stride, padding)
    expected = F.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None], stride=stride,
                                  padding=padding)[0, 0].numpy()
    assert np.allclose(trace["steps"][-1]["output"], expected)
    before = np.zeros_like(expected)
    for step in trace["steps"]:
        after = np.array(step["output"])
        changed = {tuple(rc) for rc in np.argwhere(~np.isclose(after, before))}
        assert changed <= {tuple(rc) for rc in step["touched"]}
        before = after


def test_bilinear_kernel_is_interpolation_inside_and_the_learned_one_is_the_least_squares_optimum():
    rng = np.random.default_rng(0)
    fine = rng.random((48, 40))
    result = transposed_conv.learned_vs_bilinear(fine, 4)
    assert np.allclose(result["initial"][4:-4, 4:-4], result["bilinear"][4:-4, 4:-4])
    # The same least-squares problem solved whole, one design column per kernel cell.
    coarse = torch.from_numpy(result["coarse"])[None, None]
    columns = []
    for a in range(8):
        for b in range(8):
            w = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
            w[0, 0, a, b] = 1
            columns.append(F.conv_transpose2d(coarse, w, stride=4, padding=2).flatten())
    design = torch.stack(columns, 1)
    best = torch.linalg.lstsq(design, torch.from_numpy(fine).flatten()[:, None]).solution
    mse = float(((design @ best).flatten() - torch.from_numpy(fine).flatten()).pow(2).mean())
    assert result["mse"]["learned"] == pytest.approx(mse, rel=1e-9)
    assert result["mse"]["learned"] <= min(result["mse"]["bilinear"], result["mse"]["initial"])


def test_alexnet_augmentation_against_numpy_and_the_paper():
    from PIL import Image

    from app.compute.ops import augment

    counts = augment.distinct_inputs()
    assert counts["with_flips"] == (256 - 224 + 1) ** 2 * 2 == 2178 and counts["paper"] == 2048 == 32 * 32 * 2
    rng = np.random.default_rng(1)
    photo = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    result = augment.augment(photo, seed=5, sigma=0.1)
    assert result["resized"].shape == (256, 256, 3) and result["output"].shape == (224, 224, 3)
    x, y = result["crop"]
    assert 0 <= x <= 32 and 0 <= y <= 32
    # PCA against numpy's own eigen-decomposition of the covariance, and the shift formula written out.
    flat = result["resized"].reshape(-1, 3) / 255.0
    values = np.sort(np.linalg.eigvalsh(np.cov(flat.T)))[::-1]
    assert np.allclose(result["eigenvalues"], values)
    vectors = np.array(result["eigenvectors"])
    shift = sum(a * np.sqrt(v) * vectors[:, i] for i, (a, v) in enumerate(zip(result["alphas"], values)))
    assert np.allclose(result["shift"], shift)
    patch = result["resized"][y:y + 224, x:x + 224]
    patch = patch[:, ::-1] if result["flip"] else patch
    assert np.abs(result["output"].astype(float) - np.clip(patch / 255 + shift, 0, 1) * 255).max() <= 0.5 + 1e-9


@pytest.mark.parametrize("budget", [5_000_000, 20_000_000, 60_000_000])
def test_depth_budget_widths_against_torch_modules(budget):
    from torch import nn

    from app.compute.nets import depth_budget

    for row in depth_budget.at_budget(budget):
        d, c = row["depth"], row["width"]
        real = nn.Sequential(*[nn.Conv2d(3 if n == 0 else c, c, 3, padding=1, device="meta") for n in range(d)])
        count = sum(p.numel() for p in real.parameters())
        wider = sum(p.numel() for p in nn.Sequential(*[nn.Conv2d(3 if n == 0 else c + 1, c + 1, 3, device="meta")
                                                       for n in range(d)]).parameters())
        assert row["params"] == count <= budget < wider  # the widest stack within the budget
        assert row["receptive_field"] == 1 + 2 * d
        assert row["macs"] == 56 * 56 * (27 * c + (d - 1) * 9 * c * c)
