#!/usr/bin/env bash
# Set up ClusterAtlas on a fresh Debian machine: system packages (Chromium for browser tests and
# PDF printing, Noto CJK fonts, poppler, a Java runtime for Spark), a virtualenv with the package
# and its dev/spark extras, and the chart assets taken from npm at build time (never a CDN).
# Idempotent: re-running skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
# not `grep -q`: it exits at the first match, fc-list's next write gets SIGPIPE and, under
# pipefail, the fonts looked missing now and then (a needless apt-get that needs the network)
fc-list 2>/dev/null | grep "Noto Sans CJK SC" >/dev/null || need_apt+=(fonts-noto-cjk)
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,spark]'

# Chart assets: ECharts (and map data) from the npm registry, copied into the package.
if [ -f package.json ]; then
  npm install --no-audit --no-fund --silent
  .venv/bin/python scripts/vendor_assets.py
fi
echo "setup: done (.venv ready)"
