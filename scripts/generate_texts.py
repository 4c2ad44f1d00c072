"""Writes the texts of the catalogues (data/texts/en.yml, fr.yml) where Rasa and the widget read them.

- domain.yml's `responses:` section (the rest of the file is left alone): Rasa wants a response's
  languages side by side, a variation per value of the `language` slot, and merging a domain folder
  (`--domain domain/`) would not join two files' variations of one response but keep one file's.
- widget/src/strings.js, the widget's labels, bundled into widget/dist/ (`npm run build`).

tests/core/test_languages.py checks that both files are current.

    python -m scripts.generate_texts
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from actions.core.settings import PROJECT_ROOT
from actions.core.texts import LANGUAGES, Texts

DOMAIN_PATH = PROJECT_ROOT / "domain.yml"
WIDGET_STRINGS_PATH = PROJECT_ROOT / "widget" / "src" / "strings.js"
# From the `responses:` key (and the comments right above it) to the next top-level key.
RESPONSES_SECTION = re.compile(r"(?:^#.*\n)*^responses:\n(?:(?:[ #].*)?\n)*?(?=^\S)", re.MULTILINE)
# domain.yml's comment as it was before the catalogues: scripts/train.sh retrains when any byte of
# domain.yml changes, so the file stays byte for byte what Rasa was trained on.
HEADER = (
    '# Each response has a French variation (used when the `language` slot is "fr") and an English\n'
    "# default. tests/core/test_languages.py checks that none exists in one language only.\n"
)


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


def render_variation(variation: dict[str, Any]) -> list[str]:
    """One variation of a response, as list items under the response's name."""
    lines = []
    if variation.get("condition"):
        lines.append("    - condition:")
        for condition in variation["condition"]:
            keys = list(condition.items())
            lines.append(f"        - {keys[0][0]}: {keys[0][1]}")
            lines.extend(f"          {key}: {value}" for key, value in keys[1:])
        lines.append(f"      text: {quoted(variation['text'])}")
    else:
        lines.append(f"    - text: {quoted(variation['text'])}")
    if variation.get("buttons"):
        lines.append("      buttons:")
        lines.extend(
            f"        - {{title: {quoted(button['title'])}, payload: {quoted(button['payload'])}}}"
            for button in variation["buttons"]
        )
    return lines


def render(texts: Texts) -> str:
    """The `responses:` section of domain.yml, with its header comment."""
    blocks = []
    for name, variations in texts.domain_responses().items():
        lines = [f"  {name}:"]
        for variation in variations:
            lines.extend(render_variation(variation))
        blocks.append("\n".join(lines) + "\n")
    return HEADER + "responses:\n" + "\n".join(blocks) + "\n"


def updated_domain(domain: str, texts: Texts) -> str:
    """The domain file's text with its responses written from the catalogues."""
    if len(RESPONSES_SECTION.findall(domain)) != 1:
        raise ValueError("domain.yml must have one top-level `responses:` section, followed by another key")
    return RESPONSES_SECTION.sub(lambda _: render(texts), domain)


def widget_strings(texts: Texts) -> str:
    """widget/src/strings.js: the widget's labels in every language (JSON strings are JavaScript)."""
    lines = [
        "// Written by `python -m scripts.generate_texts` from data/texts/en.yml and data/texts/fr.yml",
        "// (`widget:`): edit the texts there, then rebuild dist/. The bot's own answers come from the",
        "// assistant.",
        "export const STRINGS = {",
    ]
    for language in LANGUAGES:
        lines.append(f"  {language}: {{")
        widget = texts.catalogues[language]["widget"]
        lines.extend(f"    {key}: {quoted(text)}," for key, text in widget.items())
        lines.append("  },")
    lines += ["};", "", "export function stringsFor(language) {"]
    lines += ["  return STRINGS[language] || STRINGS.en;", "}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Rewrite domain.yml's responses and the widget's strings; say which changed."""
    texts = Texts.load()
    domain = DOMAIN_PATH.read_text(encoding="utf-8")
    for path, current, updated in (
        (DOMAIN_PATH, domain, updated_domain(domain, texts)),
        (WIDGET_STRINGS_PATH, WIDGET_STRINGS_PATH.read_text(encoding="utf-8"), widget_strings(texts)),
    ):
        if updated != current:
            path.write_text(updated, encoding="utf-8")
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        else:
            print(f"{path.relative_to(PROJECT_ROOT)} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
