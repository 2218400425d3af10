#!/usr/bin/env bash
# Install what the engine parity suite needs, idempotently: Debian's PostgreSQL server and a Java runtime
# (for Spark) when missing, and the engine extras into the active virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need_apt+=(postgresql); fi
if ! java -version >/dev/null 2>&1; then need_apt+=(default-jre-headless); fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  sudo_=(); [ "$(id -u)" = "0" ] || sudo_=(sudo)
  "${sudo_[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian starts a cluster on install; the tests use their own throwaway one.
  if command -v service >/dev/null 2>&1; then "${sudo_[@]}" service postgresql stop >/dev/null 2>&1 || true; fi
fi
python -m pip install --quiet --disable-pip-version-check -e ".[postgres,clickhouse,spark,datafusion]"
