"""Several servers, one widget: two Rasa servers behind a round-robin TCP proxy with no affinity.

The widget (Chromium) reaches the servers only through the proxy, which sends each new TCP
connection to the next server; a staff member uses the console of the server the widget is NOT
connected to. The staff notices and reply reach the widget through the socket.io message queue
(IMP_SOCKETIO_MESSAGE_QUEUE, Redis); without it they never do (issue #16).
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from actions.core.settings import PROJECT_ROOT
from actions.core.texts import Texts
from tests.browser.conftest import screenshot, watch
from tests.conftest import REDIS_URL
from tests.e2e.test_replicas import running_replicas

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
STAFF_TOKEN = "replicas-staff-token-" + uuid.uuid4().hex
TEXTS = Texts.load()
STAFF_REPLY = "Hello from the other server: Alice here. How can I help?"
QUIET_MESSAGE = "Are you still there? It is about my CSQ"
WITH_PERSON = "A person has this conversation and will answer here."
ELIGIBILITY = [
    ("Where do you live", "Outside Canada"),
    ("CSQ", "Yes, Regular Skilled Worker Program (PRTQ)"),
    ("still valid", "Yes, still valid"),
    ("letter of invitation", "Yes"),
    ("permanent residence", "I haven't applied yet"),
]
_REQUEST_LINE = re.compile(rb"(?:GET|POST|HEAD|PUT|OPTIONS) (\S+) HTTP/1\.[01]\r\n")
expect.set_options(timeout=TIMEOUT_MS)


class RoundRobinProxy:
    """A TCP proxy on 127.0.0.1 sending each new connection to the next backend port in turn."""

    def __init__(self, backends: tuple[int, ...]) -> None:
        self.backends = backends
        self.requests: list[tuple[int, str]] = []  # (backend index, HTTP request path) as seen
        self._next = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    def start(self) -> RoundRobinProxy:
        """Listen on a free port (`port`) in a thread of its own."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        )
        self._server = future.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Close the listener and every open connection, then the loop."""

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def websockets(self) -> list[int]:
        """The backend index of each socket.io WebSocket opened so far, oldest first."""
        with self._lock:
            return [index for index, path in self.requests if "transport=websocket" in path]

    def polling_requests(self) -> list[str]:
        """The socket.io long-polling requests seen (none while the WebSocket works)."""
        with self._lock:
            return [path for _, path in self.requests if "transport=polling" in path]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            index = self._next % len(self.backends)
            self._next += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.backends[index]
            )
        except OSError:
            writer.close()
            return
        self._writers.update((writer, upstream_writer))
        await asyncio.gather(
            self._pipe(reader, upstream_writer, index), self._pipe(upstream_reader, writer, None)
        )
        self._writers.difference_update((writer, upstream_writer))

    async def _pipe(
        self, source: asyncio.StreamReader, target: asyncio.StreamWriter, index: int | None
    ) -> None:
        try:
            while data := await source.read(65536):
                if index is not None:
                    with self._lock:
                        self.requests += [(index, m.group(1).decode()) for m in _REQUEST_LINE.finditer(data)]
                target.write(data)
                await target.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            target.close()


@pytest.fixture
def servers(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """Two Rasa servers with the project's channels, sharing socket.io events through Redis."""
    queue = {
        "IMP_SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
        "IMP_SOCKETIO_CHANNEL": f"imp-test-{uuid.uuid4().hex[:12]}",  # apart from other test runs
    }
    env = {
        "IMP_LOCK_STORE_URL": redis_url,
        "IMP_STAFF_TOKEN": STAFF_TOKEN,
        "IMP_STAFF_SHARED_TOKEN_MODE": "1",  # the single-person login (no accounts to create)
        "IMP_STAFF_SECRET": "replicas-staff-secret-" + uuid.uuid4().hex,  # one secret, both servers
        **queue,
    }
    with running_replicas(postgres_url, tmp_path, PROJECT_ROOT / "credentials.yml", env) as ports:
        yield ports


@pytest.fixture
def proxy(servers: tuple[int, int]) -> Iterator[RoundRobinProxy]:
    """The balancer: round robin per TCP connection, no affinity."""
    balancer = RoundRobinProxy(servers).start()
    yield balancer
    balancer.stop()


@pytest.fixture
def contexts(browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    user = browser.new_context(viewport={"width": 1000, "height": 760}, locale="en-CA")
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    yield user, staff
    user.close()
    staff.close()


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your message")
    box.fill(text)
    box.press("Enter")


def choose(page: Page, title: str) -> None:
    page.locator(".choices").last.get_by_role("button", name=title, exact=True).click()


def session_id(page: Page) -> str:
    value = page.evaluate(
        """() => { for (const k of Object.keys(localStorage)) if (k.endsWith(":session"))
                     return JSON.parse(localStorage.getItem(k)); return null; }"""
    )
    assert isinstance(value, str) and value
    return value


def login(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/staff/login")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Staff token").fill(STAFF_TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()


@pytest.mark.timeout(900)  # two Rasa servers and an action server to start
def test_staff_on_one_server_reach_a_widget_on_the_other(
    contexts: tuple[BrowserContext, BrowserContext], servers: tuple[int, int], proxy: RoundRobinProxy
) -> None:
    user_context, staff_context = contexts
    user = user_context.new_page()
    user.set_default_timeout(TIMEOUT_MS)
    user_seen = watch(user)
    bot = user.locator(".msg.bot")
    balancer = f"http://127.0.0.1:{proxy.port}"

    # a whole eligibility check through the balancer
    user.goto(f"{balancer}/widget/demo.html")
    user.get_by_role("button", name="Open the IMP+ assistant chat").click()
    expect(bot.first).to_contain_text("IMP+ assistant")
    choose(user, "Check my eligibility")
    for question, answer in ELIGIBILITY:
        expect(bot.last).to_contain_text(question)
        choose(user, answer)
    expect(bot.last).to_contain_text("you appear eligible")
    sender = session_id(user)

    # a reload restores the history, and the conversation goes on (a new connection)
    user.reload()
    expect(user.get_by_role("log")).to_contain_text("I haven't applied yet")
    expect(bot.filter(has_text="you appear eligible")).to_have_count(1)
    send(user, "I want to talk to a real person")
    expect(bot.filter(has_text="A person will answer you here")).to_have_count(1)
    assert session_id(user) == sender
    assert proxy.polling_requests() == []  # WebSocket first: no long-polling session to lose
    websockets = proxy.websockets()
    assert len(websockets) == 2  # one per page load
    widget_server = websockets[-1]

    # staff log in to the console of the other server and take the conversation
    staff = staff_context.new_page()
    staff.set_default_timeout(TIMEOUT_MS)
    staff_seen = watch(staff)
    login(staff, f"http://127.0.0.1:{servers[1 - widget_server]}", "Alice")
    staff.get_by_role("link", name="Handoff queue", exact=True).click()
    staff.locator("tr[data-handoff]").filter(has_text=sender).locator("a").first.click()
    staff.get_by_role("button", name="Take this conversation").click()
    expect(staff.get_by_role("status")).to_contain_text("You have the conversation")
    expect(bot.filter(has_text=TEXTS.message("handoff_taken", "en"))).to_have_count(1)

    # the quiet signal: the user's message is only stored, and the widget says a person will answer
    send(user, QUIET_MESSAGE)
    expect(user.get_by_text(WITH_PERSON)).to_be_visible()
    expect(user.locator(".typing")).to_be_empty()

    # the reply, sent by the other server, appears in the widget
    staff.get_by_label("Your reply").fill(STAFF_REPLY)
    staff.get_by_role("button", name="Send").click()
    expect(staff.get_by_role("status")).to_have_text("Reply sent.")
    expect(bot.filter(has_text=STAFF_REPLY)).to_have_count(1)
    screenshot(user, "replicas-widget-staff-reply")
    assert proxy.websockets() == websockets  # still the same connection: no reconnection
    assert proxy.polling_requests() == []
    for seen in (user_seen, staff_seen):
        assert seen.errors == [] and seen.dialogs == []
