#!/usr/bin/env bash
# The end-to-end tests' peers (tests/peers/peers.py): an SMTP server, a stand-in SMS / voice
# provider and a TOTP calculator (pyotp); and for the browser tests Debian's chromium with its
# chromedriver, axe-core from npm (tests/peers/package.json, into tests/peers/node_modules); for
# the Google and GitHub logins, oidc-provider from npm (tests/peers/oidc_provider.mjs, run with
# Node) and a GitHub stand-in (tests/peers/github_standin.py).
# Each test starts its own peers on free ports; this script makes sure they can run.
#   install  installs what is missing: aiosmtpd, pyotp and pysaml2 with pip, xmlsec1, chromium
#            and chromium-driver with apt-get, axe-core and oidc-provider with npm (scripts/test.sh
#            runs it)
#   start    also runs one shared set, for trying the server by hand with a mail sink, on
#            CHRONID_TEST_SMTP_PORT (default 2525) and CHRONID_TEST_PEERS_PORT (default 2580)
#   stop     stops that shared set
set -euo pipefail
cd "$(dirname "$0")/.."

smtp_port=${CHRONID_TEST_SMTP_PORT:-2525}
http_port=${CHRONID_TEST_PEERS_PORT:-2580}
pidfile=${TMPDIR:-/tmp}/chronid-peers-$http_port.pid
logfile=${TMPDIR:-/tmp}/chronid-peers-$http_port.log

# Whether peers answer on the port, running this checkout's tests/peers/peers.py (exit 1: none
# answers; exit 3: peers of another version answer).
answers() {
  python3 - "$http_port" tests/peers/peers.py <<'PY'
import hashlib, json, sys, urllib.request
try:
    health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1))
except Exception:
    sys.exit(1)
want = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
sys.exit(0 if health.get("version") == want else 3)
PY
}

stop_peers() {
  if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
  pkill -f "tests/peers/peers.py --smtp-port $smtp_port" 2>/dev/null || true
}

install() {
  if ! command -v python3 >/dev/null; then
    echo "peers: installing python3 with apt-get" >&2
    apt-get install -y python3 python3-pip >/dev/null
  fi
  if ! python3 -c 'import aiosmtpd, pyotp' 2>/dev/null; then
    echo "peers: installing aiosmtpd and pyotp with pip" >&2
    python3 -m pip install --quiet aiosmtpd pyotp
  fi
  if ! command -v xmlsec1 >/dev/null; then
    echo "peers: installing xmlsec1 with apt-get (pysaml2 signs and verifies with it)" >&2
    apt-get install -y xmlsec1 >/dev/null
  fi
  if ! command -v openssl >/dev/null; then
    echo "peers: installing openssl with apt-get (the TLS tests make their certificates with it)" >&2
    apt-get install -y openssl >/dev/null
  fi
  if ! python3 -c 'import saml2' 2>/dev/null; then
    echo "peers: installing pysaml2 with pip (the SAML identity provider of the SSO tests)" >&2
    python3 -m pip install --quiet pysaml2
  fi
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "peers: installing chromium and chromium-driver with apt-get" >&2
    apt-get install -y chromium chromium-driver >/dev/null
  fi
  if [ ! -f tests/peers/node_modules/axe-core/axe.min.js ] || [ ! -f tests/peers/node_modules/oidc-provider/package.json ]; then
    if ! command -v npm >/dev/null; then
      echo "peers: installing nodejs and npm with apt-get" >&2
      apt-get install -y nodejs npm >/dev/null
    fi
    echo "peers: installing axe-core and oidc-provider with npm (tests/peers/package-lock.json)" >&2
    (cd tests/peers && npm ci --silent --no-audit --no-fund)
  fi
}

case "${1:-start}" in
  install)
    install
    ;;
  start)
    set +e
    answers
    state=$?
    set -e
    if [ $state -eq 0 ]; then exit 0; fi
    if [ $state -eq 3 ]; then
      echo "peers: an older version is running; restarting it" >&2
      stop_peers
      for _ in $(seq 1 50); do answers >/dev/null 2>&1 || [ $? -eq 3 ] || break; sleep 0.1; done
    fi
    install
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
    stop_peers
    ;;
  *)
    echo "usage: scripts/peers.sh install|start|stop" >&2
    exit 2
    ;;
esac
