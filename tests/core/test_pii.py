"""Personal identifiers are masked; the assistant's own figures and ordinary numbers are not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from actions.core.pii import mask_event, mask_slots, mask_text, mask_window_state
from actions.core.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jean.dupont+imp@gmail.com please", "write to [email] please"),
        ("mon courriel: Marie_Tremblay@videotron.qc.ca", "mon courriel: [email]"),
        ("my UCI is 1234-5678", "my UCI is [uci]"),
        ("UCI: 12-3456-7890", "UCI: [uci]"),
        ("my client ID is 1234567890", "my client ID is [uci]"),
        ("mon IUC est 12345678", "mon IUC est [uci]"),
        ("UCI 5145551234", "UCI [uci]"),  # the word decides: not a phone number
        ("temporary UCI T01-2345-6789", "temporary UCI [uci]"),
        ("87654321", "[uci]"),
        ("application W993830598 was received", "application [application number] was received"),
        ("files E099977028 and c123456789", "files [application number] and [application number]"),
        ("PNP file EP123456789", "PNP file [application number]"),
        ("passport AB123456", "passport [passport]"),
        ("passport number: X1234567", "passport number: [passport]"),
        ("mon passeport est 12AB34567", "mon passeport est [passport]"),
        ("my passport no. 123456789", "my passport no. [passport]"),
        ("it's GH654321", "it's [passport]"),
        ("call me at (514) 555-1234", "call me at [phone]"),
        ("514-555-1234", "[phone]"),
        ("514.555.1234 or 438 555 9876", "[phone] or [phone]"),
        ("+1 514 555 1234", "[phone]"),
        ("1-888-242-2100", "[phone]"),
        ("5145551234", "[phone]"),
        ("appelle-moi au 06 12 34 56 78", "appelle-moi au [phone]"),
        ("+33 6 12 34 56 78", "[phone]"),
        ("0612345678", "[phone]"),
        (
            "I'm Ana, ana@x.org, UCI 11-2233-4455, file W123456789, tel 514-555-0000",
            "I'm Ana, [email], UCI [uci], file [application number], tel [phone]",
        ),
    ],
)
def test_identifiers_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the cap is 14,700 applications and 7,350 for the second half",
        "14 700 / 7 350 demandes",
        "14,000 and 7,000 permits",
        "25,000 people",
        "in 2021 and 2022",
        "for 2021-2022",
        "on 2022-05-24",
        "born 1990-01-01",
        "24/05/2022",
        "3 years",
        "le permis est valide 3 ans",
        "$155 and CAD 255, $100",
        "code A76, R205(a), T13, R204",
        "85 % of them",
        "about 90 days",
        "call 555-1234",  # seven digits: no area code, not enough to identify anyone
        "IMP+ PMI+ CSQ PRTQ PSTQ",
        '/inform{"residence":"abroad"}',
        "",
    ],
)
def test_figures_and_ordinary_numbers_are_not_masked(text: str) -> None:
    assert mask_text(text) == text


def all_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from all_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_strings(value)


def test_every_text_of_the_knowledge_file_survives_masking() -> None:
    # a user quoting any answer (figures, dates, codes, durations) keeps every character
    document = yaml.safe_load((PROJECT_ROOT / "data/knowledge/facts.yml").read_text(encoding="utf-8"))
    texts = [text for text in all_strings(document) if any(c.isdigit() for c in text)]
    assert len(texts) > 50
    for text in texts:
        assert mask_text(text) == text


@pytest.mark.parametrize("name", ["imp-plus-facts.md", "seed-article.txt"])
def test_the_fact_sheet_and_seed_article_survive_masking(name: str) -> None:
    for line in (PROJECT_ROOT / "docs" / "sources" / name).read_text(encoding="utf-8").splitlines():
        assert mask_text(line) == line


def test_user_event_text_parse_data_and_entities_are_masked_in_a_copy() -> None:
    event = {
        "event": "user",
        "text": "my email is a@b.ca",
        "parse_data": {
            "text": "my email is a@b.ca",
            "intent": {"name": "inform", "confidence": 0.9},
            "entities": [{"entity": "email", "value": "a@b.ca", "start": 12, "end": 18}, {"entity": "x"}],
        },
        "metadata": {"language": "fr", "contact": {"phone": "514-555-1234"}},
    }
    masked = mask_event(event)
    assert masked["metadata"] == {"language": "fr", "contact": {"phone": "[phone]"}}
    assert masked["text"] == "my email is [email]"
    assert masked["parse_data"]["text"] == "my email is [email]"
    assert masked["parse_data"]["entities"][0]["value"] == "[email]"
    assert masked["parse_data"]["entities"][1] == {"entity": "x"}
    assert masked["parse_data"]["intent"] == {"name": "inform", "confidence": 0.9}
    assert event["text"] == "my email is a@b.ca"  # the original is untouched


def test_slot_values_are_masked_other_events_untouched() -> None:
    assert mask_event({"event": "slot", "name": "note", "value": "a@b.ca"})["value"] == "[email]"
    assert mask_event({"event": "slot", "name": "n", "value": ["514-555-1234", 3]})["value"] == ["[phone]", 3]
    assert mask_event({"event": "slot", "name": "n", "value": True})["value"] is True
    bot = {"event": "bot", "text": "write to a@b.ca"}
    assert mask_event(bot) is bot
    assert mask_slots({"residence": "abroad", "contact": "a@b.ca", "n": None}) == {
        "residence": "abroad",
        "contact": "[email]",
        "n": None,
    }


@pytest.mark.parametrize("odd", [None, 42, "", {"event": "user"}, {"event": "user", "parse_data": "x"}])
def test_odd_input_never_crashes(odd: Any) -> None:
    if isinstance(odd, dict):
        assert mask_event(odd)["event"] == "user"
    else:
        assert mask_text(odd) == odd


def test_window_state_slots_and_form_trigger_message_are_masked() -> None:
    state = {
        "slots": {"residence": "abroad", "note": "W123456789"},
        "unset_slots": [],
        "active_loop": {
            "name": "eligibility_form",
            "trigger_message": {"text": "am I eligible? a@b.ca", "entities": [], "intent": {"name": "x"}},
        },
        "paused": False,
    }
    masked = mask_window_state(state)
    assert masked["slots"] == {"residence": "abroad", "note": "[application number]"}
    assert masked["active_loop"]["trigger_message"]["text"] == "am I eligible? [email]"
    assert masked["active_loop"]["name"] == "eligibility_form" and masked["paused"] is False
    assert state["active_loop"]["trigger_message"]["text"] == "am I eligible? a@b.ca"
    assert mask_window_state({"slots": {}, "active_loop": None}) == {"slots": {}, "active_loop": None}
