"""Slips a student noticed (issue 14, item 9): English pages cite no Russian heading, no API route is named to
students, the page view says nothing about "the next slide", Russian messages name fields in Russian, the
legend names the receptive-field outline."""

import re

import pytest

from app.lessons import LANGUAGES


def _text(html: str) -> str:
    html = re.sub(r"<(script|style|template)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_english_padding_stride_cites_its_sources_in_english(client):
    text = _text(client.get("/en/lessons/padding-stride").text).replace("Русский", "")  # the language switch
    assert "section “Zero padding at the border”" in text
    assert not re.search(r"[\u0400-\u04ff]", text), re.search(r".{40}[\u0400-\u04ff].{40}", text)
    assert "раздел «Нулевое заполнение границы»" in _text(client.get("/ru/lessons/padding-stride").text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_iou_text_names_no_api_route(client, lang):
    assert "/api/metrics" not in _text(client.get(f"/{lang}/lessons/localization").text)


@pytest.mark.parametrize("lang, words", [("en", "next slide"), ("ru", "следующем слайде")])
def test_lenet_page_says_nothing_about_slides(client, lang, words):
    assert words not in _text(client.get(f"/{lang}/lessons/lenet").text)


def test_russian_messages_name_fields_in_russian(client):
    html = client.get("/ru/lessons/convolution/widgets/numbers", params={"numbers.stride": "x"}).text
    assert "«шаг»: нужно целое число" in html and "«stride»" not in html
    html = client.get("/ru/lessons/padding-stride").text
    assert "«input»" not in html


@pytest.mark.parametrize("lang, legend", [("en", "receptive field of the output cell under the pointer"),
                                          ("ru", "рецептивное поле клетки выхода под курсором")])
def test_legend_names_the_hover_outline(client, lang, legend):
    for slug, block in (("convolution", "numbers"), ("pooling", "steps")):
        html = client.get(f"/{lang}/lessons/{slug}").text
        assert 'class="swatch swatch-hover"' in html and legend in html, slug
