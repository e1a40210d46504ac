#!/usr/bin/env bash
# Build the one-folder desktop bundle into dist/trnport/ (run `make bundle`, or this script
# from the repository root). Uses the project venv (VENV, default .venv) and installs the
# `bundle` extra (PyInstaller) into it, pinned by constraints.txt.
#   TRNPORT_BUNDLE_HF=0  leave transformers out (Hugging Face configs are then refused)
#   DIST=DIR             write DIR/trnport/ instead of dist/trnport/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
WORK="build/bundle"
DIST="${DIST:-dist}"
[ -x "$PY" ] || { echo "build_bundle: no venv at $VENV (run 'make venv' first)" >&2; exit 2; }

"$PY" -m pip install --quiet -c constraints.txt -e '.[hf,export,bundle]'

# Stage the wheel's contents: the bundle then carries exactly the wheel's package data.
rm -rf "$WORK"
mkdir -p "$WORK/wheel"
"$PY" -m pip wheel --quiet --no-deps --no-build-isolation -w "$WORK/wheel" .
"$PY" -m pip install --quiet --no-deps --no-compile --target "$WORK/src" "$WORK"/wheel/trnport-*.whl
rm -rf "$WORK/src/bin" "$WORK"/src/trnport-*.dist-info

TRNPORT_BUNDLE_SRC="$ROOT/$WORK/src" "$PY" -m PyInstaller --noconfirm --clean \
    --workpath "$WORK/pyinstaller" --distpath "$DIST" packaging/trnport.spec

cp packaging/trnport.desktop "$DIST/trnport/"
echo "bundle: $DIST/trnport/trnport ($(du -sh "$DIST/trnport" | cut -f1))"
