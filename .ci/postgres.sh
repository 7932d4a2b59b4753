#!/usr/bin/env bash
# Run a command next to a throwaway PostgreSQL cluster: `.ci/postgres.sh pytest ...`.
# Installs Debian's `postgresql` package when it is missing, initdb's a cluster under
# var/postgres (as the `postgres` user when run as root), starts it on a free local port,
# exports VOC_TEST_DATABASE_URL for the tests, runs the command, and removes the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ]; then
    echo "postgres.sh: installing Debian's postgresql package" >&2
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
BIN="$(pg_bin)"

ROOT="$(pwd)/var/postgres"
AS=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home postgres
    AS=(runuser -u postgres --)
fi
rm -rf "$ROOT"
mkdir -p "$ROOT"
[ "$(id -u)" = 0 ] && chown postgres "$ROOT"
if ! "${AS[@]}" test -w "$ROOT"; then  # the checkout is not reachable by postgres: use /tmp
    ROOT="$(mktemp -d /tmp/voc-postgres.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres "$ROOT"
fi
PORT="${VOC_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

stop() {
    "${AS[@]}" "$BIN/pg_ctl" -D "$ROOT/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$ROOT"
}
trap stop EXIT

"${AS[@]}" "$BIN/initdb" -D "$ROOT/data" -U voc --auth=trust -E UTF8 >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/server.log" -w \
    -o "-p $PORT -k $ROOT -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
"${AS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U voc voc_test
export VOC_TEST_DATABASE_URL="postgresql+psycopg://voc@127.0.0.1:$PORT/voc_test"
echo "postgres.sh: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') at $VOC_TEST_DATABASE_URL" >&2
"$@"
