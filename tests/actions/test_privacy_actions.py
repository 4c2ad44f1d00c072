"""The deletion action only marks the turn: the name the tracker store looks for, no side effect."""

from __future__ import annotations

import asyncio

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.core.privacy import DELETION_ACTION
from actions.core.settings import PROJECT_ROOT
from actions.privacy_actions import ActionDeleteMyData
from tests.actions.helpers import make_tracker


def test_the_action_is_the_one_the_rules_and_the_store_use() -> None:
    assert ActionDeleteMyData().name() == DELETION_ACTION == "action_delete_my_data"
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "rules" / "privacy.yml").read_text(encoding="utf-8"))
    confirmed = [rule for rule in rules["rules"] if {"intent": "affirm"} in rule["steps"]]
    assert confirmed and confirmed[0]["steps"][-2:] == [
        {"action": DELETION_ACTION},
        {"action": "utter_data_deleted"},
    ]


def test_running_it_returns_no_events_and_says_nothing_itself() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("affirm", slots={"language": "fr"}, sender_id="to-forget")
    events = asyncio.run(ActionDeleteMyData().run(dispatcher, tracker, {}))
    assert events == [] and dispatcher.messages == []
