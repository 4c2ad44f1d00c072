"""Build the project's spaCy pipeline: a blank language plus an entity ruler from the vocabulary."""

from __future__ import annotations

import argparse
from pathlib import Path

import spacy

from actions.core.settings import PROJECT_ROOT
from actions.core.vocabulary import Vocabulary

# A year from 1990 to 2039 written alone ("2022", "in 2025?"): entity label "year".
YEAR_PATTERN = {"label": "year", "pattern": [{"TEXT": {"REGEX": r"^(199\d|20[0-3]\d)$"}}]}


def build(language: str, vocabulary: Vocabulary) -> spacy.Language:
    """A blank pipeline of `language` whose entity ruler knows every vocabulary phrase and years."""
    nlp = spacy.blank(language)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(
        [{"label": p.label, "pattern": p.phrase, "id": p.value} for p in vocabulary.patterns()]
        + [YEAR_PATTERN]
    )
    return nlp


def main() -> None:
    """Write the pipeline to build/spacy/<language>_imp (or --output)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", default="fr", help="tokenizer language (fr also handles English)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    output = args.output or PROJECT_ROOT / "build" / "spacy" / f"{args.language}_imp"
    output.parent.mkdir(parents=True, exist_ok=True)
    build(args.language, Vocabulary.load()).to_disk(output)
    print(f"spaCy pipeline written to {output}")


if __name__ == "__main__":
    main()
