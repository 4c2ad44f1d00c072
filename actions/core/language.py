"""Language of a message: English, French, another language, or not sure (pure Python)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SUPPORTED = ("en", "fr")
OTHER = "other"

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# Frequent words that mark a language; greetings and politeness weigh double.
_MARKERS: dict[str, dict[str, int]] = {
    "fr": {
        **dict.fromkeys(
            "le la les des du un une est et je tu vous il elle nous ils pour pas que qui quoi mon ma "
            "mes ton ta tes votre vos avec sur dans combien quand comment pourquoi oui non suis ai "
            "peux peut faut dois avoir etre mais ou si au aux ce cette ces son sa ses leur quel "
            "quelle quels quelles demande travail permis ca c'est j'ai j'habite est-ce jsp pis ben "
            "aussi encore deja moi toi enfants conjoint conjointe blonde chum admissible "
            "admissibilite combien coute frais duree valide lettre habite vis".split(),
            1,
        ),
        **dict.fromkeys("bonjour bonsoir salut allo merci svp stp francais français".split(), 2),
    },
    "en": {
        **dict.fromkeys(
            "the a an is are and i you he she we they my your for not what how when where why yes "
            "no am can could do does did have has be will would should with on in at of to it this "
            "that which who much many long get got live apply eligible permit work wife husband kids "
            "children fee fees cost valid letter i'm it's don't can't what's".split(),
            1,
        ),
        **dict.fromkeys("hello hi hey thanks thank please english".split(), 2),
    },
    OTHER: {
        **dict.fromkeys(
            # Spanish, Portuguese, German, Italian
            "los las necesito quiero trabajo gracias hola por favor como puedo tengo soy estoy "
            "buenas buenos tardes días cuánto cuándo dónde qué está "
            "voce você nao não obrigado obrigada trabalho olá ola preciso ich und nicht "
            "ist hallo danke arbeit bitte grazie lavoro sono voglio posso "
            # The most frequent greetings, thanks and function words of more languages, chosen from
            # general knowledge of each language (words shared with English or French left out):
            # Dutch, Swedish, Polish, Romanian, Turkish, Hungarian, Tagalog, Swahili, Indonesian,
            # Vietnamese
            "goedendag goedemorgen bedankt alstublieft niet het een hoe wanneer waarom mijn ik "
            "hej tack och jag är inte hur vad mitt "
            "dzień dobry dziękuję proszę czy nie jest jak mój moja mogę się "
            "bună ziua mulțumesc vă rog nu sunt și "
            "merhaba teşekkürler lütfen evet hayır nasıl için bir ve "
            "jó napot köszönöm kérem igen nem hogy és vagyok "
            "kumusta salamat po ako ikaw ang mga hindi oo "
            "habari jambo asante tafadhali ndiyo hapana mimi wewe kwa "
            "halo terima kasih tolong saya anda tidak apa bagaimana "
            "xin chào cảm ơn tôi bạn không".split(),
            2,
        ),
    },
}
# Explicit requests to switch: "in English please", « en français svp », "parle anglais".
_TARGETS = {"english": "en", "anglais": "en", "french": "fr", "francais": "fr"}
_TARGET = re.compile(r"\b(english|anglais|french|francais)\b")
_IN_TARGET = re.compile(r"\b(?:in|en) (english|anglais|french|francais)\b")
_REQUEST_WORDS = (
    r"please|pls|svp|stp|plait|speak|talk|answer|reply|respond|continue|switch|prefer|rather"
    r"|parle[rz]?|repond\w*|continu\w*|passe[rz]?|ecri\w*|peux|pouvez|prefere\w*"
)
_REQUEST_BEFORE_TARGET = re.compile(
    rf"\b(?:{_REQUEST_WORDS})\b\W+(?:\w+\W+){{0,2}}?(?:english|anglais|french|francais)\b"
)
_REQUEST = re.compile(
    r"\b(please|pls|svp|stp|plait|speak|talk|answer|reply|respond|continue|switch|prefer|rather"
    r"|parle[rz]?|repond\w*|continu\w*|passe[rz]?|ecri\w*|peux|pouvez|prefere\w*)\b"
)
# Greek, Cyrillic, Armenian, Hebrew, Arabic, Devanagari and the other Indic scripts, Thai,
# Georgian, Japanese kana, CJK, Hangul
_NON_LATIN = re.compile(
    r"[\u0370-\u03FF\u0400-\u04FF\u0530-\u058F\u0590-\u05FF\u0600-\u06FF\u0900-\u0DFF\u0E00-\u0E7F"
    r"\u10A0-\u10FF\u3040-\u30FF\u4E00-\u9FFF\uAC00-\uD7AF]"
)


@dataclass(frozen=True)
class Detection:
    """The detected language ("en", "fr", "other" or None when unsure) and if it was asked for."""

    language: str | None
    requested: bool = False


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def requested_language(text: str) -> str | None:
    """The language a message explicitly asks for ("in English please" -> "en"), if any."""
    plain = _plain(text)
    targets = _TARGET.findall(plain)
    if not targets:
        return None
    in_target = _IN_TARGET.findall(plain)
    chosen = in_target[0] if len(set(in_target)) == 1 else targets[0] if len(set(targets)) == 1 else None
    short = len(_WORD.findall(plain)) <= 3
    # "in English" with a request anywhere ("can you answer in english?"); a bare language name
    # only right after the request ("je préfère l'anglais", "parlez français"), not in "quel test
    # de français je dois passer"
    asked = (in_target and _REQUEST.search(plain)) or _REQUEST_BEFORE_TARGET.search(plain)
    if chosen and (short or asked):
        return _TARGETS[chosen]
    return None


def detect(text: str, min_score: int = 2) -> Detection:
    """Detect a message's language; None unless one language clearly dominates."""
    asked = requested_language(text)
    if asked:
        return Detection(asked, requested=True)
    if len(_NON_LATIN.findall(text)) >= 2:
        return Detection(OTHER)
    words = _WORD.findall(text.casefold().replace("’", "'"))
    scores = {language: 0 for language in _MARKERS}
    for word in words:
        for language, markers in _MARKERS.items():
            scores[language] += markers.get(word, markers.get(_plain(word), 0))
    if any(ch in text.casefold() for ch in "éèêàùçœ"):
        scores["fr"] += 1
    best, second = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:2]
    if best[1] >= min_score and best[1] >= 2 * second[1]:
        return Detection(best[0])
    return Detection(None)
