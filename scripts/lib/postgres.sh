# Sourced by scripts/with-postgres, scripts/pg-pair and scripts/pgbouncer:
# where PostgreSQL's server programs are, which user a server runs as, and
# whether a loopback port is free.

# PG_BINDIR (or TALLY_PG_BINDIR, which scripts/with-postgres exports), else
# the newest /usr/lib/postgresql/*/bin, else initdb's folder on PATH.
find_bindir() {
  local given=${PG_BINDIR:-${TALLY_PG_BINDIR:-}}
  if [ -n "$given" ]; then echo "$given"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  echo "$(basename "$0"): no PostgreSQL server binaries found; install them with: apt-get install -y postgresql" >&2
  exit 1
}

# Servers refuse to run as root: as root, `owner` is the `postgres` user (or
# `nobody`) and "${run_as[@]}" runs a command as it; otherwise both are you.
run_as=()
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
  run_as=(setpriv --reuid="$owner" --regid="$(id -g "$owner")" --clear-groups --)
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
