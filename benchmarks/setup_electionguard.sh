#!/usr/bin/env bash
# Creates benchmarks/.eg-venv: electionguard 1.4.0 imports only on Python <= 3.10 and needs dacite 1.6.0.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.eg-venv"
py="${EG_PYTHON:-}"
if [ -z "$py" ]; then
  # pyenv's shim refuses python3.10 unless 3.10 is the selected version; ask pyenv for its path first.
  if command -v pyenv >/dev/null 2>&1 && PYENV_VERSION="$(pyenv versions --bare | grep -E '^3\.10' | tail -1)" \
      && [ -n "$PYENV_VERSION" ]; then
    py="$(pyenv root)/versions/$PYENV_VERSION/bin/python3.10"
  else
    py="python3.10"
  fi
fi
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import electionguard" 2>/dev/null; then
  exit 0
fi
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "electionguard==1.4.0" "dacite==1.6.0"
"$venv/bin/python" -c "import electionguard"
