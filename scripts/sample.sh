#!/usr/bin/env bash
# Build the sample packs into out/sample/: the Shanghai S2 sample (both routes) and the Fudan X1 sample,
# with a fixed reference date, so every run gives the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf out/sample
.venv/bin/internpack build samples/s2-shanghai.yaml -o out/sample --route both --zip --today 2026-12-01
.venv/bin/internpack build samples/x1-fudan.yaml -o out/sample --today 2026-12-01
echo "Open out/sample/*/x1/pack.pdf (or the s2/ folder) to read a whole pack."
