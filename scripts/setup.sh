#!/usr/bin/env bash
# Creates the Python 3.10 environment, installs the pinned packages and builds the spaCy
# pipeline; each step is skipped when its inputs have not changed.
source "$(dirname "$0")/common.sh"

find_python310() {
  if [ -n "${IMP_PYTHON:-}" ]; then echo "$IMP_PYTHON"; return; fi
  if command -v pyenv >/dev/null 2>&1 && PYENV_VERSION=3.10.13 pyenv which python3.10 >/dev/null 2>&1; then
    PYENV_VERSION=3.10.13 pyenv which python3.10; return
  fi
  command -v python3.10 || true
}

if [ ! -x "$PY" ]; then
  python310="$(find_python310)"
  if [ -z "$python310" ]; then
    log "Python 3.10 is required (Rasa 3.6 does not run on newer Pythons)."
    log "Install it (e.g. 'pyenv install 3.10.13') or set IMP_PYTHON=/path/to/python3.10."
    exit 1
  fi
  log "Creating the Python environment in $VENV with $python310"
  "$python310" -m venv "$VENV"
fi

stamp="$VENV/.installed-$(cat requirements.txt constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  log "Installing pinned packages (first time: about 3 minutes)"
  "$PY" -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3" "setuptools==70.3.0" "wheel==0.45.1"
  "$PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

spacy_dir="$ROOT/build/spacy/imp_bilingual"
spacy_stamp="$ROOT/build/spacy/.built-$(cat data/entities/vocabulary.yml scripts/build_spacy.py | sha256sum | cut -c1-16)"
if [ ! -f "$spacy_stamp" ] || [ ! -d "$spacy_dir" ]; then
  log "Building the spaCy pipeline from data/entities/vocabulary.yml"
  "$PY" -m scripts.build_spacy --language fr --output "$spacy_dir"
  rm -f "$ROOT"/build/spacy/.built-*
  touch "$spacy_stamp"
fi
