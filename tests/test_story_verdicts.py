"""End to end (scripts/run.sh, SQLite, REST): each test story that reaches a verdict, played for real.

`rasa test core` runs no action, so the slot values and verdicts a story writes down are not
checked there. Here every story of tests/test_stories.yml and tests/test_stories_fr.yml that runs
action_eligibility_verdict is played over REST against the session's shared assistant
(tests/conftest.py), its typed messages in order with the entity annotations taken out (Rasa's
entities_parser) and its button payloads as they are, in a conversation of its own. Then the
assessment the verdict action stored last for that conversation (imp_assessments) must hold the
story's last value of each form slot ("unknown" for one never set, as the verdict action stores
it) and the story's verdict; and there must be as many assessments as verdicts in the story.
A slot's value counts from the last action_reset_eligibility on (a stop or a restart forgets the
answers), as the assistant does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.entities_parser import replace_entities

from actions.core.repository import AssessmentRepository, make_engine
from actions.core.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

STORY_FILES = (PROJECT_ROOT / "tests" / "test_stories.yml", PROJECT_ROOT / "tests" / "test_stories_fr.yml")
FORM_SLOTS = ("residence", "csq_program", "csq_valid", "invitation_letter", "pr_status")
VERDICT_ACTION = "action_eligibility_verdict"


@dataclass(frozen=True)
class VerdictStory:
    """What a story sends and the answers and verdict it expects to be stored last."""

    file: str
    name: str
    messages: tuple[str, ...]
    answers: dict[str, str]
    verdict: str
    verdicts: int  # how many times the story runs the verdict action


def read_story(file: str, story: dict) -> VerdictStory | None:
    """A story's messages and expectations, or None when it never reaches a verdict."""
    messages: list[str] = []
    values: dict[str, str | None] = dict.fromkeys(FORM_SLOTS)
    verdict, verdicts = None, 0
    for step in story.get("steps", []):
        if "user" in step:
            text = str(step["user"]).strip()
            messages.append(text if text.startswith("/") else replace_entities(text))
        elif step.get("action") == "action_reset_eligibility":
            values = dict.fromkeys(FORM_SLOTS)
        elif step.get("action") == VERDICT_ACTION:
            verdicts += 1
        for event in step.get("slot_was_set") or []:
            for slot, value in event.items():
                if slot in values:
                    values[slot] = value
                elif slot == "verdict" and value is not None:
                    verdict = value
    if not verdicts:
        return None
    assert verdict, f"{file}: {story['story']!r} runs the verdict action but sets no verdict"
    answers = {slot: value or "unknown" for slot, value in values.items()}
    return VerdictStory(file, story["story"], tuple(messages), answers, verdict, verdicts)


def verdict_stories() -> list[VerdictStory]:
    found = []
    for path in STORY_FILES:
        for story in (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("stories") or []:
            read = read_story(path.name, story)
            if read:
                found.append(read)
    return found


STORIES = verdict_stories()


@pytest.mark.parametrize("story", STORIES, ids=[f"{story.file}: {story.name}" for story in STORIES])
def test_story_reaches_its_verdict(shared_assistant, story: VerdictStory) -> None:
    assistant = shared_assistant.assistant
    sender = f"story-{uuid.uuid4().hex}"
    transcript = []
    for message in story.messages:
        replies = assistant.say(sender, message)
        transcript.append(f"> {message}")
        transcript += [f"  {reply.get('text') or reply}" for reply in replies]
    engine = make_engine(assistant.database_url)
    try:
        stored = AssessmentRepository(engine).for_conversation(sender)
    finally:
        engine.dispose()
    conversation = "\n".join(transcript)
    assert stored, f"no assessment was stored\n{conversation}"
    last = stored[-1]
    assert (last.answers, last.verdict) == (story.answers, story.verdict), conversation
    assert len(stored) == story.verdicts, f"{len(stored)} assessments stored\n{conversation}"


def test_verdict_stories_are_found() -> None:
    # every verdict value is covered in each language
    for path in STORY_FILES:
        verdicts = {story.verdict for story in STORIES if story.file == path.name}
        assert verdicts == {"eligible", "not_eligible", "cannot_tell"}, path.name
