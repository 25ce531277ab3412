#!/bin/sh
# Run every libFuzzer target for a bounded time on its committed corpus,
# FUZZ_JOBS targets at a time (default: the number of CPUs). New inputs go
# to a scratch directory, so the committed corpus only grows by hand
# (scripts/seed-corpus.sh). Usage: fuzz.sh BUILD_DIR [SECONDS]
set -eu
if [ "${1:-}" = --one ]; then
    # --one BIN SECS SCRATCH ROOT: one target; prints its line, exit 1 on a finding
    bin=$2 secs=$3 scratch=$4 root=$5
    name=$(basename "$bin")
    mkdir -p "$scratch/$name" "$scratch/$name.art"
    corpus="$root/tests/fuzz/corpus/$name"
    [ -d "$corpus" ] || corpus=""
    log="$scratch/$name.log"
    # shellcheck disable=SC2086
    if "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$scratch/$name.art/" "$scratch/$name" $corpus >"$log" 2>&1; then
        runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "fuzz: $name: ok, ${runs:-?} executions in ${secs}s, ${cov:-cov: ?}"
        exit 0
    fi
    {
        echo "fuzz: $name: FAILED, log follows"
        tail -40 "$log"
        for a in "$scratch/$name.art"/*; do
            # whole, so that the input can be rebuilt from the log alone
            [ -f "$a" ] && { echo "reproducer $(basename "$a") (base64):"; base64 "$a" | head -400; }
        done
    } >&2
    exit 1
fi
build=${1:?usage: fuzz.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] && echo "$bin"
done | xargs -P "$jobs" -I{} "$0" --one {} "$secs" "$scratch" "$root" || status=1
exit $status
