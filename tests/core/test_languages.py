"""Nothing the assistant says exists in one language only (English and French).

The facts (data/knowledge/facts.yml) keep both languages side by side; everything else is in one
catalogue per language (data/texts/en.yml, fr.yml), from which domain.yml's responses and the
widget's strings are written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from actions.core.settings import PROJECT_ROOT
from actions.core.texts import Texts, leaves, placeholders
from scripts import generate_texts

LANGUAGES = {"en", "fr"}
CATALOGUES = Texts.load()


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
        assert placeholders(str(entry["en"])) == placeholders(str(entry["fr"])), path


def test_every_source_and_page_name_is_bilingual() -> None:
    facts = load("data/knowledge/facts.yml")
    for key, source in facts["sources"].items():
        assert source.get("name_fr"), key
    for page in facts["official_pages"]:
        assert page.get("title_fr"), page["id"]


def test_each_language_has_its_catalogue_with_the_same_texts() -> None:
    english, french = (dict(leaves(catalogue)) for catalogue in CATALOGUES.catalogues.values())
    assert len(english) >= 100
    assert set(english) == set(french), set(english) ^ set(french)
    for key, text in english.items():
        if key.endswith(".buttons"):
            assert [b["payload"] for b in text] == [b["payload"] for b in french[key]], key
            assert all(b["title"].strip() for b in text + french[key]), key
        elif key not in ("version", "language"):
            assert isinstance(text, str) and text.strip() and french[key].strip(), key
            assert placeholders(text) == placeholders(french[key]), key


def test_no_text_is_left_in_english_in_the_french_catalogue() -> None:
    english, french = (dict(leaves(catalogue)) for catalogue in CATALOGUES.catalogues.values())
    same = {key for key, text in english.items() if isinstance(text, str) and french[key] == text}
    assert same <= {"widget.log", "labels.sources_label"}, same  # "Conversation", "Sources"


def test_every_notice_of_the_catalogues_is_used_by_the_code() -> None:
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("actions", "rasa_plugins")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    )
    unused = {key for key in CATALOGUES.catalogues["en"]["messages"] if f'"{key}"' not in code}
    assert not unused, unused


def test_domain_responses_are_written_from_the_catalogues() -> None:
    assert load("domain.yml")["responses"] == CATALOGUES.domain_responses()
    domain = (PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")
    written = generate_texts.updated_domain(domain, CATALOGUES)
    assert written == domain, "run `python -m scripts.generate_texts`"


def test_the_widget_strings_are_written_from_the_catalogues() -> None:
    committed = generate_texts.WIDGET_STRINGS_PATH.read_text(encoding="utf-8")
    assert committed == generate_texts.widget_strings(CATALOGUES), "run `python -m scripts.generate_texts`"


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
