"""Rules that correct NLU's intent where the words leave no doubt (used by rasa_plugins/nlu/intent_rules.py).

- A person who states two or more answers of the eligibility check about themselves is describing
  their situation: `check_eligibility` when the message also asks something, else `inform`, both of
  which start the check with those answers.
- A reply that asks nothing follows the project's convention: `inform` when it names its topic,
  `affirm` / `deny` / `dont_know` when it is a bare yes / no / don't know (answer_intent).
- A message of two or more words none of which the training data has ("zxqv blorptang") is not
  understood, whatever the classifier's character n-grams make of it (no_known_word).
- A short message that opens like a follow-up ("and in 2023?", « pis en 2022? », "what about my
  wife?") and names a year or a family member is a `follow_up`, which keeps the previous topic,
  when NLU took it for the fallback or for a figures question (digits pull that way).
- A statement that thanks and asks nothing ("ok thanks, I'll wait here", « super, c'est ce que je
  voulais savoir, merci ») is `thank`, when NLU took it for a question or did not understand it.
- "What's new?" (« quoi de neuf? », "has anything changed lately?", « qu'est-ce qui a changé
  dernièrement? ») about the program, not about one's own file, is `ask_program_status`, whose
  answer lists the newest dated changes around IMP+ (whats_new_intent). A greeting followed only
  by « quoi de neuf » ("salut, quoi de neuf") stays a greeting.
- A question whether a program IMP+ names is still open ("is the AI pilot still open?", « le PRTQ
  existe-tu encore? ») is `ask_csq_programs`, whose answer says both programs no longer select new
  candidates, with dates, never an answer of the check (program_still_open_intent).
- A deletion request that opens with a plain yes or no ("yes go ahead and delete it all", « non
  attendez, effacez rien ») answers the one question the assistant asks about deletion, its
  confirmation: `affirm` / `deny` (deletion_reply_intent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from actions.core.answers import CONTROL_INTENTS, clauses, read_reply
from actions.core.vocabulary import Vocabulary, fold

SITUATION_ANSWERS = 2  # answers of the check that make a message a description of one's situation
SHORT_REPLY_WORDS = 8  # a reply this short that names a topic is an answer, whoever it is about
FOLLOW_UP_MAX_WORDS = 10
# Intents a situation message keeps: they already lead to the check, or matter more than it.
_KEPT_BY_A_SITUATION = CONTROL_INTENTS | {"inform", "check_eligibility"}
# Intents a follow-up-shaped message with a year replaces: the ones digits and vagueness lead to
# ("how much?" with a year, after the caps, is about the caps: "pis en 2026, c'est combien?"; a year
# the fees have no figures for is then answered as such), and "out of scope" for a bare "gotcha,
# and how did 2023 look?".
_REPLACED_BY_A_FOLLOW_UP = frozenset(
    {"nlu_fallback", "ask_cap", "ask_2021_figures", "ask_fees", "out_of_scope"}
)
# Intents a bare "yep, received it" replaces: the ones NLU gives a reply it cannot place.
_REPLACED_BY_A_BARE_ANSWER = frozenset(
    {
        "inform",
        "nlu_fallback",
        "goodbye",
        "thank",
        "greet",
        "out_of_scope",
        "follow_up",
        "affirm",
        "deny",
        "dont_know",
    }
)
# Entities that name what an answer is about: a reply naming one answers that question.
# (Not "document": "CSQ" or "the invitation" are named by questions as often as by answers.)
_TOPIC_LABELS = frozenset({"location", "program", "csq_validity", "pr_status"})
# Social intents a bare answer replaces only when it holds a plain yes or no: "yep, thanks" answers
# the question asked, "got it, thanks a lot" is thanks.
_SOCIAL = frozenset({"thank", "goodbye", "greet"})
_PLAIN_YES_OR_NO = re.compile(r"\b(?:yes|yep|yeah|yup|ya|yea|no|nope|nah|oui|ouais|ouin|non|nan)\b")
_OPENING_YES = re.compile(r"^(?:yes|yep|yeah|yup|ya|yea|sure|oui|ouais|ouin|absolutely|certainement)\b")
_OPENING_NO = re.compile(
    r"^(?:no|nope|nah|non|nan|wait|attends|attendez|never mind|laisse faire|oublie ca)\b"
)
# Fillers a reply may open with before its yes / no / don't know ("hmm not sure where...").
_OPENING_FILLERS = re.compile(r"(?:[\s,.!-]|hm+|uh+|um+|euh+|ben|bah|well|honestly|ok|okay|so|alors|bon)*")
_THANKS = re.compile(r"\b(?:thanks|thank you|thank u|thx|ty|cheers|merci|mercii+|thanks a lot)\b")
# « merci de me dire le plafond » asks politely: thanks in advance are no thanks.
_POLITE_REQUEST = re.compile(r"\bmerci (?:de|d')|\bthanks? (?:you )?in advance\b")
# Intents a thanking statement replaces: questions it cannot be, and "not understood".
_REPLACED_BY_THANKS = frozenset({"nlu_fallback", "out_of_scope", "follow_up"})
_FIRST_PERSON = re.compile(
    r"\b(?:i|i'm|im|i've|ive|me|my|mine|we|we're|our|us|je|j|j'ai|j'habite|moi|mon|ma|mes|nous|notre|nos|"
    r"chus|suis)\b"
)
_ELIGIBILITY = re.compile(r"\b(?:eligib\w*|qualif\w*|admissib\w*|check|verif\w*)\b")
_FOLLOW_UP_START = re.compile(
    r"^(?:(?:ok|okay|gotcha|got it|thanks|thank you|cool|great|merci|d'accord|parfait|super)[,.!]*\s+)?"
    r"(?:and|what about|how about|same for|same thing for|what of|then|ok and|okay and|so|et|pis|puis|"
    r"pour|et pour|et en|pis en|puis en|pis pour|meme chose pour|ok pis|ok et|ah pis)\b"
)


def situation_intent(
    text: str, intent: str | None, entities: Iterable[Mapping[str, Any]], vocabulary: Vocabulary
) -> str | None:
    """The intent of a message in which a person states two or more answers of the check, else None."""
    if intent in _KEPT_BY_A_SITUATION or text.startswith("/"):
        return None
    if not _FIRST_PERSON.search(fold(text)):
        return None  # "can people in Ontario with a PSTQ CSQ apply?" asks about others
    reading = read_reply(text, "inform", entities, None, vocabulary)
    if len(reading.values) < SITUATION_ANSWERS:
        return None
    asks = asks_something(text, entities)
    return "check_eligibility" if asks else "inform"


def follow_up_intent(text: str, intent: str | None, entities: Iterable[Mapping[str, Any]]) -> str | None:
    """`follow_up` for a short follow-up-shaped message naming a year or family member, else None."""
    folded = fold(text)
    if not _FOLLOW_UP_START.match(folded) or len(folded.split()) > FOLLOW_UP_MAX_WORDS:
        return None
    labels = {entity.get("entity") for entity in entities}
    if "family_member" in labels and intent in _REPLACED_BY_A_FOLLOW_UP:
        return "follow_up"
    if "year" in labels and intent in _REPLACED_BY_A_FOLLOW_UP:
        return "follow_up"
    return None


def asks_for_the_check(text: str, entities: Iterable[Mapping[str, Any]]) -> bool:
    """True when the message names the check ("am I eligible", « vérifier »), not inside a program's
    name: « travailleurs qualifiés » is the regular skilled worker program, no question."""
    spans = sorted(
        (int(e["start"]), int(e["end"]))
        for e in entities
        if e.get("entity") == "program" and e.get("start") is not None and e.get("end") is not None
    )
    kept, position = [], 0
    for start, end in spans:
        kept.append(text[position:start])
        position = max(position, end)
    kept.append(text[position:])
    return bool(_ELIGIBILITY.search(fold(" ".join(kept))))


def asks_something(text: str, entities: Iterable[Mapping[str, Any]]) -> bool:
    """True when a clause of the message asks a question or the message asks for the check."""
    return any(clause.asks for clause in clauses(text)) or asks_for_the_check(text, entities)


def thanks_intent(text: str, intent: str | None, entities: Iterable[Mapping[str, Any]]) -> str | None:
    """`thank` for a statement that thanks and asks nothing, where NLU saw a question, else None."""
    replaceable = intent in _REPLACED_BY_THANKS or str(intent).startswith("ask_")
    folded = fold(text)
    if not replaceable or not _THANKS.search(folded) or _POLITE_REQUEST.search(folded):
        return None
    if asks_something(text, entities):
        return None  # "thanks, and the fees?" asks
    return "thank"


def deletion_reply_intent(text: str, intent: str | None) -> str | None:
    """`affirm` / `deny` for a deletion request opening with a plain yes / no, else None.

    The assistant asks about deletion only to confirm it, so "yes, delete it all" confirms and
    "no wait, don't delete anything" cancels; a request without a yes or no keeps its intent.
    """
    if intent != "request_data_deletion":
        return None
    folded = fold(text).lstrip(" ,.!-")
    if _OPENING_NO.match(folded):
        return "deny"
    if _OPENING_YES.match(folded):
        return "affirm"
    return None


def answer_intent(
    text: str, intent: str | None, entities: Iterable[Mapping[str, Any]], vocabulary: Vocabulary
) -> str | None:
    """The project's convention for a reply that asks nothing: `inform` when it names its topic
    ("the letter came in March", "Tunis, en Tunisie"), `affirm` / `deny` / `dont_know` when it is a
    bare yes / no / don't know said in words ("yep, received it"), else None (NLU's call).

    Only statements: a question, a request for a person / to stop / to delete, a situation with
    two answers (situation_intent) keep their intents; a long statement naming no one ("the permit
    is limited to Quebec or valid everywhere") is not taken for an answer about oneself.
    """
    if intent in CONTROL_INTENTS or text.startswith("/"):
        return None
    folded = fold(text)
    if asks_something(text, entities):
        return None
    short = len(folded.split()) <= SHORT_REPLY_WORDS or opens_with_an_answer(text, entities)
    reading = read_reply(text, "inform", entities, None, vocabulary)
    said = {entity.get("value") for entity in entities if entity.get("entity") == "answer"}
    polarity = next((p for p in ("unknown", "no", "yes") if vocabulary_value(vocabulary, said, p)), None)
    labels = {entity.get("entity") for entity in entities}
    # a document named after a plain yes or no ("yes, the invitation is here") is the topic answered
    answers_a_document = "document" in labels and bool(_PLAIN_YES_OR_NO.match(folded))
    named = reading.values or bool(labels & _TOPIC_LABELS) or answers_a_document
    only_unknown = all(value == "unknown" for value in reading.values.values())
    if named and not (polarity == "unknown" and only_unknown):
        if intent in _SOCIAL and not _FIRST_PERSON.search(folded):
            return None  # "greetings from Manila", « coucou c'est Léa de Lyon » greet
        about_oneself = short or _FIRST_PERSON.search(folded) or says_it_expired(entities, vocabulary)
        return "inform" if about_oneself else None
    if not short or not (intent in _REPLACED_BY_A_BARE_ANSWER or str(intent).startswith("ask_")):
        return None  # a statement is no fact question: "received it a few weeks back" answers
    if intent in _SOCIAL and not _PLAIN_YES_OR_NO.search(folded):
        return None
    return {"yes": "affirm", "no": "deny", "unknown": "dont_know"}.get(polarity or "")


def opens_with_an_answer(text: str, entities: Iterable[Mapping[str, Any]]) -> bool:
    """True when a yes / no / don't know opens the message, after fillers ("hmm not sure where...")."""
    openings = (fold(text[: int(e.get("start") or 0)]) for e in entities if e.get("entity") == "answer")
    return any(_OPENING_FILLERS.fullmatch(before) for before in openings)


def says_it_expired(entities: Iterable[Mapping[str, Any]], vocabulary: Vocabulary) -> bool:
    """True when the message says the CSQ has expired (« il est pu valide »): only an answer says that."""
    said = (str(e.get("value")) for e in entities if e.get("entity") == "csq_validity")
    return any(vocabulary.normalise("csq_validity", phrase) == "no" for phrase in said)


def vocabulary_value(vocabulary: Vocabulary, phrases: set[Any], value: str) -> bool:
    """True when one of the phrases means `value` in the vocabulary's answer section."""
    return any(vocabulary.normalise("answer", str(phrase)) == value for phrase in phrases)


# "What's new?" in both languages, on the folded text (lower case, no accents).
_WHATS_NEW = re.compile(
    r"\b(?:what'?s new|what is new|anything new|anything changed|any (?:recent )?changes|"
    r"what(?:'s| has)? changed|what changed|has anything changed|did anything change|"
    r"(?:latest|recent) (?:news|updates?|changes)|any (?:news|updates?)|"
    r"quoi d(?:e |')(?:neuf|nouveau)|du nouveau|des nouvelles|qu'est-ce qui a change|quoi qui a change|"
    r"(?:ca|ils) a(?:-tu)? change|des changements|dernieres nouvelles|nouveautes?)\b"
)
# Words that make it about one's own file or something else than the program ("any news on MY file").
_NOT_ABOUT_THE_PROGRAM = re.compile(
    r"\b(?:my|mine|mon|ma|mes|application|file|demande|dossier|permis|permit|fees?|frais|cap|plafond)\b"
)
_GREETING_ONLY = re.compile(
    r"(?:(?:salut|slt|allo+|bonjour|bonsoir|coucou|yo|hey|hi|hello|toi|tout le monde)[\s,!.]*)+"
    r"(?:quoi d(?:e |')neuf|what'?s new)[\s?!.]*"
)
WHATS_NEW_MAX_WORDS = 12
_KEPT_BY_WHATS_NEW = CONTROL_INTENTS | {"inform", "check_eligibility", "ask_program_status"}


def whats_new_intent(text: str, intent: str | None) -> str | None:
    """`ask_program_status` (its answer lists the newest dated changes) for "what's new?", else None."""
    folded = fold(text)
    if intent in _KEPT_BY_WHATS_NEW or len(folded.split()) > WHATS_NEW_MAX_WORDS:
        return None
    if not _WHATS_NEW.search(folded) or _NOT_ABOUT_THE_PROGRAM.search(folded):
        return None
    if _GREETING_ONLY.fullmatch(folded):
        return None  # "salut, quoi de neuf": a greeting
    return "ask_program_status"


# "Still open?" about a program, on the folded text.
_STILL_OPEN = re.compile(
    r"\bstill (?:open|running|a thing|around|exists?|accepting|taking|active|going|available|on)\b|"
    r"\b(?:ended|closed|shut down|discontinued|cancel+ed|over)\b|"
    r"\bencore (?:ouvert|la|actif|en vigueur|disponible|bon)\b|\bexiste(?:-tu|-t-il)? encore\b|"
    r"\b(?:prend|accepte|roule)(?:-tu|-t-il|nt)? encore\b|\b(?:a|ont)(?:-tu|-t-il)? (?:pris fin|ferme)\b|"
    r"\best (?:fini|ferme|termine)\b"
)


_SITUATION_LABELS = frozenset({"location", "pr_status", "csq_validity"})
_NAMES_IMP_PLUS = re.compile(r"\b(?:imp|pmi)\b|mobilit")


def program_still_open_intent(
    text: str, intent: str | None, entities: Iterable[Mapping[str, Any]]
) -> str | None:
    """`ask_csq_programs` for a question whether a named program is still open, else None."""
    labels = {e.get("entity") for e in entities}
    if intent in CONTROL_INTENTS or "program" not in labels or labels & _SITUATION_LABELS:
        return None  # a situation ("in Paris, AI pilot CSQ, still open?") is left to the check
    folded = fold(text)
    if not _STILL_OPEN.search(folded) or _NAMES_IMP_PLUS.search(folded) or not asks_something(text, entities):
        return None  # "is IMP+ over now that the PRTQ got replaced?" asks about IMP+ itself
    return "ask_csq_programs"


def corrected_intent(
    text: str, intent: str | None, entities: Iterable[Mapping[str, Any]], vocabulary: Vocabulary
) -> str | None:
    """The intent the rules above give a message, or None to keep NLU's."""
    entities = list(entities)
    return (
        deletion_reply_intent(text, intent)
        or follow_up_intent(text, intent, entities)
        or situation_intent(text, intent, entities, vocabulary)
        or program_still_open_intent(text, intent, entities)
        or answer_intent(text, intent, entities, vocabulary)
        or thanks_intent(text, intent, entities)
        or whats_new_intent(text, intent)
    )


def words(text: str) -> list[str]:
    """The words of a message, folded (digits and punctuation are not words)."""
    return re.findall(r"[^\W\d_]+", fold(text))


# Words that carry no meaning of their own: "xq7 blorp ok?? zzzz" is noise though "ok" is known.
FILLER_WORDS = frozenset({"ok", "okay", "k", "lol", "hm", "hmm", "mmm", "uh", "um", "euh", "ben", "bah"})
NOISE_MIN_UNKNOWN = 2  # unknown words a message needs, beside fillers, to be keyboard noise


def no_known_word(text: str, known_words: frozenset[str], entities: Iterable[Mapping[str, Any]]) -> bool:
    """True for keyboard noise: two or more unknown words, no known word but fillers, no entity.

    An empty vocabulary (a model trained before the rule existed) knows nothing, so never judges.
    """
    said = words(text)
    if not known_words or any(e.get("entity") != "language" for e in entities):
        return False
    meaningful = [word for word in said if word not in FILLER_WORDS]
    unknown = [word for word in meaningful if word not in known_words]
    return len(unknown) >= NOISE_MIN_UNKNOWN and len(unknown) == len(meaningful)


def answered_with_a_fact(intent: str | None) -> bool:
    """True for the intents answered with a fact: the fact questions (bar "I don't know") and follow-ups."""
    return intent == "follow_up" or (
        bool(intent) and str(intent).startswith("ask_") and intent != "ask_outside_sources"
    )


def unsure_of_a_fact(intent: str | None, confidence: float, threshold: float) -> bool:
    """True when NLU would answer a fact (or a follow-up) with less confidence than a fact needs.

    A wrong fact is worse than "I didn't understand": below `threshold` the assistant says it is
    not sure and offers the topics, as for any message it does not understand.
    """
    return answered_with_a_fact(intent) and confidence < threshold
