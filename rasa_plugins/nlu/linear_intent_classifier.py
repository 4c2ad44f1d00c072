"""NLU component: intent classifier, a linear SVM over TF-IDF word and character n-grams.

It replaces DIETClassifier (entity_recognition was off, so DIET only classified intents). On the
leak-free held-out sets it scores as well or better, and trains in seconds instead of minutes on two
cores (BENCHMARKS.md, "Intent classifier: DIET or a linear model"). It reads the message text
itself, so the pipeline needs no Rasa featurizer for it.

Confidences are a softmax of the SVM's decision scores divided by `temperature`: the same
ranking as the SVM, spread so that Rasa's FallbackClassifier and IntentRules' `fact_threshold` can
tell a sure reading from a guess. The model is saved with skops (as Rasa's own
LogisticRegressionClassifier is), and loading accepts only the types listed in `SAVED_TYPES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

MODEL_FILE = "linear_intent_classifier.skops"

# The one type a saved model holds beyond skops' defaults (the TF-IDF weights; checked on load).
SAVED_TYPES = ["scipy.sparse._csr.csr_matrix"]


def intent_model(config: dict[str, Any]) -> Pipeline:
    """TF-IDF of word and character n-grams (sublinear counts), then a class-balanced linear SVM."""
    words = TfidfVectorizer(ngram_range=tuple(config["word_ngrams"]), sublinear_tf=True)
    characters = TfidfVectorizer(
        analyzer="char_wb", ngram_range=tuple(config["char_ngrams"]), sublinear_tf=True
    )
    return Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("characters", characters)])),
            ("svm", LinearSVC(C=config["C"], class_weight="balanced", random_state=config["random_seed"])),
        ]
    )


def ranking(model: Pipeline, texts: list[str], temperature: float, length: int) -> list[list[dict[str, Any]]]:
    """For each text, the intents by confidence (softmax of the SVM scores), the `length` first."""
    scores = model.decision_function(texts)
    if scores.ndim == 1:  # two intents: sklearn gives one score per text, for the second class
        scores = np.column_stack([-scores, scores])
    confidences = softmax(scores / temperature, axis=1)
    names = model.classes_
    result = []
    for row in confidences:
        order = np.argsort(-row)[:length]
        result.append([{"name": str(names[i]), "confidence": float(row[i])} for i in order])
    return result


class UnexpectedSavedTypes(ValueError):
    """A saved model holds types it should not: it is not loaded."""


def checked_load(path: Path) -> Pipeline:
    """The model saved at `path`, loaded only if it holds no type beyond `SAVED_TYPES`."""
    unexpected = set(sio.get_untrusted_types(file=path)) - set(SAVED_TYPES)
    if unexpected:
        raise UnexpectedSavedTypes(f"{path} holds types it should not: {sorted(unexpected)}")
    return sio.load(path, trusted=SAVED_TYPES)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Intent and intent ranking from a linear SVM over the message's word and character n-grams."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's settings (chosen in bench/train_configs.py)."""
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "C": 1.0,
            "temperature": 0.2,
            "ranking_length": 10,
            "random_seed": 42,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """The trained classifier; one that was never trained (no intents) classifies nothing."""
        try:
            with model_storage.read_from(resource) as directory:
                model = checked_load(directory / MODEL_FILE)
        except UnexpectedSavedTypes:
            raise
        except (ValueError, FileNotFoundError):  # read_from's ValueError: training stored nothing
            model = None
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the model on the intent examples and saves it."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if len({m.get(INTENT) for m in examples}) < 2:
            return self._resource
        self._model = intent_model(self._config)
        self._model.fit([m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples])
        with self._storage.write_to(self._resource) as directory:
            sio.dump(self._model, directory / MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets each message's intent and intent ranking."""
        if self._model is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        rankings = ranking(self._model, texts, self._config["temperature"], self._config["ranking_length"])
        for message, intents in zip(messages, rankings, strict=True):
            message.set(INTENT, intents[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, intents, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data needs no intent set by this component."""
        return training_data
