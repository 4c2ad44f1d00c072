"""Finds evaluation messages that copy or nearly copy a training example, per language.

Evaluation data (the held-out NLU sets, the test stories and the conversation evaluation) must be
written apart from the training data. A message counts as a copy when, after normalising (lower
case, no accents, no punctuation, no entity annotations), it equals a training example, differs
from one by a single word, or has a difflib similarity of 0.9 or more with one.
Run it to list the offending pairs: `python -m scripts.evaluation_overlap`.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from actions.core.settings import PROJECT_ROOT

SIMILARITY_LIMIT = 0.9
LANGUAGES = ("en", "fr")
_ANNOTATION = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Overlap:
    """An evaluation message too close to a training example, and why."""

    language: str
    evaluation: str
    training: str
    reason: str


def normalise(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with annotations reduced to their words."""
    text = _ANNOTATION.sub(r"\1", text).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return " ".join(re.sub(r"[^\w\s+]", " ", text).split())


def one_word_apart(first: list[str], second: list[str]) -> bool:
    """True when one word replaced, added or removed turns one word list into the other."""
    if first == second or abs(len(first) - len(second)) > 1:
        return first == second
    if len(first) == len(second):
        return sum(a != b for a, b in zip(first, second, strict=True)) == 1
    shorter, longer = sorted((first, second), key=len)
    return any(longer[:index] + longer[index + 1 :] == shorter for index in range(len(longer)))


def why_too_close(evaluation: str, training: str, matcher: SequenceMatcher | None = None) -> str | None:
    """The reason two normalised messages count as a copy, or None.

    `matcher`, when given, already holds `evaluation` as its second sequence (difflib caches it).
    """
    if evaluation == training:
        return "equal after normalising"
    if one_word_apart(evaluation.split(), training.split()):
        return "one word apart"
    if 2 * min(len(evaluation), len(training)) < SIMILARITY_LIMIT * (len(evaluation) + len(training)):
        return None  # the ratio cannot reach the limit
    if matcher is None:
        matcher = SequenceMatcher(None, b=evaluation, autojunk=False)
    matcher.set_seq1(training)
    if matcher.quick_ratio() >= SIMILARITY_LIMIT:
        ratio = matcher.ratio()
        if ratio >= SIMILARITY_LIMIT:
            return f"similarity {ratio:.2f}"
    return None


def block_examples(block: dict) -> list[str]:
    """The example lines of one block of a Rasa NLU file (the text after "- ")."""
    lines = str(block.get("examples", "")).splitlines()
    return [line.strip()[2:] for line in lines if line.strip().startswith("- ")]


def nlu_examples(paths: Iterable[Path]) -> Iterator[str]:
    """Every example line of Rasa NLU files (intent blocks, synonyms and lookups alike)."""
    for path in paths:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            yield from block_examples(block)


def story_user_texts(path: Path) -> Iterator[str]:
    """The typed user messages of a test-story file (button payloads left out)."""
    for story in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories", []) or []:
        for step in story.get("steps", []):
            text = str(step.get("user", "")).strip()
            if text and not text.startswith("/"):
                yield text


def conversation_user_texts(path: Path) -> Iterator[str]:
    """The typed user messages of a conversation-evaluation file (button payloads left out)."""
    for conversation in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("conversations", []):
        for turn in conversation.get("turns", []):
            text = str(turn.get("user", "")).strip()
            if text and not text.startswith("/"):
                yield text


def training_messages(root: Path, language: str) -> list[str]:
    """A language's training examples: data/nlu/*.yml for English, data/nlu/fr/*.yml for French."""
    folder = root / "data" / "nlu" / ("fr" if language == "fr" else "")
    return list(nlu_examples(sorted(folder.glob("*.yml"))))


def evaluation_messages(root: Path, language: str) -> list[str]:
    """Everything a language is evaluated on: held-out NLU, test stories, conversations."""
    suffix = "_fr" if language == "fr" else ""
    messages = list(nlu_examples([root / "tests" / "nlu" / f"test_nlu_{language}.yml"]))
    stories = root / "tests" / f"test_stories{suffix}.yml"
    if stories.exists():
        messages += story_user_texts(stories)
    conversations = root / "tests" / "conversations" / f"{language}.yml"
    if conversations.exists():
        messages += conversation_user_texts(conversations)
    return messages


def find_overlaps(evaluation: Iterable[str], training: Iterable[str], language: str) -> list[Overlap]:
    """Every evaluation message that copies or nearly copies a training message."""
    trained = sorted({normalise(text) for text in training})
    found = []
    for original in dict.fromkeys(evaluation):
        message = normalise(original)
        matcher = SequenceMatcher(None, b=message, autojunk=False)
        for example in trained:
            reason = why_too_close(message, example, matcher)
            if reason:
                found.append(Overlap(language, original, example, reason))
                break
    return found


def project_overlaps(root: Path = PROJECT_ROOT) -> list[Overlap]:
    """Overlaps between each language's evaluation data and its training data."""
    return [
        overlap
        for language in LANGUAGES
        for overlap in find_overlaps(
            evaluation_messages(root, language), training_messages(root, language), language
        )
    ]


def main() -> None:
    """Print each overlap; exit 1 when there is any."""
    overlaps = project_overlaps()
    for overlap in overlaps:
        print(
            f"[{overlap.language}] {overlap.reason}: {overlap.evaluation!r} ~ training {overlap.training!r}"
        )
    print(f"{len(overlaps)} evaluation message(s) copy a training example")
    sys.exit(1 if overlaps else 0)


if __name__ == "__main__":
    main()
