"""The test stories annotate exactly the entities the spaCy entity ruler finds in each user message.

The stories run end to end (scripts/test_stories.py): NLU must predict exactly the annotated
entities, compared on text, start, end, label and value. The ruler's entities are what
scripts/build_spacy.py builds from data/entities/vocabulary.yml; SpacyEntityExtractor runs it on
the message as typed and gives the matched text as the value. So for every typed message (button
payloads left out) the annotations, read with Rasa's own parser, must be the ruler's entities: same
places, same surface text, same labels, and each value the surface text itself. No model needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
import yaml
from rasa.shared.nlu.training_data.entities_parser import find_entities_in_training_example, replace_entities

from actions.core.settings import PROJECT_ROOT
from actions.core.vocabulary import Vocabulary
from scripts.build_spacy import build

STORY_FILES = (PROJECT_ROOT / "tests" / "test_stories.yml", PROJECT_ROOT / "tests" / "test_stories_fr.yml")
MIN_STORIES = 55

# (start, end, surface text, label) of one entity
Span = tuple[int, int, str, str]


@pytest.fixture(scope="module")
def ruler() -> spacy.Language:
    """The project's pipeline: the blank French tokenizer and the vocabulary's entity ruler."""
    return build("fr", Vocabulary.load())


def stories_of(path: Path) -> list[dict]:
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories") or []


def typed_messages(path: Path) -> list[tuple[str, str]]:
    """(story name, annotated text) of every typed user message of a story file."""
    return [
        (story["story"], str(step["user"]).strip())
        for story in stories_of(path)
        for step in story.get("steps", [])
        if "user" in step and not str(step["user"]).strip().startswith("/")
    ]


def annotated_spans(annotated: str) -> tuple[str, list[Span], list[str]]:
    """The plain text, the annotated entities and the problems of their values (Rasa's parser)."""
    plain = replace_entities(annotated)
    spans, problems = [], []
    for entity in find_entities_in_training_example(annotated):
        surface = plain[entity["start"] : entity["end"]]
        spans.append((entity["start"], entity["end"], surface, entity["entity"]))
        if entity["value"] != surface:
            problems.append(
                f"[{surface}]({entity['entity']}) has the value {entity['value']!r}; "
                f"the extractor's value is the text itself"
            )
    return plain, sorted(spans), problems


def ruler_spans(ruler: spacy.Language, plain: str) -> list[Span]:
    """What the entity ruler finds in the message as typed."""
    return sorted((ent.start_char, ent.end_char, ent.text, ent.label_) for ent in ruler(plain).ents)


def annotation_problems(ruler: spacy.Language, annotated: str) -> list[str]:
    """Why a message's annotations differ from the ruler's entities (empty when they agree).

    The (surface text, label) pairs must be the ruler's, and so must the places: an annotation of
    the right words at another occurrence in the message would fail the end-to-end test too.
    """
    plain, spans, problems = annotated_spans(annotated)
    found = ruler_spans(ruler, plain)
    if {span[2:] for span in spans} != {span[2:] for span in found} or spans != found:
        missing = [f"[{span[2]}]({span[3]})" for span in found if span not in spans]
        extra = [f"[{span[2]}]({span[3]})" for span in spans if span not in found]
        problems.append(f"not annotated: {missing}; annotated but not found by the ruler: {extra}")
    return problems


@pytest.mark.parametrize("path", STORY_FILES, ids=lambda path: path.name)
def test_annotations_are_the_ruler_entities(ruler: spacy.Language, path: Path) -> None:
    messages = typed_messages(path)
    assert messages, f"{path.name} has no typed user message"
    wrong = [
        f"{name}: {text!r}: {'; '.join(problems)}"
        for name, text in messages
        if (problems := annotation_problems(ruler, text))
    ]
    assert not wrong, (
        f"{len(wrong)} message(s) of {path.name} are not annotated as the ruler finds:\n" + "\n".join(wrong)
    )


@pytest.mark.parametrize("path", STORY_FILES, ids=lambda path: path.name)
def test_story_files_have_enough_stories(path: Path) -> None:
    stories = stories_of(path)
    names = [story["story"] for story in stories]
    assert len(stories) >= MIN_STORIES
    assert len(set(names)) == len(names), "two stories have the same name"


@pytest.mark.parametrize(
    ("annotated", "expected"),
    [
        # "Lyon" left unannotated
        (
            "I live in Lyon and my [CSQ](document) is [still valid](csq_validity)",
            "not annotated: ['[Lyon](location)']",
        ),
        # a wrong label
        ("[yep](answer), my [invitation letter](program) [came](answer)", "[invitation letter](program)"),
        # a word the ruler does not find
        ("my [cousin](family_member) lives in [Paris](location)", "[cousin](family_member)"),
        # part of a longer phrase only
        ("it's [still](csq_validity) valid", "[still valid](csq_validity)"),
        # a value that is not the text (the extractor gives the text)
        ('I live in [Lyon]{"entity": "location", "value": "abroad"}', "the value 'abroad'"),
    ],
)
def test_the_check_catches_wrong_annotations(ruler: spacy.Language, annotated: str, expected: str) -> None:
    problems = annotation_problems(ruler, annotated)
    assert problems, annotated
    assert expected in " ".join(problems)


def test_the_check_accepts_a_complete_annotation(ruler: spacy.Language) -> None:
    assert not annotation_problems(
        ruler,
        "[yep](answer), my [invitation letter](document) [came](answer) in march, "
        "pis mon [chum](family_member)?",
    )
    assert not annotation_problems(ruler, "what about [2022](year) then?")
