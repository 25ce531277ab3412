#!/bin/sh
# The whole test suite, as CI runs it (.ci/run calls this and nothing else):
#   1. install dependencies (apt, via scripts/setup.sh)
#   2. gcc build with -Werror, then every ctest
#   3. clang build with ASan + UBSan (no recovery), then every ctest but
#      the 10,000- and 1,000-client FEC simulations and the guide's
#      examples (minutes under the sanitizers)
#   4. every libFuzzer target for FUZZ_SECONDS (default 10) on its corpus,
#      FUZZ_JOBS (default: the CPU count) at a time
#   5. clang-format check of every C file
#   6. src/core uses no I/O (undefined symbols of the core library), and
#      no file outside src/crypto includes an OpenSSL header
# Run from anywhere; builds go to build/ci-* in the checkout.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$1" "$(($(date +%s) - start))"; }

step "setup"
./scripts/setup.sh

step "gcc -Werror build and unit tests"
cmake -S . -B build/ci-gcc -G Ninja -DCMAKE_C_COMPILER=gcc -DUFT_WERROR=ON >/dev/null
ninja -C build/ci-gcc -j"$jobs"
ctest --test-dir build/ci-gcc --output-on-failure -j"$jobs"

step "clang ASan+UBSan build and unit tests"
cmake -S . -B build/ci-asan -G Ninja -DCMAKE_C_COMPILER=clang -DUFT_WERROR=ON \
    -DUFT_SANITIZE=ON >/dev/null
ninja -C build/ci-asan -j"$jobs"
# the sanitized programs are several times slower: net_scale sends 100 MiB
# instead of the gcc pass's 1 GiB; the 10,000-client simulation, the
# 1,000-client FEC one and the user guide's examples (a minute of the same
# programs the net tests run) run in the gcc pass only, to keep CI under
# 20 minutes on 2 cores
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    UFT_BIG_BYTES=104857600 ctest --test-dir build/ci-asan --output-on-failure -j"$jobs" \
    -E '^(sim_big10k|sim_fec_both|guide_examples)$'

step "libFuzzer targets, ${FUZZ_SECONDS}s each"
cmake -S . -B build/ci-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DUFT_WERROR=ON \
    -DUFT_SANITIZE=ON -DUFT_FUZZ=ON -DUFT_TESTS=OFF >/dev/null
ninja -C build/ci-fuzz -j"$jobs"
./scripts/fuzz.sh build/ci-fuzz "$FUZZ_SECONDS"

step "clang-format"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "clang-format: $(echo "$files" | wc -w) files clean"

step "src/core is I/O-free; only src/crypto includes OpenSSL"
./scripts/check-core-io.sh build/ci-gcc/src/core/libuft_core.a
./scripts/check-openssl-includes.sh

step "all tests passed"
