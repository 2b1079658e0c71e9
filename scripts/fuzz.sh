#!/usr/bin/env bash
# API fuzzing with schemathesis (PyPI) against a running `chronid serve`: a fresh database and
# stream, the server on free ports, an account bootstrapped, then a bounded run over every
# operation of /openapi.json with the account's API key. It fails when a response is a 5xx, does
# not conform to the document (status, content type, schema), or refuses a request the document
# says is valid (tests/fuzz/schemathesis.toml names the few 400s no document can rule out). One
# worker: hypothesis describing strategies from two threads at once trips a CPython 3.11 bug
# ("AST constructor recursion depth mismatch"). Called by scripts/test.sh; needs PostgreSQL and
# NATS (scripts/services.sh start).
#   CHRONID_FUZZ_EXAMPLES   test cases per operation (default 25)
#   CHRONID_FUZZ_SEED       hypothesis seed (default: a fixed one, so runs repeat)
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${CHRONID_FUZZ_EXAMPLES:-25}
seed=${CHRONID_FUZZ_SEED:-20261201}

if ! python3 -c 'import schemathesis' 2>/dev/null; then
  echo "fuzz: installing schemathesis with pip" >&2
  python3 -m pip install --quiet schemathesis
fi

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build -q -p chronid
bin="$CARGO_TARGET_DIR/debug/chronid"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
base=${CHRONID_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="chronid_fuzz_$$"
api_port=$(free_port)
metrics_port=$(free_port)
work=$(mktemp -d)
server=""

cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -9 "$server" 2>/dev/null || true; fi
  psql "${base%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  python3 - "$db" <<'PY' || true
import json, socket, sys
# Delete the run's stream through the NATS protocol (no CLI needed).
s = socket.create_connection(("127.0.0.1", 4222), timeout=5)
s.recv(4096)
name = "FUZZ_" + sys.argv[1].upper()
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _fuzz.reply 1\r\nPUB $JS.API.STREAM.DELETE.' + name.encode() + b' _fuzz.reply 0\r\n\r\n')
got = b""
while b"stream_delete_response" not in got:
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
if b'"success":true' not in got:
    print(f"fuzz: could not delete stream {name}: {got[-300:]!r}", file=sys.stderr)
PY
  rm -rf "$work"
}
trap cleanup EXIT

psql "${base%/*}/postgres" -qc "CREATE DATABASE \"$db\"" >/dev/null
export CHRONID_DATABASE_URL="${base%/*}/$db"
export CHRONID_STREAM="FUZZ_${db^^}"
export CHRONID_SUBJECT_PREFIX="fuzz.$db"
export CHRONID_LISTEN="127.0.0.1:$api_port"
export CHRONID_METRICS_LISTEN="127.0.0.1:$metrics_port"
export CHRONID_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
export CHRONID_ARGON2_MEMORY_KIB=1024 CHRONID_ARGON2_ITERATIONS=1
export CHRONID_LOG=warn
# One address sends every request: the per-address limits would answer most of them with 429.
export CHRONID_RATE_LOGIN_PER_MINUTE=100000 CHRONID_RATE_CHALLENGE_PER_MINUTE=100000 CHRONID_RATE_FORGOT_PER_MINUTE=100000

"$bin" migrate >/dev/null
boot=$(echo 'a-long-fuzzing-password' | "$bin" bootstrap --account-name Fuzz --admin-email admin@fuzz.test)
key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["api_key"])' "$boot")
account=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["account_id"])' "$boot")
# Operations on the account go to the key's own account, so they reach the use cases (random
# account ids would all stop at 403).
{ printf '[parameters]\n"path.account" = "%s"\n\n' "$account"; cat tests/fuzz/schemathesis.toml; } \
  >"$work/schemathesis.toml"
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$api_port/health" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$work/server.log" >&2; echo "fuzz: chronid serve exited" >&2; exit 1; fi
  sleep 0.1
done

set +e
schemathesis --config-file "$work/schemathesis.toml" run "http://127.0.0.1:$api_port/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance \
  --phases examples,coverage,fuzzing \
  --max-examples "$examples" --seed "$seed" --workers 1 \
  --suppress-health-check all \
  --report junit --report-junit-path "$work/junit.xml" \
  --output-truncate true
status=$?
set -e
if [ $status -ne 0 ]; then
  echo "fuzz: schemathesis found failures (server log: last lines below)" >&2
  tail -n 20 "$work/server.log" >&2
fi
# The server stops when asked (SIGTERM): in-flight requests finish, every component ends.
kill -TERM "$server"
for _ in $(seq 1 100); do
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$server" 2>/dev/null; then
  echo "fuzz: chronid serve did not stop within 10 s of SIGTERM" >&2
  exit 1
fi
wait "$server" || { echo "fuzz: chronid serve exited with an error after SIGTERM" >&2; tail -n 20 "$work/server.log" >&2; exit 1; }
server=""
exit $status
