#!/usr/bin/env bash
# Retraining after a small change (issue #13): in a fresh clone of HEAD (sharing this checkout's
# .venv), trains from scratch, then after editing one response's text, then after adding one story
# made of existing intents and actions, and prints each `bash scripts/train.sh` time and which
# components Rasa restored from its training cache. Usage: bash bench/retrain_after_edit.sh (~5 min)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/p"
cd "$work/p"
ln -s "$repo/.venv" .venv
bash scripts/setup.sh >/dev/null 2>&1

timed_training() {  # $1: label
  local started log="$work/train-$RANDOM.log"
  started=$(date +%s.%N)
  bash scripts/train.sh >"$log" 2>&1
  printf '%-52s %6.1f s   restored from the cache: %s\n' "$1" "$(echo "$(date +%s.%N) - $started" | bc)" \
    "$(grep -o "Restored component '[A-Za-z]*'" "$log" | cut -d"'" -f2 | sort -u | paste -sd, - || true)"
}

timed_training "from scratch (empty cache)"
sed -i 's/Goodbye, and good luck with your plans!/Goodbye, and all the best with your plans!/' domain.yml
timed_training "after editing one response's text (domain.yml)"
cat >>data/stories/facts.yml <<'STORY'

  - story: thanks after the fees, then goodbye
    steps:
      - intent: ask_fees
      - action: action_answer_fact
      - intent: thank
      - action: utter_thank
      - intent: goodbye
      - action: utter_goodbye
STORY
timed_training "after adding one story of existing intents and actions"
