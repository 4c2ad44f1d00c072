"""The REST channel's request checks (end to end: tests/e2e/test_bad_input.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rasa_plugins.channels.rest import (
    MAX_BODY_BYTES,
    MAX_MESSAGE_LENGTH,
    MAX_SENDER_LENGTH,
    BadRestRequest,
    RestRequest,
    ValidatingRestInput,
    check_request,
    parse_body,
)


def checked(data: Any, content_type: str | None = "application/json") -> RestRequest:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return check_request(parse_body(raw, content_type))


def refused(data: Any, content_type: str | None = "application/json") -> tuple[int, str]:
    with pytest.raises(BadRestRequest) as raised:
        checked(data, content_type)
    return raised.value.status, raised.value.reason


def test_the_channel_keeps_rasa_s_name_and_url() -> None:
    assert ValidatingRestInput.name() == "rest"


def test_a_good_request_passes_unchanged() -> None:
    request = checked({"sender": "me", "message": "how long?", "metadata": {"language": "fr"}, "x": 1})
    assert request == RestRequest("me", "how long?", {"language": "fr"}, None)
    assert checked({"sender": "s" * MAX_SENDER_LENGTH, "message": "m" * MAX_MESSAGE_LENGTH}).sender


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"", 400, "empty body"),
        (b"[1]", 400, "not a list"),
        (b'"x"', 400, "not a string"),
        (b"3", 400, "not a number"),
        (b"null", 400, "not null"),
        (b"{", 400, "not valid JSON"),
        (b"\xff{}", 400, "not valid UTF-8"),
        (b"[" * 50_000, 400, "not valid JSON"),
        (b" " * (MAX_BODY_BYTES + 1), 413, "too large"),
        ({"sender": "me"}, 400, '"message" is required'),
        ({"sender": "me", "message": 1}, 400, "not a number"),
        ({"sender": "me", "message": {}}, 400, "not an object"),
        ({"sender": "me", "message": " \t\n"}, 400, "empty"),
        ({"sender": "me", "message": "\x00\x1b"}, 400, "empty"),
        ({"sender": "me", "message": "x" * (MAX_MESSAGE_LENGTH + 1)}, 413, "too long"),
        ({"sender": "me", "message": "\ud800"}, 400, "Unicode"),
        ({"message": "hi"}, 400, '"sender" is required'),
        ({"sender": "", "message": "hi"}, 400, "empty"),
        ({"sender": 5, "message": "hi"}, 400, "not a number"),
        ({"sender": "s" * (MAX_SENDER_LENGTH + 1), "message": "hi"}, 400, "too long"),
        ({"sender": "a\x00b", "message": "hi"}, 400, "control"),
        ({"sender": "a\u0085b", "message": "hi"}, 400, "control"),
        ({"sender": "me", "message": "hi", "metadata": []}, 400, "metadata"),
        ({"sender": "me", "message": "hi", "input_channel": "a b"}, 400, "input_channel"),
    ],
)
def test_bad_requests_get_a_status_and_a_reason(data: Any, status: int, reason: str) -> None:
    got_status, got_reason = refused(data)
    assert got_status == status
    assert reason in got_reason


def test_control_characters_are_removed_from_a_message_but_not_line_breaks() -> None:
    assert checked({"sender": "me", "message": "a\x00b\x07c\n\td\u009f"}).message == "ab" + "c\n\td"


def test_a_non_json_body_with_a_non_json_content_type_is_a_415() -> None:
    assert refused(b"sender=me&message=hi", "application/x-www-form-urlencoded")[0] == 415
    assert refused(b"<m/>", "text/xml")[0] == 415
    assert refused(b"<m/>", "application/json")[0] == 400
    # a JSON body is read whatever its content type (curl -d sends form-urlencoded)
    assert checked({"sender": "me", "message": "hi"}, "application/x-www-form-urlencoded").message == "hi"
    assert checked(b'\xef\xbb\xbf{"sender": "me", "message": "hi"}').message == "hi"
