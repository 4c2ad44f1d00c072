"""The opener training files are current, and each of their examples is a real question behind an opener."""

from __future__ import annotations

import pytest

from scripts import generate_openers as openers


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_committed_file_is_what_the_generator_writes(language: str) -> None:
    committed = (openers.FOLDERS[language] / openers.OPENERS_FILE).read_text(encoding="utf-8")
    assert committed == openers.render(language), "run `python -m scripts.generate_openers`"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_example_is_a_question_of_its_intent_behind_an_opener_of_its_language(language: str) -> None:
    sources = openers.examples_by_intent(openers.FOLDERS[language])
    written = openers.generated(language)
    assert set(written) == set(sources)
    for intent, texts in written.items():
        assert all(openers.is_question_intent(intent) for _ in texts)
        folded_sources = {text.lower() for text in sources[intent]}
        for text in texts:
            opener = max((o for o in openers.OPENERS[language] if text.startswith(f"{o} ")), key=len)
            assert text[len(opener) + 1 :].lower() in folded_sources, text


def test_no_other_intent_is_given_openers() -> None:
    assert openers.is_question_intent("ask_fees") and openers.is_question_intent("bot_challenge")
    assert not openers.is_question_intent("affirm") and not openers.is_question_intent("inform")


def test_the_opener_keeps_the_question_and_lowers_its_first_letter() -> None:
    assert openers.with_opener("How long is it valid?", "thanks, and") == "thanks, and how long is it valid?"
