"""Form questions and notices read at run time from data/knowledge/dialogue.yml."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from actions.core.answers import SaidBack
from actions.core.settings import PROJECT_ROOT

DIALOGUE_PATH = PROJECT_ROOT / "data" / "knowledge" / "dialogue.yml"


@dataclass(frozen=True)
class Button:
    """A quick-reply button: the title shown and the payload sent back."""

    title: str
    payload: str


class DialogueTexts:
    """The form's questions and the actions' notices, per language."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def load(cls, path: Path = DIALOGUE_PATH) -> DialogueTexts:
        """Parse a dialogue file."""
        with open(path, encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    @staticmethod
    def _pick(entry: dict[str, str], language: str) -> str:
        return entry.get(language) or entry["en"]

    def question(self, slot: str, language: str = "en") -> tuple[str, list[Button]]:
        """A form question and its buttons, whose payloads set the slot directly."""
        question = self.data["questions"][slot]
        buttons = [
            Button(
                self._pick(title, language), "/inform" + json.dumps({slot: str(value)}, separators=(",", ":"))
            )
            for value, title in question["options"].items()
        ]
        return self._pick(question["text"], language), buttons

    def message(self, key: str, language: str = "en") -> str:
        """A short notice."""
        return self._pick(self.data["messages"][key], language)

    def said_back(self, line: SaidBack, language: str = "en") -> str:
        """ "Got it: you live outside Canada; your CSQ ..." (or "OK, I've corrected that: ...")."""
        items = "; ".join(
            self._pick(self.data["understood"][slot][value], language) for slot, value in line.values
        )
        return self.message(line.kind, language).format(items=items)
