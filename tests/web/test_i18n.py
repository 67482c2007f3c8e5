import pytest

from app.web.i18n import pick_language, strings, translate


@pytest.mark.parametrize(
    "header, lang",
    [
        (None, "en"), ("", "en"), ("ru", "ru"), ("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("de-DE,de;q=0.9", "en"),
        ("en;q=0.5,ru;q=0.9", "ru"), ("de,ru;q=0.3", "ru"), ("ru;q=bad,en", "en"),
    ],
)
def test_pick_language(header, lang):
    assert pick_language(header) == lang


def test_every_string_has_both_languages():
    for key, texts in strings().items():
        assert texts["en"].strip() and texts["ru"].strip(), key


def test_translate_fills_values():
    assert translate("ru", "lesson_n", n=3) == "Урок 3"
