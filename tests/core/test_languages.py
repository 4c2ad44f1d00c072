"""Nothing the assistant says exists in one language only (English and French)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from actions.core.settings import PROJECT_ROOT

LANGUAGES = {"en", "fr"}


def load(relative: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / relative).read_text(encoding="utf-8"))


def texts(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping that holds an `en` text, anywhere in a data file."""
    if isinstance(node, dict):
        if "en" in node:
            yield path, node
        for key, value in node.items():
            yield from texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from texts(value, f"{path}[{index}]")


def test_every_fact_and_eligibility_text_is_bilingual() -> None:
    found = list(texts(load("data/knowledge/facts.yml")))
    assert len(found) > 50
    for path, entry in found:
        assert LANGUAGES <= set(entry), path
        assert all(str(entry[language]).strip() for language in LANGUAGES), path


def test_every_source_and_page_name_is_bilingual() -> None:
    facts = load("data/knowledge/facts.yml")
    for key, source in facts["sources"].items():
        assert source.get("name_fr"), key
    for page in facts["official_pages"]:
        assert page.get("title_fr"), page["id"]


def test_every_form_question_button_and_notice_is_bilingual() -> None:
    found = list(texts(load("data/knowledge/dialogue.yml")))
    assert len(found) >= 25
    for path, entry in found:
        assert LANGUAGES <= set(entry), path


def test_every_domain_response_has_a_french_variation_and_an_english_default() -> None:
    for name, variations in load("domain.yml")["responses"].items():
        french = [
            v
            for v in variations
            if v.get("condition") == [{"type": "slot", "name": "language", "value": "fr"}]
        ]
        default = [v for v in variations if not v.get("condition")]
        assert default, f"{name} has no English default"
        if name == "utter_unsupported_language":  # one bilingual message on purpose
            assert "English" in default[0]["text"] and "français" in default[0]["text"]
            continue
        assert french, f"{name} has no French variation"
        assert [b["payload"] for b in french[0].get("buttons", [])] == [
            b["payload"] for b in default[0].get("buttons", [])
        ], name


def test_every_intent_is_trained_in_both_languages() -> None:
    domain_intents = set(load("domain.yml")["intents"])
    counts: dict[str, dict[str, int]] = {}
    for language, folder in (("en", "data/nlu"), ("fr", "data/nlu/fr")):
        for path in sorted((PROJECT_ROOT / folder).glob("*.yml")):
            for block in load(str(path.relative_to(PROJECT_ROOT))).get("nlu", []):
                if "intent" in block:
                    examples = [line for line in block["examples"].splitlines() if line.strip()]
                    counts.setdefault(block["intent"], {}).setdefault(language, 0)
                    counts[block["intent"]][language] += len(examples)
    for intent in domain_intents - {"unsupported_language"}:
        per_language = counts.get(intent, {})
        assert per_language.get("fr", 0) >= per_language.get("en", 0) > 0, (intent, per_language)
