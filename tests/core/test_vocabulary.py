"""The entity vocabulary and the spaCy pipeline the project builds from it."""

from __future__ import annotations

import pytest

from actions.core.vocabulary import Vocabulary, fold
from scripts.build_spacy import build


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def test_each_phrase_means_one_thing(vocabulary: Vocabulary) -> None:
    seen: dict[tuple[str, str], str] = {}
    for pattern in vocabulary.patterns():
        key = (pattern.label, fold(pattern.phrase))
        assert seen.setdefault(key, pattern.value) == pattern.value, pattern


@pytest.mark.parametrize(
    ("section", "phrase", "value"),
    [
        ("residence", "Lyon", "abroad"),
        ("residence", "MONTRÉAL", "quebec"),
        ("residence", "montreal", "quebec"),
        ("residence", "Toronto", "another_province"),
        ("csq_program", "prtq", "prtq"),
        ("csq_program", "Programme régulier des travailleurs qualifiés", "prtq"),
        ("pr_status", "pending", "in_process"),
        ("csq_validity", "expired", "no"),
        ("residence", "Atlantis", None),
    ],
)
def test_normalise(vocabulary: Vocabulary, section: str, phrase: str, value: str | None) -> None:
    assert vocabulary.normalise(section, phrase) == value


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("I live in Lyon", [("Lyon", "location")]),
        ("yes, through the PRTQ", [("yes", "answer"), ("PRTQ", "program")]),
        ("what about 2022 then?", [("2022", "year")]),
        ("call me at 514 555 2022 or 20221", [("2022", "year")]),
        ("and my kids?", [("kids", "family_member")]),
        (
            "not yet, still waiting for the invitation",
            [("not yet", "answer"), ("still waiting", "pr_status"), ("invitation", "document")],
        ),
        ("im in montreal now", [("montreal", "location")]),
        ("it was refused last month", [("refused", "pr_status")]),
        ("my csq expired", [("csq", "document"), ("expired", "csq_validity")]),
        ("how long is the permit valid", [("valid", "csq_validity")]),
    ],
)
def test_the_built_pipeline_finds_entities(vocabulary: Vocabulary, text: str, entities: list) -> None:
    nlp = build("fr", vocabulary)
    assert [(ent.text, ent.label_) for ent in nlp(text).ents] == entities


@pytest.mark.parametrize(
    ("text", "tokens", "entities"),
    [
        ("c'est quoi l'IMP+", ["c'", "est", "quoi", "l'", "IMP+"], []),
        ("j'habite à Lyon", ["j'", "habite", "à", "Lyon"], [("Lyon", "location")]),
        ("je vis dans l'Ontario", ["je", "vis", "dans", "l'", "Ontario"], [("Ontario", "location")]),
        (
            "ma demande de RP est en cours",
            ["ma", "demande", "de", "RP", "est", "en", "cours"],
            [("RP", "document"), ("en cours", "pr_status")],
        ),
        (
            "mon CSQ est expiré",
            ["mon", "CSQ", "est", "expiré"],
            [("CSQ", "document"), ("est expiré", "csq_validity")],
        ),
        ("pis mon chum?", ["pis", "mon", "chum", "?"], [("chum", "family_member")]),
        (
            "ma blonde pis mes enfants",
            ["ma", "blonde", "pis", "mes", "enfants"],
            [("blonde", "family_member"), ("enfants", "family_member")],
        ),
    ],
)
def test_french_elisions_and_entities(
    vocabulary: Vocabulary, text: str, tokens: list, entities: list
) -> None:
    doc = build("fr", vocabulary)(text)
    assert [token.text for token in doc] == tokens
    assert [(ent.text, ent.label_) for ent in doc.ents] == entities
