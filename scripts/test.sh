#!/usr/bin/env bash
# The README's test command: lint, data validation, training (when needed), pytest (unit,
# action, database on SQLite and PostgreSQL, end to end through the run command), the test
# conversations and the held-out NLU evaluation. Any failure stops it with a non-zero exit.
source "$(dirname "$0")/common.sh"
bash scripts/setup.sh

# The browser tests drive Debian's Chromium (never a browser downloaded at run time).
chromium="${IMP_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ "${IMP_SKIP_CHROMIUM:-}" != 1 ] && command -v apt-get >/dev/null 2>&1; then
  log "Installing Debian's chromium for the browser tests (set IMP_SKIP_CHROMIUM=1 to skip)"
  if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq chromium >/dev/null
fi

log "1/8 Lint (ruff)"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

log "2/8 Validate the training data and domain (warnings fail)"
"$RASA" data validate --fail-on-warnings --data data/nlu data/rules data/stories

log "3/8 Evaluation data kept apart from training data (no copy or near-copy)"
"$PY" -m scripts.evaluation_overlap | tail -1

log "4/8 The fact-sheet check (make check-facts): every fact bilingual, sourced, dated, each figure in the text of a source it cites (docs/sources/); facts due for review are a warning"
"$PY" -m scripts.check_facts

log "5/8 Train the model (skipped when data and config are unchanged)"
model="$(bash scripts/train.sh)"
export IMP_MODEL="$model"  # every test below uses this model, no second training

log "6/8 pytest in random order (seed ${IMP_TEST_SEED:-1}): unit, actions, SQLite + PostgreSQL, end to end, conversation evaluation"
"$PY" -m pytest -q -p randomly --randomly-seed="${IMP_TEST_SEED:-1}" "$@"
log "6/8 again: the tests not marked e2e in another random order (seed ${IMP_TEST_SEED2:-2}): none needs another to run first"
"$PY" -m pytest -q -p randomly --randomly-seed="${IMP_TEST_SEED2:-2}" -m "not e2e" "$@"

log "7/8 Held-out NLU sets (tests/nlu, never trained on: macro F1 >= 0.95 and wrong facts <= 1 % per language)"
log "8/8 Test stories end to end (text through NLU: every intent, entity and action as written; tests/known_story_failures.yml lists the ones that do not pass yet)"
# Macro F1: fails below 0.95 per language (issue #12's target; the linear classifier trains the
# same model from the same data every time). Wrong facts: fails above 1 %.
"$PY" -m scripts.evaluate_model "$model" --out results --min-macro-f1 0.95
log "All checks passed."
