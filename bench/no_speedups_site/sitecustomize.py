"""Only for the benchmark's "no-speedups" server: Rasa's own code where rasa_plugins.speedups
would patch it.

bench/run.py puts this folder first on PYTHONPATH of that Rasa server (Python imports
`sitecustomize` by itself, before Rasa loads rasa_plugins.tracker_store from endpoints.yml):
`speedups.install` becomes a no-op, so the call in `tracker_store.install()` patches nothing.
Sanic's workers are forked from that process and inherit it.
"""

from rasa_plugins import speedups

speedups.install = lambda: None
