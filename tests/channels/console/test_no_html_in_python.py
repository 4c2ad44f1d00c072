"""Pages come from templates: no HTML is built in Python strings outside the tests."""

from __future__ import annotations

import re

from actions.core.settings import PROJECT_ROOT

HTML_TAG = re.compile(r"<(html|div|table|p|a|form|tr|li)[ >]")
FOLDERS = ("rasa_plugins", "actions", "scripts", "bench")


def test_no_html_tag_in_python_source() -> None:
    sources = [path for folder in FOLDERS for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))]
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HTML_TAG.search(line)
    ]
    assert len(sources) > 20
    assert offenders == []
