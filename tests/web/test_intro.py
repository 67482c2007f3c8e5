"""Lessons 1 and 2 through the app: pages, widget fragments with default, edge and bad settings, exercises."""

import re

import pytest

from app.compute.lessons import intro, modalities
from app.web.widgets import EXERCISES, WIDGETS
from app.web.format import decimal, grouped, percent
from app.web.widgets.registry import check_answer, make_question
from tests.web.refusals import kept_refusal

WHY = "/{lang}/lessons/why-cnn"
FC = "/{lang}/lessons/fully-connected-vs-conv"


def fragment(client, lesson: str, block: str, lang: str = "en", **params):
    query = "&".join(f"{block}.{key}={value}" for key, value in params.items())
    return client.get(f"{lesson.format(lang=lang)}/widgets/{block}" + (f"?{query}" if query else ""))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_pages_render_with_their_assets(client, lang):
    why = client.get(WHY.format(lang=lang))
    assert why.status_code == 200
    assert "plotly-basic.min.js" in why.text and "css/intro.css" in why.text
    fc = client.get(FC.format(lang=lang))
    assert fc.status_code == 200
    assert "plotly-basic.min.js" not in fc.text and "js/fc-conv-connectivity.js" in fc.text


def test_formatting_helpers():
    assert grouped(30_000_000, "en") == "30,000,000" and grouped(30_000_000, "ru") == "30\u00a0000\u00a0000"
    assert decimal(26.172, "ru", 3) == "26,172" and decimal(-1.50, "en", 2, trim=True) == "−1.5"
    assert percent(0.153, "en", 1) == "15.3%" and percent(0.153, "ru", 1) == "15,3\u00a0%"


# ---------------------------------------------------------------------------------------------
# imagenet-errors

def test_imagenet_chart_and_lecture_table(client):
    chart = fragment(client, WHY, "history")
    assert chart.status_code == 200 and "data-plotly" in chart.text
    for r in intro.RESULTS:
        assert percent(float(r.percent) / 100, "en", 3, trim=True) in chart.text
    best = fragment(client, WHY, "history", entries="best")
    assert best.status_code == 200 and "diamond-open" not in best.text and "diamond-open" in chart.text
    figures = fragment(client, WHY, "figures", lang="ru")
    assert figures.status_code == 200 and "data-plotly" not in figures.text
    for row in intro.lecture_figures():
        assert f'data-quote="{row["key"]}" data-how="{row["how"]}"' in figures.text
        assert percent(row["percent"] / 100, "ru", 3, trim=True) in figures.text
    assert "26,2" in figures.text  # what rounding would have given, said in the "how" column


def test_imagenet_bad_view_is_a_translated_422(client):
    for lang, message in (("en", "must be one of"), ("ru", "нужно одно из значений")):
        response = fragment(client, WHY, "history", lang=lang, view="pie")
        assert response.status_code == 422 and 'role="alert"' in response.text, (lang, response.text[:300])
        assert message in response.text and "pie" in response.text, lang


# ---------------------------------------------------------------------------------------------
# top5-scores

def test_top5_defaults_and_typed_scores(client):
    default = fragment(client, WHY, "top5")
    report = intro.top_k(intro.seeded_scores(11, 10), 0, 5)
    assert default.status_code == 200
    assert f'data-verdict="top1" data-correct="{"yes" if report["top1_correct"] else "no"}"' in default.text
    assert f'data-verdict="topk" data-correct="{"yes" if report["topk_correct"] else "no"}"' in default.text
    typed = fragment(client, WHY, "top5", scores="3 1 2", true=1, k=2)
    assert typed.status_code == 200
    assert re.findall(r'data-class="(\d+)" data-rank', typed.text) == ["0", "2", "1"]
    assert 'data-verdict="topk" data-correct="no"' in typed.text
    edge = fragment(client, WHY, "top5", scores="5 5", true=1, k=1)  # a tie: list order decides
    assert 'data-verdict="top1" data-correct="no"' in edge.text


@pytest.mark.parametrize("params", [
    {"scores": "a b c"}, {"scores": "1"}, {"scores": " ".join(["1"] * 11)}, {"k": 0}, {"k": 11}, {"true": 10},
    {"seed": -1}, {"scores": "1 nan"}, {"scores": "1 1e9"},
])
def test_top5_bad_settings(client, params):
    response = fragment(client, WHY, "top5", lang="ru", **params)
    assert kept_refusal(response), params


# ---------------------------------------------------------------------------------------------
# input-tensors

@pytest.mark.parametrize("block, params, shape", [
    ("image", {}, lambda: intro.image_tensor("chelsea", 200)["shape"]),
    ("image", {"sample": "rocket"}, lambda: intro.image_tensor("rocket", 200)["shape"]),
    ("sound", {}, lambda: modalities.stft_shape(8000, 256, 64)),
    ("sound", {"signal": "notes", "n_fft": 1024, "hop": 1024}, lambda: modalities.stft_shape(8000, 1024, 1024)),
    ("sound", {"n_fft": 64, "hop": 8}, lambda: modalities.stft_shape(8000, 64, 8)),
    ("volume", {"slice": 0}, lambda: modalities.volume_slices(48, 128, 0)["shape"]),
    ("volume", {"slice": 47}, lambda: modalities.volume_slices(48, 128, 47)["shape"]),
    ("video", {"frames": 2, "motion": "pan"}, lambda: modalities.video_frames("astronaut", 2, "pan")["shape"]),
    ("video", {"frames": 16, "motion": "rotate", "sample": "rocket"},
     lambda: modalities.video_frames("rocket", 16, "rotate")["shape"]),
])
def test_input_tensors_show_computed_shapes(client, block, params, shape):
    response = fragment(client, WHY, block, **params)
    assert response.status_code == 200
    expected = "[" + ", ".join(str(s) for s in shape()) + "]"
    assert f'data-shape="{expected}"' in response.text


def test_input_kind_can_be_switched(client):
    response = fragment(client, WHY, "image", kind="sound")
    assert response.status_code == 200 and "torch.stft" in response.text


@pytest.mark.parametrize("block, params", [
    ("image", {"kind": "smell"}), ("image", {"sample": "nope"}), ("sound", {"n_fft": 100}),
    ("sound", {"hop": 0}), ("sound", {"hop": 300}), ("sound", {"signal": "noise"}), ("volume", {"slice": 48}),
    ("volume", {"slice": "x"}), ("video", {"frames": 1}), ("video", {"frames": 17}), ("video", {"motion": "shake"}),
])
def test_input_tensors_bad_settings(client, block, params):
    response = fragment(client, WHY, block, lang="ru", **params)
    assert "«" in kept_refusal(response), params


# ---------------------------------------------------------------------------------------------
# pixel-correlation

def test_pixel_correlation(client):
    response = fragment(client, WHY, "correlation", sample="coffee", distance=2)
    assert response.status_code == 200 and "data-plotly" in response.text
    near = modalities.sample_correlation("coffee", 256, 2)["horizontal"][0]
    assert decimal(near, "en", 2) in response.text
    for distance in (101, 1):
        refused = fragment(client, WHY, "correlation", distance=distance)
        assert refused.status_code == 422
        assert f"“distance” must be between 2 and 100, got {distance}." in refused.text


# ---------------------------------------------------------------------------------------------
# fc-conv-params and fc-conv-connectivity

def test_fc_conv_params_lecture_example(client):
    en = fragment(client, FC, "params")
    assert en.status_code == 200
    assert "30,000,000" in en.text and "10,000" in en.text and "30,001,000" in en.text and "10,010" in en.text
    assert "1k * 30k = 30 M" in en.text and "intro-ok" in en.text
    ru = fragment(client, FC, "params", lang="ru")
    assert "30\u00a0000\u00a0000" in ru.text


def test_fc_conv_params_edges(client):
    huge = fragment(client, FC, "params", height=4096, width=4096, channels=64, hidden=100000, classes=100000,
                    kernel=15, filters=1024)
    assert huge.status_code == 200
    assert grouped(4096 * 4096 * 64 * 100000, "en") in huge.text
    tiny = fragment(client, FC, "params", height=1, width=1, channels=1, hidden=1, classes=1, kernel=1, filters=1)
    assert tiny.status_code == 200


@pytest.mark.parametrize("params", [
    {"height": 0}, {"height": 4097}, {"kernel": 16}, {"height": 4, "kernel": 5}, {"hidden": "lots"},
    {"channels": 65}, {"filters": 0},
])
def test_fc_conv_params_bad_settings(client, params):
    response = fragment(client, FC, "params", lang="ru", **params)
    assert kept_refusal(response), params


def test_connectivity(client):
    response = fragment(client, FC, "connect", size=10, kernel=10)
    assert response.status_code == 200 and response.text.count("data-out=") == 1
    default = fragment(client, FC, "connect")
    assert default.text.count('class="intro-cell is-linked" data-in') == 9
    assert default.text.count("data-line") == 9
    for params in ({"size": 2}, {"size": 11}, {"size": 6, "kernel": 7}, {"kernel": 0}):
        assert fragment(client, FC, "connect", **params).status_code == 422, params


def test_hide_keeps_a_control_out_of_view(client):
    response = client.get("/en/lessons/fully-connected-vs-conv/widgets/params?hide=params.hidden")
    assert 'type="hidden" name="params.hidden"' in response.text


# ---------------------------------------------------------------------------------------------
# Exercises

INTRO_EXERCISES = ["why-cnn-top5", "why-cnn-stft-shape", "why-cnn-tensor-shape", "fc-weight-count",
                   "fc-conv-param-count", "fc-conv-bigger-image"]


def test_exercises_are_registered_and_widgets_too():
    assert set(INTRO_EXERCISES) <= set(EXERCISES)
    assert {"imagenet-errors", "top5-scores", "input-tensors", "pixel-correlation", "fc-conv-params",
            "fc-conv-connectivity"} <= set(WIDGETS)


def test_top5_exercise_covers_all_three_outcomes():
    answers = {make_question(EXERCISES["why-cnn-top5"], seed, "en", {}).answer for seed in range(40)}
    assert answers == {"a", "b", "c"}


@pytest.mark.parametrize("name", ["fc-weight-count", "fc-conv-param-count", "fc-conv-bigger-image"])
def test_counts_must_be_exact(name):
    for seed in range(20):
        question = make_question(EXERCISES[name], seed, "en", {})
        assert check_answer(question, str(question.answer)) is True
        assert check_answer(question, str(question.answer + 1)) is False
        assert check_answer(question, f"{question.answer:,}".replace(",", " ")) is True


def test_bigger_image_conv_answer_is_unchanged():
    for seed in range(30):
        question = make_question(EXERCISES["fc-conv-bigger-image"], seed, "en", {})
        if "conv layer" in str(question.prompt):
            assert grouped(question.answer, "en") in str(question.prompt)


def test_exercise_check_endpoint(client):
    page = client.get("/en/lessons/why-cnn?stft.seed=5")
    assert 'data-seed="5"' in page.text
    question = make_question(EXERCISES["why-cnn-stft-shape"], 5, "en", {})
    answer = "×".join(str(v) for v in question.answer)
    right = client.post("/en/lessons/why-cnn/exercises/stft/check", data={"seed": "5", "answer": answer})
    assert right.status_code == 200 and "correct" in right.text
