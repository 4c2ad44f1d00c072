"""The project's benchmark: the IMP+ assistant against a bare `rasa init` bot, in one run.

Usage: .venv/bin/python bench/run.py [--quick] [--train] [--no-speedups-run]   (or `make bench`)

1. Baseline: a `rasa init --no-prompt` bot created and trained in a temp dir (training timed),
   served in memory with one Sanic worker.
2. The assistant (the model of `scripts/train.sh`; with `--train` a forced retrain, timed) on
   SQLite, on PostgreSQL (a fresh database on 127.0.0.1:5432, dropped after) and on PostgreSQL
   with the Redis lock store and 2 Sanic workers, each with its action server; in full mode
   also on PostgreSQL without the project's speed-ups ("no-speedups": the conversation window
   off, the speed patches of rasa_plugins/patches left out with IMP_RASA_PATCHES=off, and the domain
   sent with every action call), to show what they change.
3. For 1, 10 and 50 simulated users (1 and 10 with --quick) talking without pause: latency per
   turn (p50/p95/p99), messages/s, errors, peak RSS of the servers' processes (/proc).
4. One user holding a 300-turn conversation (100 with --quick): median latency per block of 50
   turns, for the baseline and the assistant (on PostgreSQL; in full mode also without the
   speed-ups).
5. Alternating rounds at the top level (3 x 20 s; 2 x 12 s with --quick): the baseline, the
   assistant on PostgreSQL and with 2 workers measured one after the other in each round, the
   order rotated. The machine's speed drifts within minutes, so the throughput targets use the
   median of the rounds' ratios (the load levels' ratio is printed beside it).
6. The targets, each PASS or MISS; the figures also go to results/bench/bench-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.conversations import (  # noqa: E402
    ASSISTANT_CONVERSATIONS,
    BASELINE_CONVERSATIONS,
    long_conversation,
)
from bench.load import (  # noqa: E402
    LevelResult,
    block_medians,
    run_level,
    run_long_conversation,
    warm_up,
)
from bench.servers import (  # noqa: E402
    Process,
    Server,
    busiest_share,
    free_port,
    machine_busy_seconds,
    per_process_cpu,
    start,
    wait_until_up,
)

BIN = Path(sys.executable).parent
RASA = str(BIN / "rasa")
POSTGRES_ADMIN_URL = os.environ.get("IMP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("IMP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
TRAINING_RECORD = ROOT / "bench" / "training_time.json"
START_TIMEOUT = 300.0
TRAIN_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Plan:
    """How much load, for how long."""

    levels: tuple[int, ...]
    seconds: dict[int, float]
    long_turns: int
    long_time_limit: float
    no_speedups_run: bool
    # Alternating rounds at the top level for the throughput targets: (rounds, seconds each).
    paired: tuple[int, float] = (3, 20.0)


FULL = Plan((1, 10, 50), {1: 25.0, 10: 30.0, 50: 40.0}, 300, 420.0, no_speedups_run=True)
QUICK = Plan((1, 10), {1: 12.0, 10: 15.0}, 100, 150.0, no_speedups_run=False, paired=(2, 12.0))
TWO_WORKERS = "assistant-postgresql-redis-2-workers"
NO_SPEEDUPS = "assistant-postgresql-no-speedups"
# Only with --only (a diagnosis: what the Redis lock store costs one worker).
ONE_WORKER_REDIS = "assistant-postgresql-redis-1-worker"
# Only with --only: the bare bot with two workers and Rasa's Redis lock store (the machine's ceiling).
BASELINE_TWO_WORKERS = "baseline-2-workers"
SELECTIVE_DOMAIN_LINE = "  enable_selective_domain: true\n"


def say(text: str) -> None:
    """Progress on stderr (the report goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def base_env(**extra: str) -> dict[str, str]:
    """The environment of every server: the caller's, without the project's server settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("IMP_") and key not in ("SANIC_WORKERS", "PYTHONPATH")
    }
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT), SANIC_WORKERS="1"
    )
    env.update(extra)
    return env


# --- models ---------------------------------------------------------------------------------


def train_baseline(workdir: Path, log_dir: Path) -> tuple[Path, Path, float]:
    """`rasa init --no-prompt` in workdir/bot (it trains the moodbot): (bot dir, model, seconds)."""
    bot = workdir / "bot"
    bot.mkdir()
    started = time.monotonic()
    with open(log_dir / "baseline-train.log", "w") as log:
        subprocess.run(  # noqa: S603 (a fixed command line)
            [RASA, "init", "--no-prompt", "--init-dir", str(bot)],
            cwd=workdir,
            env=base_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=TRAIN_TIMEOUT,
            check=True,
        )
    seconds = time.monotonic() - started
    models = sorted((bot / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"rasa init trained no model; see {log_dir / 'baseline-train.log'}")
    return bot, models[-1], seconds


def our_model(force_train: bool, workdir: Path, log_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The assistant's model and its training time (measured now with --train, else the last known)."""
    if force_train:
        out = workdir / "imp-model"
        started = time.monotonic()
        with open(log_dir / "assistant-train.log", "w") as log:
            subprocess.run(  # noqa: S603 (a fixed command line)
                [
                    *(RASA, "train", "--force", "--config", "config.yml", "--domain", "domain.yml"),
                    *("--data", "data/nlu", "data/rules", "data/stories"),
                    *("--out", str(out), "--fixed-model-name", "imp-assistant-bench"),
                ],
                cwd=ROOT,
                env=base_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=TRAIN_TIMEOUT,
                check=True,
            )
        record = {
            "seconds": round(time.monotonic() - started, 1),
            "date": time.strftime("%Y-%m-%d"),
            "how": "bench/run.py --train (rasa train --force, same arguments as scripts/train.sh)",
        }
        TRAINING_RECORD.write_text(json.dumps(record, indent=2) + "\n")
        return out / "imp-assistant-bench.tar.gz", {**record, "measured_now": True}
    started = time.monotonic()
    training = subprocess.run(  # noqa: S603 (a fixed command line)
        ["bash", str(ROOT / "scripts" / "train.sh")],  # noqa: S607
        cwd=ROOT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=TRAIN_TIMEOUT,
        check=True,
    )
    model = training.stdout.strip()
    took = time.monotonic() - started
    record = json.loads(TRAINING_RECORD.read_text()) if TRAINING_RECORD.exists() else {}
    # A measurement only if this call trained (data or config changed), not if it waited for
    # another caller's training (scripts/train.sh is serialised by a lock).
    if "Training the model" in training.stderr:
        record = {"seconds": round(took, 1), "date": time.strftime("%Y-%m-%d"), "how": "scripts/train.sh"}
        TRAINING_RECORD.write_text(json.dumps(record, indent=2) + "\n")
        return Path(model), {**record, "measured_now": True}
    return Path(model), {**record, "measured_now": False}


# --- databases --------------------------------------------------------------------------------


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new database on the machine's PostgreSQL, dropped afterwards."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    name = f"imp_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A Redis lock store URL with a key prefix of its own; its keys are deleted afterwards."""
    import redis

    prefix = f"bench{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
    client.ping()
    try:
        yield f"{REDIS_URL}?key_prefix={prefix}"
    finally:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()


# --- servers ----------------------------------------------------------------------------------


def start_baseline(bot: Path, model: Path, log_dir: Path, lock_store_url: str | None = None) -> Server:
    """The rasa init bot: `rasa run --enable-api`, in-memory tracker store, one worker.

    With `lock_store_url` (only for --only baseline-2-workers): two Sanic workers sharing Rasa's
    own Redis lock store, the same machine's ceiling for two workers of the bare bot.
    """
    port = free_port()
    name, endpoints, env = "baseline", "endpoints.yml", base_env()
    if lock_store_url is not None:
        name, endpoints, env = BASELINE_TWO_WORKERS, "endpoints-redis.yml", base_env(SANIC_WORKERS="2")
        parts = urlsplit(lock_store_url)
        prefix = dict(parse_qsl(parts.query)).get("key_prefix", "bench")
        (bot / endpoints).write_text(
            f"lock_store:\n  type: redis\n  url: {parts.hostname}\n  port: {parts.port or 6379}\n"
            f"  key_prefix: {prefix}base\n"
        )
    rasa = start(
        f"{name}-rasa",
        [
            *(
                RASA,
                "run",
                "--model",
                str(model),
                "--enable-api",
                f"--auth-token={secrets.token_urlsafe(16)}",
            ),
            *("--interface", "127.0.0.1", "--port", str(port)),
            *("--endpoints", endpoints, "--credentials", "credentials.yml"),
        ],
        bot,
        env,
        log_dir,
    )
    server = Server(name, port, rasa)
    server.started_in = wait_until_up(f"http://127.0.0.1:{port}/", [rasa], START_TIMEOUT)
    return server


def full_domain_endpoints(workdir: Path) -> Path:
    """endpoints.yml without `enable_selective_domain` (Rasa's default: the domain in every call)."""
    text = (ROOT / "endpoints.yml").read_text()
    if SELECTIVE_DOMAIN_LINE not in text:
        raise RuntimeError(f"endpoints.yml has no {SELECTIVE_DOMAIN_LINE.strip()!r} line to leave out")
    path = workdir / "endpoints-full-domain.yml"
    path.write_text(text.replace(SELECTIVE_DOMAIN_LINE, ""))
    return path


def start_assistant(
    name: str, model: Path, log_dir: Path, endpoints: Path, no_speedups: bool = False, **env: str
) -> Server:
    """The action server and the Rasa server with scripts/run.sh's arguments (with `no_speedups`,
    the Rasa server runs without the speed patches: IMP_RASA_PATCHES=off, rasa_plugins/patches)."""
    port, action_port = free_port(), free_port()
    environment = base_env(
        IMP_PORT=str(port),
        IMP_ACTION_PORT=str(action_port),
        IMP_ACTION_ENDPOINT=f"http://127.0.0.1:{action_port}/webhook",
        **env,
    )
    rasa_environment = dict(environment)
    if no_speedups:
        rasa_environment["IMP_RASA_PATCHES"] = "off"  # Rasa's own code; the features stay
    actions = start(
        f"{name}-actions",
        [RASA, "run", "actions", "--actions", "actions", "--port", str(action_port)],
        ROOT,
        environment,
        log_dir,
    )
    rasa = start(
        f"{name}-rasa",
        [
            *(RASA, "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port)),
            *("--endpoints", str(endpoints), "--credentials", "credentials.yml"),
            *(
                "--cors",
                f"http://localhost:{port}",
                "--enable-api",
                f"--auth-token={secrets.token_urlsafe(16)}",  # "=": a token may start with "-"
            ),
        ],
        ROOT,
        rasa_environment,
        log_dir,
    )
    server = Server(name, port, rasa, actions)
    processes: list[Process] = [rasa, actions]
    try:
        started = time.monotonic()
        wait_until_up(f"http://127.0.0.1:{action_port}/health", processes, START_TIMEOUT)
        wait_until_up(f"http://127.0.0.1:{port}/", processes, START_TIMEOUT)
        server.started_in = time.monotonic() - started
    except BaseException:
        server.stop()
        raise
    return server


@dataclass(frozen=True)
class Configuration:
    """One way of serving the assistant."""

    name: str
    env: dict[str, str]
    no_speedups: bool = False
    levels: bool = True
    long: bool = False
    model: Path = Path()
    endpoints: Path = ROOT / "endpoints.yml"

    def starter(self, log_dir: Path) -> Callable[[], Server]:
        """A function that starts it."""
        return lambda: start_assistant(
            self.name, self.model, log_dir, self.endpoints, self.no_speedups, **self.env
        )


def assistant_configurations(
    plan: Plan, model: Path, workdir: Path, postgres_url: str, lock_store_url: str
) -> list[Configuration]:
    """SQLite, PostgreSQL, PostgreSQL + Redis with 2 workers (and the extra runs of the plan)."""
    postgres = {"IMP_DATABASE_URL": postgres_url}
    two_workers = {**postgres, "IMP_LOCK_STORE_URL": lock_store_url, "SANIC_WORKERS": "2"}
    sqlite = {"IMP_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}"}
    configurations = [
        Configuration("assistant-sqlite", sqlite),
        Configuration("assistant-postgresql", postgres, long=True),
        Configuration(TWO_WORKERS, two_workers),
    ]
    configurations.append(
        Configuration(ONE_WORKER_REDIS, {**postgres, "IMP_LOCK_STORE_URL": lock_store_url}, long=False)
    )
    if plan.no_speedups_run:
        no_window = {**postgres, "IMP_TRACKER_WINDOW_TURNS": "0"}
        configurations.append(
            Configuration(
                NO_SPEEDUPS, no_window, no_speedups=True, long=True, endpoints=full_domain_endpoints(workdir)
            )
        )
    return [dataclasses.replace(c, model=model) for c in configurations]


# --- measuring --------------------------------------------------------------------------------


def measure_level(
    server: Server, users: int, seconds: float, conversations: list[list[str]], sender_prefix: str
) -> LevelResult:
    """`users` users for `seconds` on a settled machine, with the CPU the servers and machine used."""
    settle()
    cpu_before = server.cpu()
    processes_before = per_process_cpu(server.rasa.popen.pid)
    result = asyncio.run(run_level(server.url, users, seconds, conversations, sender_prefix, server.rss))
    result.cpu_seconds = tuple(after - before for after, before in zip(server.cpu(), cpu_before, strict=True))  # type: ignore[assignment]
    result.busiest_rasa_share = busiest_share(processes_before, per_process_cpu(server.rasa.popen.pid))
    return result


def measure_levels(server: Server, plan: Plan, conversations: list[list[str]]) -> list[LevelResult]:
    """Every load level of the plan."""
    results = []
    for users in plan.levels:
        say(f"{server.name}: {users} user(s) for {plan.seconds[users]:.0f} s")
        result = measure_level(server, users, plan.seconds[users], conversations, f"{server.name}-{users}")
        say(
            f"  {result.throughput:.1f} msg/s, p50 {result.percentile(50):.0f} ms, "
            f"p95 {result.percentile(95):.0f} ms, errors {result.errors}, CPU ms/msg: "
            f"Rasa {result.cpu_ms_per_message(0)}, actions {result.cpu_ms_per_message(1)}, "
            f"machine {result.cpu_ms_per_message(2)}; "
            f"busiest Rasa process {result.busiest_rasa_share:.0%} of Rasa's CPU"
        )
        results.append(result)
    return results


def measure_paired(
    servers: dict[str, Server], conversations: dict[str, list[list[str]]], plan: Plan
) -> list[dict[str, float]]:
    """Messages/s of each server at the top level, in alternating rounds (order rotated each round).

    This machine's speed drifts by up to a third within minutes (other tenants), so a ratio of
    two figures measured minutes apart can be off either way; within a round the servers are
    measured seconds apart, and the throughput targets use the median of the rounds' ratios.
    """
    users = max(plan.levels)
    rounds, seconds = plan.paired
    names = list(servers)
    figures: list[dict[str, float]] = []
    for number in range(rounds):
        shift = number % len(names)
        measured: dict[str, float] = {}
        notes = []
        for name in names[shift:] + names[:shift]:
            result = measure_level(
                servers[name], users, seconds, conversations[name], f"{name}-r{number}-{users}"
            )
            measured[name] = round(result.throughput, 1)
            notes.append(
                f"{name} {measured[name]} msg/s (CPU ms/msg Rasa {result.cpu_ms_per_message(0)}, "
                f"machine {result.cpu_ms_per_message(2)})"
            )
        say(f"paired round {number + 1}/{rounds}, {users} users: " + "; ".join(notes))
        figures.append(measured)
    return figures


def settle(busy_below: float = 0.15, longest: float = 20.0) -> None:
    """Wait (at most `longest` s) until the machine is nearly idle over one second, so that work
    left over from the previous measurement (PostgreSQL's checkpoints and autovacuum after the
    assistant's writes, a stopping server) is not charged to the next one."""
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        time.sleep(1.0)
        if (machine_busy_seconds() - before) / cores < busy_below:
            return
    say(f"  the machine did not settle below {busy_below:.0%} busy within {longest:.0f} s")


def measure_long(server: Server, plan: Plan, conversations: list[list[str]]) -> list[float]:
    """One user, one conversation of plan.long_turns turns: median ms per block of 50."""
    say(f"{server.name}: one conversation of {plan.long_turns} turns")
    turns = asyncio.run(
        run_long_conversation(
            server.url,
            f"{server.name}-long-{uuid.uuid4().hex[:6]}",
            long_conversation(conversations, plan.long_turns),
            plan.long_time_limit,
        )
    )
    errors = sum(not turn.ok for turn in turns)
    medians = block_medians(turns)
    say(f"  {len(turns)} turns, {errors} errors, block medians (ms): {[round(m) for m in medians]}")
    return medians


# --- report -----------------------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0."""
    return numerator / denominator if denominator else float("nan")


def paired_ratio(rounds: list[dict[str, float]], name: str) -> tuple[float, str] | None:
    """Median over the rounds of name's msg/s / the baseline's, and the rounds' figures as text."""
    pairs = [(r[name], r["baseline"]) for r in rounds if name in r and r.get("baseline")]
    if not pairs:
        return None
    median = statistics.median(ratio(ours, base) for ours, base in pairs)
    rounds_text = ", ".join(f"{ours:.1f} / {base:.1f}" for ours, base in pairs)
    return median, f"median of {len(pairs)} alternating rounds ({rounds_text}) = {median:.2f}x"


def evaluate(results: dict[str, Any], plan: Plan, variant: str) -> list[tuple[str, bool, str]]:
    """The targets as (name, met, figure), for the configurations named with `variant`."""
    top = max(plan.levels)
    rate = {name: levels[-1]["messages_per_s"] for name, levels in results["levels"].items()}
    baseline_rate = rate.get("baseline", 0.0)
    throughput = []
    for name, times, label in (
        (f"assistant-postgresql{variant}", 1.0, "assistant on PostgreSQL"),
        (f"{TWO_WORKERS}{variant}", 1.8, "assistant with 2 workers (PostgreSQL + Redis)"),
    ):
        single = rate.get(name, 0.0)
        level_figure = (
            f"load levels: {single:.1f} / {baseline_rate:.1f} = {ratio(single, baseline_rate):.2f}x"
        )
        paired = paired_ratio(results.get("paired", []), name)
        value = paired[0] if paired else ratio(single, baseline_rate)
        figure = f"{paired[1]}; {level_figure}" if paired else level_figure
        throughput.append(
            (f"{label} >= {times:.1f}x the baseline's msg/s ({top} users)", value >= times, figure)
        )
    one_user = results["levels"].get(f"assistant-postgresql{variant}", [{}])[0].get("p95_ms", float("nan"))
    ours_long = results["long"].get(f"assistant-postgresql{variant}", [])
    growth = ratio(ours_long[-1], ours_long[0]) if len(ours_long) >= 2 else float("nan")
    last_block = f"{50 * (len(ours_long) - 1) + 1}-{50 * len(ours_long)}"
    return [
        *throughput,
        ("assistant p95 for one user <= 100 ms (PostgreSQL)", one_user <= 100, f"{one_user:.0f} ms"),
        (
            f"assistant turns {last_block} <= 1.5x turns 1-50 (median, PostgreSQL)",
            growth <= 1.5,
            f"{growth:.2f}x",
        ),
    ]


def report(results: dict[str, Any], plan: Plan) -> list[tuple[str, bool, str]]:
    """Print the tables and the targets; return the targets as (name, met, figure)."""
    print("\n== Training ==")
    print(f"baseline (rasa init --no-prompt, moodbot): {results['baseline_training_s']:.0f} s")
    ours = results["assistant_training"]
    if ours.get("seconds"):
        when = "measured in this run" if ours.get("measured_now") else f"last known, {ours.get('date')}"
        print(f"assistant: {ours['seconds']:.0f} s ({when}; {ours.get('how', '')})")
    else:
        print("assistant: no figure yet (run with --train)")

    print("\n== Load (users talking without pause; latency per turn) ==")
    header = (
        f"{'configuration':<46}{'users':>6}{'msgs':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'msg/s':>8}{'errors':>7}{'silent':>7}{'rasa MB':>9}{'actions MB':>11}"
        f"{'CPU ms/msg: rasa':>18}{'actions':>8}{'machine':>8}"
    )
    print(header)
    for name, levels in results["levels"].items():
        for level in levels:
            print(
                f"{name:<46}{level['users']:>6}{level['messages']:>7}{level['p50_ms']:>9.0f}"
                f"{level['p95_ms']:>9.0f}{level['p99_ms']:>9.0f}{level['messages_per_s']:>8.1f}"
                f"{level['errors']:>7}{level['silent']:>7}{level['rasa_rss_mb']:>9}{level['actions_rss_mb']:>11}"
                f"{level['rasa_cpu_ms_per_msg']:>18}{level['actions_cpu_ms_per_msg']:>8}"
                f"{level['machine_cpu_ms_per_msg']:>8}"
            )

    print("\n== One long conversation: median latency (ms) per block of 50 turns ==")
    for name, medians in results["long"].items():
        blocks = "  ".join(f"{50 * i + 1}-{50 * (i + 1)}: {m:.0f}" for i, m in enumerate(medians))
        growth = ratio(medians[-1], medians[0]) if medians else float("nan")
        print(f"{name:<46}{blocks}   last/first {growth:.2f}x")

    rates = {name: levels[-1]["messages_per_s"] for name, levels in results["levels"].items()}
    if BASELINE_TWO_WORKERS in rates and rates.get("baseline"):
        print(
            "\nThe bare bot with 2 workers (Redis lock store) on this machine: "
            f"{rates[BASELINE_TWO_WORKERS]:.1f} msg/s = "
            f"{ratio(rates[BASELINE_TWO_WORKERS], rates['baseline']):.2f}x its one worker"
        )
    if results.get("paired"):
        print(f"\n== Alternating rounds ({max(plan.levels)} users, {plan.paired[1]:.0f} s each; msg/s) ==")
        for number, figures in enumerate(results["paired"], 1):
            print(f"round {number}: " + ", ".join(f"{name} {value:.1f}" for name, value in figures.items()))
    targets = evaluate(results, plan, "")
    print("\n== Targets (the assistant as wired) ==")
    for name, met, figure in targets:
        print(f"{'PASS' if met else 'MISS'}  {name}: {figure}")
    if NO_SPEEDUPS in results["levels"]:
        print("\n== For comparison, on PostgreSQL without the speed-ups (not a target) ==")
        for name, met, figure in evaluate(results, plan, "-no-speedups"):
            if "2 workers" not in name:
                print(f"{'pass' if met else 'miss'}  {name}: {figure}")
    return targets


def main() -> int:
    """Run the benchmark; exit 0 whether or not the targets are met (1 if it could not run)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 and 10 users, a 100-turn conversation")
    parser.add_argument("--train", action="store_true", help="retrain the assistant (timed)")
    parser.add_argument(
        "--no-speedups-run",
        action="store_true",
        help="with --quick: also measure PostgreSQL without the speed-ups (always in full mode)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (path printed)")
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated configurations to measure besides the baseline (e.g. {TWO_WORKERS}; "
        f"{ONE_WORKER_REDIS} exists only here); default: all but {ONE_WORKER_REDIS}",
    )
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name}
    plan = QUICK if args.quick else FULL
    if args.no_speedups_run:
        plan = dataclasses.replace(plan, no_speedups_run=True)
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="imp-bench-"))
    log_dir = workdir / "logs"
    log_dir.mkdir()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "mode": "quick" if args.quick else "full",
        "levels": {},
        "long": {},
        "start_seconds": {},
    }
    started: dict[str, Server] = {}

    paired_names = ("baseline", "assistant-postgresql", TWO_WORKERS)
    paired_conversations: dict[str, list[list[str]]] = {}

    def run(server: Server, conversations: list[list[str]], levels: bool, long: bool) -> None:
        keep = server.name in paired_names  # measured again in the alternating rounds
        try:
            asyncio.run(warm_up(server.url, f"{server.name}-warmup", conversations[0]))
            if levels:
                measured = measure_levels(server, plan, conversations)
                results["levels"][server.name] = [level.summary() for level in measured]
            if long:
                results["long"][server.name] = measure_long(server, plan, conversations)
            if keep:
                paired_conversations[server.name] = conversations
        finally:
            if not keep:
                server.stop()

    try:
        say("training the baseline (rasa init --no-prompt)")
        bot, baseline_model, results["baseline_training_s"] = train_baseline(workdir, log_dir)
        say(f"baseline trained in {results['baseline_training_s']:.0f} s")
        model, results["assistant_training"] = our_model(args.train, workdir, log_dir)
        results["assistant_model"] = model.name
        with fresh_postgres_database() as postgres_url, redis_prefix() as lock_store_url:
            configurations = [
                c
                for c in assistant_configurations(plan, model, workdir, postgres_url, lock_store_url)
                if ((c.name in only) if only else (c.name != ONE_WORKER_REDIS))
            ]
            unknown = only - {c.name for c in configurations} - {BASELINE_TWO_WORKERS}
            if unknown:
                raise RuntimeError(f"unknown --only configurations: {', '.join(sorted(unknown))}")
            starts: dict[str, Callable[[], Server]] = {
                "baseline": lambda: start_baseline(bot, baseline_model, log_dir),
                **{c.name: c.starter(log_dir) for c in configurations},
            }
            if BASELINE_TWO_WORKERS in only:
                starts[BASELINE_TWO_WORKERS] = lambda: start_baseline(
                    bot, baseline_model, log_dir, lock_store_url
                )
            # Start every server at once (loading a model takes a minute or more on a busy
            # machine); idle servers use no CPU while the others are measured one at a time.
            say(f"starting {len(starts)} servers")
            with ThreadPoolExecutor(len(starts)) as pool:
                futures = {name: pool.submit(starter) for name, starter in starts.items()}
                errors = []
                for name, future in futures.items():
                    try:
                        started[name] = future.result()
                    except Exception as error:
                        errors.append(f"{name} did not start: {error}")
                if errors:
                    raise RuntimeError("\n".join(errors))
            for name, server in started.items():
                results["start_seconds"][name] = round(server.started_in, 1)
            say("all ready: " + ", ".join(f"{n} {s.started_in:.0f} s" for n, s in started.items()))
            run(started["baseline"], BASELINE_CONVERSATIONS, levels=True, long=True)
            if BASELINE_TWO_WORKERS in started:
                run(started[BASELINE_TWO_WORKERS], BASELINE_CONVERSATIONS, levels=True, long=False)
            for configuration in configurations:
                run(
                    started[configuration.name],
                    ASSISTANT_CONVERSATIONS,
                    levels=configuration.levels,
                    long=configuration.long,
                )
            paired = {name: started[name] for name in paired_names if name in paired_conversations}
            if len(paired) > 1:
                results["paired"] = measure_paired(paired, paired_conversations, plan)
            for server in paired.values():
                server.stop()
    except Exception as error:
        say(f"the benchmark failed: {error}")
        for server in started.values():
            for process in server.processes():
                if process.alive() or process.popen.returncode not in (0, None, -15):
                    say(f"--- {process.name} log ---\n{process.tail()}")
        return 1
    finally:
        for server in started.values():
            server.stop()
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"logs kept in {log_dir}")
    results["seconds"] = round(time.monotonic() - began)
    targets = report(results, plan)
    results["targets"] = [{"target": name, "met": met, "figure": figure} for name, met, figure in targets]
    out = ROOT / "results" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWhole benchmark: {results['seconds'] / 60:.1f} min. Figures: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
