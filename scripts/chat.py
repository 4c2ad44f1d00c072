"""Chat with the running assistant in a terminal, over its REST channel."""

from __future__ import annotations

import argparse
import json
import os
import urllib.request
import uuid


def send(url: str, sender: str, message: str) -> list[dict]:
    """Post one message and return the assistant's replies."""
    if not url.startswith(("http://", "https://")):
        raise SystemExit(f"not an HTTP URL: {url}")
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read() or b"[]")


def main() -> None:
    """Read lines, print replies; a number picks one of the last buttons."""
    port = os.environ.get("IMP_PORT", "5005")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=f"http://localhost:{port}/webhooks/rest/webhook")
    args = parser.parse_args()
    sender, buttons = f"terminal-{uuid.uuid4().hex[:8]}", []
    print("Type your question (a number picks a button; Ctrl-D quits).")
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            break
        if line.isdigit() and 0 < int(line) <= len(buttons):
            line = buttons[int(line) - 1]["payload"]
        buttons = []
        for reply in send(args.url, sender, line):
            print(f"bot> {reply.get('text', '')}")
            for number, button in enumerate(reply.get("buttons", []), start=len(buttons) + 1):
                print(f"     [{number}] {button['title']}")
            buttons += reply.get("buttons", [])


if __name__ == "__main__":
    main()
