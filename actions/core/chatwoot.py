"""Handoff into a Chatwoot inbox: settings, the Application API client, the webhook's events (framework-free).

Off unless all five IMP_CHATWOOT_* variables are set (`ChatwootSettings.load`). When on, a
conversation that needs a person gets a contact and a conversation in the inbox
(`ChatwootClient.hand_over`), its handoff row (actions/core/handoff.py) is marked taken by
`taken_by_name(conversation_id)`, "Chatwoot #<id>": that name is the mapping between the
user's conversation and Chatwoot's, read back with `conversation_of`. The webhook's events are
read by `parse_event` (the channel is rasa_plugins/channels/chatwoot.py).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

VARIABLES = (
    "IMP_CHATWOOT_URL",
    "IMP_CHATWOOT_ACCOUNT_ID",
    "IMP_CHATWOOT_INBOX_ID",
    "IMP_CHATWOOT_API_TOKEN",
    "IMP_CHATWOOT_WEBHOOK_TOKEN",
)
TIMEOUT = 10.0  # seconds per API request
TAKEN_BY_PREFIX = "Chatwoot #"
_TAKEN_BY = re.compile(r"Chatwoot #([0-9]{1,18})")
MAX_TRANSCRIPT_MESSAGES = 20
MAX_CONTENT_LENGTH = 4000
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


class ChatwootError(RuntimeError):
    """A Chatwoot API request that failed (network, timeout, non-2xx answer, unexpected body)."""


@dataclass(frozen=True)
class ChatwootSettings:
    """Where the inbox is and the two secrets: the API token (ours) and the webhook token (Chatwoot's)."""

    url: str
    account_id: int
    inbox_id: int
    api_token: str
    webhook_token: str

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> ChatwootSettings | None:
        """The settings, or None (Chatwoot off) unless every variable is set; ValueError if one is wrong."""
        environ = os.environ if environ is None else environ
        values = {name: (environ.get(name) or "").strip() for name in VARIABLES}
        if not all(values.values()):
            return None
        url = values["IMP_CHATWOOT_URL"].rstrip("/")
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"IMP_CHATWOOT_URL must be an http(s) URL, got {url!r}.")
        numbers = {}
        for name in ("IMP_CHATWOOT_ACCOUNT_ID", "IMP_CHATWOOT_INBOX_ID"):
            if not values[name].isdigit():
                raise ValueError(f"{name} must be a number, got {values[name]!r}.")
            numbers[name] = int(values[name])
        return cls(
            url=url,
            account_id=numbers["IMP_CHATWOOT_ACCOUNT_ID"],
            inbox_id=numbers["IMP_CHATWOOT_INBOX_ID"],
            api_token=values["IMP_CHATWOOT_API_TOKEN"],
            webhook_token=values["IMP_CHATWOOT_WEBHOOK_TOKEN"],
        )

    def webhook_token_ok(self, token: Any) -> bool:
        """The webhook URL's token, compared in constant time."""
        return isinstance(token, str) and hmac.compare_digest(token.encode(), self.webhook_token.encode())


def load_settings() -> ChatwootSettings | None:
    """ChatwootSettings.load(), None (and an error in the log) when a variable is wrong."""
    try:
        return ChatwootSettings.load()
    except ValueError as error:
        logger.error("Chatwoot handoff is off: %s", error)
        return None


def taken_by_name(conversation_id: int) -> str:
    """The handoff's `taken_by` while Chatwoot has the conversation."""
    return f"{TAKEN_BY_PREFIX}{int(conversation_id)}"


def conversation_of(taken_by: str | None) -> int | None:
    """The Chatwoot conversation id of a handoff taken by Chatwoot, else None."""
    match = _TAKEN_BY.fullmatch(taken_by or "")
    return int(match.group(1)) if match else None


def user_texts(events: Iterable[Mapping[str, Any]], limit: int = MAX_TRANSCRIPT_MESSAGES) -> list[str]:
    """The user's typed messages of a tracker's events (button payloads left out), the latest `limit`."""
    texts = [
        str(event.get("text")).strip()
        for event in events
        if isinstance(event, Mapping) and event.get("event") == "user" and isinstance(event.get("text"), str)
    ]
    return [text[:MAX_CONTENT_LENGTH] for text in texts if text and not text.startswith("/")][-limit:]


class ChatwootClient:
    """The few Application API calls the handoff needs (header `api_access_token`)."""

    def __init__(self, settings: ChatwootSettings, timeout: float = TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        url = f"{self.settings.url}/api/v1/accounts/{self.settings.account_id}{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http(s) checked)
        request.add_header("api_access_token", self.settings.api_token)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise ChatwootError(f"{method} {path}: HTTP {error.code}") from None
        except (OSError, ValueError) as error:  # URLError, timeouts, refused connections
            raise ChatwootError(f"{method} {path}: {type(error).__name__}: {error}") from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise ChatwootError(f"{method} {path}: the answer is not JSON") from None

    def _contact(self, sender_id: str, channel: str, language: str) -> tuple[int, str | None]:
        """The contact whose identifier is the sender id (created if new), and its source id in the inbox."""
        attributes = {"imp_sender_id": sender_id, "imp_channel": channel, "imp_language": language}
        body = {
            "inbox_id": self.settings.inbox_id,
            "name": f"IMP+ {channel} {sender_id}"[:255],
            "identifier": sender_id,
            "custom_attributes": attributes,
        }
        try:
            payload = (self._request("POST", "/contacts", body) or {}).get("payload") or {}
            contact = payload.get("contact") or {}
            source_id = (payload.get("contact_inbox") or {}).get("source_id")
            return int(contact["id"]), source_id
        except ChatwootError as error:
            if "HTTP 422" not in str(error):  # 422: the identifier is taken, the contact exists
                raise
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ChatwootError("POST /contacts: no contact id in the answer") from None
        query = urllib.parse.urlencode({"q": sender_id})
        found = (self._request("GET", f"/contacts/search?{query}") or {}).get("payload") or []
        contact_id = next(
            (c.get("id") for c in found if isinstance(c, dict) and c.get("identifier") == sender_id), None
        )
        if not isinstance(contact_id, int):
            raise ChatwootError("the contact exists but was not found by its identifier")
        inbox = self._request(
            "POST", f"/contacts/{contact_id}/contact_inboxes", {"inbox_id": self.settings.inbox_id}
        )
        return contact_id, (inbox or {}).get("source_id")

    def hand_over(
        self, sender_id: str, channel: str, language: str, reason: str, transcript: list[str]
    ) -> int:
        """Create the Chatwoot conversation, post a note and the user's messages; its id (display id)."""
        contact_id, source_id = self._contact(sender_id, channel, language)
        body: dict[str, Any] = {
            "inbox_id": self.settings.inbox_id,
            "contact_id": contact_id,
            "status": "open",
            "custom_attributes": {
                "imp_sender_id": sender_id,
                "imp_channel": channel,
                "imp_language": language,
            },
        }
        if source_id:
            body["source_id"] = source_id
        created = self._request("POST", "/conversations", body) or {}
        conversation_id = created.get("id")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            raise ChatwootError("POST /conversations: no conversation id in the answer")
        note = (
            f"Handed over by the IMP+ assistant ({reason}): conversation {sender_id}, channel {channel}, "
            f"language {language}. Public replies reach the user on their channel; resolve the "
            "conversation to hand it back to the assistant."
        )
        self.post_message(conversation_id, note, private=True)
        for text in transcript:
            self.post_message(conversation_id, text)
        return conversation_id

    def post_message(self, conversation_id: int, text: str, private: bool = False) -> None:
        """A user's message (incoming), or a private note for the agents."""
        body = {
            "content": text[:MAX_CONTENT_LENGTH],
            "message_type": "outgoing" if private else "incoming",
            "private": private,
        }
        self._request("POST", f"/conversations/{int(conversation_id)}/messages", body)


# --- the webhook's events -----------------------------------------------------------------


@dataclass(frozen=True)
class AgentReply:
    """A public message an agent wrote in a Chatwoot conversation."""

    conversation_id: int
    text: str
    agent: str


@dataclass(frozen=True)
class Resolved:
    """A Chatwoot conversation marked resolved: hand it back to the assistant."""

    conversation_id: int


@dataclass(frozen=True)
class Ignored:
    """An event that needs nothing done, and why."""

    reason: str


Event = AgentReply | Resolved | Ignored


def _id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def parse_event(payload: Any) -> Event:
    """What a Chatwoot webhook (or agent bot) event asks of the assistant; ValueError if not an object."""
    if not isinstance(payload, dict):
        raise ValueError("an event is a JSON object")
    event = payload.get("event")
    if event == "message_created":
        if payload.get("message_type") not in ("outgoing", 1):
            return Ignored("not an agent's message")
        if payload.get("private") is True:
            return Ignored("a private note")
        sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
        if sender.get("type") not in (None, "user"):  # agent bots' and contacts' messages
            return Ignored("not written by an agent")
        content = payload.get("content")
        if not isinstance(content, str) or not content.strip():
            return Ignored("no text")
        conversation = payload.get("conversation") if isinstance(payload.get("conversation"), dict) else {}
        conversation_id = _id(conversation.get("id")) or _id(payload.get("conversation_id"))
        if conversation_id is None:
            return Ignored("no conversation id")
        name = sender.get("available_name") or sender.get("name")
        agent = name.strip() if isinstance(name, str) and name.strip() else "Chatwoot"
        return AgentReply(conversation_id, content.strip()[:MAX_CONTENT_LENGTH], agent)
    if event in ("conversation_status_changed", "conversation_resolved", "conversation_updated"):
        if payload.get("status") != "resolved":
            return Ignored("not resolved")
        conversation_id = _id(payload.get("id"))
        if conversation_id is None:
            return Ignored("no conversation id")
        return Resolved(conversation_id)
    return Ignored(f"event {str(event)[:40]!r} is not used")
