"""The IntentRules component stores the training words and marks keyboard noise as not understood."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_plugins.nlu.intent_rules import IntentRules

CONFIG = {"fact_threshold": 0.55}


def trained(tmp_path: Path) -> IntentRules:
    """An IntentRules trained on two examples, saved and loaded back as Rasa does."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_rules")
    context = ExecutionContext(GraphSchema({}), "test")
    component = IntentRules.create(CONFIG, storage, resource, context)
    examples = [
        Message.build("how much are the fees?", "ask_fees"),
        Message.build("c'est combien, les frais?", "ask_fees"),
    ]
    component.train(TrainingData(training_examples=examples))
    return IntentRules.load(CONFIG, storage, resource, context)


def parsed(component: IntentRules, text: str, intent: str, confidence: float) -> dict:
    """The intent after the component processed a message the classifier classified."""
    message = Message.build(text)
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    message.set("entities", [])
    component.process([message])
    return message.get("intent")


def test_training_words_survive_saving_and_loading(tmp_path: Path) -> None:
    assert {"fees", "frais", "combien"} <= trained(tmp_path).known_words


def test_noise_is_not_understood_and_a_known_word_keeps_the_intent(tmp_path: Path) -> None:
    component = trained(tmp_path)
    assert parsed(component, "qwop flurbish gnarvle", "stop", 0.9)["name"] == "nlu_fallback"
    assert parsed(component, "fees qwop flurbish", "ask_fees", 0.9)["name"] == "ask_fees"


def test_a_fact_needs_the_threshold(tmp_path: Path) -> None:
    component = trained(tmp_path)
    assert parsed(component, "fees now?", "ask_fees", 0.5)["name"] == "nlu_fallback"
    assert parsed(component, "fees now?", "ask_fees", 0.6)["name"] == "ask_fees"


def test_an_unsure_fact_shaped_like_a_follow_up_is_a_follow_up(tmp_path: Path) -> None:
    component = trained(tmp_path)
    message = Message.build("and what about my girlfriend?")
    message.set("intent", {"name": "ask_family", "confidence": 0.5})
    message.set("entities", [{"entity": "family_member", "value": "partner"}])
    component.process([message])
    assert message.get("intent")["name"] == "follow_up"
