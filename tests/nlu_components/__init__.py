"""Tests of the NLU components (rasa_plugins/nlu); held-out NLU data is in tests/nlu."""
