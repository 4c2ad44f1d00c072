"""Training-time benchmark: NLU pipeline variants trained on the same data, measured in one run.

Usage: .venv/bin/python -m bench.train_configs [--only NAME,NAME] [--full NAME,NAME]

For each variant of config.yml's NLU pipeline: `rasa train nlu` wall time, then the model loaded
in this process parses both held-out sets (tests/nlu): macro F1 per language (over the held-out
intents, of the classifier's own intent as `rasa test nlu` scores it), wrong-fact rate (of what the
assistant does, fallback included), and NLU CPU ms per message. With --full, the
named variants are also trained whole (`rasa train`: NLU + dialogue policies), the time
`make train` takes from scratch. The machine is shared and noisy: compare the variants of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from actions.core.settings import PROJECT_ROOT
from scripts.check_nlu import fact_answering_intents
from scripts.evaluation_overlap import block_examples

RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")
TRAINING = ["data/nlu", "data/rules", "data/stories"]


def _component(pipeline: list[dict], name: str, **match: Any) -> dict:
    return next(c for c in pipeline if c["name"] == name and all(c.get(k) == v for k, v in match.items()))


LINEAR = "rasa_plugins.nlu.linear_intent_classifier.LinearIntentClassifier"

# The pipeline's featurizers and DIET as they were before the linear classifier replaced them.
DIET_BLOCK: list[dict[str, Any]] = [
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 3, "max_ngram": 5},
    {
        "name": "DIETClassifier",
        "epochs": 20,
        "learning_rate": 0.002,
        "number_of_transformer_layers": 1,
        "transformer_size": 128,
        "entity_recognition": False,
        "constrain_similarities": True,
        "random_seed": 42,
    },
]


def _with_diet(config: dict) -> None:
    """Puts DIET and its featurizers back in place of the linear classifier."""
    pipeline = config["pipeline"]
    names = [c["name"] for c in pipeline]
    if LINEAR in names:
        at = names.index(LINEAR)
        pipeline[at : at + 1] = copy.deepcopy(DIET_BLOCK)


def _linear(**settings: Any) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        _component(config["pipeline"], LINEAR).update(settings)

    return change


def _rules(**settings: Any) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        _component(config["pipeline"], "rasa_plugins.nlu.intent_rules.IntentRules").update(settings)

    return change


def _diet(**settings: Any) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        _with_diet(config)
        _component(config["pipeline"], "DIETClassifier").update(settings)

    return change


def _chars(**settings: Any) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        _with_diet(config)
        _component(config["pipeline"], "CountVectorsFeaturizer", analyzer="char_wb").update(settings)

    return change


def _ted(**settings: Any) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        next(p for p in config["policies"] if p["name"] == "TEDPolicy").update(settings)

    return change


def _both(*changes: Callable[[dict], None]) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        for each in changes:
            each(config)

    return change


# name -> change applied to a copy of config.yml
VARIANTS: dict[str, Callable[[dict], None]] = {
    "as-committed": lambda config: None,
    "diet-20ep-1x128-lr-0.002-before": _with_diet,
    "linear-fact-threshold-0.45": _rules(fact_threshold=0.45),
    "linear-fact-threshold-0.5": _rules(fact_threshold=0.5),
    "linear-fact-threshold-0.6": _rules(fact_threshold=0.6),
    "linear-fact-threshold-0.65": _rules(fact_threshold=0.65),
    "linear-svm-C-0.5": _linear(C=0.5),
    "linear-svm-C-2": _linear(C=2.0),
    "linear-svm-temperature-0.15": _linear(temperature=0.15),
    "linear-svm-temperature-0.3": _linear(temperature=0.3),
    "linear-svm-words-1-chars-2to5": _linear(word_ngrams=[1, 1]),
    "linear-svm-chars-3to5": _linear(char_ngrams=[3, 5]),
    "diet-80ep-2x256": _diet(epochs=80, number_of_transformer_layers=2, transformer_size=256),
    "diet-40ep-1x128": _diet(epochs=40, number_of_transformer_layers=1, transformer_size=128),
    "diet-30ep-1x128": _diet(epochs=30, number_of_transformer_layers=1, transformer_size=128),
    "diet-25ep-1x128": _diet(epochs=25, number_of_transformer_layers=1, transformer_size=128),
    "diet-20ep-1x128": _diet(epochs=20, number_of_transformer_layers=1, transformer_size=128),
    "diet-25ep-0-layers": _diet(epochs=25, number_of_transformer_layers=0),
    "diet-40ep-0-layers": _diet(epochs=40, number_of_transformer_layers=0),
    "diet-40ep-1x128-chars-3to5": _both(
        _diet(epochs=40, number_of_transformer_layers=1, transformer_size=128), _chars(min_ngram=3)
    ),
    "diet-40ep-1x128-chars-5000": _both(
        _diet(epochs=40, number_of_transformer_layers=1, transformer_size=128), _chars(max_features=5000)
    ),
    "diet-30ep-0-layers": _diet(epochs=30, number_of_transformer_layers=0),
    "diet-40ep-0-layers-batch-256": _diet(epochs=40, number_of_transformer_layers=0, batch_size=[256, 256]),
    "diet-40ep-1x128-batch-256": _diet(
        epochs=40, number_of_transformer_layers=1, transformer_size=128, batch_size=[256, 256]
    ),
    "diet-20ep-1x128-lr-0.002": _diet(epochs=20, number_of_transformer_layers=1, learning_rate=0.002),
    "diet-15ep-1x128-lr-0.003": _diet(epochs=15, number_of_transformer_layers=1, learning_rate=0.003),
    "diet-20ep-1x128-chars-3to5-lr-0.002": _both(
        _diet(epochs=20, number_of_transformer_layers=1, learning_rate=0.002), _chars(min_ngram=3)
    ),
    "diet-15ep-1x128-chars-3to5-lr-0.003": _both(
        _diet(epochs=15, number_of_transformer_layers=1, learning_rate=0.003), _chars(min_ngram=3)
    ),
    "diet-40ep-1x128-chars-2to5": _both(
        _diet(epochs=40, number_of_transformer_layers=1, learning_rate=0.001), _chars(min_ngram=2)
    ),
    "chars-3to5-max-10000": _chars(max_features=10000),
    "chars-3to5-max-6000": _chars(max_features=6000),
    "diet-batch-128-to-256": _diet(batch_size=[128, 256]),
    "diet-batch-256-lr-0.003": _diet(batch_size=[256, 256], learning_rate=0.003),
    "diet-1x64": _diet(transformer_size=64),
    "diet-1x64-lr-0.003": _diet(transformer_size=64, learning_rate=0.003),
    "diet-20ep-0-layers-lr-0.002": _diet(epochs=20, number_of_transformer_layers=0),
    "diet-30ep-0-layers-lr-0.002": _diet(epochs=30, number_of_transformer_layers=0),
    "diet-40ep-0-layers-lr-0.002": _diet(epochs=40, number_of_transformer_layers=0),
    "diet-40ep-1x128-ted-20ep": _both(
        _diet(epochs=40, number_of_transformer_layers=1, transformer_size=128), _ted(epochs=20)
    ),
}


@dataclass
class Result:
    """One variant's figures."""

    name: str
    nlu_train_s: float
    macro_f1: dict[str, float]
    wrong_fact_rate: dict[str, float]
    right_facts: dict[str, str]
    nlu_cpu_ms_per_message: float
    full_train_s: float | None = None


def held_out(language: str) -> list[tuple[str, str]]:
    """(text, intent) of a held-out set."""
    path = PROJECT_ROOT / "tests" / "nlu" / f"test_nlu_{language}.yml"
    pairs = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for text in block_examples(block):
            pairs.append((text, block["intent"]))
    return pairs


def macro_f1(pairs: list[tuple[str, str]], predicted: list[str]) -> float:
    """Mean F1 over the intents the held-out set has."""
    scores = []
    for intent in sorted({gold for _, gold in pairs}):
        tp = sum(1 for (_, g), p in zip(pairs, predicted, strict=True) if g == intent and p == intent)
        fp = sum(1 for (_, g), p in zip(pairs, predicted, strict=True) if g != intent and p == intent)
        fn = sum(1 for (_, g), p in zip(pairs, predicted, strict=True) if g == intent and p != intent)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def train(config: dict, out: Path, nlu_only: bool) -> tuple[Path, float]:
    """Train with a config; the model path and the wall time in seconds."""
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    command = [RASA, "train", *(["nlu", "--nlu", "data/nlu"] if nlu_only else ["--data", *TRAINING])]
    command += ["--config", str(config_path), "--out", str(out), "--fixed-model-name", "model"]
    if not nlu_only:
        command += ["--domain", "domain.yml"]
    started = time.monotonic()
    # an empty cache: time a training, not a cache hit
    fresh_cache = {**os.environ, "RASA_CACHE_DIRECTORY": str(out / "cache")}
    subprocess.run(command, cwd=PROJECT_ROOT, env=fresh_cache, check=True, capture_output=True)  # noqa: S603
    return out / "model.tar.gz", time.monotonic() - started


def classifier_intent(parsed: dict[str, Any]) -> str:
    """The classifier's own intent, as `rasa test nlu` scores it: under a fallback, the next one."""
    ranking = [row["name"] for row in parsed.get("intent_ranking") or [] if row["name"] != "nlu_fallback"]
    name = parsed["intent"]["name"]
    return ranking[0] if name == "nlu_fallback" and ranking else name


def evaluate(model: Path) -> tuple[dict[str, float], dict[str, float], dict[str, str], float]:
    """Macro F1, wrong-fact rate and fact questions answered right per language, NLU CPU ms per message."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    facts = fact_answering_intents()
    f1, wrong, right, cpu, count = {}, {}, {}, 0.0, 0
    for language in ("en", "fr"):
        pairs = held_out(language)
        predicted, classified = [], []
        for text, _ in pairs:
            started = time.process_time()
            parsed = asyncio.run(agent.parse_message(text))
            cpu += time.process_time() - started
            count += 1
            predicted.append(parsed["intent"]["name"])
            classified.append(classifier_intent(parsed))
        f1[language] = macro_f1(pairs, classified)
        errors = sum(1 for (_, g), p in zip(pairs, predicted, strict=True) if p in facts and p != g)
        wrong[language] = errors / len(pairs)
        asked = [(g, p) for (_, g), p in zip(pairs, predicted, strict=True) if g in facts]
        right[language] = f"{sum(1 for g, p in asked if p == g)}/{len(asked)}"
    return f1, wrong, right, 1000 * cpu / count


def main() -> None:
    """Train and score each variant; print a table and write results/bench/train-configs.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated variant names (default: all)")
    parser.add_argument("--full", default="", help="variants also trained whole (NLU + policies)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(VARIANTS)
    full = set(filter(None, args.full.split(",")))
    base = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    results = []
    for name in names:
        config = copy.deepcopy(base)
        VARIANTS[name](config)
        with tempfile.TemporaryDirectory(prefix=f"imp-train-{name}-") as folder:
            model, seconds = train(config, Path(folder), nlu_only=True)
            f1, wrong, right, cpu = evaluate(model)
            result = Result(name, seconds, f1, wrong, right, cpu)
            if name in full:
                _, result.full_train_s = train(config, Path(folder) / "full", nlu_only=False)
        results.append(result)
        print(
            f"{name:28} nlu train {seconds:6.0f} s  full {result.full_train_s or float('nan'):6.0f} s  "
            f"macro F1 en {f1['en']:.3f} fr {f1['fr']:.3f}  wrong facts en {wrong['en']:.2%} "
            f"fr {wrong['fr']:.2%}  facts right en {right['en']} fr {right['fr']}  NLU CPU {cpu:.1f} ms/msg",
            flush=True,
        )
    out = PROJECT_ROOT / "results" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "train-configs.json").write_text(json.dumps([r.__dict__ for r in results], indent=2))


if __name__ == "__main__":
    main()
