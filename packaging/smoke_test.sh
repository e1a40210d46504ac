#!/usr/bin/env bash
# Smoke test of a built bundle, run outside any venv: version, `--check` on the samples the
# bundle ships, the porting history (alembic migrations), and the GUI offscreen with a
# screenshot that must exist and not be blank.
#   packaging/smoke_test.sh [BUNDLE_DIR]      (default: dist/trnport)
# Needs python3 (standard library only) to inspect the screenshot.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUNDLE="$(cd "${1:-$HERE/../dist/trnport}" && pwd)"
EXE="$BUNDLE/trnport"
SAMPLES="$BUNDLE/_internal/trnport/resources/samples"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/trnport-smoke.XXXXXX")"
FAILED=0

[ -x "$EXE" ] || { echo "smoke: no executable at $EXE" >&2; exit 2; }

# A clean environment: no venv, no PYTHONPATH, a throwaway home for settings and history.
run() {
    env -i PATH=/usr/bin:/bin HOME="$OUT/home" XDG_DATA_HOME="$OUT/home/data" \
        XDG_CONFIG_HOME="$OUT/home/config" XDG_CACHE_HOME="$OUT/home/cache" \
        HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LANG=C.UTF-8 "$@"
}

# check NAME MAX_CODE COMMAND...: the command must exit with a code <= MAX_CODE
check() {
    local name="$1" max="$2"; shift 2
    local start=$SECONDS
    run "$@" >"$OUT/$name.log" 2>&1
    local code=$?
    if [ "$code" -le "$max" ]; then
        echo "ok    $name (exit $code, $((SECONDS - start)) s)"
    else
        echo "FAIL  $name (exit $code; log $OUT/$name.log)"; tail -n 15 "$OUT/$name.log" | sed 's/^/      /'
        FAILED=1
    fi
}

mkdir -p "$OUT/home" "$OUT/reports"
check version 0 "$EXE" --version
grep -q '^trnport [0-9]' "$OUT/version.log" || { echo "FAIL  version output: $(cat "$OUT/version.log")"; FAILED=1; }
# exit 1 means blocking findings were reported, which is a successful analysis
check check-onnx 1 "$EXE" --check "$SAMPLES/tiny_cnn.onnx" --format json --format text \
    --output-dir "$OUT/reports"
[ -s "$OUT/reports/tiny_cnn.json" ] || { echo "FAIL  no JSON report written"; FAILED=1; }
check history-list 0 "$EXE" history list
check check-python 1 "$EXE" --check "$SAMPLES/mlp_model.py" --trust-code --no-history
if [ -d "$BUNDLE/_internal/transformers" ]; then
    check check-hf-config 1 "$EXE" --check "$SAMPLES/llama3-8b" --no-history
else
    echo "skip  check-hf-config (bundle built without transformers)"
fi
check gui-screenshot 0 env QT_QPA_PLATFORM=offscreen "$EXE" gui "$SAMPLES/tiny_cnn.onnx" \
    --screenshot "$OUT/window.png"
if [ -s "$OUT/window.png" ] && python3 "$HERE/png_stats.py" "$OUT/window.png" >"$OUT/png.log" 2>&1
then
    echo "ok    screenshot not blank ($(cut -d' ' -f2- "$OUT/png.log"))"
else
    echo "FAIL  screenshot missing or blank: $OUT/window.png $(cat "$OUT/png.log" 2>/dev/null)"
    FAILED=1
fi

echo "bundle: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)); logs in $OUT"
[ "$FAILED" -eq 0 ] && echo "smoke test passed" || echo "smoke test FAILED"
exit "$FAILED"
