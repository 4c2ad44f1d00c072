"""NLU component: corrects the intent where the words leave no doubt (actions/core/intent_rules.py).

"I'm in Winnipeg and my CSQ is from the AI pilot, do I qualify?" or a long first message listing
one's whole situation can look like a fact question to the classifier, or leave it unsure: it becomes
`check_eligibility` / `inform`, which start the check with those answers. "pis en 2023?" after a
cap answer can look like the 2021 figures (digits): it becomes `follow_up`. The reading is the
action server's own (actions/core/answers.py).
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.core.intent_rules import (
    corrected_intent,
    follow_up_intent,
    no_known_word,
    unsure_of_a_fact,
    words,
)
from actions.core.vocabulary import default_vocabulary

KNOWN_WORDS_FILE = "known_words.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentRules(GraphComponent):
    """Replaces the classifier's intent by the one the rules of actions/core/intent_rules.py give, if any.

    `fact_threshold`: the confidence a fact question (or a follow-up) needs to be answered with a
    fact; below it the message becomes `nlu_fallback`, the way Rasa's FallbackClassifier marks it
    (so `rasa test nlu` still scores the classifier's own prediction). Training stores the words of the
    training examples; a message with none of them (two words or more) is not understood either.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's settings."""
        return {"fact_threshold": 0.0}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        known_words: frozenset[str] = frozenset(),
    ) -> None:
        self.fact_threshold = float(config["fact_threshold"])
        self._model_storage = model_storage
        self._resource = resource
        self.known_words = known_words

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentRules:
        """Create the component before training (it knows no words yet)."""
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Store the words of the training examples."""
        known = sorted(
            {word for example in training_data.training_examples for word in words(example.get(TEXT) or "")}
        )
        with self._model_storage.write_to(self._resource) as folder:
            (folder / KNOWN_WORDS_FILE).write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentRules:
        """Load the words stored by training."""
        with model_storage.read_from(resource) as folder:
            known = json.loads((folder / KNOWN_WORDS_FILE).read_text(encoding="utf-8"))
        return cls({**cls.get_default_config(), **config}, model_storage, resource, frozenset(known))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data passes through unchanged."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the intent of each message a rule recognises."""
        for message in messages:
            text = message.get(TEXT) or ""
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            entities = message.get(ENTITIES) or []
            forced = corrected_intent(text, current, entities, default_vocabulary())
            if forced and forced != current:
                self._set(message, forced, 1.0)
            elif not forced and no_known_word(text, self.known_words, entities):
                self._set(message, DEFAULT_NLU_FALLBACK_INTENT_NAME, 0.0)
            elif not forced:
                confidence = float((message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                if unsure_of_a_fact(current, confidence, self.fact_threshold):
                    # Unsure, but shaped like "and my girlfriend?" / « pis en 2022? »: the context decides.
                    context = follow_up_intent(text, DEFAULT_NLU_FALLBACK_INTENT_NAME, entities)
                    self._set(message, context or DEFAULT_NLU_FALLBACK_INTENT_NAME, confidence)
        return messages

    @staticmethod
    def _set(message: Message, name: str, confidence: float) -> None:
        """Put an intent first, keeping the ranking below it (as Rasa's FallbackClassifier does)."""
        intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
        ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != name]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
