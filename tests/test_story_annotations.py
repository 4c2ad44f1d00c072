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


SAMPLE = "yep, my invitation letter came in march, I live in Lyon and my CSQ is still valid. pis mon chum?"


def annotate(
    ruler: spacy.Language, text: str, skip: int | None = None, label: dict[int, str] | None = None
) -> str:
    """`text` annotated with the ruler's entities, one left out (skip) or relabelled (label) on demand."""
    out, position = [], 0
    for number, ent in enumerate(ruler(text).ents):
        if number == skip:
            continue
        out.append(f"{text[position : ent.start_char]}[{ent.text}]({(label or {}).get(number, ent.label_)})")
        position = ent.end_char
    return "".join(out) + text[position:]


def test_the_check_accepts_the_ruler_annotation(ruler: spacy.Language) -> None:
    assert len(ruler(SAMPLE).ents) >= 3
    assert not annotation_problems(ruler, annotate(ruler, SAMPLE))
    assert not annotation_problems(ruler, "what about [2022](year) then?")


def test_the_check_catches_a_missing_annotation(ruler: spacy.Language) -> None:
    for number, ent in enumerate(ruler(SAMPLE).ents):
        problems = annotation_problems(ruler, annotate(ruler, SAMPLE, skip=number))
        assert problems, f"[{ent.text}]({ent.label_}) left out went unnoticed"
        assert f"not annotated: ['[{ent.text}]({ent.label_})']" in problems[0]
    # a message with no annotation at all, though the ruler finds entities in it
    assert annotation_problems(ruler, SAMPLE)


def test_the_check_catches_wrong_annotations(ruler: spacy.Language) -> None:
    first = ruler(SAMPLE).ents[0]
    other = "year" if first.label_ != "year" else "location"
    assert annotation_problems(ruler, annotate(ruler, SAMPLE, label={0: other}))  # a wrong label
    plain = replace_entities(annotate(ruler, SAMPLE))
    assert "march" in plain
    extra = annotate(ruler, SAMPLE).replace("march", "[march](year)")
    assert "[march](year)" in " ".join(annotation_problems(ruler, extra))  # a word the ruler does not find
    wrong_value = annotate(ruler, SAMPLE).replace(
        f"[{first.text}]({first.label_})", f'[{first.text}]{{"entity": "{first.label_}", "value": "x"}}', 1
    )
    # a value other than the text (SpacyEntityExtractor's value is the text)
    assert "the value 'x'" in " ".join(annotation_problems(ruler, wrong_value))
