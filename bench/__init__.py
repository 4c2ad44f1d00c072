"""The project benchmark (bench/run.py): the assistant against a bare `rasa init` bot."""
