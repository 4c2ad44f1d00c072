#!/usr/bin/env bash
# Fresh clone -> first answer with `make run` (issue #13): clones this repository's HEAD into a
# temporary folder, runs `make run` there (new .venv, install, spaCy build, training from an empty
# cache) and prints the seconds until the REST channel answers a question, and the training time.
# Usage: bash bench/first_answer.sh   (about 5-6 minutes; ports IMP_PORT / IMP_ACTION_PORT)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
git clone -q "$repo" "$work/p"
cd "$work/p"
export IMP_PORT="${IMP_PORT:-5105}" IMP_ACTION_PORT="${IMP_ACTION_PORT:-5155}"
started=$(date +%s)
setsid make run > "$work/run.log" 2>&1 &
runner=$!
cleanup() { kill -TERM -- "-$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
question='{"sender": "bench", "message": "how long is the IMP+ permit valid?"}'
set_up="" trained=""
until reply="$(curl -sf --max-time 30 "localhost:$IMP_PORT/webhooks/rest/webhook" -d "$question")" \
  && grep -q "3 years" <<<"$reply"; do
  kill -0 "$runner" 2>/dev/null || { tail -20 "$work/run.log"; echo "make run stopped"; exit 1; }
  # milestones: the spaCy build ends the setup; the model file ends the training
  [ -z "$set_up" ] && compgen -G "build/spacy/.built-*" >/dev/null && set_up=$(date +%s)
  [ -z "$trained" ] && compgen -G "models/imp-assistant-*.tar.gz" >/dev/null && trained=$(date +%s)
  sleep 2  # polling for milestones and the first answer, not a wait before an assertion
done
answered=$(date +%s)
echo "setup (venv, pinned packages, spaCy pipeline): $((set_up - started)) s"
echo "training from scratch (rasa train, empty cache): $((trained - set_up)) s"
echo "loading until the first answer: $((answered - trained)) s"
echo "fresh clone -> first answer with make run: $((answered - started)) s"
