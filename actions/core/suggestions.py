"""The suggested answer of a handoff: the assistant's fact answer to the user's latest question.

The staff member who has a conversation sees it beside the reply box (docs/staff-console.md). The
questions are the user's typed messages since the last staff message (a reply, or the "a person has
joined" notice), newest first: what the staff have not answered yet. Each is parsed by the running
model; the first whose intent has a fact, with the confidence a fact needs, gives the suggestion,
rendered as the assistant renders it (console_queries.answer_to), in the conversation's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actions.core.console_queries import ConsoleAnswer, TranscriptLine, answer_to
from actions.core.knowledge import KnowledgeBase

MAX_QUESTIONS = 3  # the user's newest messages looked at, at most (each is one parse by the model)


@dataclass(frozen=True)
class Suggestion:
    """The fact answer the assistant has for one of the user's messages, in the conversation's language."""

    question: str
    language: str
    answer: ConsoleAnswer

    @property
    def percent(self) -> int:
        """The model's confidence in the question's intent, as a whole percentage."""
        return round(self.answer.confidence * 100)


def is_button_payload(text: str) -> bool:
    """True for a button's payload ("/request_human"): a click, not a question typed by the user."""
    return text.lstrip().startswith("/")


def open_questions(lines: Sequence[TranscriptLine], limit: int = MAX_QUESTIONS) -> tuple[str, ...]:
    """The user's typed messages since the last staff message, newest first, at most `limit`."""
    found: list[str] = []
    for line in reversed(lines):
        if len(found) >= limit or (line.role == "bot" and line.staff):
            break
        if line.role == "user" and line.text.strip() and not is_button_payload(line.text):
            found.append(line.text.strip())
    return tuple(found)


def suggest(
    parsed: Mapping[str, Any], knowledge: KnowledgeBase, language: str, threshold: float
) -> Suggestion | None:
    """The fact answer to a parsed message, or None when its intent has no fact or is below `threshold`."""
    answer = answer_to(parsed, knowledge, language)
    if answer.fact_id is None or answer.confidence < threshold:
        return None
    return Suggestion(str(parsed.get("text") or ""), language, answer)
