"""NLU component: corrects DIET's intent where the words leave no doubt (actions/core/intent_rules.py).

"I'm in Winnipeg and my CSQ is from the AI pilot, do I qualify?" or a long first message listing
one's whole situation can look like a fact question to DIET, or leave it unsure: it becomes
`check_eligibility` / `inform`, which start the check with those answers. "pis en 2023?" after a
cap answer can look like the 2021 figures (digits): it becomes `follow_up`. The reading is the
action server's own (actions/core/answers.py).
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

from actions.core.intent_rules import corrected_intent
from actions.core.vocabulary import default_vocabulary


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentRules(GraphComponent):
    """Replaces DIET's intent by the one the rules of actions/core/intent_rules.py give, if any."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentRules:
        """Create the component (it has no trained state)."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the intent of each message a rule recognises."""
        for message in messages:
            text = message.get(TEXT) or ""
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            forced = corrected_intent(text, current, message.get(ENTITIES) or [], default_vocabulary())
            if forced and forced != current:
                intent = {INTENT_NAME_KEY: forced, PREDICTED_CONFIDENCE_KEY: 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != forced]
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages
