"""A secure Telegram channel: Rasa's Telegram channel with a webhook secret token and settings from env.

Use it in credentials.yml as ``rasa_plugins.channels.telegram.SecureTelegramInput:`` (no values needed). Every
setting comes from the environment (a value given in credentials.yml wins):

=========================  ================  ==============================================
environment variable       credentials key   meaning
=========================  ================  ==============================================
TELEGRAM_ACCESS_TOKEN      access_token      the bot token from BotFather (required)
TELEGRAM_SECRET_TOKEN      secret_token      webhook secret, 1-256 of A-Z a-z 0-9 _ - (required)
TELEGRAM_WEBHOOK_URL       webhook_url       public HTTPS URL of /webhooks/telegram/webhook
TELEGRAM_VERIFY            verify            the bot's username, checked once with getMe
TELEGRAM_API_BASE_URL      api_base_url      Bot API server (default https://api.telegram.org)
=========================  ================  ==============================================

Without a token or a secret token the server still starts; the channel's routes answer 503 with the
reason. Updates without the right ``X-Telegram-Bot-Api-Secret-Token`` header get 403 and are not read.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram.bot import api
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import RetryAfter, TelegramAPIError, ValidationError
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.core.texts import Texts

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Telegram's own limits: longer values cannot come from Telegram.
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_ID = 2**53
# What we send per message (Telegram counts UTF-16 units: keep a margin).
MAX_SENT_TEXT_LENGTH = 4000
MAX_BODY_BYTES = 1024 * 1024
# Update types the webhook asks Telegram for; anything else is ignored anyway.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# Message fields that mean a person sent something other than text (service messages have none).
NON_TEXT_CONTENT = frozenset(
    {
        "animation",
        "audio",
        "caption",
        "contact",
        "dice",
        "document",
        "game",
        "location",
        "photo",
        "poll",
        "sticker",
        "story",
        "venue",
        "video",
        "video_note",
        "voice",
    }
)
# Replies the channel gives itself, in the user's Telegram language (English by default), from the
# text catalogues (data/texts/, messages: telegram_*), read once when the server starts.
_TEXTS = Texts.load()
TEXT_ONLY_REPLIES = _TEXTS.in_every_language("telegram_text_only")
EDITED_MESSAGE_REPLIES = _TEXTS.in_every_language("telegram_edited_message")
TEXT_ONLY_REPLY = TEXT_ONLY_REPLIES["en"]
EDITED_MESSAGE_REPLY = EDITED_MESSAGE_REPLIES["en"]
# Telegram commands mapped to the assistant's intents ("/start" is sent when a person opens the bot).
COMMANDS = {"/start": "/greet", "/help": "/greet"}
RESTART_COMMAND = "/restart"
LANGUAGE_CODE = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")
BOT_COMMAND_MENTION = re.compile(r"^(/[A-Za-z0-9_]+)@[A-Za-z0-9_]+(?=\s|$)")

MessageHandler = Callable[[UserMessage], Awaitable[Any]]


def _setting(
    credentials: Mapping[str, Any], key: str, environ: Mapping[str, str], variable: str
) -> str | None:
    value = credentials.get(key)
    if value is None or str(value).strip() == "":
        value = environ.get(variable)
    if value is None or str(value).strip() == "":
        return None
    return str(value).strip()


@dataclass(frozen=True)
class TelegramSettings:
    """The channel's settings: credentials.yml values first, then TELEGRAM_* environment variables."""

    access_token: str | None = None
    verify: str | None = None
    webhook_url: str | None = None
    secret_token: str | None = None
    api_base_url: str = DEFAULT_API_BASE_URL

    @classmethod
    def load(
        cls, credentials: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None
    ) -> TelegramSettings:
        """Read the settings from the credentials and the environment."""
        credentials = credentials or {}
        environ = os.environ if environ is None else environ
        return cls(
            access_token=_setting(credentials, "access_token", environ, "TELEGRAM_ACCESS_TOKEN"),
            verify=_setting(credentials, "verify", environ, "TELEGRAM_VERIFY"),
            webhook_url=_setting(credentials, "webhook_url", environ, "TELEGRAM_WEBHOOK_URL"),
            secret_token=_setting(credentials, "secret_token", environ, "TELEGRAM_SECRET_TOKEN"),
            api_base_url=_setting(credentials, "api_base_url", environ, "TELEGRAM_API_BASE_URL")
            or DEFAULT_API_BASE_URL,
        )


def split_text(text: str, limit: int = MAX_SENT_TEXT_LENGTH) -> list[str]:
    """Cut a text into messages Telegram accepts, at paragraph breaks when possible."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(paragraph) > limit:
            parts.append(paragraph[:limit])
            paragraph = paragraph[limit:]
        current = paragraph
    if current.strip():
        parts.append(current)
    return parts


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _is_id(value: Any) -> bool:
    """A Telegram user or chat id: an integer of at most 52 bits (longer ones cannot come from Telegram)."""
    return _is_int(value) and abs(value) < MAX_ID


def _chat_id(message: Mapping[str, Any] | None) -> int | None:
    chat = _object(message.get("chat")) if message else None
    chat_id = chat.get("id") if chat else None
    return chat_id if _is_id(chat_id) else None


def _is_private(message: Mapping[str, Any]) -> bool:
    chat = _object(message.get("chat")) or {}
    return chat.get("type") == "private"


def in_language_of(replies: Mapping[str, str], user: Mapping[str, Any] | None) -> str:
    """The reply in the user's Telegram language when the assistant speaks it, else English."""
    return replies.get(language_of(user) or "en") or replies["en"]


def language_of(user: Mapping[str, Any] | None) -> str | None:
    """The primary language subtag of a Telegram user's language_code ("fr-CA" -> "fr"), if any."""
    code = user.get("language_code") if user else None
    if not isinstance(code, str):
        return None
    match = LANGUAGE_CODE.fullmatch(code.strip())
    return match.group(1).lower() if match else None


class SecureTelegramOutput(TelegramOutput):
    """Rasa's Telegram output on any Bot API server, with inline keyboards and no crash on API errors."""

    @classmethod
    def name(cls) -> str:
        """Channel name, as in Rasa's Telegram channel."""
        return "telegram"

    def __init__(
        self, access_token: str, api_base_url: str = DEFAULT_API_BASE_URL, timeout: float = 30
    ) -> None:
        super().__init__(access_token)  # raises aiogram's ValidationError for a malformed token
        self.server = TelegramAPIServer.from_base(api_base_url)
        self.timeout = timeout
        self._long_payloads: OrderedDict[str, str] = OrderedDict()

    async def safe_call(self, method: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Call the Bot API; log and swallow its errors (one retry when Telegram asks to wait briefly)."""
        for attempt in range(2):
            try:
                return await method(*args, **kwargs)
            except RetryAfter as error:
                if attempt or error.timeout > 5:
                    logger.error("Telegram rate limit on %s: %s", method.__name__, error)
                    return None
                await asyncio.sleep(error.timeout)
            except (TelegramAPIError, asyncio.TimeoutError) as error:
                logger.error("Telegram API call %s failed: %s", method.__name__, error)
                return None
        return None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a text, split only when it is longer than Telegram allows."""
        await self.deliver_text(recipient_id, text)

    async def deliver_text(self, recipient_id: str, text: str) -> bool:
        """Send a text like send_text_message; whether Telegram took every part (False: logged)."""
        for part in split_text(text):
            if await self.safe_call(self.send_message, recipient_id, part) is None:
                return False
        return True

    def callback_data_for(self, payload: str) -> str:
        """The callback_data of a button (at most 64 bytes: longer payloads are kept here by key)."""
        if len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            return payload
        key = "#" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
        self._long_payloads[key] = payload
        self._long_payloads.move_to_end(key)
        while len(self._long_payloads) > 10_000:
            self._long_payloads.popitem(last=False)
        return key

    def payload_for(self, callback_data: str) -> str:
        """The button payload behind a callback_data."""
        return self._long_payloads.get(callback_data, callback_data)

    def inline_keyboard(self, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup:
        """One button per row (titles are long), each sending its payload as callback data."""
        keyboard = InlineKeyboardMarkup(row_width=1)
        for button in buttons:
            if not isinstance(button, dict):
                continue
            title = str(button.get("title") or button.get("payload") or "").strip()
            if button.get("url"):
                keyboard.row(InlineKeyboardButton(title or str(button["url"]), url=str(button["url"])))
            elif button.get("payload") and title:
                keyboard.row(
                    InlineKeyboardButton(title, callback_data=self.callback_data_for(str(button["payload"])))
                )
        return keyboard

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = "inline",
        **kwargs: Any,
    ) -> None:
        """Send a text with its buttons as an inline keyboard under the last part."""
        parts = split_text(text) or ["…"]
        for part in parts[:-1]:
            await self.safe_call(self.send_message, recipient_id, part)
        keyboard = self.inline_keyboard(buttons)
        markup = keyboard if keyboard.inline_keyboard else None
        await self.safe_call(self.send_message, recipient_id, parts[-1], reply_markup=markup)

    async def answer_callback(self, callback_query_id: str) -> None:
        """Answer a button press so the Telegram client stops showing a spinner."""
        await self.safe_call(self.answer_callback_query, callback_query_id)

    async def set_secure_webhook(self, url: str, secret_token: str) -> bool:
        """SetWebhook with a secret_token (aiogram 2.15's set_webhook has no such parameter)."""
        payload = {
            "url": url,
            "secret_token": secret_token,
            "allowed_updates": json.dumps(list(ALLOWED_UPDATES)),
        }
        return bool(await self.request(api.Methods.SET_WEBHOOK, payload))

    async def close_session(self) -> None:
        """Close the HTTP session to the Bot API, if one was opened."""
        if self._session is not None and not self._session.closed:
            await self._session.close()


class SecureTelegramInput(TelegramInput):
    """Telegram webhook that only accepts updates carrying the secret token, and never crashes on them."""

    @classmethod
    def name(cls) -> str:
        """Channel name: the webhook is /webhooks/telegram/webhook."""
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from credentials.yml, the environment filling what it leaves out."""
        settings = TelegramSettings.load(credentials)
        return cls(
            settings.access_token,
            settings.verify,
            settings.webhook_url,
            secret_token=settings.secret_token,
            api_base_url=settings.api_base_url,
        )

    def __init__(
        self,
        access_token: str | None,
        verify: str | None,
        webhook_url: str | None,
        secret_token: str | None = None,
        api_base_url: str | None = None,
        debug_mode: bool = False,
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=debug_mode)
        self.secret_token = secret_token
        self.api_base_url = (api_base_url or DEFAULT_API_BASE_URL).rstrip("/")
        self.output: SecureTelegramOutput | None = None
        self.problem = self._configure()
        if self.problem:
            # No token: Telegram is simply not used here. Anything else is a configuration mistake.
            log = logger.info if not access_token else logger.warning
            log("Telegram channel disabled (its webhook answers 503): %s", self.problem)
        self._bot_username: str | None = None
        self._me_lock: asyncio.Lock | None = None
        self._recent_updates: OrderedDict[int, None] = OrderedDict()
        self._startup: asyncio.Task | None = None

    def _configure(self) -> str | None:
        """Create the output channel; return why the channel cannot run, or None."""
        if not self.access_token:
            return "Telegram is not configured: set TELEGRAM_ACCESS_TOKEN (the bot token from BotFather)."
        if not self.secret_token:
            return "TELEGRAM_SECRET_TOKEN is not set: the webhook refuses to accept unauthenticated updates."
        if not SECRET_TOKEN_PATTERN.fullmatch(self.secret_token):
            return "TELEGRAM_SECRET_TOKEN must be 1-256 characters among A-Z, a-z, 0-9, _ and -."
        if not re.match(r"https?://[^/\s]+", self.api_base_url):
            return "TELEGRAM_API_BASE_URL must be an http(s) URL."
        try:
            self.output = SecureTelegramOutput(self.access_token, self.api_base_url)
        except ValidationError:
            return "TELEGRAM_ACCESS_TOKEN is not a valid bot token (expected <digits>:<letters>)."
        if self.webhook_url and not self.webhook_url.startswith("https://"):
            logger.warning("TELEGRAM_WEBHOOK_URL should be https: Telegram only calls HTTPS webhooks.")
        return None

    def get_output_channel(self) -> OutputChannel:
        """The Telegram output (no network call here, unlike Rasa's channel)."""
        return self.output if self.output is not None else CollectingOutputChannel()

    def is_authorized(self, request: Request) -> bool:
        """Whether the request carries the secret token (constant-time comparison)."""
        given = request.headers.get(SECRET_HEADER)
        if not given or not self.secret_token:
            return False
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.secret_token.encode("utf-8"))

    async def verify_bot(self) -> str | None:
        """Check once (getMe, cached) that the token belongs to the bot named in TELEGRAM_VERIFY."""
        if not self.verify or self.output is None:
            return None
        if self._bot_username is None:
            if self._me_lock is None:
                self._me_lock = asyncio.Lock()
            async with self._me_lock:
                if self._bot_username is None:
                    me = await self.output.safe_call(self.output.get_me)
                    if me is None:
                        return None  # Telegram unreachable: try again with the next update
                    self._bot_username = me.username or ""
        expected = self.verify.lstrip("@")
        if self._bot_username.lower() != expected.lower():
            return f"The bot token belongs to @{self._bot_username}, not to @{expected} (TELEGRAM_VERIFY)."
        return None

    async def register_webhook(self) -> bool:
        """Point Telegram at TELEGRAM_WEBHOOK_URL with the secret token."""
        if self.output is None or not self.webhook_url or not self.secret_token:
            return False
        try:
            ok = await self.output.set_secure_webhook(self.webhook_url, self.secret_token)
        except (TelegramAPIError, asyncio.TimeoutError) as error:
            logger.error("Telegram setWebhook failed: %s", error)
            return False
        if ok:
            logger.info("Telegram webhook set to %s (with a secret token).", self.webhook_url)
        return ok

    async def _on_start(self) -> None:
        problem = await self.verify_bot()
        if problem:
            logger.error("Telegram channel: %s", problem)
        if self.webhook_url:
            await self.register_webhook()

    def _is_new(self, update_id: int) -> bool:
        """Remember recent update ids: Telegram may deliver an update again."""
        if update_id in self._recent_updates:
            return False
        self._recent_updates[update_id] = None
        while len(self._recent_updates) > 1000:
            self._recent_updates.popitem(last=False)
        return True

    async def _reply(self, chat_id: int, text: str) -> None:
        if self.output is not None:
            await self.output.send_text_message(str(chat_id), text)

    def _to_rasa_text(self, text: str) -> list[str]:
        """Map Telegram commands to the assistant's messages ("/start@bot x" -> "/greet")."""
        text = BOT_COMMAND_MENTION.sub(r"\1", text)
        command = text.split(maxsplit=1)[0]
        if command in COMMANDS:
            return [COMMANDS[command]]
        if command == RESTART_COMMAND:
            return [RESTART_COMMAND, COMMANDS["/start"]]
        return [text]

    async def _forward(
        self, text: str, chat_id: int, user: Mapping[str, Any] | None, on_new_message: MessageHandler
    ) -> str:
        text = text.replace("\x00", "").strip()
        if not text:
            return "ignored: empty text"
        language = language_of(user)
        metadata = {"language": language} if language else None
        for message in self._to_rasa_text(text):
            await on_new_message(
                UserMessage(
                    message,
                    self.output,
                    str(chat_id),
                    input_channel=self.name(),
                    metadata=dict(metadata) if metadata else None,
                )
            )
        return "processed"

    async def _handle_message(self, message: dict[str, Any], on_new_message: MessageHandler) -> str:
        chat_id = _chat_id(message)
        if chat_id is None:
            return "ignored: no chat id"
        user = _object(message.get("from"))
        if user and user.get("is_bot") is True:
            return "ignored: sent by a bot"
        text = message.get("text")
        if isinstance(text, str):
            if len(text) > MAX_TEXT_LENGTH:
                return "ignored: text longer than Telegram allows"
            return await self._forward(text, chat_id, user, on_new_message)
        if "text" in message:
            return "ignored: text is not a string"
        if _is_private(message) and NON_TEXT_CONTENT & message.keys():
            await self._reply(chat_id, in_language_of(TEXT_ONLY_REPLIES, user))
            return "answered: text messages only"
        return "ignored: not a text message"

    async def _handle_edited_message(self, message: dict[str, Any]) -> str:
        chat_id = _chat_id(message)
        if chat_id is None or not _is_private(message):
            return "ignored: edited message"
        await self._reply(chat_id, in_language_of(EDITED_MESSAGE_REPLIES, _object(message.get("from"))))
        return "answered: edited message"

    async def _handle_callback_query(self, query: dict[str, Any], on_new_message: MessageHandler) -> str:
        query_id = query.get("id")
        if not isinstance(query_id, str) or not query_id:
            return "ignored: callback query without id"
        if self.output is not None:
            await self.output.answer_callback(query_id)
        data = query.get("data")
        if not isinstance(data, str) or not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            return "ignored: callback query without usable data"
        user = _object(query.get("from"))
        chat_id = _chat_id(_object(query.get("message")))
        if chat_id is None and user and _is_id(user.get("id")):
            chat_id = user["id"]  # a button under an inline-mode message: answer the user privately
        if chat_id is None:
            return "ignored: no chat id"
        payload = self.output.payload_for(data) if self.output is not None else data
        return await self._forward(payload, chat_id, user, on_new_message)

    async def handle_update(self, update: Any, on_new_message: MessageHandler) -> str:
        """Process one decoded Update; returns what was done (anything odd is ignored, never raised)."""
        if not isinstance(update, dict):
            return "ignored: not a JSON object"
        update_id = update.get("update_id")
        if not _is_int(update_id):
            return "ignored: no update_id"
        if not self._is_new(update_id):
            return "ignored: already received"
        if (query := _object(update.get("callback_query"))) is not None:
            return await self._handle_callback_query(query, on_new_message)
        if (message := _object(update.get("message"))) is not None:
            return await self._handle_message(message, on_new_message)
        if (edited := _object(update.get("edited_message"))) is not None:
            return await self._handle_edited_message(edited)
        return "ignored: update type not handled"

    def blueprint(self, on_new_message: MessageHandler) -> Blueprint:
        """Routes: GET / (health), POST /webhook (updates), GET|POST /set_webhook."""
        telegram_webhook = Blueprint("secure_telegram_webhook")

        def unavailable(problem: str) -> HTTPResponse:
            return response.json({"ok": False, "error": problem}, status=503)

        def forbidden() -> HTTPResponse:
            return response.json(
                {"ok": False, "error": f"missing or wrong {SECRET_HEADER} header"}, status=403
            )

        @telegram_webhook.listener("after_server_start")
        async def start(_app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
            """Check the bot and set the webhook in the background: start-up does not wait for Telegram."""
            if self.problem is None:
                self._startup = asyncio.create_task(self._on_start())

        @telegram_webhook.listener("before_server_stop")
        async def stop(_app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
            """Stop the start-up task and close the Bot API session."""
            if self._startup is not None and not self._startup.done():
                self._startup.cancel()
            if self.output is not None:
                await self.output.close_session()

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            """Whether the channel can accept updates."""
            if self.problem:
                return unavailable(self.problem)
            return response.json({"ok": True, "status": "ok"})

        @telegram_webhook.route("/set_webhook", methods=["GET", "POST"])
        async def set_webhook(request: Request) -> HTTPResponse:
            """Set the webhook again (needs the secret token header, like updates)."""
            if self.problem:
                return unavailable(self.problem)
            if not self.is_authorized(request):
                return forbidden()
            if not self.webhook_url:
                return response.json({"ok": False, "error": "TELEGRAM_WEBHOOK_URL is not set."}, status=400)
            if await self.register_webhook():
                return response.json({"ok": True, "webhook_url": self.webhook_url})
            return response.json(
                {"ok": False, "error": "Telegram refused setWebhook (see logs)."}, status=502
            )

        @telegram_webhook.route("/webhook", methods=["GET", "PUT", "PATCH", "DELETE"])
        async def wrong_method(request: Request) -> HTTPResponse:
            """Updates are POSTed: a JSON 405 instead of Sanic's HTML page."""
            return response.json(
                {"ok": False, "error": f"{request.method} is not allowed here: Telegram POSTs updates"},
                status=405,
                headers={"Allow": "POST"},
            )

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            """Receive one Update from Telegram."""
            if self.problem:
                return unavailable(self.problem)
            if not self.is_authorized(request):
                logger.warning("Telegram update rejected: %s missing or wrong.", SECRET_HEADER)
                return forbidden()
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.json({"ok": False, "error": "update too large"}, status=413)
            try:
                update = json.loads(body)
            except (ValueError, RecursionError):
                return response.json({"ok": False, "error": "the body is not valid JSON"}, status=400)
            mismatch = await self.verify_bot()
            if mismatch:
                logger.error("Telegram channel: %s", mismatch)
                return unavailable(mismatch)
            try:
                result = await self.handle_update(update, on_new_message)
            except Exception:
                # Telegram resends an update until it gets a 200: never make it loop on one.
                logger.exception("Telegram update could not be handled")
                result = "error: see the server log"
            return response.json({"ok": True, "result": result})

        return telegram_webhook
