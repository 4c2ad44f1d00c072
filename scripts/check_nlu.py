"""Prints and gates the held-out NLU figures of an evaluation: macro F1 and wrong-fact rate.

Macro F1 comes from Rasa's NLU evaluation (intent_report.json, `rasa test nlu`), which scores the
classifier's own prediction (it undoes the fallback). The wrong-fact rate comes from what the
assistant really does with each message (predictions.json, written by scripts/evaluate_model.py):
a wrong fact is a held-out message answered with a fact (a fact question or a follow-up) of another
intent than the one it means, the worst mistake the assistant can make. Saying it did not
understand, or "I don't know", is not a wrong fact.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from actions.core.intent_rules import answered_with_a_fact
from actions.core.settings import PROJECT_ROOT

WEAKEST_SHOWN = 10


def fact_answering_intents(domain_path: Path = PROJECT_ROOT / "domain.yml") -> set[str]:
    """Intents answered with a fact: the fact questions (bar "I don't know") and follow-ups."""
    intents = yaml.safe_load(domain_path.read_text(encoding="utf-8"))["intents"]
    return {intent for intent in intents if answered_with_a_fact(intent)}


def held_out_intents(report: dict) -> dict[str, dict]:
    """The report's rows of the intents the held-out set has (not nlu_fallback, which it never means)."""
    return {
        name: row
        for name, row in report.items()
        if isinstance(row, dict) and row.get("support", 0) > 0 and "avg" not in name
    }


def wrong_facts(predictions: Iterable[dict], fact_intents: set[str]) -> list[dict]:
    """The messages answered with another intent's fact ({"text", "intent", "predicted"} each)."""
    return [
        row
        for row in predictions
        if row.get("predicted") in fact_intents and row["predicted"] != row.get("intent")
    ]


def main() -> None:
    """Read intent_report.json and predictions.json; print the figures; exit 1 past the gates."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", type=Path, help="the --out folder of rasa test nlu")
    parser.add_argument("--min-macro-f1", type=float, default=0.95, help="fail below this macro F1")
    parser.add_argument(
        "--target-macro-f1",
        type=float,
        default=0.95,
        help="print whether this macro F1 is reached (no failure)",
    )
    parser.add_argument("--max-wrong-fact-rate", type=float, default=0.01)
    args = parser.parse_args()
    report = json.loads((args.results / "intent_report.json").read_text(encoding="utf-8"))
    predictions = json.loads((args.results / "predictions.json").read_text(encoding="utf-8"))
    intents = held_out_intents(report)
    support = sum(v["support"] for v in intents.values())
    macro = sum(v["f1-score"] for v in intents.values()) / len(intents)
    weighted = report["weighted avg"]["f1-score"]
    wrong = wrong_facts(predictions, fact_answering_intents())
    rate = len(wrong) / support if support else 0.0
    print(f"held-out messages: {support}, intents: {len(intents)}")
    print(f"intent F1: macro {macro:.4f} (over the held-out intents), weighted {weighted:.4f}")
    reached = "reached" if macro >= args.target_macro_f1 else "NOT reached"
    print(f"target macro F1 {args.target_macro_f1}: {reached} (failing below {args.min_macro_f1})")
    print(f"wrong-fact rate: {rate:.2%} ({len(wrong)} messages answered with another intent's fact)")
    for row in wrong:
        print(f"  wrong fact: {row['text']!r} ({row['intent']} -> {row['predicted']})")
    for name, scores in sorted(intents.items(), key=lambda item: item[1]["f1-score"])[:WEAKEST_SHOWN]:
        print(f"  weakest: {name:28} F1 {scores['f1-score']:.3f} (support {scores['support']})")
    failures = []
    if macro < args.min_macro_f1:
        failures.append(f"macro F1 {macro:.3f} is below the required {args.min_macro_f1}")
    if rate > args.max_wrong_fact_rate:
        failures.append(f"wrong-fact rate {rate:.2%} is above the allowed {args.max_wrong_fact_rate:.0%}")
    if failures:
        sys.exit("; ".join(failures))


if __name__ == "__main__":
    main()
