#!/usr/bin/env bash
# Run the whole test suite (installs what is missing first). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
.venv/bin/ruff check generator tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
