#!/usr/bin/env bash
# Tally's queue benchmark three times on the side-by-side PostgreSQL, each in a
# database of its own: with every migration (30,000 and 100,000 jobs), and
# without sql/014 (100,000 jobs) to isolate the search_path pinning's cost.
set -eu
base="$DATABASE_URL"; root=${base%/*}
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$here/.build-release/release/tally-bench
for variant in "full 30000" "full 100000" "no014 100000"; do
  set -- $variant
  db="bench_$1_$2"
  psql "$base" -qc "CREATE DATABASE $db"
  echo "== $1 migrations, $2 jobs"
  if [ "$1" = no014 ]; then
    (cd "$here" && TALLY_SQL_DIR=${SQL_WITHOUT_014:?a copy of sql/ without 014_hardening.sql} DATABASE_URL="$root/$db" "$bin" queue --jobs "$2")
  else
    (cd "$here" && DATABASE_URL="$root/$db" "$bin" queue --jobs "$2")
  fi
done
