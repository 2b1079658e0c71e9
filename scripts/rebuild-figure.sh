#!/usr/bin/env bash
# The incremental-build figure of decision 0012: the debug build of the binary after a one-line change
# to one file, repeated. Usage: scripts/rebuild-figure.sh FILE [RUNS]
# The file gets a private function whose body changes each run, then is restored with git.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/chronid-target}
file=$1
runs=${2:-3}
trap 'git checkout -q -- "$file"' EXIT
cargo build -q -p chronid
for i in $(seq 1 "$runs"); do
  git checkout -q -- "$file"
  printf '\n#[allow(dead_code)]\nfn rebuild_probe() -> u32 {\n    %d\n}\n' "$RANDOM$i" >>"$file"
  start=$(date +%s.%N)
  cargo build -q -p chronid
  end=$(date +%s.%N)
  echo "$file run $i: $(echo "$end - $start" | bc) s"
done
