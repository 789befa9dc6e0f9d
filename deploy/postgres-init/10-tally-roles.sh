#!/bin/sh
# Run by the postgres image once, when it creates its data directory: the
# login that workers, the scheduler and operators' commands use. It may read
# and write rows (tally_app, which the migrations grant) and change no
# schema; the owner (POSTGRES_USER) is for `tally migrate` alone.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v password="$TALLY_WORKER_PASSWORD" <<'SQL'
CREATE ROLE tally_app NOLOGIN;
CREATE ROLE tally_worker LOGIN PASSWORD :'password' IN ROLE tally_app;
SQL
