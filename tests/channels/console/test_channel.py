"""The console's blueprint registers on a Sanic app with every route of the console."""

from __future__ import annotations

import uuid

from sanic import Sanic

from rasa_plugins.channels.console.channel import StaffConsole

ROUTES = {
    "/staff",
    "/staff/login",
    "/staff/static/console.css",
    "/staff/logout",
    "/staff/conversations",
    "/staff/transcript",
    "/staff/not-understood",
    "/staff/assessments",
    "/staff/votes",
    "/staff/ask",
    "/staff/facts",
    "/staff/facts/<fact_id:[A-Za-z0-9_.-]{1,64}>",
    "/staff/api/<what:[a-z-]{1,32}>",
    "/staff/handoffs",
    "/staff/handoffs/<handoff_id:int>",
    "/staff/handoffs/<handoff_id:int>/<what:[a-z]{1,16}>",
    "/staff/logout-everywhere",
    "/staff/accounts",
    "/staff/accounts/<account:[A-Za-z0-9._@-]{1,64}>/<what:[a-z-]{1,16}>",
    "/staff/audit",
}


def test_the_blueprint_registers_every_route() -> None:
    console = StaffConsole(token="t", secret="s")
    app = Sanic("console_" + uuid.uuid4().hex[:8])
    app.blueprint(console.blueprint(lambda message: None), url_prefix=console.url_prefix())
    app.router.finalize()
    paths = {"/" + route.path.rstrip("/") for route in app.router.routes}
    assert paths >= ROUTES, ROUTES - paths
    assert console.name() == "staff" and console.get_output_channel() is None


def test_the_stylesheet_is_in_the_package() -> None:
    from rasa_plugins.channels.console.channel import STATIC_DIR

    assert 'nav a[aria-current="page"]' in (STATIC_DIR / "console.css").read_text(encoding="utf-8")
