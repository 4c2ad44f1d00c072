"""The held-out NLU gate: macro F1 over the held-out intents and the wrong-fact rate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from actions.core.settings import PROJECT_ROOT
from scripts.check_nlu import fact_answering_intents, held_out_intents, wrong_facts


def row(text: str, gold: str, predicted: str) -> dict:
    return {"text": text, "intent": gold, "predicted": predicted}


def test_fact_answering_intents_are_the_fact_questions_and_follow_ups() -> None:
    intents = fact_answering_intents()
    assert {"ask_cap", "ask_2021_figures", "follow_up"} <= intents
    assert not intents & {"ask_outside_sources", "inform", "greet", "nlu_fallback"}


def test_only_another_intents_fact_is_a_wrong_fact() -> None:
    facts = fact_answering_intents()
    predictions = [
        row("what about 2022?", "follow_up", "ask_2021_figures"),  # wrong fact
        row("call me at 514 555 0199", "greet", "ask_2021_figures"),  # wrong fact
        row("express entry draws?", "ask_outside_sources", "nlu_fallback"),  # the fallback is honest
        row("how long is it?", "ask_permit_duration", "ask_outside_sources"),  # "I don't know" is honest
        row("I live in Lyon", "inform", "check_eligibility"),  # no fact given
        row("how much is it?", "ask_fees", "ask_fees"),  # right
    ]
    assert [e["text"] for e in wrong_facts(predictions, facts)] == [
        "what about 2022?",
        "call me at 514 555 0199",
    ]


def test_nlu_fallback_with_no_support_is_not_an_intent_of_the_set() -> None:
    report = {
        "greet": {"f1-score": 1.0, "support": 3},
        "nlu_fallback": {"f1-score": 0.0, "support": 0},
        "macro avg": {"f1-score": 0.5, "support": 3},
        "accuracy": 1.0,
    }
    assert list(held_out_intents(report)) == ["greet"]


def run_check(tmp_path: Path, report: dict, predictions: list[dict]) -> subprocess.CompletedProcess:
    (tmp_path / "intent_report.json").write_text(json.dumps(report))
    (tmp_path / "predictions.json").write_text(json.dumps(predictions))
    return subprocess.run(
        [sys.executable, "-m", "scripts.check_nlu", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_gate_fails_on_low_macro_f1_and_on_wrong_facts(tmp_path: Path) -> None:
    good = {f"i{n}": {"f1-score": 0.99, "support": 50} for n in range(4)}
    report = {**good, "weighted avg": {"f1-score": 0.99}, "accuracy": 0.99}
    assert run_check(tmp_path, report, []).returncode == 0
    weak = {**report, "i0": {"f1-score": 0.5, "support": 50}}
    failed = run_check(tmp_path, weak, [])
    assert failed.returncode == 1 and "macro F1 0.86" in failed.stderr
    wrong = [row(f"m{n}", "i1", "ask_cap") for n in range(3)]  # 3 of 200 = 1.5 %
    failed = run_check(tmp_path, report, wrong)
    assert failed.returncode == 1 and "wrong-fact rate 1.50%" in failed.stderr
    assert "weakest:" in failed.stdout
