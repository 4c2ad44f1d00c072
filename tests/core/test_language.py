"""Language detection of user messages."""

from __future__ import annotations

import pytest

from actions.core.language import detect, requested_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how long is the permit valid?", "en"),
        ("Can my wife come with me to Quebec?", "en"),
        ("hello", "en"),
        ("combien de temps le permis est valide?", "fr"),
        ("c'est quoi le PMI+", "fr"),
        ("bonjour", "fr"),
        ("est-ce que ma blonde peut venir avec moi", "fr"),
        ("ca coute combien le permis", "fr"),
        ("hola, necesito información sobre el trabajo", "other"),
        ("Hallo, ich brauche Hilfe mit der Arbeit", "other"),
        ("مرحبا أريد العمل في كندا", "other"),
        ("dzień dobry, czy mogę prosić o pomoc?", "other"),
        ("merhaba, nasıl başvurabilirim?", "other"),
        ("habari, asante sana", "other"),
        ("Καλημέρα σας", "other"),
        ("ciao, thanks for your help", "en"),
        ("ok", None),
        ("PRTQ", None),
        ("Lyon", None),
        ("", None),
    ],
)
def test_detect(text: str, language: str | None) -> None:
    assert detect(text).language == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("in English please", "en"),
        ("can you answer in english?", "en"),
        ("en anglais svp", "en"),
        ("en français svp", "fr"),
        ("en francais stp", "fr"),
        ("Can we continue in French?", "fr"),
        ("parlez français", "fr"),
        ("how long is the permit valid?", None),
        ("English", "en"),
        ("je préfère l'anglais", "en"),
        ("comment on dit « char » en anglais", None),
        ("is the French program the same as IMP+?", None),
        ("do you speak English? I don't understand French well", None),
        ("quel test de français dois-je passer pour immigrer", None),
        ("je préfère qu'on continue en anglais", "en"),
    ],
)
def test_requested_language(text: str, language: str | None) -> None:
    assert requested_language(text) == language
    if language:
        assert detect(text).requested
