"""A fake Chatwoot Application API on 127.0.0.1 that records the calls the assistant makes.

It answers the few routes of ``/api/v1/accounts/<account>/…`` the handoff uses (contacts, contact
search, contact inboxes, conversations, messages) like Chatwoot does, and refuses any request
without the right ``api_access_token`` header with Chatwoot's 401. `agent_message` and `resolved`
build the webhook events Chatwoot would post to the assistant.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

AGENT = {"id": 3, "name": "Dana Agent", "available_name": "Dana", "type": "user"}


@dataclass
class Call:
    """One API request: method, path (after /api/v1/accounts/<account>), JSON body and token given."""

    method: str
    path: str
    body: Any
    token: str | None


@dataclass
class FakeChatwoot:
    """The server, running in its own thread with its own event loop."""

    token: str
    account_id: int = 1
    inbox_id: int = 7
    calls: list[Call] = field(default_factory=list)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by identifier
    conversations: dict[int, dict[str, Any]] = field(default_factory=dict)  # by display id
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by conversation
    failing: bool = False  # every request answers 500
    port: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(101))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what the tests read -------------------------------------------------------------
    def conversation_of(self, sender_id: str) -> int | None:
        with self._lock:
            return next(
                (
                    cid
                    for cid, c in self.conversations.items()
                    if c["custom_attributes"].get("imp_sender_id") == sender_id
                ),
                None,
            )

    def messages_in(self, conversation_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages.get(conversation_id, []))

    def incoming_texts(self, conversation_id: int) -> list[str]:
        return [m["content"] for m in self.messages_in(conversation_id) if m["message_type"] == "incoming"]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out; calls so far: {[(c.method, c.path) for c in self.calls]}")

    # --- the events Chatwoot posts to the webhook ----------------------------------------
    def agent_message(
        self, conversation_id: int, text: str, private: bool = False, message_type: str = "outgoing"
    ) -> dict[str, Any]:
        return {
            "event": "message_created",
            "id": next(self._ids),
            "content": text,
            "message_type": message_type,
            "content_type": "text",
            "private": private,
            "sender": dict(AGENT),
            "conversation": {"id": conversation_id, "inbox_id": self.inbox_id, "status": "open"},
            "account": {"id": self.account_id},
            "inbox": {"id": self.inbox_id},
        }

    def resolved(self, conversation_id: int) -> dict[str, Any]:
        return {
            "event": "conversation_status_changed",
            "id": conversation_id,
            "status": "resolved",
            "inbox_id": self.inbox_id,
            "account": {"id": self.account_id},
        }

    # --- the API -------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        account, path = request.match_info["account"], "/" + request.match_info["path"]
        if request.query_string:
            path += "?" + request.query_string
        body = await request.json() if request.can_read_body else None
        token = request.headers.get("api_access_token")
        with self._lock:
            self.calls.append(Call(request.method, path, body, token))
        if token != self.token:
            return web.json_response(
                {"error": "You need to sign in or sign up before continuing."}, status=401
            )
        if self.failing:
            return web.json_response({"error": "Internal Server Error"}, status=500)
        if account != str(self.account_id):
            return web.json_response({"error": "Account not found"}, status=404)
        with self._lock:
            return self._route(request.method, request.match_info["path"], request.query, body or {})

    def _route(self, method: str, path: str, query: Any, body: dict[str, Any]) -> web.Response:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["contacts"]:
            identifier = body.get("identifier")
            if identifier in self.contacts:
                return web.json_response({"message": "Identifier has already been taken"}, status=422)
            contact = {"id": next(self._ids), "name": body.get("name"), "identifier": identifier}
            contact["custom_attributes"] = body.get("custom_attributes") or {}
            self.contacts[identifier] = contact
            source_id = str(uuid.uuid4())
            return web.json_response(
                {"payload": {"contact": contact, "contact_inbox": {"source_id": source_id}}}
            )
        if method == "GET" and parts == ["contacts", "search"]:
            q = query.get("q", "")
            return web.json_response({"payload": [c for i, c in self.contacts.items() if q in (i or "")]})
        if method == "POST" and len(parts) == 3 and parts[0] == "contacts" and parts[2] == "contact_inboxes":
            return web.json_response({"source_id": str(uuid.uuid4()), "inbox": {"id": body.get("inbox_id")}})
        if method == "POST" and parts == ["conversations"]:
            if body.get("inbox_id") != self.inbox_id or not body.get("contact_id"):
                return web.json_response({"error": "inbox or contact missing"}, status=422)
            conversation_id = next(self._ids)
            conversation = {
                "id": conversation_id,
                "inbox_id": self.inbox_id,
                "status": body.get("status", "open"),
                "contact_id": body["contact_id"],
                "custom_attributes": body.get("custom_attributes") or {},
            }
            self.conversations[conversation_id] = conversation
            self.messages[conversation_id] = []
            return web.json_response(conversation)
        if method == "POST" and len(parts) == 3 and parts[0] == "conversations" and parts[2] == "messages":
            conversation_id = int(parts[1]) if parts[1].isdigit() else -1
            if conversation_id not in self.conversations:
                return web.json_response({"error": "Resource could not be found"}, status=404)
            message = {
                "id": next(self._ids),
                "content": body.get("content"),
                "message_type": body.get("message_type", "outgoing"),
                "private": bool(body.get("private")),
            }
            self.messages[conversation_id].append(message)
            return web.json_response(message)
        return web.json_response({"error": "Resource could not be found"}, status=404)

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> FakeChatwoot:
        ready = threading.Event()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("*", "/api/v1/accounts/{account}/{path:.*}", self._handle)
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

        self._thread = threading.Thread(target=run, name="fake-chatwoot", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Chatwoot server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
