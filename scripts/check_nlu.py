"""Prints the intent F1 of a `rasa test nlu` run and fails below a threshold."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    """Read intent_report.json, print weighted and macro F1 and the weakest intents."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path, help="intent_report.json written by rasa test nlu")
    parser.add_argument("--min-f1", type=float, default=0.95)
    args = parser.parse_args()
    report = json.loads(args.report.read_text(encoding="utf-8"))
    weighted = report["weighted avg"]["f1-score"]
    macro = report["macro avg"]["f1-score"]
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "support" in v and "avg" not in k}
    support = sum(v["support"] for v in intents.values())
    print(f"held-out messages: {support}, intents: {len(intents)}")
    print(f"intent F1: weighted {weighted:.3f}, macro {macro:.3f}, accuracy {report['accuracy']:.3f}")
    for name, scores in sorted(intents.items(), key=lambda item: item[1]["f1-score"])[:5]:
        print(f"  weakest: {name:28} F1 {scores['f1-score']:.3f} (support {scores['support']})")
    if weighted < args.min_f1:
        sys.exit(f"intent F1 {weighted:.3f} is below the required {args.min_f1}")


if __name__ == "__main__":
    main()
