"""Only for the benchmark's "+speedups" servers: installs rasa_plugins.speedups at start-up.

bench/run.py puts this folder first on PYTHONPATH of those Rasa servers (Python imports
`sitecustomize` by itself), so the proposed patches are measured without wiring them into
the project. Sanic's workers are forked from that process and inherit them.
"""

from rasa_plugins import speedups

speedups.install()
