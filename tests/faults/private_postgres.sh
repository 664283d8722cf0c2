#!/usr/bin/env bash
# A PostgreSQL server of one test's own, which the test may kill: the shared
# test server (scripts/servers) serves other tests at the same time.
#   private_postgres.sh start DIR    initdb + start on a free port; prints "url URL"
#   private_postgres.sh kill DIR     SIGKILL the postmaster (its pid file's first line)
#   private_postgres.sh restart DIR  starts it again on the same port, once the
#                                    killed server's backends are gone
#   private_postgres.sh stop DIR     stops it (immediate) and removes DIR
# Uses DBRIDGE_TEST_POSTGRES_BIN when set (scripts/servers exports it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/servers
source "$root/scripts/servers"

cmd=${1:?usage: private_postgres.sh start|kill|restart|stop DIR}
dir=${2:?usage: private_postgres.sh start|kill|restart|stop DIR}
bin=${DBRIDGE_TEST_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[[ -x "$bin/pg_ctl" ]] || { echo "private_postgres: postgresql is not installed" >&2; exit 1; }

pg_start() {  # pg_start PORT: starts the server in $dir/data, waits until it accepts connections
  _as postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 15 \
    -o "-c listen_addresses=127.0.0.1 -p $1 -k $dir -c fsync=off -c max_connections=60" start >/dev/null
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    port=$(_free_port)
    echo "$port" >"$dir/port"
    echo "dbridge-kill-secret" >"$dir/pw"
    chmod 644 "$dir/pw" "$dir/port"
    _as postgres "$bin/initdb" -N -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$dir/pw" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    pg_start "$port" || { cat "$dir/server.log" >&2; exit 1; }
    _as postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE dbridge LOGIN SUPERUSER PASSWORD 'dbridge-kill-secret'" \
      -c "CREATE DATABASE dbridge_kill OWNER dbridge" >/dev/null
    echo "url postgresql://dbridge:dbridge-kill-secret@127.0.0.1:$port/dbridge_kill"
    ;;
  kill)
    kill -KILL "$(head -1 "$dir/data/postmaster.pid")"
    ;;
  restart)
    # The killed postmaster's backends leave one by one (they notice its
    # death); until the last is gone the shared memory is in use and a new
    # postmaster refuses to start. pg_ctl -w waits for readiness itself.
    for _ in $(seq 1 100); do
      if pg_start "$(cat "$dir/port")" 2>/dev/null; then exit 0; fi
      sleep 0.1
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      _as postgres "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: private_postgres.sh start|kill|restart|stop DIR" >&2
    exit 2
    ;;
esac
