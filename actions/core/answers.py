"""Reads a reply during the eligibility check: every answer it gives, and whether it asks a question.

A reply is cut into clauses (at punctuation and at "and", "but", « et », « mais », « pis »...).
A clause that is a question fills nothing: "how long is the permit valid?" is not "my CSQ is
valid". Each other clause fills the slots its entities name, whichever question was asked, so a
first message can answer several questions and "sorry, I meant Ontario" corrects an earlier
answer. A bare yes / no / "I don't know" answers the question that was asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actions.core.eligibility import Answer, CsqProgram, PrStatus, Residence
from actions.core.vocabulary import ENTITY_LABELS, Vocabulary, fold

FORM_SLOTS = ("residence", "csq_program", "csq_valid", "invitation_letter", "pr_status")
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "dont_know"})
# Intents whose messages ask for the check itself: their "do I qualify?" is not a fact question.
CHECK_INTENTS = ANSWER_INTENTS | {"check_eligibility"}
# Requests that matter more than any answer in the same message: the form lets their rules act.
CONTROL_INTENTS = frozenset(
    {
        "request_human",
        "request_data_deletion",
        "stop",
        "switch_language",
        "unsupported_language",
        "subscribe_changes",
        "stop_notifications",
    }
)

_ALLOWED = {
    "residence": {member.value for member in Residence},
    "csq_program": {member.value for member in CsqProgram},
    "csq_valid": {member.value for member in Answer},
    "invitation_letter": {member.value for member in Answer},
    "pr_status": {member.value for member in PrStatus},
}
_LABEL_TO_SECTION = {label: section for section, label in ENTITY_LABELS.items()}
# entity section -> the slot it answers directly
_SLOT_OF_SECTION = {
    "invitation": "invitation_letter",
    "residence": "residence",
    "csq_program": "csq_program",
    "csq_validity": "csq_valid",
    "pr_status": "pr_status",
}
# what a bare yes / no / don't know means for each question
_POLARITY = {
    "residence": {"unknown": Residence.UNKNOWN.value},
    "csq_program": {"no": CsqProgram.NONE.value, "unknown": CsqProgram.UNKNOWN.value},
    "csq_valid": {"yes": Answer.YES.value, "no": Answer.NO.value, "unknown": Answer.UNKNOWN.value},
    "invitation_letter": {"yes": Answer.YES.value, "no": Answer.NO.value, "unknown": Answer.UNKNOWN.value},
    "pr_status": {"no": PrStatus.NOT_APPLIED.value, "unknown": PrStatus.UNKNOWN.value},
}
_INTENT_POLARITY = {"affirm": "yes", "deny": "no", "dont_know": "unknown"}
# "still waiting" / "pending" said of the invitation means it has not come yet
_WAITING = {PrStatus.IN_PROCESS.value, PrStatus.NOT_APPLIED.value}

_CLAUSE_BREAK = re.compile(
    r"[,;:.!?\n]+|\s+(?:and|but|also|plus|though|et|mais|pis|puis|sauf que|par contre)\s+", re.IGNORECASE
)
# A clause that starts with one of these asks something, wherever it stands in the reply...
_ASKING_START = re.compile(
    r"^(?:how|what|what's|whats|wat|when|where|why|who|whom|whose|which|any idea|is there|are there|"
    r"tell me|explain|give me|show me|i want to know|i'd like to know|i would like to know|i wonder|"
    r"wondering|curious|comment|combien|quand|pourquoi|qui|quel|quelle|quels|quelles|lequel|laquelle|"
    r"est-ce|c'est quoi|c'est-tu|c'est combien|ca coute|peut-on|puis-je|dois-je|faut-il|"
    r"c koi|ckoi|c quoi|ce quoi|c'est koi|c'tu|c tu|kesse|kosse|"
    r"y a-t-il|ya tu|y'a tu|y a-tu|dis-moi|dites-moi|explique|expliquez|parle-moi|parlez-moi|donne-moi|"
    r"donnez-moi|je veux savoir|j'aimerais savoir|je voudrais savoir|je me demande)\b",
    re.IGNORECASE,
)
# French asks anywhere in a clause with an inverted or joual subject ("ma blonde peut-tu travailler",
# "le Québec a-t-il le dernier mot"), "quel(le)" ("il est quelle heure"), or a closing question word
# ("je fais quoi", "ça coûte combien"). The text is folded (no accents) before matching.
_ASKING_INSIDE = re.compile(
    r"\b[a-z]+-(?:tu|t-il|t-elle|t-on|t-ils|t-elles|il|elle|ils|elles|on|je|vous|nous)\b"
    r"|\b(?:quel|quelle|quels|quelles|est-ce)\b"
    # Quebec and texting forms: « le PMI c'tu encore ouvert », « pis c koi le délai »
    r"|\b(?:c'tu|c'est tu|ctu|koi)\b"
    r"|\b(?:quoi|comment|pourquoi)$|\b(?:combien|a quoi|d'ou|oui ou non|yes or no)\b"
    # English inversion inside a clause: "if I get IMP+ am I guaranteed PR"
    r"|\b(?:am i|are you|can i|do i|will i|would i|could i|should i|is there)\b"
)
# ... and one that starts with an auxiliary asks only at the start of the reply ("is it valid?"):
# later on, "have a PRTQ CSQ" or "got my invitation" are answers with the subject left out.
_AUXILIARY = r"is|are|am|was|were|can|could|do|does|did|will|would|should|shall|may|might|must|have|has"
_AUXILIARY_START = re.compile(
    rf"^(?:{_AUXILIARY}|est-il|est-elle|sont-ils|as-tu|avez-vous|pouvez-vous|peux-tu|sais-tu|savez-vous|"
    r"ai-je|suis-je)\b",
    re.IGNORECASE,
)
# An auxiliary then a pronoun or a name asks anywhere ("..., is that one accepted", "would IMP+ let
# me"); "have a PRTQ CSQ" does not.
_AUXILIARY_PRONOUN_START = re.compile(
    rf"^(?:{_AUXILIARY})\s+(?:i|you|it|that|this|these|those|they|we|he|she|there|my|your|"
    r"imp|pmi|ircc|mifi|quebec|canada|ottawa)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Clause:
    """A stretch of the reply between two breaks, and whether it asks something."""

    start: int
    end: int
    text: str
    asks: bool


@dataclass(frozen=True)
class Found:
    """An entity of the reply, with the vocabulary section it belongs to and its meaning."""

    section: str
    value: str | None
    start: int


@dataclass(frozen=True)
class Reading:
    """What a reply answers (slot -> value) and whether it also asks a question."""

    values: dict[str, str] = field(default_factory=dict)
    asks_question: bool = False


def looks_like_question(text: str, ends_with_question_mark: bool = False, first: bool = True) -> bool:
    """True when a clause asks something: a question mark, a question word, or (first) an auxiliary."""
    words = fold(text).strip(" -'\"")
    if not words:
        return False
    return (
        ends_with_question_mark
        or bool(_ASKING_START.match(words))
        or bool(_ASKING_INSIDE.search(words))
        or bool(_AUXILIARY_PRONOUN_START.match(words))
        or (first and bool(_AUXILIARY_START.match(words)))
    )


def clauses(text: str) -> list[Clause]:
    """The reply cut at punctuation and conjunctions, each clause marked question or not."""
    found, start = [], 0
    for match in [*_CLAUSE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        if piece.strip():
            asks = looks_like_question(piece, bool(match and "?" in match.group()), first=not found)
            found.append(Clause(start, end, piece, asks))
        start = match.end() if match else len(text)
    return found


def _found(entities: Iterable[Mapping[str, Any]], vocabulary: Vocabulary) -> list[Found]:
    """The ruler's entities with their section and canonical value (in reading order)."""
    result = []
    for entity in entities:
        section = _LABEL_TO_SECTION.get(str(entity.get("entity")))
        if section is None or entity.get("start") is None:
            continue
        result.append(
            Found(section, vocabulary.normalise(section, str(entity.get("value", ""))), int(entity["start"]))
        )
    return sorted(result, key=lambda item: item.start)


def _from_payload(entities: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Values set by a button payload such as /inform{"residence":"abroad"}."""
    return {
        str(entity["entity"]): str(entity.get("value"))
        for entity in entities
        if entity.get("entity") in _ALLOWED and str(entity.get("value")) in _ALLOWED[str(entity["entity"])]
    }


def _program_hint(text: str, vocabulary: Vocabulary) -> str | None:
    """A program named in the person's own words: a word of each group of a hint ("tech" + "pilot")."""
    words = set(re.findall(r"[\w+/-]+", fold(text)))
    for program, groups in vocabulary.hints("csq_program").items():
        if all(words & {fold(word) for word in group} for group in groups):
            return program
    return None


def _pr_status_slot(
    documents: set[str | None], value: str, requested_slot: str | None, pr_named: bool
) -> str | None:
    """Which slot a permanent-residence status word answers in a clause, if any.

    "still waiting" answers the invitation question when that was asked (or when the clause is about
    the invitation); otherwise a status word answers the PR question only when the clause names
    permanent residence or the question asked was about it ("accepted" alone could be anything).
    """
    about_pr = "permanent_residence" in documents or pr_named
    about_invitation = "invitation_letter" in documents or (
        requested_slot == "invitation_letter" and not about_pr
    )
    if about_invitation:
        return "invitation_letter" if value in _WAITING else None
    if about_pr or requested_slot == "pr_status":
        return "pr_status"
    return None


def _names(items: list[Found], section: str) -> bool:
    """True when a clause has an entity of a section."""
    return any(item.section == section for item in items)


@dataclass(frozen=True)
class Mentioned:
    """What the reply named before a clause: "..., still valid" is about the CSQ if it named one."""

    csq: bool = False
    pr: bool = False


def _mentioned(found: list[Found], before: int) -> Mentioned:
    """What the entities before a position name."""
    earlier = [item for item in found if item.start < before]
    return Mentioned(
        csq=any(item.section == "csq_program" or item.value == "csq" for item in earlier),
        pr=any(item.value == "permanent_residence" for item in earlier),
    )


def _clause_values(
    clause: Clause,
    items: list[Found],
    requested_slot: str | None,
    vocabulary: Vocabulary,
    mentioned: Mentioned,
) -> tuple[dict[str, str], str | None]:
    """The slots one statement clause fills, and a yes / no / unknown it says without a topic."""
    values: dict[str, str] = {}
    said = {item.value for item in items if item.section == "answer"}
    # "not sure" outweighs a yes or no, and a no outweighs a yes ("I received no invitation")
    polarity = next((answer for answer in ("unknown", "no", "yes") if answer in said), None)
    documents = {item.value for item in items if item.section == "document"}
    for item in items:
        slot = _SLOT_OF_SECTION.get(item.section)
        if not slot or item.value not in _ALLOWED[slot]:
            continue
        if slot == "csq_valid" and not (
            mentioned.csq
            or requested_slot == "csq_valid"
            or "csq" in documents
            or _names(items, "csq_program")
        ):
            continue  # "valid everywhere in Canada?": not about the CSQ
        if slot == "pr_status":
            target = _pr_status_slot(documents, item.value, requested_slot, mentioned.pr)
            if target == "invitation_letter":
                values.setdefault(target, Answer.NO.value)  # "still waiting for the invitation"
            elif target:
                values.setdefault(target, item.value)
            continue
        values.setdefault(slot, item.value)
    if "csq_program" not in values:
        hinted = _program_hint(clause.text, vocabulary)
        if hinted:
            values["csq_program"] = hinted
    if polarity == "unknown":  # "not sure it's still valid", "no idea where my PR is at"
        values = dict.fromkeys(values, "unknown")
    elif polarity == "no" and values.get("pr_status") == PrStatus.IN_PROCESS.value:
        values["pr_status"] = PrStatus.NOT_APPLIED.value  # "nothing filed", "no application submitted"
    if "invitation_letter" in documents and polarity:
        values.setdefault("invitation_letter", _POLARITY["invitation_letter"][polarity])
    if "csq" in documents and polarity in {"no", "unknown"} and not values:
        values["csq_program"] = _POLARITY["csq_program"][polarity]  # "I don't have a CSQ"
    loose = polarity if not values and not documents - {"permanent_residence"} else None
    if loose and "permanent_residence" in documents:
        meaning = _POLARITY["pr_status"].get(loose)
        if meaning:
            values["pr_status"] = meaning
        loose = None
    return values, loose


# "sorry, I meant Ontario", « non pardon, en fait j'habite à Toronto »: its "no" is not an answer
_CORRECTION = re.compile(
    r"\b(?:sorry|i meant|i mean|actually|correction|my mistake|my bad|oops|scratch that|wait|"
    r"pardon|desole|je voulais dire|je veux dire|en fait|plutot|oups|erreur|je me suis trompe)\b"
)


def read_reply(
    text: str,
    intent: str | None,
    entities: Iterable[Mapping[str, Any]],
    requested_slot: str | None,
    vocabulary: Vocabulary,
) -> Reading:
    """Every answer a reply gives (slot -> allowed value), and whether it asks a fact question.

    A bare yes / no / "I don't know" answers the question asked when it opens the reply ("yes,
    that letter is in my inbox"), or anywhere in a reply NLU read as an answer, but not in a
    correction ("no sorry, I meant Ontario"). A request for a person, to stop or to delete one's
    data fills nothing, unless it also answers the question asked (then NLU most likely misread it).
    """
    entities = list(entities)
    if text.startswith("/"):  # a button: its entities are named after the slots
        return Reading(_from_payload(entities))
    found = _found(entities, vocabulary)
    values: dict[str, str] = {}
    said: str | None = None  # a yes / no / don't know said in words: it outweighs NLU's guess
    asks = False
    for number, clause in enumerate(clauses(text)):
        if clause.asks:
            asks = True
            continue
        items = [item for item in found if clause.start <= item.start < clause.end]
        mentioned = _mentioned(found, clause.start)
        clause_values, loose = _clause_values(clause, items, requested_slot, vocabulary, mentioned)
        for slot, value in clause_values.items():
            values[slot] = value  # a later clause corrects an earlier one
        if loose and not said and (number == 0 or intent in CHECK_INTENTS):
            said = loose
    polarity = said or _INTENT_POLARITY.get(intent or "")
    if (_CORRECTION.search(fold(text)) and values) or intent in CONTROL_INTENTS:
        polarity = None
    if requested_slot in _POLARITY and requested_slot not in values and polarity:
        meaning = _POLARITY[requested_slot].get(polarity)
        if meaning:
            values[requested_slot] = meaning
    if intent in CONTROL_INTENTS and requested_slot not in values:
        return Reading()
    return Reading(values, asks and intent not in CHECK_INTENTS)


@dataclass(frozen=True)
class SaidBack:
    """A line the assistant says back about answers it read: "corrected" or "understood"."""

    kind: str
    values: tuple[tuple[str, str], ...]


def said_back(
    values: Mapping[str, str], previous: Mapping[str, str | None], requested_slot: str | None
) -> list[SaidBack]:
    """What to say back: changed earlier answers, and new answers beyond the question asked."""
    ordered = [(slot, values[slot]) for slot in FORM_SLOTS if slot in values]
    corrected = tuple((slot, value) for slot, value in ordered if previous.get(slot) not in (None, value))
    new = tuple((slot, value) for slot, value in ordered if previous.get(slot) is None)
    lines = [SaidBack("corrected", corrected)] if corrected else []
    if new and [slot for slot, _ in new] != [requested_slot]:
        lines.append(SaidBack("understood", new))
    return lines
