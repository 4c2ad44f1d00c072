#!/usr/bin/env bash
# The README's run command: sets up on first use, trains when needed, then starts the action
# server and the Rasa server (REST channel) on the embedded SQLite database. Ctrl-C, SIGINT or
# SIGTERM stops both. Needs no terminal: it can run in the background or as a service.
source "$(dirname "$0")/common.sh"
bash scripts/setup.sh
model="$(bash scripts/train.sh)"
export IMP_DATABASE_URL="${IMP_DATABASE_URL:-sqlite:///$ROOT/var/imp_assistant.db}"
mkdir -p "$ROOT/var"

# The HTTP API (conversations, tracker, model) is enabled only behind a token. Without
# IMP_API_TOKEN a random one is generated each start, so the API stays closed (401).
# `--option=value`: a value starting with "-" (1 random token in 64) is not taken for an option.
api_token="${IMP_API_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')}"
api_args=(--enable-api "--auth-token=$api_token")
if [ -n "${IMP_JWT_SECRET:-}" ]; then
  api_args+=("--jwt-secret=$IMP_JWT_SECRET" "--jwt-method=${IMP_JWT_METHOD:-HS256}")
fi

"$RASA" run actions --actions actions --port "$IMP_ACTION_PORT" </dev/null &
action_pid=$!
"$RASA" run --model "$model" --interface "${IMP_INTERFACE:-0.0.0.0}" --port "$IMP_PORT" --endpoints endpoints.yml \
  --credentials credentials.yml --cors "${IMP_CORS_ORIGINS:-http://localhost:$IMP_PORT}" \
  "${api_args[@]}" </dev/null &
rasa_pid=$!

# SIGTERM first (both servers shut down gracefully); whatever is still running after
# IMP_STOP_TIMEOUT seconds (default 30) gets SIGKILL, as a service manager would do, and says so.
stop() {
  trap - INT TERM
  log "Stopping the assistant"
  kill -TERM "$rasa_pid" "$action_pid" 2>/dev/null || true
  for _ in $(seq 1 "${IMP_STOP_TIMEOUT:-30}"); do
    kill -0 "$rasa_pid" 2>/dev/null || kill -0 "$action_pid" 2>/dev/null || break
    sleep 1
  done
  local name pid
  for name in rasa action; do
    pid="$rasa_pid"
    [ "$name" = action ] && pid="$action_pid"
    if kill -0 "$pid" 2>/dev/null; then
      log "The $name server (pid $pid) did not stop within ${IMP_STOP_TIMEOUT:-30} s of SIGTERM: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait "$rasa_pid" "$action_pid" 2>/dev/null || true
}
# The trap only notes the signal; stopping happens in the main flow. (Stopping inside the trap,
# which interrupted `wait -n`, hung run.sh in 2 CI runs of 2 with both servers still up.)
stop_requested=0
trap 'stop_requested=1' INT TERM

log "Starting (loading the model takes about 20 seconds)"
for _ in $(seq 1 "${IMP_START_TIMEOUT:-300}"); do
  if curl -sf --max-time 5 "http://localhost:$IMP_PORT/" >/dev/null \
    && curl -sf --max-time 5 "http://localhost:$IMP_ACTION_PORT/health" >/dev/null; then
    log "The IMP+ assistant is ready (database: ${IMP_DATABASE_URL%%://*})."
    log "  REST:  curl -s localhost:$IMP_PORT/webhooks/rest/webhook -d '{\"sender\":\"me\",\"message\":\"how long is the IMP+ permit valid?\"}'"
    log "  Website widget demo: http://localhost:$IMP_PORT/widget/demo.html (French: ?lang=fr)"
    log "  Chat in a terminal: make chat    Stop: Ctrl-C"
    break
  fi
  if [ "$stop_requested" = 1 ]; then
    stop
    exit 0
  fi
  if ! kill -0 "$rasa_pid" 2>/dev/null || ! kill -0 "$action_pid" 2>/dev/null; then
    log "A server failed to start; see the messages above."
    stop
    exit 1
  fi
  sleep 1
done

# Run until a signal asks to stop or either server stops; then stop both. (A background `sleep`
# so that a signal interrupts the `wait` at once.)
while [ "$stop_requested" = 0 ]; do
  if ! kill -0 "$rasa_pid" 2>/dev/null || ! kill -0 "$action_pid" 2>/dev/null; then
    log "A server stopped unexpectedly."
    stop
    exit 1
  fi
  sleep 1 &
  wait $! || true
done
stop
exit 0
