#!/usr/bin/env bash
# Runs a command beside a real PostgreSQL 16 server with pgvector, started for it and stopped after it:
#
#   Scripts/with_postgres.sh swift test
#
# The server comes from PyPI's `pgserver` wheel (PostgreSQL 16 with pgvector in its pginstall/), installed
# once into a virtual environment under $TMPDIR. PostgreSQL refuses to run as root, so as root the
# server runs as an unprivileged system user (clip-postgres), created if needed. It listens on loopback
# only, on a free port, with trust authentication for the user `clip`, and its data folder is removed
# afterwards. The command sees CLIP_TEST_POSTGRES_URL=postgresql://clip@127.0.0.1:PORT/clip_test, and
# CLIP_TEST_POSTGRES_BIN names the folder of PostgreSQL's programs (psql, pg_dump).
set -euo pipefail

base="${TMPDIR:-/tmp}/swift-clip-pgserver"
venv="$base/venv"
locate="import importlib.util, os; print(os.path.join(importlib.util.find_spec('pgserver').submodule_search_locations[0], 'pginstall'))"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "$locate" >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pgserver
fi
install=$("$venv/bin/python" -c "$locate")
[ -f "$install/lib/postgresql/vector.so" ] || { echo "with_postgres.sh: pgvector missing from $install" >&2; exit 1; }

data=$(mktemp -d "${TMPDIR:-/tmp}/swift-clip-pgdata.XXXXXX")
port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
run_as() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  id clip-postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin clip-postgres
  chown clip-postgres "$data"
  chmod 755 "$base"
  run_as() { runuser -u clip-postgres -- "$@"; }
fi
chmod 700 "$data"

stop() {
  run_as "$install/bin/pg_ctl" -D "$data/cluster" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap stop EXIT

run_as "$install/bin/initdb" -D "$data/cluster" -U clip --auth=trust -E UTF8 >"$data/initdb.log" 2>&1 \
  || { cat "$data/initdb.log" >&2; exit 1; }
run_as "$install/bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w \
  -o "-h 127.0.0.1 -p $port -k $data" start >/dev/null \
  || { cat "$data/server.log" >&2; exit 1; }
"$install/bin/createdb" -h 127.0.0.1 -p "$port" -U clip clip_test
echo "PostgreSQL 16 with pgvector on 127.0.0.1:$port (pgserver from PyPI)" >&2

status=0
CLIP_TEST_POSTGRES_URL="postgresql://clip@127.0.0.1:$port/clip_test" CLIP_TEST_POSTGRES_BIN="$install/bin" "$@" || status=$?
exit $status
