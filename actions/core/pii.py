"""Masking of personal identifiers that people paste into a chat, before the text is stored.

What is masked (case-insensitive), in this order, each replaced by its placeholder:

- ``[email]``: e-mail addresses (``name@domain.tld``).
- ``[passport]`` after the word passport / passeport (optionally "number", "no", "#",
  "numéro", "n°", ":"): the next token of 6 to 9 letters and digits holding a digit.
- ``[application number]``: IRCC application (file) numbers, "usually 1 letter and 9
  numbers" (IRCC Help Centre, "What is an application number?": C123456789, W993830598,
  E099977028; also V, S, F, B...), and EP + 9 digits (provincial nominees). Work and study
  permit document numbers (U + 9 digits) have the same shape and are masked the same way.
- ``[uci]``: IRCC's Unique Client Identifier (client ID, French IUC), 8 or 10 digits written
  ``0000-0000`` or ``00-0000-0000`` (IRCC Help Centre, "What is a UCI?"), temporary ones
  (``T``/``X`` + ``00-0000-0000``), and any 8 or 10 digit number after "UCI", "IUC" or
  "client ID" / "numéro de client".
- ``[passport]``: Canadian passports (2 letters + 6 digits, ``AB123456``) and French ones
  (2 digits, 2 letters, 5 digits, ``12AB34567``).
- ``[phone]``: North American numbers (``+1``, ``(514) 555-1234``, ``514-555-1234``,
  ``514.555.1234``, ``514 555 1234``, ``5145551234``), French numbers (``06 12 34 56 78``,
  ``0612345678``) and international ones starting with ``+`` (8 to 15 digits).
- ``[uci]`` again: any other bare 8 or 10 digit number (a UCI typed without its dashes).

Left alone: the assistant's own figures and ordinary numbers: ``14,700``, ``7 350``,
``2021``, ``2021-2022`` (two years), ``2022-05-24`` (a date), ``3 years``, ``$155``, ``A76``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

EMAIL = "[email]"
PHONE = "[phone]"
UCI = "[uci]"
APPLICATION_NUMBER = "[application number]"
PASSPORT = "[passport]"

_FLAGS = re.IGNORECASE
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", _FLAGS)
_PASSPORT_AFTER_WORD = re.compile(
    r"(\bpass(?:e)?port\b(?:\s*(?:number|no\.?|nb|num(?:é|e)ro|n°|#))?\s*(?:is|est|:|=|-)?\s*)"
    r"(?=[a-z]*\d)([a-z0-9]{6,9})\b",
    _FLAGS,
)
_APPLICATION_NUMBER = re.compile(r"(?<![\w-])(?:EP|[a-z])[ -]?\d{9}(?![\w-])", _FLAGS)
_UCI_AFTER_WORD = re.compile(
    r"(\b(?:UCI|IUC|client\s*ID|client\s*number|num(?:é|e)ro\s+de\s+client)\b"
    r"(?:\s*(?:number|no\.?|num(?:é|e)ro|n°|#))?\s*(?:is|est|:|=|-)?\s*)"
    r"(\d(?:[ -]?\d){7}(?:[ -]?\d{2})?)(?![\d-])",
    _FLAGS,
)
_UCI_FORMATTED = re.compile(r"(?<![\w-])(?:[TX]?\d{2}-\d{4}-\d{4}|\d{4}-\d{4})(?![\w-])", _FLAGS)
_TWO_YEARS = re.compile(r"(?:19|20)\d{2}-(?:19|20)\d{2}")
_PASSPORT_FORMAT = re.compile(r"(?<![\w-])(?:[a-z]{2}\d{6}|\d{2}[a-z]{2}\d{5})(?![\w-])", _FLAGS)
_PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w-])")
_PHONE_NORTH_AMERICA = re.compile(
    r"(?<![\w+-])(?:\+?1[ .-]?)?(?:\(\s*[2-9]\d{2}\s*\)|[2-9]\d{2})[ .-]?\d{3}[ .-]?\d{4}(?![\w-])"
)
_PHONE_FRANCE = re.compile(r"(?<![\w+-])0[1-9](?:[ .-]?\d{2}){4}(?![\w-])")
_BARE_ID = re.compile(r"(?<![\w.,-])(?:\d{10}|\d{8})(?![\w,-]|\.\d)")


def _digits(text: str) -> int:
    return sum(character.isdigit() for character in text)


def _replace(pattern: re.Pattern[str], placeholder: str, keep: Callable[[str], bool] | None = None) -> Any:
    """A substitution function: masks each match, except those `keep` says to leave."""

    def substitute(text: str) -> str:
        return pattern.sub(lambda m: m.group(0) if keep and keep(m.group(0)) else placeholder, text)

    return substitute


def _after_word(pattern: re.Pattern[str], placeholder: str) -> Any:
    """A substitution that keeps the introducing words (group 1) and masks the value (group 2)."""

    def substitute(text: str) -> str:
        return pattern.sub(lambda m: m.group(1) + placeholder, text)

    return substitute


_STEPS = (
    _replace(_EMAIL, EMAIL),
    _after_word(_PASSPORT_AFTER_WORD, PASSPORT),
    _after_word(_UCI_AFTER_WORD, UCI),
    _replace(_APPLICATION_NUMBER, APPLICATION_NUMBER),
    _replace(_UCI_FORMATTED, UCI, keep=lambda match: bool(_TWO_YEARS.fullmatch(match))),
    _replace(_PASSPORT_FORMAT, PASSPORT),
    _replace(_PHONE_INTERNATIONAL, PHONE, keep=lambda match: not 8 <= _digits(match) <= 15),
    _replace(_PHONE_NORTH_AMERICA, PHONE),
    _replace(_PHONE_FRANCE, PHONE),
    _replace(_BARE_ID, UCI),
)


def mask_text(text: str) -> str:
    """The text with every personal identifier replaced by its placeholder ([email], [phone]...)."""
    if not isinstance(text, str) or not text:
        return text
    for step in _STEPS:
        text = step(text)
    return text


def _mask_value(value: Any) -> Any:
    """Strings masked, lists and dicts of strings masked item by item, anything else unchanged."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [_mask_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _mask_value(item) for key, item in value.items()}
    return value


def mask_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of a serialised Rasa event: the user's text, entities and metadata, and slot values masked."""
    if not isinstance(event, dict):
        return event
    kind = event.get("event")
    if kind not in ("user", "slot", "entities"):
        return event
    masked = copy.deepcopy(event)
    if kind == "user":
        masked["text"] = mask_text(masked.get("text"))
        if "metadata" in masked:  # what a channel sent along (REST clients may send anything)
            masked["metadata"] = _mask_value(masked["metadata"])
        if isinstance(masked.get("parse_data"), dict):
            masked["parse_data"] = mask_parse_data(masked["parse_data"])
    elif kind == "slot":
        masked["value"] = _mask_value(masked.get("value"))
    else:
        masked["entities"] = _mask_entities(masked.get("entities"))
    return masked


def mask_parse_data(parse_data: dict[str, Any]) -> dict[str, Any]:
    """A copy of NLU's result for a message with its text, entity values and metadata masked."""
    masked = dict(parse_data)
    if "text" in masked:
        masked["text"] = mask_text(masked["text"])
    if "entities" in masked:
        masked["entities"] = _mask_entities(masked["entities"])
    if "metadata" in masked:
        masked["metadata"] = _mask_value(masked["metadata"])
    return masked


def _mask_entities(entities: Any) -> Any:
    if not isinstance(entities, list):
        return entities
    return [
        {**entity, "value": _mask_value(entity["value"])}
        if isinstance(entity, dict) and "value" in entity
        else entity
        for entity in entities
    ]


def mask_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """Slot values (name -> value) with every string masked."""
    return {name: _mask_value(value) for name, value in slots.items()}


def mask_window_state(state: dict[str, Any]) -> dict[str, Any]:
    """A conversation state saved with its window: slot values and the loop's trigger message masked."""
    masked = dict(state)
    if isinstance(masked.get("slots"), dict):
        masked["slots"] = mask_slots(masked["slots"])
    loop = masked.get("active_loop")
    if isinstance(loop, dict) and isinstance(loop.get("trigger_message"), dict):
        masked["active_loop"] = {**loop, "trigger_message": mask_parse_data(loop["trigger_message"])}
    return masked
