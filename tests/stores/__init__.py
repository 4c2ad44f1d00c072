"""Tests of the stores (rasa_plugins/stores)."""
