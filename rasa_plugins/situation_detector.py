"""NLU component: a message that states two or more answers of the eligibility check is `inform`.

"I'm in Winnipeg and my CSQ is from the AI pilot, do I qualify?" or a long first message listing
one's whole situation can look like a fact question to DIET, or leave it unsure. When its
statement clauses (not its questions) fill at least two answers of the check, the person is
describing their situation: the intent becomes `inform`, which starts the check with those answers
(or updates a finished one). The reading is the action server's own (actions/core/answers.py).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
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

from actions.core.answers import situation_intent
from actions.core.vocabulary import default_vocabulary


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SituationDetector(GraphComponent):
    """Turns a message that gives two or more answers of the check into `inform`."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SituationDetector:
        """Create the component (it has no trained state)."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the intent of each message that describes the person's situation."""
        for message in messages:
            text = message.get(TEXT) or ""
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            forced = situation_intent(text, current, message.get(ENTITIES) or [], default_vocabulary())
            if forced and forced != current:
                intent = {INTENT_NAME_KEY: forced, PREDICTED_CONFIDENCE_KEY: 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != forced]
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages
