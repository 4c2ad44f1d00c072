"""Runs test stories end to end: `rasa test core --e2e --fail-on-prediction-errors`, one difference.

Every user message of the stories goes through NLU; its intent and its ruler entities must equal
the story's annotation, and every action must be predicted as written. The one difference from
the command line: the `language` entity that rasa_plugins/nlu/language_detector.py puts on the whole
message (it only sets the `language` slot) is left out of the comparison, because a story cannot
annotate an entity that spans the whole message around the others. Language detection has its own
tests (tests/core/test_language.py, the conversation evaluation).
Verified on Rasa 3.6.21 (`rasa.core.test.test`, `MessageProcessor.parse_message`).
Usage: python -m scripts.test_stories MODEL STORIES OUT
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from typing import Any

import yaml
from rasa.core.agent import Agent
from rasa.core.test import test as core_test

DETECTOR = "LanguageDetector"


def without_language(parsed: dict[str, Any]) -> dict[str, Any]:
    """Parse data without the language detector's whole-message entity."""
    entities = [entity for entity in parsed.get("entities") or [] if entity.get("extractor") != DETECTOR]
    return {**parsed, "entities": entities}


KNOWN_FAILURES = Path(__file__).resolve().parent.parent / "tests" / "known_story_failures.yml"


def known_failures(path: Path = KNOWN_FAILURES) -> dict[str, str]:
    """Story name -> why it does not pass yet (tests/known_story_failures.yml)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["known_failures"] or {}


def failed_story_names(out: str) -> list[str]:
    """The names of the stories `rasa test` wrote to failed_test_stories.yml (without the file suffix)."""
    path = Path(out) / "failed_test_stories.yml"
    if not path.exists():
        return []
    stories = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [re.sub(r" \([^()]*\)$", "", story["story"]) for story in stories.get("stories") or []]


def unexpected_failures(failed: list[str], known: dict[str, str]) -> list[str]:
    """The failed stories that are not listed as known failures."""
    return [name for name in failed if name not in known]


async def test_stories_with(agent: Agent, stories: str, out: str, fail_fast: bool = True) -> dict[str, Any]:
    """Test the stories with a loaded model; raises on the first prediction error when fail_fast."""
    processor = agent.processor
    assert processor is not None, "the model did not load"
    parse = processor.parse_message

    async def parse_message(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return without_language(await parse(*args, **kwargs))

    processor.parse_message = parse_message  # type: ignore[method-assign]
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
        return await core_test(
            stories, agent, out_directory=out, fail_on_prediction_errors=fail_fast, e2e=True
        )
    finally:
        processor.parse_message = parse  # type: ignore[method-assign]


async def run(model: str, stories: str, out: str) -> None:
    """Load the model and test the stories; raises on the first prediction error."""
    await test_stories_with(Agent.load(model_path=model), stories, out)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model")
    parser.add_argument("stories")
    parser.add_argument("out")
    args = parser.parse_args()
    asyncio.run(run(args.model, args.stories, args.out))


if __name__ == "__main__":
    main()
