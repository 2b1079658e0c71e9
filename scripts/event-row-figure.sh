#!/usr/bin/env bash
# The ceiling of `chronid-bench write`'s one-client ratio (issue 18): with no server at all, the
# event row's INSERT (the batch writer's statement, a profile change and its metadata) against
# the bench's scratch INSERT, one client each, in alternating pairs; and the same event row into
# a copy of the events table without its four partial indexes.
# Usage: scripts/event-row-figure.sh [PAIRS] [SECONDS]   (needs scripts/services.sh start)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/chronid-target}
pairs=${1:-3}
seconds=${2:-8}
db=chronid_event_row_$$
pg=(-h 127.0.0.1 -U postgres)
dir=$(mktemp -d)
trap 'psql "${pg[@]}" -qd postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null; rm -rf "$dir"' EXIT

cargo build -q --release -p chronid
psql "${pg[@]}" -qd postgres -c "CREATE DATABASE $db"
"$CARGO_TARGET_DIR/release/chronid" migrate --database-url "postgres://postgres@127.0.0.1:5432/$db" >/dev/null 2>&1
psql "${pg[@]}" -qd "$db" <<'SQL'
CREATE TABLE bench_scratch (id bigserial PRIMARY KEY, body text NOT NULL);
CREATE TABLE events_unindexed (LIKE events INCLUDING ALL);
DO $$
DECLARE i record;
BEGIN
  FOR i IN SELECT indexname FROM pg_indexes
            WHERE tablename = 'events_unindexed' AND indexdef LIKE '% WHERE %' LOOP
    EXECUTE format('DROP INDEX %I', i.indexname);
  END LOOP;
END $$;
SQL

# pgbench reads ':name' as a variable: the JSON below never has a colon before a letter.
event_row() {
  cat <<SQL
INSERT INTO $1 (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT t, id, seq, et, ev, p::jsonb, m::jsonb
  FROM UNNEST(ARRAY['user'], ARRAY[gen_random_uuid()::text], ARRAY[1::bigint], ARRAY['UserUpdated'], ARRAY['1'],
    ARRAY['{"UserUpdated": {"changes": {"first_name": "Name123456", "last_name": null, "phone": null, "language": null}, "roles": null}}'],
    ARRAY['{"event_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "account_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "actor": "api_key-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d", "ip": "127.0.0.1", "recorded_at": "2026-12-03T14h10m30.074058Z", "request_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5e"}'])
    AS u(t, id, seq, et, ev, p, m)
ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING
RETURNING aggregate_type, aggregate_id, sequence, global_seq;
SQL
}
event_row events >"$dir/event.sql"
event_row events_unindexed >"$dir/unindexed.sql"
echo "INSERT INTO bench_scratch (body) VALUES ('0-12345');" >"$dir/scratch.sql"

tps() {
  pgbench "${pg[@]}" -n -M prepared -c 1 -T "$seconds" -f "$dir/$1.sql" "$db" 2>&1 |
    awk '/^tps/ { printf "%.0f", $3 }'
}
for i in $(seq 1 "$pairs"); do
  event=$(tps event)
  unindexed=$(tps unindexed)
  scratch=$(tps scratch)
  echo "pair $i: event row $event tx/s, without the partial indexes $unindexed tx/s, scratch $scratch tx/s;" \
    "ratio $(echo "scale=3; $event / $scratch" | bc), partial indexes cost $(echo "scale=3; $unindexed / $event" | bc)x"
done
