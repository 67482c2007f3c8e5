"""Typed matrices that can't be read keep the widget and the student's text, mark the field and say exactly
what is wrong (issue 14, item 2); the kernel caption is computed from the kernel's sum (item 3)."""

import re

import pytest


def _fragment(client, lang, block, refused=False, **params):
    """The widget's fragment: 422 when a value was refused (the widget is still all there), else 200."""
    response = client.get(f"/{lang}/lessons/convolution/widgets/{block}",
                          params={f"{block}.{k}": v for k, v in params.items()})
    assert response.status_code == (422 if refused else 200)
    assert 'class="widget-error"' not in response.text
    return response.text


def _field(html, name):
    return re.search(rf'<input type="text" name="{name}"[^>]*>', html)[0]


@pytest.mark.parametrize("lang, text, message", [
    ("en", "1 2 3; 4 5; 6 7 8", "Row 2 has 2 numbers, row 1 has 3"),
    ("ru", "1 2 3; 4 5; 6 7 8", "В строке 2 — 2 числа, а в строке 1 — 3"),
    ("en", "a 1 2", "&#39;a&#39; in row 1 is not a number"),
    ("ru", "a 1 2", "«a» в строке 1 — не число"),
    ("en", ";".join(["1"] * 100), "At most 9 rows, got 100"),
    ("ru", "", "Поле пустое"),
])
def test_conv2d_keeps_the_typed_input_and_says_why(client, lang, text, message):
    html = _fragment(client, lang, "numbers", refused=True, input=text)
    field = _field(html, "numbers.input")
    assert f'value="{text}"' in field
    assert 'aria-invalid="true"' in field and 'aria-describedby="numbers-input-error"' in field
    error = re.search(r'<small class="field-error" id="numbers-input-error" role="alert">([^<]*)<', html)[1]
    assert message in error
    assert 'data-grid="output"' in html  # the widget is still there


def test_conv1d_and_photo_kernel_forgive_too(client):
    html = _fragment(client, "en", "slide1d", refused=True, h="1 x")
    assert 'value="1 x"' in _field(html, "slide1d.h") and "&#39;x&#39; is not a number" in html
    html = _fragment(client, "ru", "photo", refused=True, preset="custom", kernel="1 2; 3")
    assert 'value="1 2; 3"' in _field(html, "photo.kernel") and "В строке 2 — 1 число" in html
    html = _fragment(client, "en", "photo", refused=True, preset="custom", kernel="1 2; 3 4")  # even side: the compute refuses
    assert 'aria-invalid="true"' in _field(html, "photo.kernel") and 'data-photo="output"' in html


def test_a_good_value_is_shown_normalised_without_a_mark(client):
    html = _fragment(client, "en", "numbers", input="1,2,3;4,5,6;7,8,9")
    assert 'value="1 2 3; 4 5 6; 7 8 9"' in _field(html, "numbers.input")
    assert "aria-invalid" not in html


@pytest.mark.parametrize("lang, kernel, text", [
    ("en", "1 1 1; 1 1 1; 1 1 1", "weights sum to 9: the brightness of a flat region is multiplied by 9"),
    ("ru", "1 1 1; 1 1 1; 1 1 1", "Сумма весов ядра равна 9: яркость ровного участка умножается на 9"),
    ("en", "0 0 0; 0 1 0; 0 0 0", "sum to 1: a flat region keeps its brightness"),
    ("en", "-1 0 1; -2 0 2; -1 0 1", "sum to 0: flat regions give 0"),
    ("ru", "0 0 0; 0 -2 0; 0 0 0", "умножается на 2 и меняет знак"),
    ("en", "0.1 0.1 0.1; 0.1 0.1 0.1; 0.1 0.1 0.1", "multiplied by 0.9, so the photo gets darker"),
])
def test_kernel_caption_follows_the_sum(client, lang, kernel, text):
    html = _fragment(client, lang, "photo", preset="custom", kernel=kernel)
    caption = re.search(r"data-kernel-effect>(.*?)</p>", html, re.S)[1]
    assert text in caption


@pytest.mark.parametrize("lang, text", [("en", "“ground truth”: item 2 must read"), ("ru", "«истинные рамки»: элемент 2")])
def test_ap_builder_truth_keeps_what_was_typed(client, lang, text):
    typed = "cup 10 10 50 50; spoon 1 2 x 4"
    response = client.get(f"/{lang}/lessons/detection/widgets/ap", params={"ap.truth": typed, "ap.drawn_on": "coffee"})
    assert response.status_code == 422 and 'class="widget-error"' not in response.text
    field = _field(response.text, "ap.truth")
    assert f'value="{typed}"' in field and 'aria-invalid="true"' in field and "ap-truth-error" in field
    assert text in response.text and "data-ap-table" in response.text
