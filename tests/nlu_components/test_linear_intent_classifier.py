"""The LinearIntentClassifier trains, saves and loads as Rasa does, and ranks intents sensibly."""

from __future__ import annotations

from pathlib import Path

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_plugins.nlu.linear_intent_classifier import MODEL_FILE, LinearIntentClassifier

CONFIG = {"ranking_length": 2}

EXAMPLES = {
    "ask_fees": ["how much are the fees?", "what does it cost", "c'est combien, les frais?", "le prix"],
    "ask_cap": ["is there a cap?", "how many permits per year", "y a-tu un plafond?", "combien par année"],
    "greet": ["hello", "hi there", "bonjour", "allô"],
}


def storage_and_context(tmp_path: Path) -> tuple[LocalModelStorage, Resource, ExecutionContext]:
    """Where Rasa would keep the component, and its execution context."""
    return LocalModelStorage(tmp_path), Resource("linear"), ExecutionContext(GraphSchema({}), "test")


def trained(tmp_path: Path, examples: dict[str, list[str]] = EXAMPLES) -> LinearIntentClassifier:
    """A classifier trained on `examples`, saved and loaded back as Rasa does."""
    storage, resource, context = storage_and_context(tmp_path)
    component = LinearIntentClassifier.create(CONFIG, storage, resource, context)
    messages = [Message.build(text, intent) for intent, texts in examples.items() for text in texts]
    component.train(TrainingData(training_examples=messages))
    return LinearIntentClassifier.load(CONFIG, storage, resource, context)


def parsed(component: LinearIntentClassifier, text: str) -> Message:
    """A message after the component processed it."""
    message = Message.build(text)
    component.process([message])
    return message


def test_a_loaded_classifier_recognises_new_wordings_in_both_languages(tmp_path: Path) -> None:
    component = trained(tmp_path)
    assert parsed(component, "what are the fees").get("intent")["name"] == "ask_fees"
    assert parsed(component, "y'a combien de permis par an").get("intent")["name"] == "ask_cap"
    assert parsed(component, "bonjour!").get("intent")["name"] == "greet"


def test_the_ranking_is_sorted_cut_to_its_length_and_led_by_the_intent(tmp_path: Path) -> None:
    message = parsed(trained(tmp_path), "the fees, how much?")
    ranking = message.get("intent_ranking")
    confidences = [row["confidence"] for row in ranking]
    assert len(ranking) == CONFIG["ranking_length"]
    assert confidences == sorted(confidences, reverse=True)
    assert ranking[0] == message.get("intent")
    assert 0.0 < sum(confidences) <= 1.0 + 1e-9


def test_a_sure_reading_is_more_confident_than_a_guess(tmp_path: Path) -> None:
    component = trained(tmp_path)
    sure = parsed(component, "how much are the fees").get("intent")["confidence"]
    guess = parsed(component, "zebra").get("intent")["confidence"]
    assert sure > guess


def test_two_intents_get_a_ranking_of_two(tmp_path: Path) -> None:
    component = trained(tmp_path, {k: EXAMPLES[k] for k in ("ask_fees", "greet")})
    messages = [Message.build("hello"), Message.build("the fees?")]
    component.process(messages)
    assert [m.get("intent")["name"] for m in messages] == ["greet", "ask_fees"]
    assert {row["name"] for row in messages[0].get("intent_ranking")} == {"greet", "ask_fees"}


@pytest.mark.parametrize("text", ["", " ", "\x00\x01\ufffd", "fees " * 20_000, "'; DROP TABLE events; --"])
def test_bad_input_gets_an_intent_not_a_crash(tmp_path: Path, text: str) -> None:
    assert parsed(trained(tmp_path), text).get("intent")["name"] in EXAMPLES


def test_without_two_intents_nothing_is_trained_and_messages_are_left_alone(tmp_path: Path) -> None:
    component = trained(tmp_path, {"greet": EXAMPLES["greet"]})
    assert parsed(component, "hello").get("intent") is None


def test_a_saved_model_holding_an_unexpected_type_is_refused(tmp_path: Path) -> None:
    trained(tmp_path)
    storage, resource, context = storage_and_context(tmp_path)
    with storage.write_to(resource) as directory:
        sio.dump({"model": __import__("collections").OrderedDict(a=1)}, directory / MODEL_FILE)
    with pytest.raises(ValueError, match="OrderedDict"):
        LinearIntentClassifier.load(CONFIG, storage, resource, context)
