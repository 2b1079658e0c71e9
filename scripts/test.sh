#!/usr/bin/env bash
# Runs every test: starts PostgreSQL and NATS when they are down (installing them when missing),
# then `cargo test --workspace`. Integration tests create their own database and stream per test
# and fail, saying how to start a service, when one is unreachable.
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh start
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  echo "test: the fault tests need the nats-server binary (apt-get install nats-server)" >&2
  exit 1
fi
exec cargo test --workspace "$@"
