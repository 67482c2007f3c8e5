"""The corrected figures as the pages show them (issue 10), in both languages."""

import html
import re

import pytest

from app.compute.nets import lenet
from app.compute.nets import cost_split


def fragment(client, lesson, block, lang="en", refused=False, **state):
    """The widget's fragment as text; refused=True: a setting is expected to be refused (422, the widget kept)."""
    query = "&".join(f"{block}.{key}={value}" for key, value in state.items())
    response = client.get(f"/{lang}/lessons/{lesson}/widgets/{block}?{query}")
    assert response.status_code == (422 if refused else 200), response.text[:500]
    assert "widget-error" not in response.text
    return html.unescape(response.text)


def grouped(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "\u00a0") if lang == "ru" else f"{n:,}"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_datasets_table_shows_vocs_own_figures(client, lang):
    page = fragment(client, "datasets", "table", lang)
    line = re.search(r"<p class=\"caption\" data-voc[^>]*>(.*?)</p>", page, re.S).group(1)
    for n in (4998, 5105, 10103, 23374, 48000, 11540, 27450):
        assert grouped(n, lang) in line
    assert ("2.31" if lang == "en" else "2,31") in line and "~20k" in line
    assert grouped(round(1.3e9 / 10103 / 1000), lang) in line  # ≈ 129 KB, against the lecture's 65
    assert ("0.14" if lang == "en" else "0,14") in page  # one perfect box per image on COCO


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_alexnet_conv1_names_the_unread_column(client, lang):
    page = fragment(client, "alexnet", "conv1", lang, width=224)
    assert re.search(r"data-unread>[^<]*\b224\b", page)
    assert "data-unread" not in fragment(client, "alexnet", "conv1", lang, width=227)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lenet_training_compares_dense_and_sparse_c3(client, lang):
    c3 = lenet.c3_connections()
    line = re.search(r"data-c3>(.*?)</p>", fragment(client, "lenet", "training", lang), re.S).group(1)
    assert grouped(c3["dense_params"], lang) in line and grouped(c3["sparse_params"], lang) in line


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_resnet_savings_table(client, lang):
    page = fragment(client, "resnet", "savings", lang)
    c = cost_split.compare()
    assert page.count("data-group=") == len(c["rows"])
    for row in c["rows"]:
        assert grouped(row["costly_macs"], lang) in page and grouped(row["cheap_macs"], lang) in page
    share = f"{100 * c['fc']['params_share']:.1f}"
    assert (share if lang == "en" else share.replace(".", ",")) in page


def test_lenet_layer_params_exercise_says_the_courses_lenet(client):
    from app.web.widgets import EXERCISES
    from app.web.widgets.registry import make_question

    for seed in range(20):
        q = make_question(EXERCISES["lenet-layer-params"], seed, "ru", {})
        if "F6" in str(q.prompt):
            assert "из 120 входов в 84 нейрона" in html.unescape(str(q.prompt))
        assert "из нашего курса" in str(q.prompt)
        en = make_question(EXERCISES["lenet-layer-params"], seed, "en", {})
        assert "the course's LeNet-5" in html.unescape(str(en.prompt))
        if "C3" in str(en.prompt):
            assert str(lenet.c3_connections()["sparse_params"]) in str(en.solution)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize(("lesson", "block"), [("why-cnn", "history"), ("resnet", "depth")])
def test_ilsvrc_charts_carry_the_human_reference(client, lang, lesson, block):
    from app.compute.lessons import history

    page = fragment(client, lesson, block, lang)
    assert "data-human" in page and "Russakovsky" in page
    assert ("5.1%" if lang == "en" else "5,1\u00a0%") in page
    assert '"y0":5.1' in page.replace(" ", "") and history.HUMAN_TOP5["error"] == 5.1
