#!/usr/bin/env bash
# Idempotently create a private virtualenv holding MetricFlow 0.213.0 (the reference implementation
# for differential tests and benchmarks). It lives apart from our own environment because MetricFlow's
# dependency pins may clash with ours.
#   venv path: $ML_MF_VENV, default $HOME/.cache/metricslayer/mfvenv
#   python:    $ML_MF_PYTHON (default python3) creates the venv
# Prints one line when ready; exits nonzero on failure (the pip log is shown then).
set -euo pipefail

MF_VERSION="0.213.0"
VENV="${ML_MF_VENV:-$HOME/.cache/metricslayer/mfvenv}"
PY="${ML_MF_PYTHON:-python3}"
PYBIN="$VENV/bin/python"
STAMP="$VENV/.metricslayer-mf-$MF_VERSION"

check() {
  "$PYBIN" - <<'PY' >/dev/null 2>&1
import importlib.metadata as md, duckdb, metricflow  # noqa: F401
assert md.version("metricflow") == "0.213.0"
import metricflow_semantic_interfaces.parsing.dir_to_model  # noqa: F401
PY
}

if [[ -f "$STAMP" && -x "$PYBIN" ]] && check; then
  echo "metricflow $MF_VERSION ready: $PYBIN"
  exit 0
fi

log="$(mktemp -t mfsetup.XXXXXX.log)"
trap 'rm -f "$log"' EXIT
fail() { echo "setup_metricflow: $1 (log below)" >&2; cat "$log" >&2; exit 1; }

mkdir -p "$(dirname "$VENV")"
if [[ ! -x "$PYBIN" ]]; then
  "$PY" -m venv "$VENV" >"$log" 2>&1 || fail "could not create venv at $VENV with $PY"
fi
"$PYBIN" -m pip install --quiet --disable-pip-version-check --upgrade pip >>"$log" 2>&1 \
  || fail "pip upgrade failed"
"$PYBIN" -m pip install --quiet --disable-pip-version-check "metricflow==$MF_VERSION" duckdb >>"$log" 2>&1 \
  || fail "pip install metricflow==$MF_VERSION failed"
if ! "$PYBIN" -c "import duckdb" >/dev/null 2>&1; then
  "$PYBIN" -m pip install --quiet --disable-pip-version-check duckdb >>"$log" 2>&1 \
    || fail "pip install duckdb failed"
fi
check || { "$PYBIN" -c "import metricflow, duckdb" >>"$log" 2>&1 || true; fail "metricflow import check failed"; }
touch "$STAMP"
echo "metricflow $MF_VERSION ready: $PYBIN"
