"""First-load weight of every page, and the Plotly bundle's trace types.

A first load is a browser with an empty cache that asks for gzip: the HTML plus every stylesheet,
script, icon and image the HTML names, each counted once, as the bytes that cross the wire
(after the server's GZipMiddleware). Every page of the catalog stays at or under 600 KB.
"""

import html
import json
import re

import pytest

LIMIT = 600 * 1000  # bytes, compressed
BUNDLED_TRACES = {"scatter", "bar", "pie"}  # the trace modules of plotly.js's basic bundle (static/vendor/README.md)
ASSET = re.compile(r'<(?:script|img)\b[^>]*?\bsrc="([^"]+)"|<link\b[^>]*?\bhref="([^"]+)"[^>]*>')
FIGURE = re.compile(r'<div data-plotly[^>]*><script type="application/json">(.*?)</script>', re.S)


def _pages(app) -> list[str]:
    paths = ["/", "/en/", "/ru/"]
    for lang in ("en", "ru"):
        for lesson in app.state.catalog.ordered(lang):
            base = f"/{lang}/lessons/{lesson.slug}"
            paths += [base, base + "/present", base + "/speaker"]
    return paths


def _get(client, path: str):
    """One GET with gzip accepted, as a browser asks; it must succeed."""
    response = client.get(path, headers={"accept-encoding": "gzip", "accept": "text/html,*/*"})
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return response


def _assets(page_html: str) -> list[str]:
    found = []
    for script_or_img, link in ASSET.findall(page_html):
        url = html.unescape(script_or_img or link)
        if url.startswith("data:") or url.startswith("#") or url in found:
            continue
        tag_is_link = bool(link)
        if tag_is_link and not re.search(rf'<link\b[^>]*rel="(?:stylesheet|icon|preload|modulepreload)"[^>]*href="{re.escape(link)}"', page_html):
            continue  # hreflang alternates and the like are not loaded
        assert not re.match(r"(https?:)?//", url), f"outside asset {url}"
        found.append(url)
    return found


def test_first_load_of_every_page_stays_under_600_kb(client, app):
    weights = {}
    cache: dict[str, int] = {}
    for path in _pages(app):
        response = _get(client, path)
        size = response.num_bytes_downloaded  # the raw body as sent, before httpx decodes it
        assets = _assets(response.text)
        assert any("htmx.min.js" in a for a in assets), f"{path}: the asset scan found no htmx — the pattern is stale"
        for asset in assets:
            if asset not in cache:
                cache[asset] = _get(client, asset).num_bytes_downloaded
            size += cache[asset]
        weights[path] = size
    heaviest = max(weights, key=weights.get)
    over = {path: weight for path, weight in weights.items() if weight > LIMIT}
    assert not over, f"over {LIMIT} bytes compressed: {over}"
    # The measurement itself: gzip really applies, and chart pages carry Plotly.
    plotly = next(asset for asset in cache if "plotly" in asset)
    assert 300_000 < cache[plotly] < 500_000, f"plotly bundle {cache[plotly]} bytes on the wire: gzip missing or wrong bundle"
    assert weights[heaviest] > cache[plotly]


def test_plotly_bundle_is_the_vendored_basic_one(client, app):
    page = client.get("/en/lessons/why-cnn").text
    scripts = [a for a in _assets(page) if "plotly" in a]
    assert len(scripts) == 1 and "/static/vendor/plotly.js-basic-" in scripts[0]
    body = client.get(scripts[0]).text
    assert body.startswith("/**\n* plotly.js (basic - minified) v4.")
    assert client.get("/vendor/plotly.min.js").status_code == 404  # no longer served from the Python package


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_chart_uses_a_trace_type_in_the_bundle(client, app, lang):
    types = set()
    for lesson in app.state.catalog.ordered(lang):
        page = client.get(f"/{lang}/lessons/{lesson.slug}").text
        for raw in FIGURE.findall(page):
            figure = json.loads(raw)
            types |= {trace.get("type", "scatter") for trace in figure["data"]}
    assert types, "no chart found on any lesson page"
    assert types <= BUNDLED_TRACES, f"trace types missing from the basic bundle: {types - BUNDLED_TRACES}"
