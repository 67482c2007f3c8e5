"""The lesson engine and the validator, over the real lessons/ folder and over broken ones."""

from pathlib import Path

import pytest

from app.lessons import LANGUAGES, Block, LessonError, load_catalog, parse_lesson
from app.settings import ROOT
from app.web.widgets import EXERCISES, WIDGETS

GOOD = """---
title: T
summary: S
objectives: [a]
key_points: [b]
---
Intro.

## First
Text with `code`.

```widget conv2d
id: demo
stride: 2
```

```notes
Say this.
```

## Second
```exercise conv-cell
```
"""


def write(folder: Path, lang: str, name: str, text: str) -> Path:
    (folder / lang).mkdir(parents=True, exist_ok=True)
    path = folder / lang / name
    path.write_text(text, encoding="utf-8")
    return path


def test_real_lessons_validate():
    catalog = load_catalog(ROOT / "lessons", WIDGETS, EXERCISES)
    en, ru = catalog.ordered("en"), catalog.ordered("ru")
    assert en, "there must be at least one lesson"
    assert [lesson.slug for lesson in en] == [lesson.slug for lesson in ru]
    for lesson in en:
        exercises = [b for b in lesson.blocks.values() if b.kind == "exercise"]
        assert len(exercises) >= 3, f"{lesson.slug} needs at least three exercises"


def test_sections_blocks_and_notes(tmp_path):
    path = write(tmp_path, "en", "03-demo.md", GOOD)
    lesson = parse_lesson(path, "en")
    assert (lesson.number, lesson.slug, lesson.title) == (3, "demo", "T")
    assert [s.title for s in lesson.sections] == ["", "First", "Second"]
    assert [s.id for s in lesson.sections] == ["s1", "s2", "s3"]
    first = lesson.sections[1]
    assert any(isinstance(p, Block) and p.params == {"stride": 2} and p.id == "demo" for p in first.parts)
    assert "Say this." in first.notes and "Say this." not in "".join(p for p in first.parts if isinstance(p, str))
    assert lesson.blocks["conv-cell"].kind == "exercise"


def test_headings_inside_code_fences_do_not_split(tmp_path):
    text = GOOD.replace("Text with `code`.", "```\n## not a heading\n```")
    lesson = parse_lesson(write(tmp_path, "en", "03-demo.md", text), "en")
    assert len(lesson.sections) == 3


def test_markdown_html_is_escaped(tmp_path):
    text = GOOD.replace("Intro.", "<script>alert(1)</script>")
    lesson = parse_lesson(write(tmp_path, "en", "03-demo.md", text), "en")
    assert "<script>" not in lesson.sections[0].parts[0]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t.replace("title: T\n", ""), "'title'"),
        (lambda t: t.replace("objectives: [a]", "objectives: a"), "'objectives'"),
        (lambda t: t.replace("---\ntitle", "title", 1), "front matter"),
        (lambda t: t.replace("summary: S", "summary: S\nextra: 1"), "unknown front matter"),
        (lambda t: t.replace("widget conv2d", "widget no-such-widget"), "unknown widget"),
        (lambda t: t.replace("exercise conv-cell", "exercise nope"), "unknown exercise"),
        (lambda t: t.replace("stride: 2", "stride: [2"), "bad YAML"),
        (lambda t: t.replace("id: demo", "id: Demo!"), "block id"),
        (lambda t: t.replace("```exercise conv-cell", "```exercise conv-cell\nid: demo"), "used twice"),
        (lambda t: t.replace("stride: 2", "strides: 2"), "widget 'conv2d' \\(demo\\) has no parameter 'strides'"),
        (lambda t: t.replace("stride: 2", "yes: 2"), "has no parameter 'True'"),  # YAML's bare yes is True
    ],
)
def test_validator_rejects(tmp_path, change, message):
    for lang in LANGUAGES:
        write(tmp_path, lang, "03-demo.md", change(GOOD) if lang == "en" else GOOD)
    with pytest.raises(LessonError, match=message):
        load_catalog(tmp_path, WIDGETS, EXERCISES)


def test_lesson_in_one_language_only_is_an_error(tmp_path):
    write(tmp_path, "en", "03-demo.md", GOOD)
    (tmp_path / "ru").mkdir()
    with pytest.raises(LessonError, match="exists in 'en' only"):
        load_catalog(tmp_path, WIDGETS, EXERCISES)


def test_languages_must_match_sections_and_blocks(tmp_path):
    write(tmp_path, "en", "03-demo.md", GOOD)
    write(tmp_path, "ru", "03-demo.md", GOOD.replace("## Second", "Second"))
    with pytest.raises(LessonError, match="sections"):
        load_catalog(tmp_path, WIDGETS, EXERCISES)


def test_bad_file_name(tmp_path):
    with pytest.raises(LessonError, match="NN-slug"):
        parse_lesson(write(tmp_path, "en", "demo.md", GOOD), "en")


SPLIT = GOOD.replace("Text with `code`.", "Text with `code`.\n\n---\n\nMore text.\n\n```notes\nThen this.\n```\n\n---\n")


def test_slide_breaks_split_a_section_into_slides(tmp_path):
    lesson = parse_lesson(write(tmp_path, "en", "03-demo.md", SPLIT), "en")
    first = lesson.sections[1]
    assert len(first.slides) == 3
    assert "Text with" in first.slides[0].parts[0] and "More text" in first.slides[1].parts[0]
    assert isinstance(first.slides[2].parts[0], Block) and first.slides[2].parts[0].id == "demo"
    # Notes go with the slide they are written in; the page view reads the section whole, with no rule.
    assert "Then this." in first.slides[1].notes and "Say this." in first.slides[2].notes
    assert first.parts == [p for s in first.slides for p in s.parts]
    assert not any("<hr" in p for p in first.parts if isinstance(p, str))
    assert [len(s.slides) for s in lesson.sections] == [1, 3, 1]


def test_slide_break_inside_a_code_fence_is_code(tmp_path):
    text = GOOD.replace("Text with `code`.", "```\na\n\n---\n\nb\n```")
    lesson = parse_lesson(write(tmp_path, "en", "03-demo.md", text), "en")
    assert len(lesson.sections[1].slides) == 1


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace("Text with `code`.", "Text with `code`.\n---\n"), "blank line above"),
        (GOOD.replace("Text with `code`.", "Text.\n\n---\n\n---\n"), "empty slide"),
    ],
)
def test_bad_slide_breaks(tmp_path, text, message):
    with pytest.raises(LessonError, match=message):
        parse_lesson(write(tmp_path, "en", "03-demo.md", text), "en")


def test_languages_must_split_sections_alike(tmp_path):
    write(tmp_path, "en", "03-demo.md", SPLIT)
    write(tmp_path, "ru", "03-demo.md", GOOD)
    with pytest.raises(LessonError, match="split into 3 slides in en but 1 in ru"):
        load_catalog(tmp_path, WIDGETS, EXERCISES)
