#!/usr/bin/env bash
# Runs the chronid server on a fresh machine: starts PostgreSQL and NATS (installing them when
# missing), creates the `chronid` database, keeps a sealing key in .chronid/secret.key (unless
# CHRONID_SECRET_KEY is set), then runs `chronid serve` (API on 127.0.0.1:8080 and the relay).
# Extra arguments go to `chronid serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh start
scripts/build-deps.sh

export CHRONID_DATABASE_URL=${CHRONID_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/chronid}
db=${CHRONID_DATABASE_URL##*/}
db=${db%%\?*}
if ! psql "${CHRONID_DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "${CHRONID_DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$db\""
  echo "serve: created database $db" >&2
fi

if [ -z "${CHRONID_SECRET_KEY:-}" ]; then
  mkdir -p .chronid
  if [ ! -s .chronid/secret.key ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 > .chronid/secret.key)
    echo "serve: generated a sealing key in .chronid/secret.key (keep it: sealed secrets need it)" >&2
  fi
  CHRONID_SECRET_KEY=$(cat .chronid/secret.key)
  export CHRONID_SECRET_KEY
fi

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p chronid
echo "serve: first time? create an account with:" >&2
echo "  echo 'a long password' | $CARGO_TARGET_DIR/release/chronid bootstrap --account-name Acme --admin-email admin@acme.test" >&2
exec "$CARGO_TARGET_DIR/release/chronid" serve "$@"
