"""Every widget block of every lesson in the catalog renders as a fragment, in both languages, with its lesson's
own parameters: a new lesson is covered by adding its Markdown, with no list to keep here."""

import pytest

from app.lessons import LANGUAGES, load_catalog
from app.settings import Settings
from app.web.widgets import EXERCISES, WIDGETS

CATALOG = load_catalog(Settings().lessons_dir, WIDGETS, EXERCISES)
BLOCKS = [(lang, lesson.slug, block.id)
          for lang in LANGUAGES for lesson in CATALOG.ordered(lang)
          for block in lesson.blocks.values() if block.kind == "widget"]


def test_the_catalog_has_widgets_in_every_language():
    for lang in LANGUAGES:
        assert sum(1 for block in BLOCKS if block[0] == lang) >= len(CATALOG.ordered(lang))


@pytest.mark.parametrize(("lang", "slug", "block"), BLOCKS, ids=[f"{lang}-{slug}-{block}" for lang, slug, block in BLOCKS])
def test_every_widget_renders(client, lang, slug, block):
    response = client.get(f"/{lang}/lessons/{slug}/widgets/{block}")
    assert response.status_code == 200, response.text[:800]
    assert 'class="widget-error"' not in response.text  # what _frame.html shows for a refused state
    assert f'data-block="{block}"' in response.text or "data-widget" in response.text
