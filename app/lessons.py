"""Lesson catalog: Markdown files with YAML front matter, split into sections (slides) and blocks.

A lesson lives in `lessons/{lang}/NN-slug.md`. Its front matter holds `title`, `summary`, `objectives`
and `key_points`. Each `## ` heading starts a section, which is one slide in presentation mode; a line
`---` alone between blank lines splits a long section into several slides (the page view still reads it
as one section, with no rule drawn). Fenced blocks embed live parts:

    ```widget conv2d            ```exercise conv-output-size      ```notes
    id: demo                    id: size                          Speaker notes for this slide.
    stride: 2                   ```                               ```
    ```
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

LANGUAGES = ("en", "ru")
FILE_NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
BLOCK_ID = re.compile(r"^[a-z][a-z0-9-]*$")
REQUIRED_META = {"title": str, "summary": str, "objectives": list, "key_points": list}


class LessonError(ValueError):
    """A lesson file that the engine refuses to serve."""


@dataclass(frozen=True)
class Block:
    kind: str  # "widget" or "exercise"
    name: str
    id: str
    params: dict


@dataclass
class Slide:
    """One slide of a section: its share of the section's parts and the notes written inside it."""

    parts: list
    notes: str = ""


@dataclass
class Section:
    id: str
    title: str
    parts: list  # HTML strings and Blocks, in reading order
    notes: str = ""
    slides: list[Slide] = field(default_factory=list)  # the parts again, split where the lesson says `---`


@dataclass
class Lesson:
    number: int
    slug: str
    lang: str
    title: str
    summary: str
    objectives: list[str]
    key_points: list[str]
    sections: list[Section]
    path: Path

    @property
    def blocks(self) -> dict[str, Block]:
        return {p.id: p for s in self.sections for p in s.parts if isinstance(p, Block)}


@dataclass
class Catalog:
    lessons: dict[str, dict[str, Lesson]] = field(default_factory=dict)  # lang -> slug -> lesson

    def ordered(self, lang: str) -> list[Lesson]:
        return sorted(self.lessons.get(lang, {}).values(), key=lambda lesson: lesson.number)

    def get(self, lang: str, slug: str) -> Lesson | None:
        return self.lessons.get(lang, {}).get(slug)

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        ordered = self.ordered(lesson.lang)
        i = ordered.index(lesson)
        return (ordered[i - 1] if i > 0 else None, ordered[i + 1] if i + 1 < len(ordered) else None)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.use(front_matter_plugin)
    return md


_MD = _markdown()


def _parse_block(info: str, content: str, where: str) -> Block | str:
    """A fenced block's info string and body -> a Block, 'notes', or '' for ordinary code."""
    words = info.split()
    if not words or words[0] not in ("widget", "exercise", "notes"):
        return ""
    if words[0] == "notes":
        return "notes"
    if len(words) != 2:
        raise LessonError(f"{where}: a {words[0]} block needs exactly one name, got {info!r}")
    try:
        params = yaml.safe_load(content) or {}
    except yaml.YAMLError as exc:
        raise LessonError(f"{where}: {words[0]} {words[1]}: bad YAML: {exc}") from exc
    if not isinstance(params, dict):
        raise LessonError(f"{where}: {words[0]} {words[1]}: parameters must be a mapping")
    block_id = str(params.pop("id", words[1]))
    if not BLOCK_ID.match(block_id):
        raise LessonError(f"{where}: block id {block_id!r} must be lowercase letters, digits and dashes")
    return Block(kind=words[0], name=words[1], id=block_id, params=params)


def _render_slide(source: str, where: str) -> Slide:
    tokens = _MD.parse(source)
    parts: list = []
    notes: list[str] = []
    pending: list = []

    def flush():
        if pending:
            parts.append(_MD.renderer.render(pending, _MD.options, {}))
            pending.clear()

    for token in tokens:
        if token.type == "front_matter":
            continue
        if token.type == "fence":
            block = _parse_block(token.info, token.content, where)
            if block == "notes":
                notes.append(_MD.render(token.content))
                continue
            if isinstance(block, Block):
                flush()
                parts.append(block)
                continue
        pending.append(token)
    flush()
    return Slide(parts=parts, notes="".join(notes))


def _split_slides(source: str, where: str) -> list[str]:
    """Split a section's Markdown on `---` lines outside fenced code; the line needs a blank line above
    (otherwise Markdown reads it as an underlined heading) and each piece must hold something."""
    pieces: list[list[str]] = [[]]
    fence = None
    lines = source.splitlines()
    for i, line in enumerate(lines):
        marker = line.lstrip()[:3]
        if marker in ("```", "~~~"):
            fence = None if fence == marker else (fence or marker)
        if fence is None and line.strip() == "---":
            if i > 0 and lines[i - 1].strip():
                raise LessonError(f"{where}: a slide break `---` needs a blank line above it, after {lines[i - 1]!r}")
            pieces.append([])
            continue
        pieces[-1].append(line)
    texts = ["\n".join(piece) for piece in pieces]
    if len(texts) > 1 and not all(text.strip() for text in texts):
        raise LessonError(f"{where}: a slide break `---` leaves an empty slide")
    return texts


def _render_section(number: int, title: str, source: str, where: str) -> Section:
    slides = [_render_slide(piece, where) for piece in _split_slides(source, where)]
    # Numbered ids, not words: the same place in both languages and the same number as the slide.
    return Section(
        id=f"s{number}", title=title, parts=[part for slide in slides for part in slide.parts],
        notes="".join(slide.notes for slide in slides), slides=slides,
    )


def _split_sections(body: str) -> list[tuple[str, str]]:
    """Split Markdown on `## ` headings outside fenced code: [(title, source), ...]; text before the first heading is an intro."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    fence = None
    for line in body.splitlines():
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            fence = None if fence == marker else (fence or marker)
        if fence is None and line.startswith("## "):
            sections.append((line[3:].strip(), []))
            continue
        sections[-1][1].append(line)
    return [(title, "\n".join(lines)) for title, lines in sections if title or "\n".join(lines).strip()]


def parse_lesson(path: Path, lang: str) -> Lesson:
    match = FILE_NAME.match(path.name)
    if not match:
        raise LessonError(f"{path}: name must be NN-slug.md")
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise LessonError(f"{path}: missing YAML front matter")
    try:
        _, raw_meta, body = text.split("---\n", 2)
        meta = yaml.safe_load(raw_meta)
    except (ValueError, yaml.YAMLError) as exc:
        raise LessonError(f"{path}: bad front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise LessonError(f"{path}: front matter must be a mapping")
    for key, kind in REQUIRED_META.items():
        if not isinstance(meta.get(key), kind) or not meta[key]:
            raise LessonError(f"{path}: front matter needs a non-empty {key!r} ({kind.__name__})")
    for key in ("objectives", "key_points"):
        if not all(isinstance(item, str) for item in meta[key]):
            raise LessonError(f"{path}: every item of {key!r} must be text")
    unknown = set(meta) - set(REQUIRED_META)
    if unknown:
        raise LessonError(f"{path}: unknown front matter keys {sorted(unknown)}")
    sections = [
        _render_section(n, title, source, str(path))
        for n, (title, source) in enumerate(_split_sections(body), start=1)
    ]
    if not sections:
        raise LessonError(f"{path}: no sections")
    return Lesson(
        number=int(match.group(1)), slug=match.group(2), lang=lang, title=meta["title"],
        summary=meta["summary"], objectives=meta["objectives"], key_points=meta["key_points"],
        sections=sections, path=path,
    )


def load_catalog(lessons_dir: Path, widgets: Collection[str], exercises: Collection[str]) -> Catalog:
    """Parse and validate every lesson; raise LessonError listing every problem found."""
    catalog = Catalog()
    problems: list[str] = []
    for lang in LANGUAGES:
        catalog.lessons[lang] = {}
        for path in sorted((lessons_dir / lang).glob("*.md")):
            try:
                lesson = parse_lesson(path, lang)
            except LessonError as exc:
                problems.append(str(exc))
                continue
            if lesson.slug in catalog.lessons[lang]:
                problems.append(f"{path}: slug {lesson.slug!r} used twice")
            catalog.lessons[lang][lesson.slug] = lesson
            problems += _check_blocks(lesson, widgets, exercises)
    problems += _check_languages(catalog)
    if problems:
        raise LessonError("\n".join(problems))
    return catalog


def _check_blocks(lesson: Lesson, widgets: Collection[str], exercises: Collection[str]) -> list[str]:
    problems, ids = [], set()
    for section in lesson.sections:
        for part in section.parts:
            if not isinstance(part, Block):
                continue
            known = widgets if part.kind == "widget" else exercises
            if part.name not in known:
                problems.append(f"{lesson.path}: unknown {part.kind} {part.name!r}")
            elif part.kind == "widget" and isinstance(known, Mapping):
                # YAML reads some bare words as other things (true: 0 sets True): quote such a name ("true": 0).
                undeclared = [str(name) for name in part.params if name not in known[part.name].params]
                if undeclared:
                    problems.append(f"{lesson.path}: widget {part.name!r} ({part.id}) has no parameter "
                                    f"{', '.join(map(repr, undeclared))}")
            if part.id in ids:
                problems.append(f"{lesson.path}: block id {part.id!r} used twice")
            ids.add(part.id)
    return problems


def _check_languages(catalog: Catalog) -> list[str]:
    problems = []
    en, ru = catalog.lessons["en"], catalog.lessons["ru"]
    for slug in sorted(set(en) ^ set(ru)):
        have = "en" if slug in en else "ru"
        problems.append(f"lesson {slug!r} exists in {have!r} only")
    for slug in sorted(set(en) & set(ru)):
        a, b = en[slug], ru[slug]
        if a.number != b.number:
            problems.append(f"lesson {slug!r} is number {a.number} in en but {b.number} in ru")
        if len(a.sections) != len(b.sections):
            problems.append(f"lesson {slug!r} has {len(a.sections)} sections in en but {len(b.sections)} in ru")
        else:
            for sa, sb in zip(a.sections, b.sections):
                if len(sa.slides) != len(sb.slides):
                    problems.append(
                        f"lesson {slug!r} section {sa.id} ({sa.title!r}) is split into {len(sa.slides)} slides in en "
                        f"but {len(sb.slides)} in ru: put the same `---` breaks in both"
                    )
        blocks_a = [(k, v.name) for k, v in a.blocks.items()]
        blocks_b = [(k, v.name) for k, v in b.blocks.items()]
        if blocks_a != blocks_b:
            problems.append(f"lesson {slug!r} embeds different widgets or exercises in en and ru")
    return problems
