#!/bin/sh
# Run every libFuzzer target for a bounded time on its committed corpus.
# New inputs go to a scratch directory, so the committed corpus only grows
# by hand (scripts/seed-corpus.sh). Usage: fuzz.sh BUILD_DIR [SECONDS]
set -eu
build=${1:?usage: fuzz.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    mkdir -p "$scratch/$name"
    corpus="$root/tests/fuzz/corpus/$name"
    [ -d "$corpus" ] || corpus=""
    log="$scratch/$name.log"
    if "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$scratch/" "$scratch/$name" $corpus >"$log" 2>&1; then
        runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "fuzz: $name: ok, ${runs:-?} executions in ${secs}s, ${cov:-cov: ?}"
    else
        echo "fuzz: $name: FAILED, log follows" >&2
        tail -40 "$log" >&2
        for a in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-*; do
            [ -f "$a" ] && { echo "reproducer (hex):" >&2; od -An -tx1 "$a" | head -20 >&2; }
        done
        status=1
    fi
done
exit $status
