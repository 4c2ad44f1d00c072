"""Play one long conversation in-process (no HTTP) so that a profiler can see where a turn goes.

    .venv/bin/py-spy record --format raw -r 100 -o var/profile.txt -- \\
        .venv/bin/python bench/profile_turns.py assistant --turns 300 --profile-from 250 \\
        --database sqlite:///var/profile.db --action-url http://127.0.0.1:5055/webhook
    .venv/bin/python bench/profile_turns.py summary var/profile.txt

`baseline` needs --model (a `rasa init` bot's model) and keeps the conversation in memory;
`assistant` uses the model of scripts/train.sh, the project's SQL tracker store (windowed
unless IMP_TRACKER_WINDOW_TURNS=0), endpoints.yml's action endpoint (on --action-url), a running
action server and rasa_plugins.patches as wired (`--without session,past_states` or `--without
all` puts Rasa's own code back for those speed patches, to measure each). Only the turns from
--profile-from on run inside `profiled_turn`, so `summary` counts only their samples.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.conversations import ASSISTANT_CONVERSATIONS, BASELINE_CONVERSATIONS, long_conversation  # noqa: E402
from rasa_plugins import patches  # noqa: E402

MARK = "profiled_turn"


async def profiled_turn(agent: object, message: str, sender: str) -> None:
    """One turn whose samples `summary` counts."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    await agent.handle_message(UserMessage(message, CollectingOutputChannel(), sender))  # type: ignore[attr-defined]


async def plain_turn(agent: object, message: str, sender: str) -> None:
    """One turn that `summary` ignores."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    await agent.handle_message(UserMessage(message, CollectingOutputChannel(), sender))  # type: ignore[attr-defined]


# What `--without` can turn back into Rasa as shipped: the speed patches of rasa_plugins/patches/__init__.py
# (by name; "session" is EndpointConfig.request and .session) and endpoints.yml's selective domain.
WITHOUT = (
    *dict.fromkeys(patch.name for patch in patches.entries(kind=patches.Kind.SPEED)),
    "selective_domain",
)


def restore_rasa(names: list[str]) -> None:
    """Put Rasa's own code back for the named speed patches ("all": every one)."""
    patches.uninstall([name for name in names if name != "selective_domain"])


def play(args: argparse.Namespace) -> None:
    """Load the bot, play the conversation, print the median latency per block of 50 turns."""
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.INFO)  # as `rasa run` does: debug entries are dropped early

    if args.bot == "assistant":
        from rasa.utils.endpoints import read_endpoint_config

        from rasa_plugins.stores.tracker_store import EnvSQLTrackerStore

        store = EnvSQLTrackerStore(host=args.database)  # installs rasa_plugins.patches, as in `rasa run`
        restore_rasa(args.without)
        os.environ["IMP_ACTION_ENDPOINT"] = args.action_url
        action_endpoint = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
        if "selective_domain" in args.without:
            action_endpoint = EndpointConfig(url=args.action_url)

        model = (
            args.model
            or subprocess.run(  # noqa: S603 (a fixed command line)
                ["bash", str(ROOT / "scripts" / "train.sh")],  # noqa: S607
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        agent = Agent.load(
            model,
            tracker_store=store,
            lock_store=InMemoryLockStore(),
            action_endpoint=action_endpoint,
        )
        conversations = ASSISTANT_CONVERSATIONS
    else:
        agent = Agent.load(args.model)
        conversations = BASELINE_CONVERSATIONS
    sender = f"profile-{int(time.time())}"
    latencies: list[float] = []
    cpu: list[float] = []

    async def conversation() -> None:
        for number, message in enumerate(long_conversation(conversations, args.turns)):
            started, started_cpu = time.perf_counter(), time.process_time()
            turn = profiled_turn if number >= args.profile_from else plain_turn
            await turn(agent, message, sender)
            latencies.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)

    asyncio.run(conversation())
    for name, values in (("wall", latencies), ("CPU of this process", cpu)):
        medians = [round(statistics.median(values[i : i + 50])) for i in range(0, len(values) - 49, 50)]
        print(f"median ms per block of 50 turns ({name}): {medians}")
    if args.bot == "assistant":
        from rasa_plugins.patches import graph_runner

        print(f"TED predictions skipped / run: {graph_runner.ted_calls}")


def summary(path: Path, top: int) -> None:
    """Inclusive and self share of each function in the samples taken inside `profiled_turn`."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if MARK not in stack or not count.isdigit():
            continue
        frames = [
            frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0].split("/")[-1] + ")"
            for frame in stack.split(";")
        ]
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    print(f"{total} samples in {MARK}")
    print("\ninclusive:")
    for frame, samples in inclusive.most_common(top):
        print(f"{100 * samples / total:6.1f}%  {frame}")
    print("\nself:")
    for frame, samples in own.most_common(top):
        print(f"{100 * samples / total:6.1f}%  {frame}")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bot", choices=["baseline", "assistant", "summary"])
    parser.add_argument("path", nargs="?", help="summary: the py-spy raw output")
    parser.add_argument("--model")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--profile-from", type=int, default=250)
    parser.add_argument("--database", default=f"sqlite:///{ROOT / 'var' / 'profile.db'}")
    parser.add_argument("--action-url", default="http://127.0.0.1:5055/webhook")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--without",
        default="",
        help=f"comma-separated speed-ups to turn off, Rasa as shipped for them: {', '.join(WITHOUT)} or all",
    )
    args = parser.parse_args()
    args.without = list(WITHOUT) if args.without == "all" else [n for n in args.without.split(",") if n]
    unknown = set(args.without) - set(WITHOUT)
    if unknown:
        parser.error(f"unknown --without: {', '.join(sorted(unknown))}")
    if args.bot == "summary":
        summary(Path(args.path), args.top)
    else:
        play(args)


if __name__ == "__main__":
    main()
