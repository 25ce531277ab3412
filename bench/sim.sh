#!/bin/sh
# The simulator's big scenarios, with their figures: completion time
# against the ideal, data packets against the NAK-based minimum, control
# packets per client. Not a test: it never fails on timing.
# Usage: bench/sim.sh [BUILD_DIR] [SEED]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench}
seed=${2:-1}
if [ ! -x "$build/tests/sim/uft_sim" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$build" uft_sim >/dev/null
fi
for s in loss1000 big10k rproxy1000 burst3 reorder tfmcc_tcp tfmcc_shift tfmcc20; do
    start=$(date +%s.%N)
    "$build/tests/sim/uft_sim" "$s" "$seed" || true
    awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "         wall %.1f s\n", b - a }'
done
