#!/usr/bin/env bash
# The end-to-end tests' peers (tests/peers/peers.py): an SMTP server, a stand-in SMS / voice
# provider and a TOTP calculator (pyotp). `start` installs aiosmtpd and pyotp with pip when
# missing and starts the peers when they do not answer; `stop` stops them.
# Ports: CHRONID_TEST_SMTP_PORT (default 2525) and CHRONID_TEST_PEERS_PORT (default 2580).
set -euo pipefail
cd "$(dirname "$0")/.."

smtp_port=${CHRONID_TEST_SMTP_PORT:-2525}
http_port=${CHRONID_TEST_PEERS_PORT:-2580}
pidfile=${TMPDIR:-/tmp}/chronid-peers-$http_port.pid
logfile=${TMPDIR:-/tmp}/chronid-peers-$http_port.log

answers() {
  python3 - "$http_port" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
except Exception:
    sys.exit(1)
PY
}

case "${1:-start}" in
  start)
    if answers; then exit 0; fi
    if ! python3 -c 'import aiosmtpd, pyotp' 2>/dev/null; then
      echo "peers: installing aiosmtpd and pyotp with pip" >&2
      python3 -m pip install --quiet aiosmtpd pyotp
    fi
    nohup python3 tests/peers/peers.py --smtp-port "$smtp_port" --http-port "$http_port" \
      >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 50); do
      if answers; then exit 0; fi
      sleep 0.2
    done
    echo "peers: did not start; see $logfile" >&2
    cat "$logfile" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    ;;
  *)
    echo "usage: scripts/peers.sh start|stop" >&2
    exit 2
    ;;
esac
