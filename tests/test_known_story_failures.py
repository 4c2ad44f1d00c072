"""The story gate: failed stories are read from rasa's report and must be listed known failures."""

from __future__ import annotations

from pathlib import Path

import yaml

from scripts.test_stories import failed_story_names, known_failures, unexpected_failures

STORY_FILES = ("tests/test_stories.yml", "tests/test_stories_fr.yml")


def test_failed_story_names_drop_the_file_suffix(tmp_path: Path) -> None:
    (tmp_path / "failed_test_stories.yml").write_text(
        'version: "3.1"\nstories:\n- story: "fait : un CSQ (/x/tests/test_stories_fr.yml)"\n  steps: []\n',
        encoding="utf-8",
    )
    assert failed_story_names(str(tmp_path)) == ["fait : un CSQ"]
    assert failed_story_names(str(tmp_path / "none")) == []


def test_only_unlisted_failures_are_unexpected() -> None:
    assert unexpected_failures(["a", "b"], {"a": "why"}) == ["b"]
    assert unexpected_failures([], {"a": "why"}) == []


def test_every_known_failure_is_a_story_with_a_reason() -> None:
    root = Path(__file__).resolve().parent.parent
    names = {
        story["story"]
        for path in STORY_FILES
        for story in yaml.safe_load((root / path).read_text(encoding="utf-8"))["stories"]
    }
    known = known_failures()
    assert set(known) <= names
    assert all(str(reason).strip() for reason in known.values())
