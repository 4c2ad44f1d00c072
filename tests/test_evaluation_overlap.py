"""Evaluation data is kept apart from training data, and the held-out sets are big enough."""

from __future__ import annotations

import pytest
import yaml

from actions.core.settings import PROJECT_ROOT
from scripts.evaluation_overlap import (
    LANGUAGES,
    find_overlaps,
    nlu_examples,
    normalise,
    project_overlaps,
    why_too_close,
)

MIN_HELD_OUT_MESSAGES = 400


@pytest.mark.parametrize(
    ("evaluation", "training", "reason"),
    [
        ("How long is the permit valid?", "how long is the permit valid", "equal after normalising"),
        ("C'est quoi les étapes", "c est quoi les etapes", "equal after normalising"),
        ("what does [PMI+](program) stand for", "What does PMI+ stand for?", "equal after normalising"),
        ("how long is the permit good", "how long is the permit valid", "one word apart"),
        ("how long is the IMP permit valid", "how long is the permit valid", "one word apart"),
        ("is the permit valid", "how long is the permit valid", None),
        ("what are the fees for an open work permit", "who sends the invitation letter", None),
    ],
)
def test_why_too_close(evaluation: str, training: str, reason: str | None) -> None:
    found = why_too_close(normalise(evaluation), normalise(training))
    if reason == "one word apart":
        assert found == reason
    elif reason is None:
        assert found is None or found.startswith("similarity")
    else:
        assert found == reason


def test_near_copies_by_similarity_are_found() -> None:
    found = find_overlaps(
        ["what are the fees for the imp+ work permits"], ["what are the fees for the imp+ work permit"], "en"
    )
    assert [overlap.reason for overlap in found] == ["one word apart"] or found[0].reason.startswith(
        "similarity"
    )
    assert find_overlaps(["how much does it cost"], ["who sends the invitation letter"], "en") == []
    assert find_overlaps(
        ["combien coûte le permis, frais compris"], ["combien coute le permis frais compris!!"], "fr"
    )[0].reason == ("equal after normalising")


def test_no_evaluation_message_copies_a_training_example() -> None:
    overlaps = project_overlaps()
    listed = "\n".join(f"[{o.language}] {o.reason}: {o.evaluation!r} ~ {o.training!r}" for o in overlaps)
    assert not overlaps, f"{len(overlaps)} evaluation messages copy training examples:\n{listed}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_held_out_set_covers_every_intent_with_enough_messages(language: str) -> None:
    path = PROJECT_ROOT / "tests" / "nlu" / f"test_nlu_{language}.yml"
    messages = list(nlu_examples([path]))
    assert len(messages) >= MIN_HELD_OUT_MESSAGES
    blocks = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    held_out_intents = {block["intent"] for block in blocks if "intent" in block}
    domain_intents = set(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    assert held_out_intents == domain_intents
