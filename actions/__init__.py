"""Custom actions of the IMP+ assistant (rasa_sdk adapters) and their pure core."""
