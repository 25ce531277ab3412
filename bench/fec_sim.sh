#!/bin/sh
# Issue 12's figures: 1,000 clients, 600 ms round trip, one 10 MB file at
# 20 MB/s, 5% random or 5% burst loss (Gilbert-Elliott, bursts of 5
# packets on average), one seed for every row: ufcast without FEC, with
# proactive parity (--fec 64:8), reactive parity (--fec 64
# --fec-reactive), both, and both with half the clients plain (--no-fec).
# "cut" is the completion time saved against the same loss without FEC.
# Not a test (tests/sim/CMakeLists.txt runs fec_both, which asserts the
# 30% bar); each row takes 5 to 25 s.
# Usage: bench/fec_sim.sh [BUILD_DIR] [SEED]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench}
seed=${2:-1}
if [ ! -x "$build/tests/sim/uft_sim" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$build" uft_sim >/dev/null
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%-10s %-6s %-9s %8s %6s %6s %8s %8s %9s %s\n' loss fec scenario time_s cut passes data parity rebuilt 'result (clients ok)'
for loss in random burst; do
    base=""
    for mode in off pro re both mix; do
        if [ $loss = random ]; then s=fec_$mode; else s=fecb_$mode; fi
        "$build/tests/sim/uft_sim" "$s" "$seed" >"$out" 2>&1 || true
        awk -v loss=$loss -v mode=$mode -v s=$s -v base="$base" '
            / seed / { result = ($4 == "pass:") ? "pass" : "FAIL"; ok = "ok " $6 }
            /^ *time / { t = $2; passes = $0; sub(/.*passes /, "", passes); sub(/,.*/, "", passes)
                         data = $0; sub(/.*data /, "", data); sub(/ .*/, "", data) }
            /^ *fec: / { par = $2; reb = $0; sub(/.*\), /, "", reb); sub(/ .*/, "", reb) }
            END {
                if (par == "") { par = 0; reb = 0 }
                cut = (base != "" && base > 0) ? sprintf("%.0f%%", 100 * (1 - t / base)) : "-"
                printf "%-10s %-6s %-9s %8.2f %6s %6s %8s %8s %9s %s %s\n", loss, mode, s, t, cut,
                       passes, data, par, reb, result, ok
            }' "$out"
        if [ $mode = off ]; then base=$(awk '/^ *time / { print $2 }' "$out"); fi
    done
done
