"""Intent rules: a situation stated about oneself starts the check; a short follow-up keeps the topic."""

from __future__ import annotations

import pytest

from actions.core.intent_rules import (
    answer_intent,
    answered_with_a_fact,
    corrected_intent,
    deletion_reply_intent,
    follow_up_intent,
    no_known_word,
    program_still_open_intent,
    situation_intent,
    thanks_intent,
    unsure_of_a_fact,
    whats_new_intent,
    words,
)
from actions.core.vocabulary import default_vocabulary
from tests.actions.helpers import ruler_entities


@pytest.mark.parametrize(
    ("text", "intent", "forced"),
    [
        (
            "do I qualify for IMP+? I'm in Winnipeg and my CSQ is from the AI, IT and visual effects pilot",
            "ask_csq_programs",
            "check_eligibility",
        ),
        ("le permis est limité au Québec ou valide partout au Canada", "ask_permit_type", None),
        (
            "my CSQ is from the business immigration program, is that one accepted for this",
            "ask_csq_programs",
            None,
        ),
        ("how many workers picked by Quebec were granted PR in 2021", "ask_2021_figures", None),
        ("je vis à Bruxelles pis j'ai un CSQ du programme régulier", "ask_csq_programs", "inform"),
        ("can people in Ontario with a PSTQ CSQ apply?", "ask_eligibility_criteria", None),
        ("I live in Lyon", "ask_already_in_quebec", None),  # one answer: the classifier's call
        ("I'm in Paris with a PRTQ CSQ, do I qualify?", "check_eligibility", None),  # kept
        ("I want a human, I'm in Lyon with a PRTQ CSQ", "request_human", None),
    ],
)
def test_situation_intent(text: str, intent: str, forced: str | None) -> None:
    assert situation_intent(text, intent, ruler_entities(text), default_vocabulary()) == forced


@pytest.mark.parametrize(
    ("text", "intent", "forced"),
    [
        ("pis en 2023, c'était quoi le chiffre?", "ask_2021_figures", "follow_up"),
        ("and for 2024?", "nlu_fallback", "follow_up"),
        ("what about my husband?", "nlu_fallback", "follow_up"),
        ("and in 2025, is IMP+ still open?", "ask_program_status", None),  # a question of its own
        ("how many got PR in 2022?", "ask_2021_figures", None),  # not shaped as a follow-up
        ("and what was the cap in 2022 according to quebec.ca and IRCC and the article?", "ask_cap", None),
        ("and then?", "nlu_fallback", None),  # nothing to carry over
        ("ok and in 2024 it's how much?", "ask_fees", "follow_up"),  # after the caps: the caps
        ("cool, and what did 2022 look like", "out_of_scope", "follow_up"),
        ("and how much are the fees for a family of four?", "ask_fees", None),  # no year, own question
        ("and what's the weather like in 2024?", "ask_outside_sources", None),
    ],
)
def test_follow_up_intent(text: str, intent: str, forced: str | None) -> None:
    assert follow_up_intent(text, intent, ruler_entities(text)) == forced


@pytest.mark.parametrize(
    ("text", "intent", "forced"),
    [
        ("yes go ahead and wipe it", "request_data_deletion", "affirm"),
        ("Oui, effacez tout", "request_data_deletion", "affirm"),
        ("no wait, keep my stuff, don't erase it", "request_data_deletion", "deny"),
        ("non attends, efface pas ça", "request_data_deletion", "deny"),
        ("delete everything you have on me", "request_data_deletion", None),  # the request itself
        ("yes, I am in Lyon", "inform", None),  # not about deletion: other rules decide
        ("nobody else sees my data, right? delete it", "request_data_deletion", None),  # "nobody" is no no
    ],
)
def test_deletion_reply_intent(text: str, intent: str, forced: str | None) -> None:
    assert deletion_reply_intent(text, intent) == forced


@pytest.mark.parametrize(
    ("text", "intent", "forced"),
    [
        ("alright thanks, I'll hang on for them", "ask_outside_sources", "thank"),
        ("parfait, c'est tout ce qu'il me fallait, merci", "ask_outside_sources", "thank"),
        ("thanks! and how much are the fees?", "ask_fees", None),  # asks
        ("merci, pis c'est combien les frais", "ask_fees", None),  # asks (combien)
        ("thanks for checking my eligibility", "nlu_fallback", None),  # names the check
        ("I'd like to talk to someone, thanks", "request_human", None),  # a request is kept
        ("the fees are 255 dollars I think", "ask_fees", None),  # no thanks
        ("merci de m'indiquer le plafond pour 2024", "ask_cap", None),  # a polite request
        ("please send the fee list, thanks in advance", "ask_fees", None),
    ],
)
def test_thanks_intent(text: str, intent: str, forced: str | None) -> None:
    assert thanks_intent(text, intent, ruler_entities(text)) == forced


def test_corrected_intent_reads_a_deletion_reply_first() -> None:
    text = "yep, delete all of it"
    entities = ruler_entities(text)
    assert corrected_intent(text, "request_data_deletion", entities, default_vocabulary()) == "affirm"


def test_corrected_intent_keeps_nlu_when_no_rule_applies() -> None:
    text = "how long is the permit valid?"
    assert corrected_intent(text, "ask_permit_duration", ruler_entities(text), default_vocabulary()) is None


@pytest.mark.parametrize(
    ("intent", "confidence", "unsure"),
    [
        ("ask_cap", 0.55, True),
        ("follow_up", 0.69, True),
        ("ask_cap", 0.7, False),
        ("ask_outside_sources", 0.3, False),  # "I don't know" is never a wrong fact
        ("greet", 0.3, False),  # the FallbackClassifier's threshold handles the rest
        (None, 0.0, False),
    ],
)
def test_unsure_of_a_fact(intent: str | None, confidence: float, unsure: bool) -> None:
    assert unsure_of_a_fact(intent, confidence, 0.7) is unsure
    assert answered_with_a_fact("ask_what_is_csq") and not answered_with_a_fact("inform")


@pytest.mark.parametrize(
    ("text", "intent", "convention"),
    [
        ("i'm in regina, saskatchewan", "nlu_fallback", "inform"),
        ("Tunis, en Tunisie", "check_eligibility", "inform"),  # a statement naming its topic
        ("yes, still valid until 2027", "affirm", "inform"),  # names its topic (validity)
        ("pending for about 8 months now", "nlu_fallback", "inform"),
        ("yes, the invitation is here", "affirm", "inform"),  # a yes naming the document answered
        ("définition de CSQ svp, je suis perdu", "ask_what_is_csq", None),  # names a document, no yes/no
        ("dunno where my PR stands tbh", "inform", "dont_know"),  # don't know outweighs the topic
        ("received it a few weeks back", "ask_outside_sources", "affirm"),  # a statement asks no fact
        ("check if I'm eligible, I live in Lyon", "check_eligibility", None),  # asks for the check
        ("je reste à Bruxelles", "ask_fees", "inform"),
        ("c'est le PRTQ, obtenu en 2023", "ask_2021_figures", "inform"),
        ("yes, through the PRTQ", "affirm", "inform"),
        ("yes, the letter came", "inform", "affirm"),
        ("yup, that part is done", "goodbye", "affirm"),
        ("nope, nothing yet", "inform", "deny"),
        ("no idea honestly", "nlu_fallback", "dont_know"),
        ("is the permit limited to Quebec?", "ask_permit_type", None),  # a question
        ("the permit is limited to Quebec or valid everywhere in Canada then", "ask_permit_type", None),
        ("I want to talk to someone about my PRTQ file", "request_human", None),
        ("thanks a lot", "thank", None),  # no answer in it
        ("got it, thanks a lot", "thank", None),  # thanks: no plain yes or no in it
        ("greetings from Manila", "greet", None),  # a greeting names a city, answers nothing
        ("hi, I'm in Manila", "greet", "inform"),  # about oneself: an answer
        ("yep, thanks", "thank", "affirm"),  # a plain yes answers the question asked
        ("ouais merci", "thank", "affirm"),
        # "qualified" inside a program's name asks for no check
        ("mon CSQ est du programme régulier des travailleurs qualifiés", "ask_csq_programs", "inform"),
        ("my CSQ came through the regular skilled workers program, qualified stream", "nlu_fallback", None),
        # an opening yes / no / don't know makes a longer statement a reply
        ("uh yeah, that thing is good for a couple more years at least", "nlu_fallback", "affirm"),
        ("honestly no clue which city we'll end up settling in", "ask_how_to_apply", "dont_know"),
        ("the person at the office said my thing is fine for a couple more years", "nlu_fallback", None),
        # only an answer says the CSQ expired, whatever its length
        ("le certificat est expiré depuis la fin de l'été passé", "ask_permit_duration", "inform"),
    ],
)
def test_answer_intent(text: str, intent: str, convention: str | None) -> None:
    assert answer_intent(text, intent, ruler_entities(text), default_vocabulary()) == convention


def test_a_situation_with_eligibility_words_is_a_check() -> None:
    text = "check if I'm eligible: I'm in Dakar, CSQ from the PRTQ still valid, invitation received"
    assert situation_intent(text, "inform", ruler_entities(text), default_vocabulary()) is None  # kept
    assert situation_intent(text, "ask_csq_programs", ruler_entities(text), default_vocabulary()) == (
        "check_eligibility"
    )


@pytest.mark.parametrize(
    ("text", "entities", "noise"),
    [
        ("zxqv blorptang frumious", [], True),
        ("qwop flurbish gnarvle!!", [{"entity": "language", "value": "en"}], True),
        ("zxqv fees", [], False),  # one known word
        ("blorp", [], False),  # one word: the classifier decides
        ("xq7 blorp ok?? zzzz", [], True),  # "ok" is known, but only a filler
        ("ok ok", [], False),  # fillers only: nothing unknown
        ("ok blorp", [], False),  # one unknown word
        ("Zxqv Lyonville", [{"entity": "location", "value": "Lyonville"}], False),  # an answer
        ("2024 5145550199", [], False),  # digits are not words
    ],
)
def test_no_known_word(text: str, entities: list[dict], noise: bool) -> None:
    assert no_known_word(text, frozenset({"fees", "permit", "ok"}), entities) is noise


def test_no_known_word_never_judges_without_a_vocabulary() -> None:
    assert no_known_word("zxqv blorptang frumious", frozenset(), []) is False


def test_words_are_folded_and_exclude_digits() -> None:
    assert words("Frais 255 $, c'est ÇA?") == ["frais", "c", "est", "ca"]


@pytest.mark.parametrize(
    ("text", "intent", "forced"),
    [
        ("quoi de neuf?", "greet", "ask_program_status"),
        ("quoi d'neuf?", "greet", "ask_program_status"),
        ("salut toi, quoi d'neuf", "greet", None),
        ("what's new with IMP+?", "ask_about_program", "ask_program_status"),
        ("has anything changed lately?", "nlu_fallback", "ask_program_status"),
        ("qu'est-ce qui a changé dernièrement?", "ask_outside_sources", "ask_program_status"),
        ("y a-tu du nouveau avec le PMI+?", "ask_about_program", "ask_program_status"),
        ("salut, quoi de neuf", "greet", None),  # a greeting
        ("any news on my application?", "ask_outside_sources", None),  # one's own file
        ("des nouvelles de ma demande?", "ask_outside_sources", None),
        ("what changed in the cap between 2022 and 2023", "ask_cap", None),  # another topic
        ("stop, what's new is not my question", "stop", None),  # control intents are kept
    ],
)
def test_whats_new_intent(text: str, intent: str, forced: str | None) -> None:
    assert whats_new_intent(text, intent) == forced


@pytest.mark.parametrize(
    ("text", "intent", "forced"),
    [
        ("is the AI pilot still open?", "inform", "ask_csq_programs"),
        ("is the tech pilot still a thing?", "inform", "ask_csq_programs"),
        ("le pilote IA existe-tu encore?", "inform", "ask_csq_programs"),
        ("le programme régulier prend-tu encore du monde?", "ask_program_status", "ask_csq_programs"),
        ("my CSQ is from the AI pilot, still valid", "inform", None),  # an answer, asks nothing
        ("I'm in Paris, CSQ from the AI pilot, is it still open?", "check_eligibility", None),  # a situation
        ("is IMP+ still open?", "ask_program_status", None),  # no program of the check named
        ("stop, the pilot is over", "stop", None),
        ("is IMP+ finished now that the PRTQ was replaced?", "ask_program_status", None),  # about IMP+
        ("le PMI+ est-il fini depuis que le PRTQ a été remplacé?", "ask_program_status", None),
    ],
)
def test_program_still_open_intent(text: str, intent: str, forced: str | None) -> None:
    assert program_still_open_intent(text, intent, ruler_entities(text)) == forced
