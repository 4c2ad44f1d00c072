"""The fact-sheet check (`make check-facts`, run by the test command).

Fails when a fact lacks its English or French text, cites a source missing from the sources list,
has a date that does not parse, or states a figure (or a code name such as A76) found in none of
the texts of the sources it cites; a source's text is the file of docs/sources/, or the lines of it,
that its `text_in` names, and a source whose text cannot be found fails too. Prints the facts due
for review (never checked, or checked more than 180 days ago) as a warning only: time passing must
not turn CI red.

    python -m scripts.check_facts [--today YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import yaml

from actions.core.fact_check import REVIEW_AFTER, check_knowledge, due_for_review
from actions.core.settings import PROJECT_ROOT, facts_path


def main() -> int:
    """Print the problems and the facts due for review; 1 when there is a problem."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()
    path = facts_path()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    files = {
        source.name: source.read_text(encoding="utf-8")
        for source in sorted((PROJECT_ROOT / "docs" / "sources").iterdir())
        if source.is_file()
    }
    problems = check_knowledge(data, files)
    for problem in problems:
        print(f"FAIL {problem.where}: {problem.what}")
    due = due_for_review(data, args.today)
    for fact, checked in due:
        when = f"last checked {checked.isoformat()}" if checked else "never checked against its official page"
        print(f"warning: {fact} is due for review ({when}; review every {REVIEW_AFTER.days} days)")
    facts = len(data.get("facts") or {})
    print(f"{path.name}: {facts} facts, {len(problems)} problem(s), {len(due)} due for review")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
