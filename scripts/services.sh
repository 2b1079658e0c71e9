#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and NATS with JetStream (127.0.0.1:4222) are running:
# installs them with apt-get when missing, starts them when down, waits until they answer.
# Usage: scripts/services.sh start | status
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 NATS_HOST=127.0.0.1 NATS_PORT=4222

log() { printf 'services: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  local host=$1 port=$2 name=$3
  for _ in $(seq 1 60); do
    port_open "$host" "$port" && return 0
    sleep 0.5
  done
  log "$name did not start listening on $host:$port within 30 s"
  return 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  if [ $apt_updated -eq 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open $PG_HOST $PG_PORT; then return 0; fi
  local fresh=0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "PostgreSQL is not installed: installing it with apt-get"
    apt_install postgresql
    fresh=1
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ $fresh -eq 1 ]; then
    # A development cluster: trust local TCP connections, as the test machines do.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port $PG_HOST $PG_PORT PostgreSQL
}

ensure_nats() {
  if port_open $NATS_HOST $NATS_PORT; then return 0; fi
  if [ ! -x /usr/sbin/nats-server ]; then
    log "nats-server is not installed: installing it with apt-get"
    apt_install nats-server
  fi
  as_root mkdir -p /var/lib/nats-server
  log "starting nats-server with JetStream"
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a $NATS_HOST -p $NATS_PORT -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port $NATS_HOST $NATS_PORT NATS
}

# The database the tests connect to by default (CHRONID_TEST_DATABASE_URL, else
# postgres://postgres@127.0.0.1:5432/test) to create their own: a fresh machine may lack it.
ensure_test_database() {
  local url=${CHRONID_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:$PG_PORT/test}
  local db=${url##*/}
  db=${db%%\?*}
  local admin="${url%/*}/postgres"
  if ! psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    log "creating database $db for the tests"
    psql "$admin" -qc "CREATE DATABASE \"$db\""
  fi
}

case "${1:-start}" in
  start)
    ensure_postgres
    ensure_test_database
    ensure_nats
    log "PostgreSQL on $PG_HOST:$PG_PORT and NATS on $NATS_HOST:$NATS_PORT are up"
    ;;
  status)
    port_open $PG_HOST $PG_PORT && log "PostgreSQL: up" || log "PostgreSQL: down"
    port_open $NATS_HOST $NATS_PORT && log "NATS: up" || log "NATS: down"
    ;;
  *)
    echo "usage: $0 start | status" >&2
    exit 2
    ;;
esac
