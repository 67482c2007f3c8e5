"""The conv-layer lesson's widget fragments and exercises, through the ASGI app."""

import html
import re

import numpy as np
import pytest

from app.compute.ops import conv_layer
from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question

BASE = "/{lang}/lessons/conv-layer/widgets/{block}"


def fragment(client, block, lang="en", **params):
    query = "&".join(f"{block}.{k}={v}" for k, v in params.items())
    return client.get(BASE.format(lang=lang, block=block) + (f"?{query}" if query else ""))


def text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def test_dot_product_is_the_backends_and_matches_plain_loops(client):
    response = fragment(client, "dot", sample="coffee", filter="spot", bias="-0.3", row=28, col=1)  # from 1
    assert response.status_code == 200
    x = conv_layer.photo_volume("coffee", 32)
    w = conv_layer.FILTER_BANK["spot"].weights
    expected = float((x[:, 27:32, 0:5] * w).sum()) - 0.3  # plain numpy on the patch
    shown = float(re.search(r"data-result>([^<]+)<", response.text).group(1))
    assert shown == pytest.approx(expected, abs=1e-9)
    assert "✓" in response.text and response.text.count('data-channel="') == 3
    assert len(re.findall(r'data-grid="products"', response.text)) == 3
    products = re.findall(r'data-grid="products">(.*?)</table>', response.text, re.S)
    assert sum(p.count("<td>") for p in products) == 75


def test_dot_random_filter_shows_the_seed(client):
    response = fragment(client, "dot", filter="random", seed=42, row=1, col=1)
    assert response.status_code == 200
    assert 'name="dot.seed"' in response.text and 'type="number"' in response.text
    w = conv_layer.random_filter(42)
    assert f"{w[0, 0, 0]:g}" in text(response)


@pytest.mark.parametrize(
    "block, params, en, ru",
    [
        ("dot", {"row": 29}, "between 1 and 28", "от 1 до 28"),
        ("dot", {"col": "0"}, "between 1 and 28", "от 1 до 28"),
        ("dot", {"filter": "sobel"}, "must be one of", "нужно одно из значений"),
        ("dot", {"bias": "nan"}, "must be a number", "нужно число от"),
        ("filters", {"filters": 13}, "between 1 and 12", "от 1 до 12"),
        ("filters", {"padding": "x"}, "whole number", "нужно целое число"),
        ("pipeline", {"kernel": 4}, "must be one of", "нужно одно из значений"),
        ("bank", {"sample": "lena"}, "must be one of", "нужно одно из значений"),
        ("bank", {"relu": "maybe"}, "must be one of", "нужно одно из значений"),
        ("relu", {"row": 24}, "between 1 and 23", "от 1 до 23"),
        ("stack", {"k1": 0}, "between 1 and 16", "от 1 до 16"),
        ("stack", {"f2": 9, "s1": 4}, "CONV2", "CONV2"),
    ],
)
def test_bad_state_is_422_with_a_translated_message(client, block, params, en, ru):
    for lang, message in (("en", en), ("ru", ru)):
        response = fragment(client, block, lang, **params)
        assert response.status_code == 422, (lang, response.text[:300])
        assert 'role="alert"' in response.text and message in text(response), text(response)[:500]


def test_filters_output_volume_follows_k_and_p(client):
    for k, p in ((1, 0), (6, 0), (12, 3)):
        response = fragment(client, "filters", filters=k, padding=p)
        side = (32 - 5 + 2 * p) // 1 + 1
        assert re.search(r"data-shape>\s*" + f"{side}×{side}×{k}", response.text)
        assert response.text.count("clayer-map-item") == k
        assert f"= {(5 * 5 * 3) * k + k}" in text(response)


def test_pipeline_shows_both_figures_when_they_differ(client):
    same = text(fragment(client, "pipeline"))
    assert "✓" in same and "≠" not in same
    response = fragment(client, "pipeline", filters=6, kernel=3, padding="none")
    shapes = re.findall(r"data-shape>([^<]+)<", response.text)
    assert shapes == ["32×32×3", "30×30×6", "30×30×6", "15×15×6", "1×1×10"]
    body = text(response)
    assert "32×32×12" in body and "≠" in body and "32 − 3 + 1 = 30" in body


def test_bank_shows_every_map_with_geometry(client):
    response = fragment(client, "bank", sample="camera", relu="on")
    assert response.status_code == 200
    assert response.text.count("data-rf-map") == len(conv_layer.FILTER_BANK)
    assert '"size": 5' in html.unescape(response.text) and "92×92×8" in text(response)


def test_relu_counts_are_the_negatives_of_the_map(client):
    response = fragment(client, "relu", filter="horizontal_edge", bias="-0.2", row=23, col=1)  # rows 23–28 from 1
    assert response.status_code == 200
    x = conv_layer.photo_volume("chelsea", 32)
    w = conv_layer.FILTER_BANK["horizontal_edge"].weights
    activation = np.array([[(x[:, i:i + 5, j:j + 5] * w).sum() - 0.2 for j in range(28)] for i in range(28)])
    window = activation[22:28, 0:6]
    body = text(response)
    assert f"{int((window < 0).sum())} of 36" in body and f"{int((activation < 0).sum())} of 784" in body
    assert response.text.count("clayer-zeroed") == int((window < 0).sum())


def test_stack_shapes_params_and_field(client):
    response = fragment(client, "stack", k1=16, s1=2, f1=4, p1=1)
    assert response.status_code == 200
    shapes = re.findall(r"data-shape>([^<]+)<", response.text)
    h1 = (32 - 4 + 2) // 2 + 1  # 16
    h2 = h1 - 5 + 1
    assert shapes == [f"{h1}×{h1}×16", f"{h1}×{h1}×16", f"{h2}×{h2}×10"]
    assert "+ 8 more" in text(response)
    odd = fragment(client, "stack", f1=4)  # (32 − 4)/1 + 1 = 29: fine; stride 3 is not
    assert odd.status_code == 200
    floor = fragment(client, "stack", s1=3)  # (32 − 5)/3 + 1 = 10: valid
    assert "⚠" not in floor.text
    rounded = fragment(client, "stack", s1=2)  # (32 − 5)/2 + 1 = 14.5: torch floors to 14
    assert "⚠" in rounded.text and "14×14×6" in text(rounded)


def test_lesson_page_and_slides_carry_the_lesson_assets(client):
    for path in ("/en/lessons/conv-layer", "/ru/lessons/conv-layer/present"):
        page = client.get(path)
        assert page.status_code == 200
        assert "/static/js/conv-layer.js" in page.text and "/static/css/conv-layer.css" in page.text
    assert client.get("/static/js/conv-layer.js").status_code == 200


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_exercises_compute_what_they_ask(lang):
    for seed in range(30):
        volume = make_question(EXERCISES["conv-layer-output-volume"], seed, lang, {})
        w, d = map(int, re.search(r"(\d+)×\1×(\d+)", str(volume.prompt)).groups())
        k, f = map(int, re.search(r"(\d+) (?:filters of|фильтров) (\d+)×", str(volume.prompt)).groups())
        s, p = map(int, re.search(r"(?:stride|шаг) (\d+), (?:zero padding|дополнение нулями) (\d+)", str(volume.prompt)).groups())
        assert volume.answer == ((w - f + 2 * p) // s + 1, (w - f + 2 * p) // s + 1, k)
        products = make_question(EXERCISES["conv-layer-products"], seed, lang, {})
        depth = int(re.search(r"\d+×\d+×(\d+)", str(products.prompt)).group(1))
        f = int(re.search(r"(\d+)×\1\. ", str(products.prompt)).group(1))
        assert products.answer == f * f * depth
        relu = make_question(EXERCISES["conv-layer-relu-value"], seed, lang, {})
        assert relu.answer >= 0 and str(relu.solution).rstrip("</p>").endswith(f"{relu.answer:g}")
    answers = {make_question(EXERCISES["conv-layer-relu-value"], s, lang, {}).answer == 0 for s in range(30)}
    assert answers == {True, False}, "some variants must need ReLU to cut a negative sum, others not"


def test_hidden_controls_keep_their_value(client):
    response = client.get("/en/lessons/conv-layer/widgets/dot?dot.row=4&hide=dot.row,col")
    assert response.status_code == 200
    assert '<input type="hidden" name="dot.row" value="4">' in response.text
    assert '<input type="hidden" name="dot.col" value="13">' in response.text
    assert 'data-at="3,12"' in response.text  # row 4, column 13 counted from 1: the arrays' [3, 12]
