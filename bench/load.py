"""Simulated users over REST (asyncio + aiohttp): latency per turn, throughput, errors, RSS."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from actions.core.texts import Texts

REQUEST_TIMEOUT = 60.0  # seconds for one turn
# What our assistant answers, in either language, when a turn could not be stored (stores/tracker_store.py).
NOT_SAVED_MESSAGES = frozenset(Texts.load().in_every_language("not_saved").values())


@dataclass
class Turn:
    """One message and its answer."""

    latency: float  # seconds
    ok: bool
    error: str = ""
    silent: bool = False  # answered with no message (the bot chose to say nothing)


@dataclass
class LevelResult:
    """What one load level measured."""

    users: int
    seconds: float
    turns: list[Turn]
    rss_peak: tuple[int, int] = (0, 0)  # (Rasa, actions) bytes
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    cpu_seconds: tuple[float, float, float] = (
        0.0,
        0.0,
        0.0,
    )  # (Rasa, actions, whole machine) during the level

    @property
    def latencies_ms(self) -> list[float]:
        """Latencies of the successful turns, in milliseconds."""
        return [turn.latency * 1000 for turn in self.turns if turn.ok]

    @property
    def errors(self) -> int:
        """Failed turns (HTTP error, timeout, not JSON, "can't save")."""
        return sum(not turn.ok for turn in self.turns)

    @property
    def silent(self) -> int:
        """Turns answered with no message at all (not errors: the bot chose to listen)."""
        return sum(turn.silent for turn in self.turns)

    @property
    def throughput(self) -> float:
        """Answered messages per second."""
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile of the latencies in ms (nearest rank)."""
        values = sorted(self.latencies_ms)
        if not values:
            return float("nan")
        rank = max(0, min(len(values) - 1, round(q / 100 * len(values) + 0.5) - 1))
        return values[rank]

    def cpu_ms_per_message(self, which: int) -> float:
        """CPU ms per answered message of the Rasa server (0), action server (1) or machine (2)."""
        answered = len(self.latencies_ms)
        return round(1000 * self.cpu_seconds[which] / answered, 1) if answered else float("nan")

    def summary(self) -> dict[str, Any]:
        """The figures as a dict (for the JSON report)."""
        return {
            "users": self.users,
            "seconds": round(self.seconds, 2),
            "messages": len(self.turns),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
            "messages_per_s": round(self.throughput, 2),
            "errors": self.errors,
            "silent": self.silent,
            "errors_by_kind": self.errors_by_kind,
            "rasa_cpu_ms_per_msg": self.cpu_ms_per_message(0),
            "actions_cpu_ms_per_msg": self.cpu_ms_per_message(1),
            "machine_cpu_ms_per_msg": self.cpu_ms_per_message(2),
            "busiest_rasa_process_share": round(self.busiest_rasa_share, 3),
            "rasa_rss_mb": round(self.rss_peak[0] / 2**20),
            "actions_rss_mb": round(self.rss_peak[1] / 2**20),
        }


async def say(session: aiohttp.ClientSession, url: str, sender: str, message: str) -> Turn:
    """Send one message; time it until the whole answer is read."""
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": message}) as response:
            body = await response.json(content_type=None)
            latency = time.perf_counter() - started
            if response.status != 200:
                return Turn(latency, False, f"HTTP {response.status}")
    except asyncio.TimeoutError:
        return Turn(time.perf_counter() - started, False, "timeout")
    except (aiohttp.ClientError, ValueError) as error:
        return Turn(time.perf_counter() - started, False, type(error).__name__)
    if not isinstance(body, list):
        return Turn(latency, False, "not a list of messages")
    texts = [reply.get("text") or "" for reply in body if isinstance(reply, dict)]
    if any(text in NOT_SAVED_MESSAGES for text in texts):
        return Turn(latency, False, "not saved")
    return Turn(latency, True, silent=not body)


def new_session() -> aiohttp.ClientSession:
    """An HTTP client session for many simultaneous users on loopback."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=False),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    )


async def run_level(
    url: str,
    users: int,
    duration: float,
    conversations: list[list[str]],
    sender_prefix: str,
    rss: Callable[[], tuple[int, int]],
    max_turns_per_user: int = 5000,
) -> LevelResult:
    """`users` users talk without pause for `duration` seconds (at most `max_turns_per_user`
    messages each); each plays conversations[user % n], then starts a new conversation."""
    turns: list[Turn] = []
    peak = [0, 0]
    deadline = time.monotonic() + duration

    async def user(number: int, session: aiohttp.ClientSession) -> None:
        conversation = conversations[number % len(conversations)]
        sent = 0
        round_number = 0
        while time.monotonic() < deadline and sent < max_turns_per_user:
            sender = f"{sender_prefix}-u{number}-c{round_number}"
            for message in conversation:
                if time.monotonic() >= deadline or sent >= max_turns_per_user:
                    break
                turns.append(await say(session, url, sender, message))
                sent += 1
            round_number += 1

    async def watch_memory() -> None:
        while True:
            rasa_rss, actions_rss = rss()
            peak[0], peak[1] = max(peak[0], rasa_rss), max(peak[1], actions_rss)
            await asyncio.sleep(1.0)

    async with new_session() as session:
        watcher = asyncio.create_task(watch_memory())
        started = time.monotonic()
        await asyncio.gather(*(user(number, session) for number in range(users)))
        elapsed = time.monotonic() - started
        watcher.cancel()
    result = LevelResult(users, elapsed, turns, (peak[0], peak[1]))
    for turn in turns:
        if not turn.ok:
            result.errors_by_kind[turn.error] = result.errors_by_kind.get(turn.error, 0) + 1
    return result


async def run_long_conversation(url: str, sender: str, messages: list[str], time_limit: float) -> list[Turn]:
    """One user sends `messages` in one conversation (stops early after `time_limit` seconds)."""
    deadline = time.monotonic() + time_limit
    turns: list[Turn] = []
    async with new_session() as session:
        for message in messages:
            if time.monotonic() >= deadline:
                break
            turns.append(await say(session, url, sender, message))
    return turns


def block_medians(turns: list[Turn], block: int = 50) -> list[float]:
    """Median latency (ms) of each block of `block` turns (failed turns count as their time)."""
    return [
        statistics.median(turn.latency * 1000 for turn in turns[start : start + block])
        for start in range(0, len(turns) - block + 1, block)
    ]


async def warm_up(url: str, sender: str, messages: list[str]) -> None:
    """A few messages nobody measures (first calls build TensorFlow graphs, open connections)."""
    async with new_session() as session:
        for message in messages:
            await say(session, url, sender, message)
