#!/usr/bin/env bash
# The project's test command, for a bare machine as well as a developer's:
#   1. installs the Debian packages the tests need when they are missing (chromium and a CJK font for the
#      browser tests, postgresql for the server the store tests start themselves, python3-venv), with
#      apt-get as root or through sudo;
#   2. creates a virtualenv (.venv, or $BUDGETQA_VENV) and installs the project with its test extras
#      into it (torch pinned to the CPU wheel first: an unpinned torch pulls gigabytes of CUDA packages);
#   3. checks that chromadb put its `chroma` command in the virtualenv's bin (the Chroma server tests start
#      `chroma run`; they look for it beside the virtualenv's python first, and fail, never skip, without it);
#   4. runs pytest there. Extra arguments go to pytest: scripts/test.sh tests/test_gate.py -x
# The browser tests skip, saying why, only when no browser could be installed; the PostgreSQL tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1
PY=${PYTHON:-python3}
VENV=${BUDGETQA_VENV:-.venv}

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto.*CJK" || need+=(fonts-noto-cjk)
# the store tests run initdb/pg_ctl from /usr/lib/postgresql/<version>/bin themselves (tests/pg.py)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ -x "$VENV/bin/python" ] || "$PY" -c "import ensurepip, venv" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
    echo "installing ${need[*]} (apt-get)"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}" >/dev/null \
      || echo "could not install ${need[*]}: tests that need them will say so" >&2
  else
    echo "missing ${need[*]} and no apt-get as root: tests that need them will say so" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating the virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q torch==2.13.0
"$VENV/bin/python" -m pip install -q -e ".[test]"
if [ ! -x "$VENV/bin/chroma" ]; then
  echo "$VENV/bin/chroma is missing after installing chromadb: the Chroma server tests cannot start a server" >&2
  exit 1
fi
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
