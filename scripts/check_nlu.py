"""Prints and gates the held-out NLU figures of a `rasa test nlu` run: macro F1 and wrong-fact rate.

A wrong fact is the worst mistake the assistant can make: a held-out message whose predicted
intent would be answered with a fact (a fact question or a follow-up) of another intent than the
one the message means. The fallback and "I don't know" are not wrong facts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from actions.core.settings import PROJECT_ROOT

WEAKEST_SHOWN = 10


def fact_answering_intents(domain_path: Path = PROJECT_ROOT / "domain.yml") -> set[str]:
    """Intents answered with a fact: the fact questions (bar "I don't know") and follow-ups."""
    intents = yaml.safe_load(domain_path.read_text(encoding="utf-8"))["intents"]
    return {intent for intent in intents if intent.startswith("ask_") and intent != "ask_outside_sources"} | {
        "follow_up"
    }


def held_out_intents(report: dict) -> dict[str, dict]:
    """The report's rows of the intents the held-out set has (not nlu_fallback, which it never means)."""
    return {
        name: row
        for name, row in report.items()
        if isinstance(row, dict) and row.get("support", 0) > 0 and "avg" not in name
    }


def wrong_facts(errors: Iterable[dict], fact_intents: set[str]) -> list[dict]:
    """The misclassified messages that would be answered with another intent's fact."""
    return [
        error
        for error in errors
        if (error.get("intent_prediction") or {}).get("name") in fact_intents
        and error["intent_prediction"]["name"] != error.get("intent")
    ]


def main() -> None:
    """Read intent_report.json and intent_errors.json; print the figures; exit 1 below the gates."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", type=Path, help="the --out folder of rasa test nlu")
    parser.add_argument("--min-macro-f1", type=float, default=0.95)
    parser.add_argument("--max-wrong-fact-rate", type=float, default=0.01)
    args = parser.parse_args()
    report = json.loads((args.results / "intent_report.json").read_text(encoding="utf-8"))
    errors_path = args.results / "intent_errors.json"
    errors = json.loads(errors_path.read_text(encoding="utf-8")) if errors_path.exists() else []
    intents = held_out_intents(report)
    support = sum(v["support"] for v in intents.values())
    macro = sum(v["f1-score"] for v in intents.values()) / len(intents)
    weighted = report["weighted avg"]["f1-score"]
    wrong = wrong_facts(errors, fact_answering_intents())
    rate = len(wrong) / support if support else 0.0
    print(f"held-out messages: {support}, intents: {len(intents)}")
    print(f"intent F1: macro {macro:.3f} (over the held-out intents), weighted {weighted:.3f}")
    print(f"wrong-fact rate: {rate:.2%} ({len(wrong)} messages answered with another intent's fact)")
    for error in wrong:
        print(f"  wrong fact: {error['text']!r} ({error['intent']} -> {error['intent_prediction']['name']})")
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
