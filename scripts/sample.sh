#!/usr/bin/env bash
# Build the sample pack: both routes of the Shanghai S2 sample and the Fudan X1 sample, into out/sample/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1764547200}"  # 2025-12-01: the same bytes on every run
.venv/bin/internpack check samples/s2-shanghai.yaml --today 2026-12-01
