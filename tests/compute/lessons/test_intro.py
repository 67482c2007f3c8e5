"""Lessons 1–2 computations against independent references: plain loops, numpy, explicit formulas."""

import math
from decimal import Decimal

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from app.compute import samples
from app.compute.lessons import intro, modalities
from app.compute.errors import InputError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# ILSVRC data and the lecture's figures.

def test_results_are_the_published_figures():
    """The entries the issue lists, rounded to one decimal as they are usually quoted."""
    quoted = {(r.year, r.team, float(r.percent.quantize(Decimal("0.1")))) for r in intro.RESULTS}
    assert quoted == {
        (2010, "NEC-UIUC", 28.2), (2011, "XRCE", 25.8), (2012, "ISI", 26.2), (2012, "SuperVision", 16.4),
        (2012, "SuperVision", 15.3), (2013, "Clarifai", 11.7), (2014, "GoogLeNet", 6.7), (2014, "VGG", 7.3),
        (2015, "MSRA", 3.6),
    }
    for r in intro.RESULTS:
        assert r.sources and all(r.sources), r.key
        assert set(r.notes) == {"en", "ru"}
        assert 0 < Decimal(r.error) < 1
    assert len({r.key for r in intro.RESULTS}) == len(intro.RESULTS)


def test_best_per_year_and_the_drop():
    data = intro.imagenet_results()
    by_year = {}
    for r in intro.RESULTS:  # plain loop: the lowest error of each year
        if r.year not in by_year or Decimal(r.error) < Decimal(by_year[r.year].error):
            by_year[r.year] = r
    assert [b["key"] for b in data["best"]] == [by_year[y].key for y in sorted(by_year)]
    assert [b["cnn"] for b in data["best"]] == [False, False, True, True, True, True]
    assert data["factor"] == pytest.approx(28.191 / 3.567)
    drop = data["drop_2012"]
    assert (drop["before"], drop["after"]) == ("isi2012", "alexnet2012x")
    assert drop["points"] == pytest.approx(26.172 - 15.315)
    assert drop["relative"] == pytest.approx((26.172 - 15.315) / 26.172)


def test_lecture_figures_say_how_they_were_shortened():
    rows = {row["key"]: row for row in intro.lecture_figures()}
    assert {k: (r["lecture"], r["team"], r["year"]) for k, r in rows.items()} == {
        "before": (26.1, "ISI", 2012), "alexnet": (15.3, "SuperVision", 2012), "latest": (3.6, "MSRA", 2015)}
    for row in rows.values():
        official = row["percent"]
        rounded = float(f"{official:.1f}")
        truncated = math.floor(official * 10 + 1e-9) / 10
        expected = "rounded" if row["lecture"] == rounded else "truncated" if row["lecture"] == truncated else "differs"
        assert row["how"] == expected
        assert row["rounded"] == rounded and row["truncated"] == pytest.approx(truncated)
    assert rows["before"]["how"] == "truncated"  # 26.172 would round to 26.2, as Krizhevsky et al. write it
    assert rows["alexnet"]["how"] == rows["latest"]["how"] == "rounded"


def test_agrees_with_the_depth_slide_data():
    """history.py (the ResNet lesson) quotes the same results rounded; the two tables must not disagree."""
    history = pytest.importorskip("app.compute.lessons.history")
    ours = {(r.year, r.cnn): r for r in intro.RESULTS if r.place == 1 and r.key != "alexnet2012x"}
    for entry in history.ILSVRC_CLASSIFICATION:
        if entry.place != 1:
            continue
        mine = ours[(entry.year, entry.cnn)]
        assert round(float(mine.percent), 2) == pytest.approx(entry.top5_error, abs=0.05), entry.name
    if hasattr(history, "ILSVRC_2012"):
        assert history.ILSVRC_2012["best_non_cnn"] == pytest.approx(float(intro._result("isi2012").percent))
        assert history.ILSVRC_2012["alexnet_extra_data"] == pytest.approx(float(intro._result("alexnet2012x").percent))


# ---------------------------------------------------------------------------------------------
# Top-k.

def softmax_reference(scores):
    m = max(scores)
    exps = [math.exp(s - m) for s in scores]
    return [e / sum(exps) for e in exps]


@FAST
@given(st.lists(st.integers(-60, 60), min_size=2, max_size=20), st.data())
def test_top_k_against_a_plain_ranking(values, data):
    scores = [v / 10 for v in values]
    true = data.draw(st.integers(0, len(scores) - 1))
    k = data.draw(st.integers(1, len(scores)))
    report = intro.top_k(scores, true, k)
    ranking = sorted(range(len(scores)), key=lambda i: (-scores[i], i))  # ties: list order
    assert report["ranking"] == ranking
    assert report["top1_correct"] == (ranking[0] == true)
    assert report["topk_correct"] == (true in ranking[:k])
    assert report["true_rank"] == ranking.index(true) + 1
    probabilities = softmax_reference(scores)
    assert report["probabilities"] == pytest.approx(probabilities)
    assert report["loss"] == pytest.approx(-math.log(probabilities[true]))
    assert report["topk_mass"] == pytest.approx(sum(probabilities[i] for i in ranking[:k]))
    assert [row["index"] for row in report["rows"]] == ranking
    if len(set(scores)) == len(scores):  # without ties torch.topk must agree
        top = torch.topk(torch.tensor(scores), k).indices.tolist()
        assert top == ranking[:k]


def test_seeded_scores_repeat():
    assert intro.seeded_scores(11, 10) == intro.seeded_scores(11, 10)
    assert intro.seeded_scores(11, 10) != intro.seeded_scores(12, 10)
    assert all(round(s, 1) == s for s in intro.seeded_scores(5, 7))


@pytest.mark.parametrize("scores, true, k", [
    ([1.0], 0, 1), ([1.0] * 21, 0, 5), ([1.0, float("nan")], 0, 1), ([1.0, 1e6], 0, 1), ([1, 2], 2, 1),
    ([1, 2], 0, 3), ([1, 2], 0, 0), ("1 2", 0, 1), ([True, 2.0], 0, 1),
])
def test_top_k_refuses_bad_input(scores, true, k):
    with pytest.raises(InputError):
        intro.top_k(scores, true, k)


# ---------------------------------------------------------------------------------------------
# Inputs as tensors.

def test_image_tensor_is_channels_first():
    image = intro.image_tensor("coffee", 120)
    photo = np.asarray(samples.load_sample("coffee", 120))  # (H, W, 3)
    assert image["shape"] == [3, *photo.shape[:2]] and image["hwc_shape"] == list(photo.shape)
    for c in range(3):
        assert np.array_equal(image["channels"][c], photo[:, :, c])
        assert image["corner"][c] == photo[:4, :4, c].tolist()
        assert image["means"][c] == pytest.approx(photo[:, :, c].mean())
    assert image["numel"] == photo.size


def test_chirp_rises_and_notes_are_the_notes():
    rate = modalities.SAMPLE_RATE
    chirp = modalities.synth_signal("chirp")
    assert chirp.shape == (rate,) and np.abs(chirp).max() <= 0.8 + 1e-12
    crossings = np.flatnonzero(np.diff(np.signbit(chirp)))  # zero crossings: two per period
    first, last = crossings[crossings < rate // 10], crossings[crossings > rate - rate // 10]
    assert len(first) < len(last)
    notes = modalities.synth_signal("notes")
    quarter = len(notes) // 4
    for n, f in enumerate(modalities.NOTE_FREQUENCIES):
        piece = notes[n * quarter:(n + 1) * quarter]
        spectrum = np.abs(np.fft.rfft(piece))
        peak = np.argmax(spectrum) * rate / len(piece)
        assert abs(peak - f) <= rate / len(piece)


def stft_reference(x, n_fft, hop):
    """|STFT| with numpy: reflect-pad n_fft/2 at both ends, periodic Hann window, rfft per frame."""
    padded = np.pad(x, n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = [padded[s:s + n_fft] * window for s in range(0, len(padded) - n_fft + 1, hop)]
    return np.abs(np.fft.rfft(np.array(frames), axis=1)).T  # (F, frames)


@FAST
@given(st.integers(65, 3000), st.sampled_from([16, 32, 64, 128]), st.data())
def test_spectrogram_against_numpy(length, n_fft, data):
    hop = data.draw(st.integers(1, n_fft))
    x = np.random.default_rng(length).normal(size=length)
    spec = modalities.spectrogram(x, n_fft, hop)
    assert spec["shape"] == [n_fft // 2 + 1, 1 + length // hop]
    assert modalities.stft_shape(length, n_fft, hop) == (n_fft // 2 + 1, 1 + length // hop)
    assert np.allclose(spec["magnitude"], stft_reference(x, n_fft, hop), atol=1e-9)
    assert spec["signal_shape"] == [length]


def test_spectrogram_follows_the_chirp():
    spec = modalities.spectrogram(modalities.synth_signal("chirp"), 256, 64)
    peaks = spec["peak_hz"][2:-2]
    assert peaks[0] < 400 and peaks[-1] > 1800
    assert all(b >= a - spec["bin_hz"] for a, b in zip(peaks, peaks[1:], strict=False))


@pytest.mark.parametrize("n_fft, hop", [(100, 10), (8, 4), (256, 0), (256, 257)])
def test_spectrogram_refuses_bad_settings(n_fft, hop):
    with pytest.raises(InputError):
        modalities.spectrogram(np.zeros(1000), n_fft, hop)


def test_envelope():
    x = np.arange(10.0)
    assert modalities.envelope(x, 3) == ([0.0, 4.0, 7.0], [3.0, 6.0, 9.0])


def test_phantom_volume_and_slices():
    volume = modalities.phantom_volume(12, 32)
    assert volume.shape == (12, 32, 32) and volume.min() >= 0 and volume.max() <= 1
    assert np.array_equal(volume, volume[::-1])  # the ellipsoid is symmetric in depth
    filled = [(s > 0).sum() for s in volume]
    assert filled[0] < filled[5]  # slices shrink towards the ends
    cut = modalities.volume_slices(12, 32, 3, 10, 20)
    assert np.array_equal(cut["axial"], volume[3]) and cut["axial_shape"] == [32, 32]
    assert np.array_equal(cut["coronal"], volume[:, 10, :]) and cut["coronal_shape"] == [12, 32]
    assert np.array_equal(cut["sagittal"], volume[:, :, 20]) and cut["sagittal_shape"] == [12, 32]
    with pytest.raises(InputError):
        modalities.volume_slices(12, 32, 12)


@pytest.mark.parametrize("motion", modalities.MOTIONS)
def test_video_frames(motion):
    video = modalities.video_frames("chelsea", 5, motion, side=48)
    t, c, h, w = video["shape"]
    assert (t, c) == (5, 3) and h == w <= 48
    frames = np.stack(video["frames"])  # (T, H, W, C)
    assert np.array_equal(video["tensor"].numpy(), frames.transpose(0, 3, 1, 2))
    diffs = np.abs(np.diff(frames.astype(np.float64), axis=0)).mean(axis=(1, 2, 3))
    assert video["change"] == pytest.approx(diffs.tolist())
    assert video["bytes_uint8"] == frames.size and video["bytes_float32"] == 4 * frames.size
    if motion == "pan":
        photo = np.asarray(samples.load_sample("chelsea", 96))
        top = (photo.shape[0] - h) // 2
        assert np.array_equal(frames[0], photo[top:top + h, :w])


def test_video_refuses_bad_settings():
    with pytest.raises(InputError):
        modalities.video_frames("chelsea", 1, "pan")
    with pytest.raises(InputError):
        modalities.video_frames("chelsea", 4, "shake")


# ---------------------------------------------------------------------------------------------
# Neighbouring pixels.

def test_neighbour_correlation_against_numpy():
    image = np.random.default_rng(0).random((20, 30)).cumsum(axis=1)
    result = modalities.neighbour_correlation(image, 6)
    for n, d in enumerate(result["distances"]):
        h = np.corrcoef(image[:, :-d].ravel(), image[:, d:].ravel())[0, 1]
        v = np.corrcoef(image[:-d].ravel(), image[d:].ravel())[0, 1]
        assert result["horizontal"][n] == pytest.approx(h) and result["vertical"][n] == pytest.approx(v)


def test_photo_neighbours_correlate_more_than_distant_pixels():
    result = modalities.sample_correlation("camera", 128, 30)
    assert result["horizontal"][0] > 0.9 and result["horizontal"][0] > result["horizontal"][-1]


# ---------------------------------------------------------------------------------------------
# Fully connected against convolutional.

@FAST
@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 8), st.integers(1, 5000), st.integers(1, 1000),
       st.integers(1, 11), st.integers(1, 256))
def test_fc_vs_conv_against_formulas(h, w, c, hidden, classes, f, k):
    if f > min(h, w):
        with pytest.raises(InputError):
            intro.fc_vs_conv(h, w, c, hidden, classes, f, k)
        return
    counts = intro.fc_vs_conv(h, w, c, hidden, classes, f, k)
    assert counts["inputs"] == h * w * c
    assert counts["fc1"] == {"weights": h * w * c * hidden, "biases": hidden, "params": h * w * c * hidden + hidden}
    assert counts["fc2"] == {"weights": hidden * classes, "biases": classes, "params": hidden * classes + classes}
    conv = counts["conv"]
    assert (conv["weights"], conv["biases"], conv["per_filter"]) == (f * f * c * k, k, f * f * c)
    assert (conv["out_height"], conv["out_width"]) == (h - f + 1, w - f + 1)
    assert conv["units"] == k * (h - f + 1) * (w - f + 1)
    assert counts["conv_macs"] == conv["units"] * f * f * c
    assert counts["ratio"] == pytest.approx(h * w * c * hidden / (f * f * c * k))


def test_meta_counts_match_real_modules():
    real = nn.Sequential(nn.Linear(12 * 10 * 3, 7), nn.Linear(7, 4))
    counts = intro.fc_vs_conv(12, 10, 3, 7, 4, 3, 5)
    assert counts["fc"]["params"] == sum(p.numel() for p in real.parameters())
    assert counts["conv"]["params"] == sum(p.numel() for p in nn.Conv2d(3, 5, 3).parameters())


def test_the_lectures_example():
    check = intro.lecture_fc_check()
    assert all(row["matches"] for row in check.values())
    assert check["inputs"]["computed"] == 100 * 100 * 3
    assert check["hidden_weights"]["computed"] == 1000 * 100 * 100 * 3
    assert check["hidden_weights"]["with_biases"] == 1000 * 100 * 100 * 3 + 1000
    assert check["output_weights"]["with_biases"] == 10 * 1000 + 10


def test_conv_weights_do_not_depend_on_the_image_size():
    table = intro.sizes_table([16, 64, 256], 3, 100, 5, 8)
    assert len({row["conv"]["weights"] for row in table}) == 1
    assert [row["fc1"]["weights"] for row in table] == [s * s * 3 * 100 for s in (16, 64, 256)]


def test_huge_layers_cost_no_memory():
    counts = intro.fc_vs_conv(4096, 4096, 64, 100_000, 100_000, 15, 1024)
    assert counts["fc1"]["weights"] == 4096 * 4096 * 64 * 100_000


@FAST
@given(st.integers(2, 9), st.data())
def test_connectivity_against_loops(size, data):
    kernel = data.draw(st.integers(1, size))
    result = intro.connectivity(size, kernel)
    out = size - kernel + 1
    assert result["out"] == out and len(result["positions"]) == out * out
    assert result["fc_weights"] == [[r * size + c + 1 for c in range(size)] for r in range(size)]
    n = 0
    for i in range(out):
        for j in range(out):
            expected = sorted((i + a, j + b, a * kernel + b + 1) for a in range(kernel) for b in range(kernel))
            position = result["positions"][n]
            assert position["out"] == [i, j]
            assert sorted(tuple(t) for t in position["taps"]) == expected
            n += 1
    counts = result["counts"]
    assert counts["fc_weights"] == size * size * out * out and counts["conv_weights"] == kernel * kernel
    assert counts["fc_biases"] == out * out and counts["conv_biases"] == 1
