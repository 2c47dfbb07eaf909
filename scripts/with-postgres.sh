#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL 15 cluster on 127.0.0.1 (free port, trust auth, no fsync),
# creates the roles bureau_owner (owner, runs migrations, CREATEDB) and bureau_app (runtime role,
# NOSUPERUSER NOBYPASSRLS, granted to bureau_owner so the owner can SET ROLE bureau_app) and the
# database bureau, then runs CMD with
#   DATABASE_URL=postgres://bureau_owner@127.0.0.1:$PORT/bureau
#   BUREAU_DB_APP_ROLE=bureau_app
# The cluster is stopped and deleted on exit, whatever happens; CMD's exit code is returned.
# CMD runs in the foreground: a signal sent to this script alone (not its process group) is
# handled once CMD has exited. Only SIGKILL leaves a /tmp/bureau-pg.* directory behind.
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x "$PGBIN/postgres" ]]; then
  echo "with-postgres: $PGBIN/postgres not found (run scripts/system-deps.sh)" >&2
  exit 1
fi

PG_USER=bureau_pg
if [[ $(id -u) -eq 0 ]]; then
  id "$PG_USER" >/dev/null 2>&1 \
    || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
  as_pg() { "$@"; }
fi

ROOT=$(mktemp -d /tmp/bureau-pg.XXXXXX)
STARTED=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((STARTED)); then
    as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -m immediate -w stop >/dev/null 2>&1 \
      || true
  fi
  rm -rf "$ROOT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$ROOT/sock"
if [[ $(id -u) -eq 0 ]]; then
  chown -R "$PG_USER": "$ROOT"
fi
chmod 755 "$ROOT"

if ! as_pg "$PGBIN/initdb" -D "$ROOT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$ROOT/initdb.log" 2>&1; then
  echo "with-postgres: initdb failed:" >&2
  tail -n 30 "$ROOT/initdb.log" >&2
  exit 1
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The port is free when chosen but could be taken before the server binds it: retry a few times.
for attempt in 1 2 3; do
  PORT=$(free_port)
  STARTED=1
  if as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/server.log" -w -t 60 start \
      -o "-p $PORT -k $ROOT/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      >/dev/null 2>&1; then
    break
  fi
  STARTED=0
  as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -m immediate -w stop >/dev/null 2>&1 || true
  if ((attempt == 3)) || ! grep -q 'could not bind' "$ROOT/server.log" 2>/dev/null; then
    echo "with-postgres: PostgreSQL failed to start; server log tail:" >&2
    tail -n 30 "$ROOT/server.log" >&2 2>/dev/null || true
    exit 1
  fi
done

"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$ROOT/sock" -p "$PORT" -U postgres -d postgres <<'SQL'
CREATE ROLE bureau_owner LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS;
CREATE ROLE bureau_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB;
GRANT bureau_app TO bureau_owner;
CREATE DATABASE bureau OWNER bureau_owner;
SQL

export DATABASE_URL="postgres://bureau_owner@127.0.0.1:$PORT/bureau"
export BUREAU_DB_APP_ROLE=bureau_app

set +e
"$@"
rc=$?
set -e
exit "$rc"
