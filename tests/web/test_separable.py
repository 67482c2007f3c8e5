"""The ResNet lesson's separable-cost widget: the server's counts on the page, both languages, bad input as 422."""

import re
from html import unescape

import pytest

from app.compute.nets import separable
from tests.web.refusals import kept_refusal


def fragment(client, lang="en", **state):
    query = "&".join(f"separable.{key}={value}" for key, value in state.items())
    return client.get(f"/{lang}/lessons/resnet/widgets/separable" + (f"?{query}" if query else ""))


def page_text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.text)))


def test_the_lesson_block_shows_the_computed_costs(client):
    response = fragment(client)
    assert response.status_code == 200 and "widget-error" not in response.text
    cost = separable.separable_cost(128, 128, 3, 56)
    assert f'data-standard-params="{cost["standard"]["params"]}"' in response.text
    assert f'data-separable-macs="{cost["separable"]["macs"]}"' in response.text
    text = page_text(response)
    assert "3·3·128 + 128·128 = 1,152 + 16,384 = 17,536" in text
    assert "56·56·147,456 = 462,422,016" in text
    assert f"{cost['ratio']['macs']:.2f}× cheaper" in text and "1/128 + 1/9 = 0.1189" in text
    networks = separable.network_comparison()
    assert f"{networks['efficientnet']['params']:,}" in text and f"{networks['alexnet']['params']:,}" in text
    assert f"{networks['params_ratio']:.1f}× fewer parameters" in text


def test_russian_numbers_and_words(client):
    text = page_text(fragment(client, "ru", c_in=32, c_out=16, kernel=3, side=112))
    cost = separable.separable_cost(32, 16, 3, 112)
    ratio = f"{cost['ratio']['macs']:.2f}".replace(".", ",")
    assert f"дешевле в {ratio} раза" in text and "Поканальная 3×3 + точечная 1×1" in text
    assert "4 652 008" in text.replace("\u00a0", " ").replace("\u202f", " ")


def test_a_1x1_kernel_is_said_to_cost_more(client):
    text = page_text(fragment(client, kernel=1))
    assert "costs more" in text and "nothing to separate" in text


@pytest.mark.parametrize("state", [{"kernel": 4}, {"c_in": 0}, {"side": 513}, {"c_out": "x"}])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_bad_shapes_are_422_in_the_page_language(client, state, lang):
    response = fragment(client, lang, **state)
    assert bool(re.search("[а-яё]", kept_refusal(response), re.I)) == (lang == "ru")
