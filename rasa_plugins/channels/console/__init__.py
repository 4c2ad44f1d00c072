"""The staff console served by the Rasa server at /staff/ (docs/staff-console.md).

Modules depend one way: `channel` (the input channel, routing) → `pages`, `handoff` (route
handlers) → `auth` (sessions, CSRF, throttling) → `render` (Jinja2 templates, responses);
`data` (database, change log, facts file) is used by the handlers and the channel.
"""
