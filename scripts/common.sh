# Shared settings for the project's scripts: sourced, not run.
# Every value can be overridden from the environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${IMP_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
RASA="$VENV/bin/rasa"
export IMP_PORT="${IMP_PORT:-5005}"
export IMP_ACTION_PORT="${IMP_ACTION_PORT:-5055}"
export IMP_ACTION_ENDPOINT="${IMP_ACTION_ENDPOINT:-http://localhost:${IMP_ACTION_PORT}/webhook}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# Rasa's telemetry would try to reach the internet.
export RASA_TELEMETRY_ENABLED=false
log() { printf '\033[1m[imp]\033[0m %s\n' "$*" >&2; }
