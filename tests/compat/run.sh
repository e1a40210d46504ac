#!/usr/bin/env bash
# `make compat`: trnport in a PyTorch/XLA environment as Neuron users have it on inf2/trn1 —
# torch 2.9.0 and torch-xla 2.9.0 from PyPI (torch's PyPI wheel is the CUDA build; it runs
# on the CPU) — with trnport installed from its wheel into it. The install must leave torch
# at 2.9.0; then the loader, coverage and probe tests of tests/compat run there.
set -euo pipefail
cd "$(dirname "$0")/../.."
COMPAT_VENV=${COMPAT_VENV:-.venv-compat}
MAIN_PY=${MAIN_PY:-.venv/bin/python}
PY="$COMPAT_VENV/bin/python"
started=$SECONDS

test -x "$PY" || python3 -m venv "$COMPAT_VENV"
PY="$(cd "$COMPAT_VENV" && pwd)/bin/python"  # absolute: the tests run from another folder
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet torch==2.9.0 torch-xla==2.9.0
echo "compat: torch 2.9.0 + torch-xla 2.9.0 ready after $((SECONDS - started)) s"

rm -rf build/compat
mkdir -p build/compat
"$MAIN_PY" -m build --wheel --no-isolation --skip-dependency-check --outdir build/compat/dist . \
    > build/compat/build.log 2>&1 || { tail -20 build/compat/build.log; exit 1; }
# the suite's pins, without its torch: the environment's own torch must stay
grep -v '^torch==' constraints.txt > build/compat/constraints.txt
wheel=$(ls build/compat/dist/trnport-*.whl)
"$PY" -m pip install --quiet -c build/compat/constraints.txt --force-reinstall --no-deps "$wheel"
"$PY" -m pip install --quiet -c build/compat/constraints.txt "$wheel[hf]" pytest pytest-timeout
installed=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')
if [ "$installed" != "2.9.0" ]; then
    echo "compat: installing trnport changed torch to $installed" >&2
    exit 1
fi
echo "compat: trnport installed, torch still 2.9.0, after $((SECONDS - started)) s"

# run from outside the work tree so that only the installed wheel is importable
cd build/compat
PJRT_DEVICE=CPU "$PY" -m pytest -c ../../tests/compat/pytest.ini \
    --rootdir ../../tests/compat --confcutdir ../../tests/compat ../../tests/compat "$@"
echo "compat: done after $((SECONDS - started)) s"
