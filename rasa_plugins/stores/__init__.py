"""Stores of the Rasa server: the SQL tracker store with its window and privacy deletion, the lock store."""
