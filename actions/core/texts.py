"""The assistant's texts, one catalogue per language in data/texts/ (en.yml, fr.yml), read at run time.

Everything the assistant says but the facts (data/knowledge/facts.yml, whose texts carry sources):
the domain's responses and the widget's labels (written into domain.yml and widget/src/strings.js by
scripts/generate_texts.py), the eligibility form's questions, the actions' notices, the labels of the
answers built from the facts, and the replies of the Telegram channel and the tracker store.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from actions.core.answers import SaidBack
from actions.core.reloading import ReloadingFile
from actions.core.settings import PROJECT_ROOT

TEXTS_DIR = PROJECT_ROOT / "data" / "texts"
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# Said in every language at once, as one English-default response (the user's language is unknown).
ALL_LANGUAGES_RESPONSES = frozenset({"utter_unsupported_language"})
FRENCH_CONDITION = [{"type": "slot", "name": "language", "value": "fr"}]


@dataclass(frozen=True)
class Button:
    """A quick-reply button: the title shown and the payload sent back."""

    title: str
    payload: str


def catalogue_path(language: str, directory: Path = TEXTS_DIR) -> Path:
    """The catalogue file of a language."""
    return directory / f"{language}.yml"


def leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every text of a catalogue by dotted key ("messages.not_saved", "responses.utter_greet.buttons")."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}.{key}" if path else str(key))
    else:
        yield path, node


def placeholders(text: str) -> set[str]:
    """The {names} a text is formatted with."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Texts:
    """The catalogues of every language; a text missing in one language falls back to English."""

    def __init__(self, catalogues: dict[str, dict[str, Any]]) -> None:
        self.catalogues = catalogues

    @classmethod
    def load(cls, directory: Path = TEXTS_DIR) -> Texts:
        """Parse the catalogue of every language in a directory."""
        catalogues = {}
        for language in LANGUAGES:
            with open(catalogue_path(language, directory), encoding="utf-8") as handle:
                catalogue = yaml.safe_load(handle)
            if not isinstance(catalogue, dict) or catalogue.get("language") != language:
                raise ValueError(f"{catalogue_path(language, directory)} is not the {language} catalogue")
            catalogues[language] = catalogue
        return cls(catalogues)

    def _entry(self, section: str, key: str, language: str) -> Any:
        catalogue = self.catalogues.get(language) or self.catalogues[DEFAULT_LANGUAGE]
        entry = catalogue.get(section, {}).get(key)
        return entry if entry is not None else self.catalogues[DEFAULT_LANGUAGE][section][key]

    def message(self, key: str, language: str = DEFAULT_LANGUAGE) -> str:
        """A short notice."""
        return self._entry("messages", key, language)

    def label(self, key: str, language: str = DEFAULT_LANGUAGE) -> str:
        """A label of the answers built from the facts ("Sources", the month names...)."""
        return self._entry("labels", key, language)

    def topic(self, fact_id: str, language: str = DEFAULT_LANGUAGE) -> str:
        """What a fact is about, as a change notice names it ("the yearly cap")."""
        return self._entry("topics", fact_id, language)

    def in_every_language(self, key: str) -> dict[str, str]:
        """A notice in each language, by language code."""
        return {language: self.message(key, language) for language in LANGUAGES}

    def question(self, slot: str, language: str = DEFAULT_LANGUAGE) -> tuple[str, list[Button]]:
        """A form question and its buttons, whose payloads set the slot directly."""
        question = self._entry("questions", slot, language)
        buttons = [
            Button(title, "/inform" + json.dumps({slot: str(value)}, separators=(",", ":")))
            for value, title in question["options"].items()
        ]
        return question["text"], buttons

    def said_back(self, line: SaidBack, language: str = DEFAULT_LANGUAGE) -> str:
        """ "Got it: you live outside Canada; your CSQ ..." (or "OK, I've corrected that: ...")."""
        items = "; ".join(self._entry("understood", slot, language)[value] for slot, value in line.values)
        return self.message(line.kind, language).format(items=items)

    def domain_responses(self) -> dict[str, list[dict[str, Any]]]:
        """The domain's responses: a French variation on the `language` slot, then the English default."""
        english, french = (self.catalogues[language]["responses"] for language in ("en", "fr"))
        responses: dict[str, list[dict[str, Any]]] = {}
        for name, default in english.items():
            if name in ALL_LANGUAGES_RESPONSES:
                text = "\n".join(
                    catalogue["responses"][name]["text"] for catalogue in self.catalogues.values()
                )
                responses[name] = [{**default, "text": text}]
            else:
                responses[name] = [{"condition": FRENCH_CONDITION, **french[name]}, dict(default)]
        return responses


# The catalogues as they are on disk now (staff may edit them while the assistant runs).
texts_file: ReloadingFile[Texts] = ReloadingFile(lambda: TEXTS_DIR, Texts.load)
