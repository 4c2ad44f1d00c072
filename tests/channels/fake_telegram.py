"""A fake Telegram Bot API server on 127.0.0.1 that records the calls the bot makes.

It answers like the Bot API (``{"ok": true, "result": ...}``) at ``/bot<token>/<method>``, so it
stands in for a self-hosted Bot API server (TELEGRAM_API_BASE_URL).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "IMP+ assistant", "username": "imp_plus_test_bot"}


@dataclass
class Call:
    """One Bot API request: the method and its parameters (JSON-encoded fields decoded)."""

    method: str
    params: dict[str, Any]
    token: str


@dataclass
class FakeTelegram:
    """The server, running in its own thread with its own event loop."""

    token: str
    calls: list[Call] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # chats that have blocked the bot: sendMessage to them gets Telegram's 403
    blocked: set[str] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what the tests read -------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method.lower() == method.lower()]

    def messages_to(self, chat_id: int | str) -> list[Call]:
        return [
            call for call in self.calls_to("sendMessage") if str(call.params.get("chat_id")) == str(chat_id)
        ]

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [call.params.get("text", "") for call in self.messages_to(chat_id)]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30) -> Any:
        """Poll until condition() is truthy; returns its value (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for the bot; calls so far: {[c.method for c in self.calls]}")

    # --- the Bot API ---------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update(await request.post())
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        with self._lock:
            self.calls.append(Call(method, params, token))
        if token != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        if method == "sendMessage" and str(params.get("chat_id")) in self.blocked:
            return web.json_response(
                {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
                status=403,
            )
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            chat_id = params.get("chat_id")
            message = {
                "message_id": next(self._message_ids),
                "from": BOT_USER,
                "chat": {
                    "id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id,
                    "type": "private",
                },
                "date": int(time.time()),
                "text": params.get("text", ""),
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return message
        return True  # setWebhook, answerCallbackQuery, deleteWebhook...

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        ready = threading.Event()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("*", "/bot{token}/{method}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = self._runner.addresses[0][1]
            ready.set()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Telegram server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
