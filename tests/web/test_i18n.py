import ast
from pathlib import Path

import pytest

import app.web
from app.lessons import LANGUAGES
from app.web.i18n import pick_language, strings, translate

WEB = Path(app.web.__file__).parent


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


def test_no_english_string_under_two_keys():
    """One mechanism, one key per sentence: a word the pages share lives once (common words in common.yaml)."""
    keys_by_text: dict[str, list[str]] = {}
    for key, texts in strings().items():
        keys_by_text.setdefault(texts["en"], []).append(key)
    repeated = {text: keys for text, keys in keys_by_text.items() if len(keys) > 1}
    assert not repeated, repeated


def _language_dicts(path: Path) -> list[int]:
    """Lines of dict literals whose keys are exactly the course languages ({"en": …, "ru": …})."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Dict) and node.keys
            and all(isinstance(k, ast.Constant) for k in node.keys) and {k.value for k in node.keys} == set(LANGUAGES)]


def test_no_inline_language_dicts_in_app_web():
    """Interface text comes from app/web/locales, not from {"en": …, "ru": …} literals in the code."""
    found = {str(path.relative_to(WEB)): lines for path in sorted(WEB.rglob("*.py")) if (lines := _language_dicts(path))}
    assert not found, found


def test_the_scan_sees_a_language_dict(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('label = {"en": "Layer", "ru": "Слой"}[lang]\nother = {"en": 1}\n', encoding="utf-8")
    assert _language_dicts(sample) == [1]


def test_layer_parts_read_the_same_in_english_and_have_russian():
    from app.compute.nets import layer_text
    from app.web.i18n import layer_detail

    for part, template in layer_text.ENGLISH.items():
        assert strings()[f"arch_{part}"]["en"] == template
    parts = [("residual", {}), ("block_conv", {"kernel": "3×3", "filters": 128}), ("block_stride", {"stride": 2}),
             ("then", {}), ("block_conv", {"kernel": "3×3", "filters": 128}),
             ("projection_shortcut", {"filters": 128, "stride": 2})]
    assert layer_detail("en", parts) == layer_text.english(parts)
    assert layer_detail("ru", parts) == ("остаточный блок: свёртка 3×3 (128) шаг 2 → свёртка 3×3 (128), "
                                         "+ свёртка 1×1 (128) шаг 2 на обходном пути")


def test_a_key_twice_in_one_file_is_an_error(tmp_path, monkeypatch):
    from app.web import i18n

    (tmp_path / "one.yaml").write_text('a: {en: "x", ru: "х"}\na: {en: "y", ru: "у"}\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.strings.cache_clear()
    try:
        with pytest.raises(ValueError, match="defined twice"):
            i18n.strings()
    finally:
        i18n.strings.cache_clear()
