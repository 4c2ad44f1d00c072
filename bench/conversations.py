"""What the simulated users say: the IMP+ assistant's conversations and the rasa init bot's."""

from __future__ import annotations

# Each simulated user of the assistant plays one of these, then starts a new conversation:
# a greeting, 2-3 fact questions, the eligibility form answered in free text (sometimes with a
# question in the middle), some French.
ASSISTANT_CONVERSATIONS: list[list[str]] = [
    [
        "hi",
        "what is IMP+?",
        "how long is the IMP+ permit valid?",
        "how much does it cost?",
        "am I eligible for IMP+?",
        "I live in Lyon",
        "yes, through the PRTQ",
        "yes it is",
        "yes I got it",
        "I haven't applied yet",
        "thanks",
    ],
    [
        "bonjour",
        "c'est quoi le PMI+?",
        "combien ça coûte?",
        "est-ce que ma famille peut venir avec moi?",
        "suis-je admissible au PMI+?",
        "j'habite à Montréal",
        "oui, avec le PRTQ",
        "oui il est encore valide",
        "non je ne l'ai pas reçue",
        "ma demande de résidence permanente est en cours",
        "merci beaucoup",
    ],
    [
        "hello",
        "who decides on the permit?",
        "is it an open work permit?",
        "check my eligibility",
        "I live in Paris",
        "how do I apply?",
        "yes through the PRTQ",
        "yes",
        "no",
        "not yet",
        "bye",
    ],
]

# The rasa init bot ("moodbot") understands greet, goodbye, affirm, deny, mood_great,
# mood_unhappy and bot_challenge: its users say those, in conversations of the same length.
BASELINE_CONVERSATIONS: list[list[str]] = [
    [
        "hi",
        "I am sad",
        "no",
        "hello",
        "I am feeling very good",
        "are you a bot?",
        "I'm unhappy",
        "yes",
        "great",
        "thanks, bye",
        "goodbye",
    ],
    [
        "hey there",
        "not good",
        "yes",
        "good morning",
        "I am great",
        "am I talking to a human?",
        "very sad",
        "nope",
        "perfect",
        "see you later",
        "bye",
    ],
]


def long_conversation(conversations: list[list[str]], turns: int) -> list[str]:
    """`turns` messages for one user: the conversations one after another, again and again."""
    messages = [message for conversation in conversations for message in conversation]
    return [messages[index % len(messages)] for index in range(turns)]
