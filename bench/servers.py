"""Starting, watching (RSS from /proc) and stopping the servers the benchmark measures."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    tree = _children()
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(tree.get(current, []))
    return pids


def rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and its descendants (sum of /proc/<pid>/statm RSS)."""
    total = 0
    for each in tree_pids(pid):
        try:
            with open(f"/proc/{each}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_SIZE
        except OSError:
            continue
    return total


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by `pid` and its descendants."""
    return sum(per_process_cpu(pid).values())


def busiest_share(before: dict[int, float], after: dict[int, float]) -> float:
    """The busiest process's share of the CPU the processes used between two `per_process_cpu`."""
    used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    total = sum(used.values())
    return max(used.values()) / total if total else float("nan")


def per_process_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of `pid` and of each of its descendants."""
    seconds = {}
    for each in tree_pids(pid):
        try:
            with open(f"/proc/{each}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[each] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def machine_busy_seconds() -> float:
    """CPU time all cores spent on anything but idle and I/O wait since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICKS


@dataclass
class Process:
    """One server process (its own process group) and its log."""

    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        """Whether it is still running."""
        return self.popen.poll() is None

    def rss(self) -> int:
        """RSS of the process and its children (Sanic workers)."""
        return rss_bytes(self.popen.pid) if self.alive() else 0

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to its process group, SIGKILL after `timeout` seconds."""
        if not self.alive():
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=timeout)
        except ProcessLookupError:
            pass

    def tail(self, characters: int = 3000) -> str:
        """The end of its log."""
        return self.log.read_text(errors="replace")[-characters:]


def start(name: str, command: list[str], cwd: Path, env: dict[str, str], log_dir: Path) -> Process:
    """Start `command` in a new process group, its output to log_dir/<name>.log."""
    log = log_dir / f"{name}.log"
    with open(log, "w") as output:
        popen = subprocess.Popen(  # noqa: S603 (the benchmark's own command lines)
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Process(name, popen, log)


def wait_until_up(url: str, processes: list[Process], timeout: float) -> float:
    """Seconds until `url` answers 200; raises if a process dies or `timeout` passes."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http on loopback)
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        for process in processes:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited during start-up:\n{process.tail()}")
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Server:
    """A Rasa server (and the action server it uses, if any) under test."""

    name: str
    port: int
    rasa: Process
    actions: Process | None = None
    started_in: float = 0.0
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The REST channel's webhook."""
        return f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"

    def processes(self) -> list[Process]:
        """Its processes, the action server last."""
        return [self.rasa] + ([self.actions] if self.actions else [])

    def rss(self) -> tuple[int, int]:
        """(Rasa server RSS incl. its workers, action server RSS) in bytes."""
        return self.rasa.rss(), (self.actions.rss() if self.actions else 0)

    def cpu(self) -> tuple[float, float, float]:
        """CPU seconds so far: (Rasa server incl. its workers, action server, whole machine)."""
        actions = cpu_seconds(self.actions.popen.pid) if self.actions else 0.0
        return cpu_seconds(self.rasa.popen.pid), actions, machine_busy_seconds()

    def stop(self) -> None:
        """Stop the Rasa server, then the action server."""
        for process in self.processes():
            process.stop()
