"""Entity vocabulary: the phrases the spaCy entity ruler finds and what each one means."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from actions.core.settings import vocabulary_path

# vocabulary.yml section -> entity label produced by the spaCy entity ruler
ENTITY_LABELS = {
    "residence": "location",
    "csq_program": "program",
    "pr_status": "pr_status",
    "csq_validity": "csq_validity",
    "document": "document",
    "answer": "answer",
    "invitation": "invitation",
    "family": "family_member",
}


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and squeeze spaces, for matching."""
    text = text.replace("’", "'").replace("`", "'")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


@dataclass(frozen=True)
class Pattern:
    """One ruler pattern: an entity label, the phrase and its canonical value."""

    label: str
    phrase: str
    value: str


class Vocabulary:
    """Maps phrases to canonical values per section (residence, csq_program, ...)."""

    def __init__(
        self,
        sections: dict[str, dict[str, list[str]]],
        hints: dict[str, dict[str, list[list[str]]]] | None = None,
    ) -> None:
        self._sections = sections
        self._hints = hints or {}
        self._lookup: dict[str, dict[str, str]] = {
            section: {fold(phrase): value for value, phrases in values.items() for phrase in phrases}
            for section, values in sections.items()
        }

    @classmethod
    def load(cls, path: Path | None = None) -> Vocabulary:
        """Read a vocabulary YAML file."""
        with open(path or vocabulary_path(), encoding="utf-8") as handle:
            sections = yaml.safe_load(handle)
        return cls(sections, sections.pop("hints", None))

    def normalise(self, section: str, phrase: str) -> str | None:
        """Canonical value of a phrase in a section, or None when the phrase is not known."""
        return self._lookup.get(section, {}).get(fold(phrase))

    def hints(self, section: str) -> dict[str, list[list[str]]]:
        """Word groups that name a value when one word of each group is said (not ruler patterns)."""
        return self._hints.get(section, {})

    def patterns(self) -> list[Pattern]:
        """All phrases as entity-ruler patterns, in file order."""
        return [
            Pattern(ENTITY_LABELS[section], phrase, value)
            for section, values in self._sections.items()
            for value, phrases in values.items()
            for phrase in phrases
        ]


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The project's vocabulary, loaded once per process."""
    return Vocabulary.load()
