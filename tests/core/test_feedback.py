"""The feedback votes: strict validation, and the repository on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from actions.core.feedback import FeedbackRepository, FeedbackVote, InvalidFeedback, parse_vote
from actions.core.repository import AssessmentRepository, make_engine

SESSION = "0f8e2a7c4b1d4e6f9a3b5c7d9e1f2a3b"


def test_a_well_formed_vote_is_accepted() -> None:
    vote = parse_vote({"sender_id": SESSION, "fact_id": "permit_duration", "helpful": True})
    assert vote == FeedbackVote(SESSION, "permit_duration", True)
    assert parse_vote({"helpful": False, "fact_id": "cap", "sender_id": "a"}).helpful is False


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "yes",
        42,
        {},
        {"sender_id": SESSION, "fact_id": "cap"},
        {"sender_id": SESSION, "fact_id": "cap", "helpful": True, "extra": 1},
        {"sender_id": SESSION, "fact_id": "cap", "helpful": "true"},
        {"sender_id": SESSION, "fact_id": "cap", "helpful": 1},
        {"sender_id": SESSION, "fact_id": "cap", "helpful": None},
        {"sender_id": 12, "fact_id": "cap", "helpful": True},
        {"sender_id": SESSION, "fact_id": ["cap"], "helpful": True},
        {"sender_id": "", "fact_id": "cap", "helpful": True},
        {"sender_id": SESSION, "fact_id": "", "helpful": True},
        {"sender_id": "s" * 129, "fact_id": "cap", "helpful": True},
        {"sender_id": SESSION, "fact_id": "f" * 65, "helpful": True},
        {"sender_id": "a b", "fact_id": "cap", "helpful": True},
        {"sender_id": SESSION, "fact_id": "<script>", "helpful": True},
        {"sender_id": SESSION, "fact_id": "cap\n", "helpful": True},
        {"sender_id": "x'); DROP TABLE imp_feedback; --", "fact_id": "cap", "helpful": True},
    ],
)
def test_malformed_votes_are_rejected(data: object) -> None:
    with pytest.raises(InvalidFeedback):
        parse_vote(data)


def test_the_longest_allowed_ids_are_accepted() -> None:
    vote = parse_vote({"sender_id": "s" * 128, "fact_id": "f" * 64, "helpful": True})
    assert len(vote.sender_id) == 128 and len(vote.fact_id) == 64


def test_votes_round_trip(database_url: str) -> None:
    repository = FeedbackRepository(make_engine(database_url))
    repository.create_schema()
    repository.create_schema()  # idempotent
    first = repository.add(FeedbackVote(SESSION, "permit_duration", True))
    second = repository.add(FeedbackVote(SESSION, "fees", False))
    repository.add(FeedbackVote("someone-else", "fees", True))
    stored = repository.for_sender(SESSION)
    assert [vote.id for vote in stored] == [first, second]
    assert [(vote.fact_id, vote.helpful) for vote in stored] == [("permit_duration", True), ("fees", False)]
    assert stored[0].created_at is not None
    assert repository.for_sender("nobody") == []
    repository.engine.dispose()


def test_the_table_lives_next_to_the_assessments(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    AssessmentRepository(engine).create_schema()
    FeedbackRepository(engine).create_schema()
    tables = set(sa.inspect(engine).get_table_names())
    assert {"imp_assessments", "imp_feedback"} <= tables
    engine.dispose()
