"""The text catalogues' loader: one file per language, English when a text is missing, edits used at once."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from actions.core.answers import SaidBack
from actions.core.reloading import ReloadingFile
from actions.core.texts import TEXTS_DIR, Texts, catalogue_path, placeholders


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of data/texts/ that a test may edit."""
    copy = tmp_path / "texts"
    shutil.copytree(TEXTS_DIR, copy)
    return copy


def test_a_notice_is_in_the_language_asked_and_english_otherwise() -> None:
    texts = Texts.load()
    assert texts.message("not_saved", "fr").startswith("Désolé")
    assert texts.message("not_saved", "es") == texts.message("not_saved") == texts.message("not_saved", "en")
    assert texts.in_every_language("not_saved") == {
        "en": texts.message("not_saved", "en"),
        "fr": texts.message("not_saved", "fr"),
    }


def test_a_text_missing_in_french_falls_back_to_english() -> None:
    texts = Texts.load()
    del texts.catalogues["fr"]["messages"]["handoff_taken"]
    assert texts.message("handoff_taken", "fr") == texts.message("handoff_taken", "en")


def test_a_form_question_has_buttons_that_set_its_slot() -> None:
    text, buttons = Texts.load().question("csq_valid", "fr")
    assert text.startswith("Votre CSQ")
    assert [button.payload for button in buttons] == [
        '/inform{"csq_valid":"yes"}',
        '/inform{"csq_valid":"no"}',
        '/inform{"csq_valid":"unknown"}',
    ]
    assert buttons[0].title == "Oui, toujours valide"


def test_answers_are_said_back_in_the_language_of_the_conversation() -> None:
    line = SaidBack("understood", (("residence", "quebec"), ("csq_valid", "yes")))
    said = Texts.load().said_back(line, "fr")
    assert said == "C'est noté : vous vivez au Québec; votre CSQ est toujours valide."


def test_domain_responses_put_the_french_variation_first_and_say_both_languages_when_unknown() -> None:
    responses = Texts.load().domain_responses()
    french, english = responses["utter_goodbye"]
    assert french["condition"] == [{"type": "slot", "name": "language", "value": "fr"}]
    assert "condition" not in english and english["text"].startswith("Goodbye")
    (both,) = responses["utter_unsupported_language"]
    assert "English" in both["text"] and "français" in both["text"]


def test_a_catalogue_must_say_its_language(folder: Path) -> None:
    path = catalogue_path("fr", folder)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("language: fr", "language: en"), encoding="utf-8")
    with pytest.raises(ValueError, match="fr catalogue"):
        Texts.load(folder)


def test_an_edit_to_either_catalogue_is_used_without_restart(folder: Path) -> None:
    texts = ReloadingFile(lambda: folder, Texts.load)
    assert texts.get().message("handoff_taken", "fr").startswith("Une personne")
    time.sleep(0.01)
    path = catalogue_path("fr", folder)
    path.write_text(path.read_text(encoding="utf-8").replace("Une personne de notre", "Un membre de notre"))
    assert texts.get().message("handoff_taken", "fr").startswith("Un membre")
    path.write_text("messages: [broken", encoding="utf-8")
    assert texts.get().message("handoff_taken", "fr").startswith("Un membre"), "a bad edit keeps the last"


def test_placeholders_are_the_names_a_text_is_formatted_with() -> None:
    assert placeholders("I don't know that for {year}: only {years}.") == {"year", "years"}
    assert placeholders("No placeholder here.") == set()
