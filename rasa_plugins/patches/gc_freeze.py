"""The loaded model kept out of Python's garbage collector's full collections (`gc.freeze`).

A loaded assistant holds about 800,000 Python objects (TensorFlow, spaCy, the domain, the
graph). CPython's full collection walks every one of them, and it runs whenever the objects
that survived younger collections reach a quarter of that: measured on 300 turns in one
process (bench/profile_turns.py), one full collection of 525 ms of CPU, about 1.8 ms per turn
on average and a half-second pause for whoever is being answered at that moment.

After `Agent.load_model` (every model load: `rasa run`'s start-up, each Sanic worker, a model
pulled from a server), the objects that exist are collected once and then moved to the
permanent generation, which collections skip; objects made by later turns are collected as
usual, and reference counting still frees frozen objects that are no longer used. A new model
first unfreezes everything, so the old model's cyclic garbage is collected once more.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from rasa.core.agent import Agent

logger = logging.getLogger(__name__)

# Rasa's original (rasa_plugins.patches installs ours and keeps it as `_imp_rasa_load_model`).
_rasa_load_model = getattr(Agent, "_imp_rasa_load_model", Agent.load_model)


def _load_model(self: Agent, *args: Any, **kwargs: Any) -> Any:
    """Agent.load_model, then everything alive frozen out of the collector's reach."""
    gc.unfreeze()
    result = _rasa_load_model(self, *args, **kwargs)
    gc.collect()
    gc.freeze()
    logger.debug("Froze %d objects after loading the model.", gc.get_freeze_count())
    return result
