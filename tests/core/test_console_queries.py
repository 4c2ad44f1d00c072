"""The staff console's queries on SQLite: Rasa's own SQLTrackerStore rows and inserted rows."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from actions.core import console_queries as q
from actions.core.feedback import FeedbackRepository, FeedbackVote
from actions.core.knowledge import KnowledgeBase
from actions.core.repository import AssessmentRepository, make_engine
from actions.core.settings import facts_path
from actions.core.tables import AssessmentRecord

DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc).timestamp()
DAY2 = datetime(2026, 3, 5, 9, 30, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'console.db'}")
    yield engine
    engine.dispose()


def user(text, intent, confidence, channel="rest", at=DAY1):
    return (
        "user",
        at,
        intent,
        {
            "event": "user",
            "timestamp": at,
            "text": text,
            "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "text": text},
        },
    )


def bot(text, at=DAY1, buttons=None):
    return ("bot", at, None, {"event": "bot", "timestamp": at, "text": text, "data": {"buttons": buttons}})


def slot(name, value, at=DAY1):
    return ("slot", at, None, {"event": "slot", "timestamp": at, "name": name, "value": value})


def insert(engine, sender, events) -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("type_name", sa.String(255)),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        for type_name, at, intent, data in events:
            connection.execute(
                table.insert().values(
                    sender_id=sender,
                    type_name=type_name,
                    timestamp=at,
                    intent_name=intent,
                    data=json.dumps(data),
                )
            )


@pytest.fixture
def filled(engine):
    insert(
        engine,
        "alice",
        [
            slot("language", "en"),
            user("How long is the permit valid?", "ask_permit_duration", 0.98),
            bot("The IMP+ work permit is valid for 3 years"),
            user("blorp zzz", "nlu_fallback", 0.6),
            bot("Sorry, I did not get that", buttons=[{"title": "Fees", "payload": "/ask_fees"}]),
        ],
    )
    insert(
        engine,
        "bob",
        [
            slot("language", "fr", at=DAY2),
            user("Blorp   ZZZ", "greet", 0.41, channel="telegram", at=DAY2),
            user("/greet", "greet", 1.0, channel="telegram", at=DAY2 + 5),
            user("combien ça coûte?", "ask_fees", 0.93, channel="telegram", at=DAY2 + 10),
        ],
    )
    return engine


def senders(rows):
    return [row.sender_id for row in rows]


def test_conversations_summary_latest_first(filled) -> None:
    rows = q.list_conversations(filled, q.ConversationFilter())
    assert senders(rows) == ["bob", "alice"]
    bob, alice = rows
    assert (alice.channels, alice.language, alice.user_messages) == (["rest"], "en", 2)
    assert (bob.channels, bob.language, bob.user_messages) == (["telegram"], "fr", 3)
    assert bob.first_at == q.to_datetime(DAY2) and bob.last_at == q.to_datetime(DAY2 + 10)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (q.ConversationFilter(since=date(2026, 3, 3)), ["bob"]),
        (q.ConversationFilter(until=date(2026, 3, 2)), ["alice"]),
        (q.ConversationFilter(since=date(2026, 3, 2), until=date(2026, 3, 2)), ["alice"]),
        (q.ConversationFilter(since=date(2026, 3, 6)), []),
        (q.ConversationFilter(channel="TELEGRAM"), ["bob"]),
        (q.ConversationFilter(language="en"), ["alice"]),
        (q.ConversationFilter(text="ça coûte"), ["bob"]),
        (q.ConversationFilter(text="blorp"), ["bob", "alice"]),
        (q.ConversationFilter(text="permit", language="fr"), []),
        (q.ConversationFilter(limit=1), ["bob"]),
    ],
)
def test_conversation_filters(filled, criteria, expected) -> None:
    assert senders(q.list_conversations(filled, criteria)) == expected


def test_transcript_in_order_with_times_and_buttons(filled) -> None:
    lines = q.transcript(filled, "alice")
    assert [(line.role, line.text) for line in lines] == [
        ("user", "How long is the permit valid?"),
        ("bot", "The IMP+ work permit is valid for 3 years"),
        ("user", "blorp zzz"),
        ("bot", "Sorry, I did not get that\n[Fees]"),
    ]
    assert lines[0].intent == "ask_permit_duration" and lines[0].confidence == pytest.approx(0.98)
    assert lines[0].at == q.to_datetime(DAY1)
    assert q.transcript(filled, "nobody") == []


def test_not_understood_grouped_by_lower_cased_text(filled) -> None:
    rows = q.not_understood(filled)
    assert [(row.text, row.count, row.conversations) for row in rows] == [("blorp zzz", 2, 2)]
    assert rows[0].intents == ("greet", "nlu_fallback")
    assert rows[0].last_at == q.to_datetime(DAY2)
    # a higher threshold also lists the 0.93 message; payloads ("/greet") never count
    texts = [row.text for row in q.not_understood(filled, threshold=0.95)]
    assert texts == ["blorp zzz", "combien ça coûte?"]
    assert q.not_understood(filled, since=date(2026, 3, 4))[0].count == 1


def test_empty_database_gives_empty_pages(engine) -> None:
    assert q.list_conversations(engine, q.ConversationFilter()) == []
    assert q.transcript(engine, "x") == []
    assert q.not_understood(engine) == []
    assert q.verdicts_per_day(engine) == []
    assert q.latest_assessments(engine) == []
    assert q.votes_per_fact(engine) == []
    assert q.channels_and_languages(engine) == ([], [])


def test_channels_and_languages(filled) -> None:
    assert q.channels_and_languages(filled) == (["rest", "telegram"], ["en", "fr"])


def test_verdicts_per_day_and_latest(engine) -> None:
    repository = AssessmentRepository(engine)
    repository.create_schema()
    for conversation, verdict in [("a", "eligible"), ("b", "not_eligible"), ("c", "eligible")]:
        repository.add(conversation, {}, verdict, [])
    with engine.begin() as connection:
        connection.execute(
            sa.update(AssessmentRecord)
            .where(AssessmentRecord.conversation_id == "a")
            .values(created_at=datetime(2026, 1, 1, 23, 0, tzinfo=timezone.utc))
        )
    today = datetime.now(timezone.utc).date()
    per_day = q.verdicts_per_day(engine)
    assert [(row.day, row.verdict, row.count) for row in per_day] == [
        (date(2026, 1, 1), "eligible", 1),
        (today, "eligible", 1),
        (today, "not_eligible", 1),
    ]
    latest = q.latest_assessments(engine, limit=2)
    assert [(row.conversation_id, row.verdict) for row in latest] == [
        ("c", "eligible"),
        ("b", "not_eligible"),
    ]
    assert latest[0].created_at.tzinfo is not None


def test_votes_per_fact(engine) -> None:
    repository = FeedbackRepository(engine)
    repository.create_schema()
    for fact, helpful in [("fees", True), ("fees", False), ("fees", True), ("cap", False)]:
        repository.add(FeedbackVote("s1", fact, helpful))
    votes = q.votes_per_fact(engine)
    assert [(v.fact_id, v.yes, v.no, v.total) for v in votes] == [("fees", 2, 1, 3), ("cap", 0, 1, 1)]
    assert votes[0].share_yes == pytest.approx(2 / 3) and votes[1].share_yes == 0


def test_answer_for_a_fact_and_for_anything_else() -> None:
    knowledge = KnowledgeBase.load(facts_path())
    answer = q.answer_for(knowledge, "ask_permit_duration", 0.97)
    assert answer.fact_id == "permit_duration"
    assert "3 years" in answer.text and "Sources:" in answer.text
    assert answer.sources and answer.as_of
    french = q.answer_for(knowledge, "ask_permit_duration", 0.97, "fr")
    assert "3 ans" in french.text
    unknown = q.answer_for(knowledge, "nlu_fallback", 0.3)
    assert unknown.fact_id is None and unknown.sources == ()
    assert unknown.text == knowledge.render_dont_know()


def test_rows_written_by_rasas_sql_tracker_store(tmp_path) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    path = tmp_path / "rasa.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    events = [
        SlotSet("language", "fr", timestamp=DAY1),
        UserUttered(
            "qwxz plop",
            intent={"name": "nlu_fallback", "confidence": 0.6},
            parse_data={"intent": {"name": "nlu_fallback", "confidence": 0.6}, "entities": []},
            input_channel="socketio",
            timestamp=DAY1 + 1,
        ),
        BotUttered("Désolé", timestamp=DAY1 + 2),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("carol", events)))
    engine = make_engine(f"sqlite:///{path}")
    try:
        [row] = q.list_conversations(engine, q.ConversationFilter(channel="socketio", language="fr"))
        assert (row.sender_id, row.user_messages) == ("carol", 1)
        assert [(line.role, line.text) for line in q.transcript(engine, "carol")] == [
            ("user", "qwxz plop"),
            ("bot", "Désolé"),
        ]
        assert [r.text for r in q.not_understood(engine)] == ["qwxz plop"]
    finally:
        engine.dispose()


def test_answer_to_a_parse_result_of_the_model() -> None:
    knowledge = KnowledgeBase.load(facts_path())
    parsed = {"text": "fees?", "intent": {"name": "ask_fees", "confidence": 0.93}}
    assert q.answer_to(parsed, knowledge, "fr") == q.answer_for(knowledge, "ask_fees", 0.93, "fr")
    assert q.answer_to(parsed, knowledge).checked == knowledge.facts["fees"].checked
    nothing = q.answer_to({"text": "?"}, knowledge)
    assert nothing.fact_id is None and nothing.confidence == 0.0 and nothing.intent == ""


def test_not_understood_report_counts_the_top_messages_per_day(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        day3 = datetime(2026, 3, 6, 23, 59, tzinfo=timezone.utc).timestamp()
        insert(
            engine,
            "carol",
            [
                user("Blorp zzz", "nlu_fallback", 0.2, at=DAY1),
                user("blorp  ZZZ", "greet", 0.3, at=DAY1 + 60),
                user("qwxz", "nlu_fallback", 0.1, at=DAY2),
                user("blorp zzz", "nlu_fallback", 0.1, at=day3),
                user("fine thanks", "greet", 0.99, at=DAY2),
                user("/greet", "greet", 0.1, at=DAY2),
            ],
        )
        insert(
            engine, "dave", [user("plonk", "nlu_fallback", 0.4, at=DAY2), user("qwxz", "greet", 0.5, at=day3)]
        )
        report = q.not_understood_report(engine, top=2)
        assert [(row.text, row.count) for row in report.rows] == [("blorp zzz", 3), ("qwxz", 2), ("plonk", 1)]
        assert [(d.text, d.day, d.count) for d in report.per_day] == [
            ("blorp zzz", date(2026, 3, 2), 2),
            ("blorp zzz", date(2026, 3, 6), 1),
            ("qwxz", date(2026, 3, 5), 1),
            ("qwxz", date(2026, 3, 6), 1),
        ]
        assert report.rows == q.not_understood(engine)
        since = q.not_understood_report(engine, since=date(2026, 3, 5), until=date(2026, 3, 5))
        assert [(d.text, d.day, d.count) for d in since.per_day] == [
            ("plonk", date(2026, 3, 5), 1),
            ("qwxz", date(2026, 3, 5), 1),
        ]
        assert q.not_understood_report(engine, top=0).per_day == []
    finally:
        engine.dispose()


def test_not_understood_report_without_events(engine) -> None:
    assert q.not_understood_report(engine) == q.NotUnderstoodReport([], [])
