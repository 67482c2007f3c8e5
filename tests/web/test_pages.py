"""Pages, fragments and the security baseline, through the ASGI app."""

import gzip
import re

import pytest

from app.web.security import CSP


def lesson_slugs(app, lang="en"):
    return [lesson.slug for lesson in app.state.catalog.ordered(lang)]


def test_outline_follows_accept_language(client, app):
    english = client.get("/", headers={"accept-language": "de-DE,en;q=0.5"})
    russian = client.get("/", headers={"accept-language": "ru-RU,ru;q=0.9"})
    assert english.status_code == russian.status_code == 200
    assert 'lang="en"' in english.text and 'lang="ru"' in russian.text
    for slug in lesson_slugs(app):
        assert f"/en/lessons/{slug}" in english.text and f"/ru/lessons/{slug}" in russian.text


def test_outline_lists_only_written_lessons(client, app):
    html = client.get("/en/").text
    linked = set(re.findall(r'href="/en/lessons/([a-z0-9-]+)"', html))
    assert linked == set(lesson_slugs(app))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_lesson_renders_as_page_and_slides(client, app, lang):
    for lesson in app.state.catalog.ordered(lang):
        page = client.get(f"/{lang}/lessons/{lesson.slug}")
        assert page.status_code == 200, page.text[:500]
        assert lesson.title in page.text or lesson.title.replace("'", "&#39;") in page.text
        for block_id in lesson.blocks:
            assert f'data-block="{block_id}"' in page.text
        slides = client.get(f"/{lang}/lessons/{lesson.slug}/present")
        assert slides.status_code == 200
        # A title slide, one per slide of each section (a section splits where the lesson writes `---`),
        # and the key points.
        assert all(section.slides for section in lesson.sections), lesson.slug
        expected = sum(len(section.slides) for section in lesson.sections) + 2
        assert len(re.findall(r'<section class="slide[ "]', slides.text)) == expected, lesson.slug
        for section in lesson.sections:
            assert slides.text.count(f'data-section="{section.id}"') == len(section.slides), (lesson.slug, section.id)
        assert client.get(f"/{lang}/lessons/{lesson.slug}/speaker").status_code == 200


def test_unknown_lesson_is_a_real_404_page(client):
    response = client.get("/ru/lessons/no-such-lesson", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "Такой страницы нет" in response.text
    assert client.get("/xx/lessons/convolution", headers={"accept": "text/html"}).status_code == 404


def test_security_headers_and_no_outside_assets(client, app):
    slug = lesson_slugs(app)[0]
    response = client.get(f"/en/lessons/{slug}")
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-eval" not in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r'(src|href)="(https?:)?//', response.text), "no outside hosts"
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", response.text), "no inline script"


def test_autoescape_in_widget_state(client):
    response = client.get('/en/lessons/convolution?numbers.input="><script>alert(1)</script>')
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text


def test_healthz(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["device"] in ("cpu", "cuda")


def test_footer_names_the_device(client, app):
    slug = lesson_slugs(app)[0]
    assert "Computing on CPU" in client.get(f"/en/lessons/{slug}").text


def test_body_limit(client, app):
    limit = app.state.settings.max_body_bytes
    response = client.post("/api/conv2d", content=b"x" * (limit + 1), headers={"content-type": "application/json"})
    assert response.status_code == 413

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    chunked = client.post("/api/conv2d", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413


def compressed_weight(client, path: str) -> int:
    """Bytes of a page and every script, stylesheet and icon it loads, each gzip-compressed."""
    html = client.get(path).text
    total = len(gzip.compress(html.encode()))
    for asset in re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        total += len(gzip.compress(response.content))
    return total


def test_page_weight_budget(client, app):
    """The outline and a lesson page without charts stay under 300 KB compressed on first load."""
    assert compressed_weight(client, "/en/") <= 300_000
    for lesson in app.state.catalog.ordered("en"):
        if not any(app_widget.charts for app_widget in _widgets(lesson)):
            assert compressed_weight(client, f"/en/lessons/{lesson.slug}") <= 300_000, lesson.slug


def _widgets(lesson):
    from app.web.widgets import WIDGETS

    return [WIDGETS[b.name] for b in lesson.blocks.values() if b.kind == "widget"]


def test_responses_are_gzipped(client):
    response = client.get("/static/css/stride.css", headers={"accept-encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"


def test_widget_model_work_goes_through_the_queue():
    """A widget that runs a model waits in the same bounded queue as the API; a full queue is a 503 fragment."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings
    from app.web.service import ModelService

    app = create_app(Settings(device="cpu"))
    app.state.models = ModelService("cpu", max_waiting=0)  # every call finds the queue full
    with TestClient(app) as client:
        response = client.get("/en/lessons/lenet/widgets/draw?draw.sample=3")
    assert response.status_code == 503
    assert "busy" in response.text
