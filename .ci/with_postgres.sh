#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster: initdb in a temp dir (as the `postgres` user when run as
# root, since PostgreSQL refuses to run as root), listening on 127.0.0.1 only, on a free port, with a random
# password. Exports ML_PG_HOST/PORT/USER/PASSWORD/DBNAME for the tests, and stops the cluster at exit.
#   usage: .ci/with_postgres.sh python -m pytest tests/engines -q
set -euo pipefail

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir="$(pg_config --bindir)"
fi
if [ -z "$bindir" ]; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with_postgres: PostgreSQL server binaries not found (run .ci/setup_engines.sh)" >&2
  exit 2
fi

as_pg=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  as_pg=(runuser -u postgres --)
fi

workdir="$(mktemp -d /tmp/ml-pg.XXXXXX)"
chmod 700 "$workdir"
[ "$(id -u)" = "0" ] && chown postgres: "$workdir"
password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap stop EXIT

printf '%s\n' "$password" > "$workdir/pwfile"
[ "$(id -u)" = "0" ] && chown postgres: "$workdir/pwfile"
"${as_pg[@]}" "$bindir/initdb" -D "$workdir/data" -U postgres --auth=scram-sha-256 --pwfile="$workdir/pwfile" \
  --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
  || "${as_pg[@]}" "$bindir/initdb" -D "$workdir/data" -U postgres --auth=scram-sha-256 --pwfile="$workdir/pwfile" \
     --encoding=UTF8 --no-locale >/dev/null
rm -f "$workdir/pwfile"
"${as_pg[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$workdir' -c fsync=off -c timezone=UTC" >/dev/null

export ML_PG_HOST=127.0.0.1 ML_PG_PORT="$port" ML_PG_USER=postgres ML_PG_PASSWORD="$password" ML_PG_DBNAME=postgres
echo "with_postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
