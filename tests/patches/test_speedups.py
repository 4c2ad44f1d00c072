"""rasa_plugins.patches.speedups: the same answers as Rasa's code, without its per-call overheads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema.validators
import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from actions.core.settings import PROJECT_ROOT
from rasa_plugins import patches
from rasa_plugins.patches import speedups
from tests.assistant import LoadedAgent, free_port, in_process_assistant, play

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
RULE_ONLY = {"rule_only_slots": ["verdict"], "rule_only_loops": []}


# The registry's entries of patches.speedups (graph_runner, tf_predict, gc_freeze: their own tests).
SPEEDUPS = [patch for patch in patches.PATCHES if patch.replacement.startswith(f"{speedups.__name__}.")]


def set_rasa_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's own code for everything speedups patches (undone after the test)."""
    for patch in SPEEDUPS:
        monkeypatch.setattr(*patches.owner_and_attribute(patch), patches.original(patch))


def set_speedups(monkeypatch: pytest.MonkeyPatch) -> None:
    """speedups' versions (undone after the test)."""
    for patch in SPEEDUPS:
        monkeypatch.setattr(*patches.owner_and_attribute(patch), patches.replacement(patch))


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    set_speedups(monkeypatch)


def remote_action() -> RemoteAction:
    return RemoteAction("action_answer_fact", None)


# --- wiring -----------------------------------------------------------------------------------


def test_the_registry_lists_every_speedup() -> None:
    """rasa_plugins/patches installs them (tests/patches/test_patches.py): all five, as speed patches."""
    assert {patch.replacement.rsplit(".", 1)[1] for patch in SPEEDUPS} == {
        "_validate_action_result",
        "_resolve_by_type",
        "_request",
        "_session",
        "_past_states",
    }
    assert all(patch.kind is patches.Kind.SPEED for patch in SPEEDUPS)


# --- action server answers ---------------------------------------------------------------------


def test_valid_answers_pass_without_checking_the_schema_each_time(
    installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = remote_action()
    answer = {"events": [{"event": "slot", "name": "language", "value": "fr"}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(answer) is True
    checks = []
    original = jsonschema.validators.Draft202012Validator.check_schema
    monkeypatch.setattr(
        jsonschema.validators.Draft202012Validator,
        "check_schema",
        classmethod(lambda cls, schema: checks.append(1) or original(schema)),
    )
    for _ in range(5):
        assert action._validate_action_result(answer) is True
    assert checks == []


@pytest.mark.parametrize(
    "answer",
    [
        {"events": "not a list"},
        {"events": [{"no_event_key": 1}]},
        {"events": [{"event": "slot", "name": "language", "timestamp": "noon"}]},
    ],
)
def test_invalid_answers_fail_with_rasas_error(installed: None, answer: dict) -> None:
    with pytest.raises(ValidationError) as ours:
        remote_action()._validate_action_result(answer)
    with pytest.raises(ValidationError) as rasas:
        speedups._rasa_validate_action_result(remote_action(), answer)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def event_samples() -> list[Any]:
    """Events as an action server may send them: every kind Rasa knows, valid and broken."""
    from rasa.shared.core.events import (
        ActionExecutionRejected,
        AllSlotsReset,
        ConversationPaused,
        ConversationResumed,
        EntitiesAdded,
        LoopInterrupted,
        ReminderCancelled,
        ReminderScheduled,
        Restarted,
        UserUtteranceReverted,
    )

    valid = [
        SlotSet("language", "fr"),
        SlotSet("residence", None),
        ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
        UserUttered(
            "salut",
            {"name": "greet", "confidence": 0.9},
            [{"entity": "e", "value": "v", "start": 0, "end": 5}],
        ),
        BotUttered(
            "Bonjour", {"buttons": [{"title": "oui", "payload": "/affirm"}]}, {"utter_action": "utter_greet"}
        ),
        ActiveLoop("eligibility_form"),
        ActiveLoop(None),
        FollowupAction("action_listen"),
        SessionStarted(),
        Restarted(),
        AllSlotsReset(),
        ConversationPaused(),
        ConversationResumed(),
        UserUtteranceReverted(),
        ActionExecutionRejected("eligibility_form"),
        LoopInterrupted(True),
        EntitiesAdded([{"entity": "location", "value": "Lyon"}]),
        ReminderScheduled("greet", datetime_now()),
        ReminderCancelled(name="r"),
    ]
    samples: list[Any] = [event.as_dict() for event in valid]
    for data in list(samples):
        samples += [
            {**data, "timestamp": "noon"},
            {**data, "metadata": "none"},
            {**data, "event": 5},
            {**data, "event": "no_such_event"},
            {key: value for key, value in data.items() if key != "event"},
            {**data, "name": 5},
            {key: value for key, value in data.items() if key != "value"},
            {**data, "entities": "Lyon"},
            {**data, "parse_data": {"intent": {"name": 3}}},
            {**data, "confidence": "high"},
            {**data, "hide_rule_turn": "yes"},
        ]
    broken = [[], "slot", None, 3, {"event": "form", "name": "f"}, {"event": "user", "parse_data": []}]
    return [*samples, *broken]


def datetime_now() -> Any:
    """A fixed moment."""
    import datetime

    return datetime.datetime(2026, 11, 26, 12, 0)


def test_answers_are_judged_as_by_the_whole_schema_one_event_type_at_a_time() -> None:
    schema = RemoteAction.action_response_format_spec()
    whole = jsonschema.validators.validator_for(schema)(schema)
    ours = speedups._AnswerValidator(schema)
    assert len(ours.by_type) == 23  # each event checked against its own branch only
    samples = event_samples()
    answers: list[Any] = [{"events": [sample]} for sample in samples]
    answers += [{"events": samples[:4]}, {"events": [*samples[:4], samples[-1]]}, {"events": []}, {}]
    answers += [{"responses": [{"text": "hi"}]}, {"responses": [1]}, {"responses": "hi"}, {"events": "x"}]
    answers += [[], "answer", None, {"events": [samples[0]], "responses": [{"text": "x"}], "extra": 1}]
    verdicts = [(ours.is_valid(answer), whole.is_valid(answer)) for answer in answers]
    assert all(mine == theirs for mine, theirs in verdicts), [
        answer for answer, (mine, theirs) in zip(answers, verdicts, strict=True) if mine != theirs
    ]
    assert sum(theirs for _, theirs in verdicts) > 30 and sum(not theirs for _, theirs in verdicts) > 100


def test_an_unexpected_schema_is_checked_whole() -> None:
    schema = {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}}
    ours = speedups._AnswerValidator(schema)
    assert ours.by_type == {}
    assert ours.is_valid({"events": [{}]}) and not ours.is_valid({"events": [1]})


def test_event_types_resolve_as_in_rasa(installed: None) -> None:
    for cls in all_subclasses(Event):
        if getattr(cls, "type_name", None):
            assert Event.resolve_by_type(cls.type_name) is speedups._rasa_resolve_by_type(cls.type_name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


# --- calls to the action server ----------------------------------------------------------------

VALID = {
    "events": [
        {"event": "slot", "name": "residence", "value": "abroad"},
        {"event": "active_loop", "name": None},
        {"event": "followup", "name": "action_listen"},
    ],
    "responses": [{"text": "hello", "buttons": [{"title": "a", "payload": "/greet"}]}],
}


class FakeActionServer:
    """An action server on loopback whose answer the test chooses; it notes each client port."""

    def __init__(self, port: int) -> None:
        self.answer: tuple[int, Any] = (200, VALID)
        self.peers: set[int] = set()
        self.bodies: list[dict] = []
        self.raw_bodies: list[str] = []
        self.runner: web.AppRunner | None = None
        self.port = port

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.peers.add(request.transport.get_extra_info("peername")[1])
        self.raw_bodies.append(await request.text())
        self.bodies.append(json.loads(self.raw_bodies[-1]))
        status, body = self.answer
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/webhook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return f"http://127.0.0.1:{self.port}/webhook"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


def outcome(result: Any) -> Any:
    """What a run of RemoteAction gave: the events (class and content) or the error."""
    if isinstance(result, BaseException):
        return ("error", type(result), str(result))
    return [(type(event), event.as_dict() | {"timestamp": None}) for event in result]


async def run_calls(answers: list[tuple[int, Any]], port: int) -> tuple[list[Any], FakeActionServer]:
    """Each answer once through RemoteAction.run, then one call with the server gone."""
    server = FakeActionServer(port)
    endpoint = EndpointConfig(url=await server.start())
    tracker = DialogueStateTracker("tester", DOMAIN.slots)
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)

    async def call() -> Any:
        try:
            action = RemoteAction("action_answer_fact", endpoint)
            return await action.run(CollectingOutputChannel(), nlg, tracker, DOMAIN)
        except (RasaException, ValidationError) as error:
            return error

    results: list[Any] = []
    for answer in answers:
        server.answer = answer
        results.append(await call())
    await server.stop()
    results.append(await call())
    return results, server


ANSWERS = [
    (200, VALID),
    (200, VALID),
    (200, {"events": [{"event": "slot", "name": "residence", "timestamp": "noon"}]}),
    (200, {"events": [{"event": "no such event"}]}),
    (400, {"action_name": "action_answer_fact", "error": "rejected"}),
    (500, "boom"),
    (200, "not json"),
    (200, VALID),
]


def test_action_calls_give_rasas_events_and_errors_on_one_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    set_rasa_as_shipped(monkeypatch)
    port = free_port()
    shipped, shipped_server = asyncio.run(run_calls(ANSWERS, port))
    set_speedups(monkeypatch)
    sessions: list[int] = []
    original_init = aiohttp.ClientSession.__init__

    def counting_init(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        sessions.append(1)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", counting_init)
    ours, our_server = asyncio.run(run_calls(ANSWERS, port))

    assert [outcome(r) for r in ours] == [outcome(r) for r in shipped]
    kinds = [outcome(r)[0] if isinstance(r, BaseException) else "events" for r in ours]
    assert kinds == ["events", "events", *["error"] * 5, "events", "error"]
    assert [type(e) for e in ours[0]] == [BotUttered, SlotSet, ActiveLoop, FollowupAction]
    assert isinstance(ours[4], ActionExecutionRejection) and isinstance(ours[2], ValidationError)
    assert "Couldn't connect" in str(ours[-1])
    assert our_server.bodies == shipped_server.bodies  # the same requests
    assert all(
        raw == json.dumps(body)
        for raw, body in zip(shipped_server.raw_bodies, shipped_server.bodies, strict=True)
    )
    assert all(
        raw == speedups._dumps(body)
        for raw, body in zip(our_server.raw_bodies, our_server.bodies, strict=True)
    )
    # Rasa opens a connection per call; speedups one session, one connection for them all
    assert len(shipped_server.peers) == len(ANSWERS)
    assert len(our_server.peers) == 1 and len(sessions) == 1


def test_action_requests_are_encoded_by_ujson_as_json_would_read_them() -> None:
    tracker = DialogueStateTracker.from_events(
        "tester",
        [
            UserUttered(
                "Est-ce que je suis admissible? </script> \u202e 🙂 \ud800", {"name": "ask_eligibility"}
            ),
            SlotSet("residence", "outside_quebec"),
            ActiveLoop("eligibility_form"),
        ],
        slots=DOMAIN.slots,
    )
    odd = {"float": 0.1 + 0.2, "big": -(2**70), "keys": {1: "a", None: "b", 1.5: "c"}, "inf": float("inf")}
    state = tracker.current_state(EventVerbosity.ALL) | odd
    encoded = speedups._dumps(state)
    assert encoded != json.dumps(state)  # ujson's compact form, not json's
    assert json.loads(encoded) == json.loads(json.dumps(state))
    with pytest.raises(TypeError):  # what json refuses, ujson refuses
        speedups._dumps({"not json": {1, 2}})


def test_the_session_is_closed_with_its_event_loop_and_remade_in_the_next(installed: None) -> None:
    async def call(endpoint: EndpointConfig) -> aiohttp.ClientSession:
        server = FakeActionServer(free_port())
        endpoint.url = await server.start()
        await endpoint.request(json={"next_action": "x"}, method="post")
        session = endpoint.__dict__[speedups._KEPT][1]
        await server.stop()
        return session

    endpoint = EndpointConfig(url="http://127.0.0.1:1/webhook")
    first = asyncio.run(call(endpoint))
    assert first.closed
    second = asyncio.run(call(endpoint))
    assert second is not first and second.closed


def test_a_session_outside_request_is_rasas_own(installed: None) -> None:
    async def outside() -> bool:
        async with EndpointConfig(url="http://127.0.0.1:1/").session() as session:
            return isinstance(session, aiohttp.ClientSession) and not isinstance(
                session.cookie_jar, aiohttp.DummyCookieJar
            )

    assert asyncio.run(outside())


def test_the_endpoint_sends_the_domain_only_to_actions_that_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """endpoints.yml: selective domain; only validate_eligibility_form needs it (forms' slots)."""
    monkeypatch.setenv("IMP_ACTION_ENDPOINT", "http://127.0.0.1:5055/webhook")
    endpoint = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint is not None and endpoint.url == "http://127.0.0.1:5055/webhook"
    tracker = DialogueStateTracker("tester", DOMAIN.slots)
    sent = {
        name: "domain" in RemoteAction(name, endpoint)._action_call_format(tracker, DOMAIN)
        for name in DOMAIN.user_actions
    }
    assert sent.pop("validate_eligibility_form") is True
    assert sent and not any(sent.values())
    # the project's actions read the domain only in the form validation
    sources = "".join(path.read_text() for path in (PROJECT_ROOT / "actions").glob("*.py"))
    assert sources.count("domain_slots(domain)") == 1
    assert "domain[" not in sources and "domain.get(" not in sources


# --- dialogue states ---------------------------------------------------------------------------


def user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9}, parse_data={"text": text})


def conversation_events() -> list[Event]:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        user("hello", "greet"),
        ActionExecuted("utter_greet"),
        BotUttered("hi"),
        ActionExecuted("action_listen"),
        user("am I eligible?", "check_eligibility"),
        ActionExecuted("eligibility_form"),
        ActiveLoop("eligibility_form"),
        SlotSet("requested_slot", "residence"),
        ActionExecuted("action_listen"),
        user("I live in Lyon", "inform"),
        SlotSet("residence", "abroad"),
        ActionExecuted("eligibility_form", hide_rule_turn=True),
        SlotSet("requested_slot", "csq_program"),
    ]


ARGUMENTS = [
    {},
    {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY},
    {"ignore_rule_only_turns": False, "rule_only_data": RULE_ONLY},
    {"omit_unset_slots": True},
]


def test_past_states_are_rasas_and_computed_once_per_tracker_and_events(
    installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[int] = []
    original = Domain.states_for_tracker_history

    def counting(self: Domain, tracker: DialogueStateTracker, *args: Any, **kwargs: Any) -> list:
        computed.append(len(tracker.events))
        return original(self, tracker, *args, **kwargs)

    monkeypatch.setattr(Domain, "states_for_tracker_history", counting)
    tracker = DialogueStateTracker.from_events("s", conversation_events(), DOMAIN.slots)
    for _ in range(3):
        for arguments in ARGUMENTS:
            states = tracker.past_states(DOMAIN, **arguments)
            assert states == speedups._rasa_past_states(tracker, DOMAIN, **arguments)
            states[-1].clear()  # callers change what they get (featurizers pop the user text)
            states.append({})
    assert len(computed) == 3 * len(ARGUMENTS) + len(ARGUMENTS)  # Rasa's checks + one each
    computed.clear()
    tracker.update(ActionExecuted("action_listen"))  # a new event: computed again
    assert tracker.past_states(DOMAIN) == speedups._rasa_past_states(tracker, DOMAIN)
    changed = {"rule_only_slots": ["verdict", "residence"], "rule_only_loops": []}
    assert tracker.past_states(DOMAIN, rule_only_data=changed) == speedups._rasa_past_states(
        tracker, DOMAIN, rule_only_data=changed
    )
    other_domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    assert tracker.past_states(other_domain) == speedups._rasa_past_states(tracker, other_domain)
    assert len(computed) == 2 * 3


def test_past_states_follow_replaced_events_and_leave_training_trackers_alone(
    installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = DialogueStateTracker.from_events("s", conversation_events(), DOMAIN.slots)
    before = tracker.past_states(DOMAIN)
    # same number of events, one of them different: not the cached answer
    tracker.events[3] = user("thanks", "thank")
    assert tracker.past_states(DOMAIN) == speedups._rasa_past_states(tracker, DOMAIN) != before
    training = TrackerWithCachedStates.from_events("t", conversation_events(), DOMAIN.slots, domain=DOMAIN)
    assert speedups._past_states(training, DOMAIN) == speedups._rasa_past_states(training, DOMAIN)
    training.past_states(DOMAIN)
    assert speedups._STATES not in training.__dict__


# --- with the trained model: the assistant answers the same as Rasa as shipped ------------------

CONVERSATION = [
    "hello",
    "what is IMP+?",
    "am I eligible for IMP+?",
    "I live in Lyon",
    "how much does it cost?",
    "yes, through the PRTQ",
    "yes it is",
    "yes I got it",
    "I haven't applied yet",
    "bonjour",
    "est-ce que je suis admissible?",
    "j'habite à Montréal",
    "oui, avec le PEQ",
    "stop",
    "in English please",
    "check my eligibility",
    "I live in Toronto",
    "start over",
    "what is the weather in Paris?",
    "bye",
]


def behaviour(events: list[dict]) -> list[tuple]:
    """What the assistant did: intents, actions, slots, loops and the texts it sent."""
    kept = []
    for event in events:
        kind = event["event"]
        if kind == "action":
            kept.append(("action", event["name"]))
        elif kind == "slot":
            kept.append(("slot", event["name"], json.dumps(event["value"])))
        elif kind == "active_loop":
            kept.append(("loop", event["name"]))
        elif kind == "user":
            kept.append(("user", event["text"], event["parse_data"]["intent"]["name"]))
        elif kind == "bot":
            kept.append(("bot", event["text"], json.dumps(event["data"], sort_keys=True)))
    return kept


@pytest.mark.e2e
def test_the_assistant_answers_the_same_as_rasa_as_shipped(
    loaded_agent: LoadedAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    action_url = loaded_agent.action_url
    monkeypatch.setenv("IMP_ACTION_ENDPOINT", action_url)
    selective = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "action_endpoint")
    assert selective is not None and selective.kwargs.get("enable_selective_domain") is True
    sent_domain: dict[str, set[bool]] = {}
    original_format = RemoteAction._action_call_format

    def noting_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict:
        body = original_format(self, tracker, domain)
        sent_domain.setdefault(self.name(), set()).add("domain" in body)
        return body

    monkeypatch.setattr(RemoteAction, "_action_call_format", noting_format)

    agent, store = in_process_assistant(loaded_agent, tmp_path / "speedups.db")

    def talk(sender: str, endpoint: EndpointConfig) -> tuple[list[list[dict]], list[dict]]:
        agent.action_endpoint = agent.processor.action_endpoint = endpoint  # type: ignore[union-attr]
        return play(agent, store, CONVERSATION, sender)

    set_rasa_as_shipped(monkeypatch)
    shipped_replies, shipped_events = talk("shipped", EndpointConfig(url=action_url))
    assert all(sent == {True} for sent in sent_domain.values())
    sent_domain.clear()
    set_speedups(monkeypatch)
    our_replies, our_events = talk("speedups", selective)
    store.engine.dispose()

    assert our_replies == shipped_replies
    assert behaviour(our_events) == behaviour(shipped_events)
    assert len(our_replies) == len(CONVERSATION) and all(our_replies)
    assert ("loop", "eligibility_form") in behaviour(our_events)  # the form ran, with its validation
    assert sent_domain.pop("validate_eligibility_form") == {True}
    assert sent_domain and all(sent == {False} for sent in sent_domain.values())
