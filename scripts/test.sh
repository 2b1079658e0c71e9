#!/usr/bin/env bash
# Runs every test: starts PostgreSQL and NATS when they are down (installing them when missing),
# then `cargo test --workspace`, then API fuzzing with schemathesis against a running server
# (scripts/fuzz.sh). Integration tests create their own database and stream per test and fail,
# saying how to start a service, when one is unreachable.
# Extra arguments go to `cargo test` (and leave the fuzzing out: they select tests).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh start
scripts/build-deps.sh
scripts/peers.sh install
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  echo "test: the fault tests need the nats-server binary (apt-get install nats-server)" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# API fuzzing against a running server (schemathesis); skipped only when the tests were filtered.
fuzz=0
if [ $# -eq 0 ]; then
  scripts/fuzz.sh
  fuzz=$?
  if [ $fuzz -ne 0 ]; then echo "test: API fuzzing (scripts/fuzz.sh) failed" >&2; fi
fi
set -e
# One closing line over every test binary (cargo prints one summary per binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
     END { printf "total: %d passed, %d failed, %d ignored\n", p, f, g }' "$log"
if [ "$status" -eq 0 ]; then status=$fuzz; fi
exit "$status"
