"""Extensions loaded by the Rasa server (not by the action server)."""
