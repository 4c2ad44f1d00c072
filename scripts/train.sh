#!/usr/bin/env bash
# Trains the model only when the training data, domain or config changed; prints its path.
source "$(dirname "$0")/common.sh"
# IMP_MODEL=path/to/model.tar.gz uses that model as it is (no digest check, no training).
if [ -n "${IMP_MODEL:-}" ]; then
  [ -f "$IMP_MODEL" ] || { log "IMP_MODEL=$IMP_MODEL: no such file"; exit 1; }
  echo "$IMP_MODEL"; exit 0
fi
digest="$(find config.yml domain.yml data/nlu data/rules data/stories -type f -name '*.yml' | sort \
  | xargs cat | cat - <(grep -E '^(rasa|spacy)==' requirements.txt) | sha256sum | cut -c1-12)"
model="$ROOT/models/imp-assistant-$digest.tar.gz"
# One training at a time: a second caller waits for the first and then reuses its model.
exec 9>"$ROOT/models/.train.lock"
flock 9
if [ ! -f "$model" ]; then
  log "Training the model (data or config changed; about 1 minute on 2 quiet cores)"
  tmp_out="$(mktemp -d)"
  # --skip-validation: `make test` validates the data first (`rasa data validate`, warnings fail);
  # Rasa's own pass before training costs about 15 s and changes nothing in the model.
  "$RASA" train --skip-validation --config config.yml --domain domain.yml \
    --data data/nlu data/rules data/stories --out "$tmp_out" --fixed-model-name "imp-assistant-$digest" >&2
  find "$ROOT/models" -name 'imp-assistant-*.tar.gz' -delete
  mv "$tmp_out/imp-assistant-$digest.tar.gz" "$model"
  rmdir "$tmp_out"
fi
echo "$model"
