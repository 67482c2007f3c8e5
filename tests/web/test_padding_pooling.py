"""The padding-stride and pooling lessons: widget fragments with default, edge and bad state, and their exercises."""

import html
import json
import re

import numpy as np
import pytest

from app.compute.ops import arithmetic, pool
from app.compute.ops.layer_shapes import ALEXNET_LECTURE_SHAPES
from app.web.widgets import EXERCISES
from app.web.widgets.registry import check_answer, make_question
from tests.web.refusals import kept_refusal

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
PS = "padding-stride"


def fragment(client, slug, block, lang="en", **state):
    query = "&".join(f"{block}.{key}={value}" for key, value in state.items())
    return client.get(f"/{lang}/lessons/{slug}/widgets/{block}" + (f"?{query}" if query else ""))


def text(response) -> str:
    return html.unescape(response.text)


@pytest.mark.parametrize(
    ("slug", "block", "state"),
    [
        (PS, "shrink", {"width": "abc"}), (PS, "shrink", {"kernel": 0}), (PS, "shrink", {"layers": 17}),
        (PS, "formula", {"width": 0}), (PS, "formula", {"stride": 9}), (PS, "formula", {"padding": -1}),
        (PS, "formula", {"dilation": 5}), (PS, "formula", {"filters": "1e9"}), (PS, "formula", {"kernel": "3.5"}),
        (PS, "common", {"table": "other"}), (PS, "common", {"width": 0}),
        ("pooling", "max", {"input": "1 2; 3"}), ("pooling", "max", {"input": "1 nan; 2 3"}),
        ("pooling", "max", {"mode": "min"}), ("pooling", "max", {"size": 5}), ("pooling", "max", {"stride": 5}),
        ("pooling", "max", {"padding": 2}), ("pooling", "max", {"speed": 0}),
        ("pooling", "photo", {"preset": "box_blur"}), ("pooling", "photo", {"sample": "nope"}),
        ("pooling", "photo", {"activation": "tanh"}), ("pooling", "photo", {"times": 4}),
        ("pooling", "stack", {"side": 4, "padding": "none"}), ("pooling", "stack", {"kernel": 4, "padding": "same"}),
        ("pooling", "stack", {"preset": "vgg"}), ("pooling", "stack", {"pool": "5"}),
    ],
)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_bad_state_is_422_with_translated_message(client, slug, block, state, lang):
    response = fragment(client, slug, block, lang, **state)
    assert bool(CYRILLIC.search(kept_refusal(response))) is (lang == "ru")


def test_shrink_layers_numbers(client):
    page = text(fragment(client, PS, "shrink", width=9, kernel=3, layers=5))
    assert re.findall(r'data-unpadded="(\d+)"', page) == ["7", "5", "3", "1"]
    assert page.count('<span class="pp-bar-label">9×9</span>') == 5  # "same" padding keeps every layer at 9×9
    even = text(fragment(client, PS, "shrink", kernel=4))
    assert "(F − 1)/2" in even


def test_explorer_valid_fraction_and_too_big(client):
    seven = text(fragment(client, PS, "formula", width=7, kernel=3, stride=1, padding=1))
    assert "W2 = (7 − 3 + 2·1)/1 + 1 = 7" in seven and 'data-verdict="valid"' in seven
    assert seven.count('data-status="padding"') == 2 and 'data-status="unseen"' not in seven
    uneven = text(fragment(client, PS, "uneven"))
    result = arithmetic.conv_arithmetic(7, 3, 3)
    assert result["formula"] in uneven and 'data-verdict="fraction"' in uneven
    assert result["reason"]["en"] in uneven
    assert uneven.count('data-status="unseen"') == result["unseen"]
    assert uneven.count("data-window") == result["floor_output"]
    too_big = text(fragment(client, PS, "formula", width=2, kernel=5))
    assert 'data-verdict="too-big"' in too_big and "data-window" not in too_big
    wide = text(fragment(client, PS, "formula", width=100, kernel=3))
    assert "data-window" not in wide and "W1 + 2P = 100" in wide


def test_explorer_params_and_code(client):
    page = text(fragment(client, PS, "layer"))
    result = arithmetic.conv_arithmetic(32, 5, 1, 2, 1, 3, 6)
    assert f'data-params="{result["params"]}"' in page
    assert f"({5}·{5}·{3})·{6} + {6} = {result['weights']} + {result['biases']} = {result['params']}" in page
    assert "nn.Conv2d(3, 6, kernel_size=5, stride=1, padding=2, dilation=1)" in page
    assert f"torch.Size([1, 6, {result['output_size']}, {result['output_size']}])" in page


def test_explorer_dilation(client):
    page = text(fragment(client, PS, "dilated"))
    assert "2·(3 − 1) + 1 = 5" in page
    windows = arithmetic.conv_arithmetic(9, 3, 1, 0, 2)["output_size"]
    assert page.count("●") == 3 * windows + 2  # three taps per window, plus the legend and the caption


def test_conv_settings(client):
    odd = text(fragment(client, PS, "common", width=31))
    assert 'data-fit="0,1,2,3,4"' in odd
    even = text(fragment(client, PS, "common", width=32))
    assert 'data-fit=""' in even
    same = text(fragment(client, PS, "same", width=20))
    assert same.count("<td>20×20</td>") == 4 and same.count("✓") == 3  # F = 1…7; the lecture lists F = 3, 5, 7


def pool_trace(response):
    match = re.search(r'<script type="application/json" data-trace>(.*?)</script>', response.text, re.S)
    return json.loads(match.group(1))


def test_pool_steps_trace_is_the_compute_trace(client):
    grid = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    assert pool_trace(fragment(client, "pooling", "max")) == pool.pool2d_trace(grid, "max", 2, 2)
    assert pool_trace(fragment(client, "pooling", "avg")) == pool.pool2d_trace(grid, "avg", 2, 2)
    padded = fragment(client, "pooling", "max", padding=1, stride=1)
    assert padded.status_code == 200 and "−∞" in padded.text


def test_pool_steps_overlap(client):
    page = text(fragment(client, "pooling", "overlap"))
    assert 'data-grid="coverage"' in page and '4<span aria-hidden="true">×</span>' in page
    assert 'data-grid="coverage"' not in text(fragment(client, "pooling", "max"))
    assert 'data-params="0"' in page and "F.max_pool2d(x, kernel_size=3, stride=2, padding=0)" in page


def test_pool_photo(client):
    page = text(fragment(client, "pooling", "photo", times=2))
    shapes = re.findall(r'<span class="pp-shape">([\d×]+)</span>', page)
    assert shapes == ["256×170", "128×85", "64×42"]
    assert page.count('src="data:image/png;base64,') == 3 and page.count('src="data:image/jpeg;base64,') == 1
    assert 'data-shape="64x42"' in page
    signed = fragment(client, "pooling", "photo", activation="none", preset="edge", size=3, stride=2)
    assert signed.status_code == 200


def test_pool_stack(client):
    alexnet = text(fragment(client, "pooling", "alexnet"))
    for name, (w, h, d) in ALEXNET_LECTURE_SHAPES.items():
        assert f'data-row="{name}"' in alexnet and f'data-shape="{w}x{h}x{d}"' in alexnet
    assert alexnet.count("✓") == len(ALEXNET_LECTURE_SHAPES)
    small = text(fragment(client, "pooling", "stack"))
    # LeNet's own CONV-POOL-CONV-POOL: one channel, 5×5 convs without padding, 32 → 28 → 14 → 10 → 5.
    assert re.findall(r'data-shape="([\dx]+)"', small) == ["28x28x6", "14x14x6", "10x10x16", "5x5x16"]
    conv1, conv2 = 5 * 5 * 1 * 6 + 6, 5 * 5 * 6 * 16 + 16
    assert re.findall(r'data-params="(\d+)"', small) == [str(conv1), "0", str(conv2), "0"]
    assert f'data-total="{conv1 + conv2}"' in small
    overlap = text(fragment(client, "pooling", "stack", pool="3", padding="none"))
    assert re.findall(r'data-shape="([\dx]+)"', overlap) == ["28x28x6", "13x13x6", "9x9x16", "4x4x16"]


def test_hide_controls(client):
    response = client.get(f"/en/lessons/{PS}/widgets/formula?hide=stride,formula.padding")
    assert 'type="hidden" name="formula.stride"' in response.text
    assert 'type="hidden" name="formula.padding"' in response.text
    assert 'type="number" name="formula.width"' in response.text


# Exercises: the answers against independent arithmetic, read back from the prompt.

def numbers_in(markup) -> list[int]:
    return [int(v) for v in re.findall(r"(?<!\w)(?<!\d\.)\d+(?!\d|\.\d)", re.sub(r"<[^>]+>", " ", str(markup)))]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_output_size_exercise(lang):
    for seed in range(30):
        q = make_question(EXERCISES["ps-output-size"], seed, lang, {})
        w, _, f, _, s, p = numbers_in(q.prompt)[:6]
        assert (w - f + 2 * p) % s == 0 and q.answer == (w - f + 2 * p) // s + 1


def test_valid_setting_exercise_covers_every_outcome():
    seen = set()
    for seed in range(60):
        q = make_question(EXERCISES["ps-valid-setting"], seed, "en", {})
        w, f, s, p = numbers_in(q.prompt)[:4]
        span = w - f + 2 * p
        expected = "c" if span < 0 else ("a" if span % s == 0 else "b")
        assert q.answer == expected, (seed, w, f, s, p)
        seen.add(expected)
    assert seen == {"a", "b", "c"}


def test_padding_fits_exercise():
    for seed in range(30):
        q = make_question(EXERCISES["ps-padding-fits"], seed, "en", {})
        w, f, s = numbers_in(q.prompt)[:3]
        assert [p for p in range(3) if (w - f + 2 * p) % s == 0] == [q.answer]
        assert check_answer(q, str(q.answer)) and not check_answer(q, str((q.answer + 1) % 3))


def test_layer_params_exercise_is_exact():
    for seed in range(30):
        q = make_question(EXERCISES["ps-layer-params"], seed, "en", {})
        _, _, d1, k, f, _ = numbers_in(q.prompt)[:6]
        assert q.answer == f * f * d1 * k + k
        assert check_answer(q, str(q.answer + 1)) is False  # big counts are checked exactly


def window_of(q):
    """The grid of a pooling exercise (its figure) and the window its question asks about (its prompt)."""
    rows = re.findall(r"<tr>(.*?)</tr>", str(q.figure))
    grid = np.array([[float(v) for v in re.findall(r"<td>(.*?)</td>", row)] for row in rows])
    size, _, stride, i, j = numbers_in(str(q.prompt))[:5]
    return grid[(i - 1) * stride : (i - 1) * stride + size, (j - 1) * stride : (j - 1) * stride + size]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_pooling_cell_exercises(lang):
    for seed in range(30):
        q = make_question(EXERCISES["pooling-max-cell"], seed, lang, {})
        assert q.answer == window_of(q).max()
        q = make_question(EXERCISES["pooling-avg-cell"], seed, lang, {})
        assert q.answer == pytest.approx(window_of(q).mean())


def test_pooled_shape_exercise():
    for seed in range(30):
        q = make_question(EXERCISES["pooling-output-shape"], seed, "en", {})
        w, h, d, f, _, s = numbers_in(q.prompt)[:6]
        assert q.answer == ((w - f) // s + 1, (h - f) // s + 1, d)


def test_stack_params_exercise():
    for seed in range(30):
        q = make_question(EXERCISES["pooling-stack-params"], seed, "en", {})
        _, _, d, k1, f, _, k2 = numbers_in(q.prompt)[:7]
        assert q.answer == (f * f * d * k1 + k1) + (f * f * k1 * k2 + k2)
