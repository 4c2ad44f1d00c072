"""Reading eligibility answers from a reply: its clauses, the ruler's entities and the intent."""

from __future__ import annotations

import pytest
import spacy

from actions.core.answers import clauses, looks_like_question, read_reply
from actions.core.vocabulary import Vocabulary, default_vocabulary
from scripts.build_spacy import build


@pytest.fixture(scope="module")
def nlp() -> spacy.Language:
    return build("fr", Vocabulary.load())


def entities_of(nlp: spacy.Language, text: str) -> list[dict]:
    """The entities as Rasa's SpacyEntityExtractor reports them."""
    return [
        {"entity": ent.label_, "value": ent.text, "start": ent.start_char, "end": ent.end_char}
        for ent in nlp(text).ents
    ]


def read(nlp: spacy.Language, text: str, intent: str, requested: str | None) -> tuple[dict, bool]:
    reading = read_reply(text, intent, entities_of(nlp, text), requested, default_vocabulary())
    return reading.values, reading.asks_question


@pytest.mark.parametrize(
    ("text", "intent", "requested", "values"),
    [
        ("I live in Lyon", "inform", "residence", {"residence": "abroad"}),
        ("j'habite à Toronto", "inform", "residence", {"residence": "another_province"}),
        ("yes, through the PRTQ", "affirm", "csq_program", {"csq_program": "prtq"}),
        ("yes", "affirm", "csq_program", {}),
        ("no", "deny", "csq_program", {"csq_program": "none"}),
        ("I don't have a CSQ", "deny", "csq_program", {"csq_program": "none"}),
        ("nope", "deny", "csq_valid", {"csq_valid": "no"}),
        ("my csq expired last year", "inform", "csq_valid", {"csq_valid": "no"}),
        ("not sure it's still valid", "dont_know", "csq_valid", {"csq_valid": "unknown"}),
        ("no idea", "dont_know", "residence", {"residence": "unknown"}),
        (
            "yep, my invitation letter came in March",
            "ask_invitation_letter",
            "invitation_letter",
            {"invitation_letter": "yes"},
        ),
        (
            "not yet, still waiting for the invitation",
            "inform",
            "invitation_letter",
            {"invitation_letter": "no"},
        ),
        ("I received no invitation", "inform", "invitation_letter", {"invitation_letter": "no"}),
        ("pas encore reçu de lettre d'invitation", "deny", "invitation_letter", {"invitation_letter": "no"}),
        ("it's still being processed", "inform", "pr_status", {"pr_status": "in_process"}),
        ("ma demande de RP est en cours", "inform", "pr_status", {"pr_status": "in_process"}),
        ("nope", "deny", "pr_status", {"pr_status": "not_applied"}),
        ("sorry, I meant Ontario", "inform", "csq_program", {"residence": "another_province"}),
        (
            "I'm in Paris, got my CSQ under the PRTQ last year, invitation received, PR still processing",
            "inform",
            None,
            {
                "residence": "abroad",
                "csq_program": "prtq",
                "invitation_letter": "yes",
                "pr_status": "in_process",
            },
        ),
        (
            "je vis à Casablanca, CSQ du PRTQ toujours valide pis j'ai reçu l'invitation",
            "inform",
            "residence",
            {"residence": "abroad", "csq_program": "prtq", "csq_valid": "yes", "invitation_letter": "yes"},
        ),
    ],
)
def test_answers_are_read_from_statements(
    nlp: spacy.Language, text: str, intent: str, requested: str | None, values: dict
) -> None:
    found, _ = read(nlp, text, intent, requested)
    assert found == values


@pytest.mark.parametrize(
    ("text", "intent", "requested"),
    [
        ("how long is the permit valid?", "ask_permit_duration", "csq_valid"),
        ("how long is the permit valid", "ask_permit_duration", "csq_valid"),
        ("who sends the invitation letter?", "ask_invitation_letter", "invitation_letter"),
        ("can someone living in Toronto apply?", "ask_eligibility_criteria", "residence"),
        ("est-ce que le PSTQ est accepté?", "ask_csq_programs", "csq_program"),
        ("what happens if my PR was refused?", "ask_eligibility_criteria", "pr_status"),
    ],
)
def test_a_question_fills_nothing(nlp: spacy.Language, text: str, intent: str, requested: str) -> None:
    assert read(nlp, text, intent, requested) == ({}, True)


def test_a_question_beside_answers_keeps_the_answers(nlp: spacy.Language) -> None:
    found, asks = read(
        nlp,
        "I got the invitation letter, how long do I have to apply?",
        "ask_invitation_letter",
        "invitation_letter",
    )
    assert (found, asks) == ({"invitation_letter": "yes"}, True)
    found, asks = read(nlp, "I'm in Lyon with a PRTQ CSQ, do I qualify?", "check_eligibility", None)
    assert (found, asks) == ({"residence": "abroad", "csq_program": "prtq"}, False)


def test_a_leading_yes_answers_the_question_asked_whatever_the_intent(nlp: spacy.Language) -> None:
    assert read(nlp, "yes, tell me about the fees", "ask_fees", "csq_valid") == ({"csq_valid": "yes"}, True)
    assert read(
        nlp, "yes, that letter is sitting in my inbox", "ask_invitation_letter", "invitation_letter"
    ) == (
        {"invitation_letter": "yes"},
        False,
    )
    # a yes further on answers only in a reply NLU read as an answer
    assert read(nlp, "tell me about the fees, yes", "ask_fees", "csq_valid") == ({}, True)


@pytest.mark.parametrize(
    ("text", "intent", "requested", "values"),
    [
        (
            "le programme pilote pour le monde en IA pis en TI",
            "nlu_fallback",
            "csq_program",
            {"csq_program": "ai_it_vfx_pilot"},
        ),
        ("through the tech pilot for AI folks", "inform", "csq_program", {"csq_program": "ai_it_vfx_pilot"}),
        ("the regular skilled worker thing", "inform", "csq_program", {"csq_program": "prtq"}),
        ("the caregiver pilot", "inform", "csq_program", {"csq_program": "other"}),
        ("no, still waiting on it", "deny", "invitation_letter", {"invitation_letter": "no"}),
        ("still waiting", "inform", "pr_status", {"pr_status": "in_process"}),
        (
            "MIFI sent me the invitation in September",
            "inform",
            "invitation_letter",
            {"invitation_letter": "yes"},
        ),
        ("le MIFI m'a invité en mai", "inform", "invitation_letter", {"invitation_letter": "yes"}),
        ("I'd prefer not to tell you where I live", "nlu_fallback", "residence", {"residence": "unknown"}),
        ("ya prtq, still vaild", "affirm", "csq_program", {"csq_program": "prtq", "csq_valid": "yes"}),
        ("I want to talk to a person, my PR was refused", "request_human", "csq_program", {}),
        ("no, stop the questions", "stop", "invitation_letter", {}),
        (
            "en ce moment je reste à Madrid, en Espagne",
            "request_data_deletion",
            "residence",
            {"residence": "abroad"},
        ),
        ("MIFI invited me last spring", "inform", "invitation_letter", {"invitation_letter": "yes"}),
        ("malheureusement rien reçu jusqu'ici", "inform", "invitation_letter", {"invitation_letter": "no"}),
        (
            "ah non pardon, en fait j'habite à Toronto",
            "deny",
            "csq_program",
            {"residence": "another_province"},
        ),
        (
            "yes, and my PR application hasn't been decided yet, it's in process",
            "affirm",
            "invitation_letter",
            {"invitation_letter": "yes", "pr_status": "in_process"},
        ),
        (
            "IRCC is still working through my PR application",
            "ask_program_status",
            "pr_status",
            {"pr_status": "in_process"},
        ),
        ("le permis est valide partout au Canada", "inform", None, {}),
    ],
)
def test_answers_in_the_persons_own_words(
    nlp: spacy.Language, text: str, intent: str, requested: str, values: dict
) -> None:
    assert read(nlp, text, intent, requested)[0] == values


def test_a_verb_first_clause_later_in_a_reply_is_an_answer(nlp: spacy.Language) -> None:
    found, _ = read(
        nlp,
        "I live in Halifax, have a PRTQ CSQ that's still valid and got my invitation. Am I eligible?",
        "check_eligibility",
        None,
    )
    assert found == {
        "residence": "another_province",
        "csq_program": "prtq",
        "csq_valid": "yes",
        "invitation_letter": "yes",
    }


def test_button_payload_values_are_taken_as_they_are() -> None:
    reading = read_reply(
        '/inform{"residence":"quebec"}',
        "inform",
        [{"entity": "residence", "value": "quebec", "start": 7, "end": 29}],  # as Rasa's payload parser
        "csq_program",
        default_vocabulary(),
    )
    assert reading.values == {"residence": "quebec"}


def test_button_payload_values_must_be_allowed() -> None:
    reading = read_reply(
        "/inform",
        "inform",
        [{"entity": "residence", "value": "'; DROP TABLE x;--"}],
        "residence",
        default_vocabulary(),
    )
    assert reading.values == {}


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("how long is it valid", True),
        ("Combien ça coûte", True),
        ("c'est quoi un CSQ", True),
        ("it's valid", False),
        ("valid?", True),
        ("", False),
        ("ma blonde peut-tu travailler au Québec si j'ai le PMI+", True),
        ("le Québec a-t-il le dernier mot sur ma demande", True),
        ("il est quelle heure à Tokyo", True),
        ("mon chat mange pus, je fais quoi", True),
        ("Où est-ce que j'envoie ça", True),
        ("would IMP+ let me take it", True),
        ("le permis reste valide combien de temps", True),
        ("EIMT obligatoire oui ou non", True),
        ("ça vient d'où au juste l'invitation", True),
        ("if i get imp+ am i guaranteed to get PR down the road", True),
        ("I think so, I can't remember", False),
        ("peut-être le PRTQ", False),
        ("je sais pas quoi répondre", False),
        ("c'est le PRTQ, obtenu en 2023", False),
        ("c koi le délai pour avoir mon permis une fois l'invitation reçue", True),
        ("le PMI+ c'tu encore ouvert en 2026", True),
        ("ckoi la différence avec le PEQ", True),
        ("c tu payant", True),
        ("mon CSQ c'est un PRTQ", False),
        ("ctu le bon formulaire", True),
    ],
)
def test_looks_like_question(text: str, question: bool) -> None:
    assert looks_like_question(text, text.endswith("?")) is question


def test_clauses_cut_at_punctuation_and_conjunctions() -> None:
    found = clauses("I'm in Lyon, CSQ from the PRTQ and still valid: do I qualify?")
    assert [(c.text.strip(), c.asks) for c in found] == [
        ("I'm in Lyon", False),
        ("CSQ from the PRTQ", False),
        ("still valid", False),
        ("do I qualify", True),
    ]
