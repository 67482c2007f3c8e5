"""The README stays true: every setting it documents exists, and every setting is documented."""

import re

from app.settings import ROOT, Settings


def test_settings_table_matches_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `STRIDE_([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
