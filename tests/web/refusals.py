"""What a widget fragment looks like when a setting was refused (issue 14): the widget is kept, the control shows
what was typed, and the reason is said in a .field-error; the fragment is 422."""

import re
from html import unescape


def kept_refusal(response) -> str:
    """The reasons a kept widget gives (joined), after checking it is one: 422, no whole-widget error box, the
    widget's own markup (its form) still there."""
    assert response.status_code == 422, response.text[:300]
    assert 'class="widget-error"' not in response.text, "a refused setting must not replace the widget"
    assert "widget-controls" in response.text or "data-widget=" in response.text
    messages = [unescape(m).strip() for m in re.findall(r'class="field-error"[^>]*>([^<]*)<', response.text)]
    assert messages and all(messages), response.text[:300]
    return " ".join(messages)


def marked_field(html: str, name: str) -> str:
    """The <input> or <select> named `name` (block.param); it must be marked invalid."""
    field = re.search(rf'<(?:input|select)[^>]*name="{re.escape(name)}"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in field, field
    return field
