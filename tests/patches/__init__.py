"""Tests of the patch registry and the patches of Rasa internals (rasa_plugins/patches)."""
