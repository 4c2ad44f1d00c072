"""Evaluates a trained model in one process (one model load): test stories end to end, held-out NLU.

1. tests/test_stories.yml and tests/test_stories_fr.yml through scripts/test_stories.py (`rasa test
   core --e2e --fail-on-prediction-errors`, the language detector's whole-message entity aside);
2. tests/nlu/test_nlu_{en,fr}.yml through Rasa's NLU evaluation (`rasa test nlu`), each gated by
   scripts/check_nlu.py: macro F1 >= 0.95 and wrong-fact rate <= 1 %.
Writes results/<name>/ as the rasa CLI does. Exits non-zero on the first failure.
Usage: python -m scripts.evaluate_model MODEL [--out results]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import yaml
from rasa.core.agent import Agent
from rasa.nlu.test import run_evaluation

from actions.core.settings import PROJECT_ROOT
from scripts.test_stories import failed_story_names, known_failures, test_stories_with, unexpected_failures

STORIES = ("tests/test_stories.yml", "tests/test_stories_fr.yml")
LANGUAGES = ("en", "fr")


async def predictions(agent: Agent, path: Path) -> list[dict[str, str]]:
    """What the assistant makes of each held-out message: the intent it acts on (fallback included)."""
    rows = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in str(block["examples"]).splitlines():
            if line.strip().startswith("- "):
                text = line.strip()[2:]
                parsed = await agent.parse_message(text)
                rows.append({"text": text, "intent": block["intent"], "predicted": parsed["intent"]["name"]})
    return rows


async def evaluate(model: str, out: Path, gates: list[str]) -> None:
    """Held-out NLU in both languages (then fail if either misses a gate), then the stories."""
    agent = Agent.load(model_path=model)
    assert agent.processor is not None, "the model did not load"
    failed = []
    for language in LANGUAGES:
        folder = out / f"nlu-{language}"
        held_out = PROJECT_ROOT / "tests" / "nlu" / f"test_nlu_{language}.yml"
        await run_evaluation(
            str(held_out), agent.processor, output_directory=str(folder), disable_plotting=True
        )
        rows = await predictions(agent, held_out)
        (folder / "predictions.json").write_text(
            json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        print(f"language: {language}", flush=True)
        command = [sys.executable, "-m", "scripts.check_nlu", str(folder), *gates]
        checked = subprocess.run(command, check=False)  # noqa: S603
        if checked.returncode:
            failed.append(language)
    if failed:
        raise SystemExit(f"held-out NLU gates missed: {', '.join(failed)}")
    known = known_failures()
    unexpected = []
    for stories in STORIES:
        folder = str(out / Path(stories).stem)
        result = await test_stories_with(agent, str(PROJECT_ROOT / stories), folder, fail_fast=False)
        report = result.get("report", {}).get("conversation_accuracy", {})
        failed = failed_story_names(folder)
        print(
            f"{stories}: {report.get('correct')} of {report.get('total')} stories pass end to end", flush=True
        )
        for name in failed:
            print(
                f"  failed: {name}"
                + (f" (known: {known[name]})" if name in known else " (NOT a known failure)")
            )
        unexpected += unexpected_failures(failed, known)
    if unexpected:
        raise SystemExit(f"test stories failed end to end: {unexpected} (results in {out})")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "results")
    parser.add_argument("--min-macro-f1", type=float, help="scripts/check_nlu.py's failing floor")
    args = parser.parse_args()
    gates = [] if args.min_macro_f1 is None else ["--min-macro-f1", str(args.min_macro_f1)]
    asyncio.run(evaluate(args.model, args.out, gates))


if __name__ == "__main__":
    main()
