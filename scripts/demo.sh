#!/bin/sh
# The README's demo command. Today ufcast has its wire codec but not yet
# its programs, so there is no transfer to show: this script says so, then
# shows what exists: it builds ufcast and decodes real UFTP packets that
# were captured from UFTP 4.10.2 and 5.0.1 (tests/vectors).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
cmake -S . -B build/demo -G Ninja -DUFT_TESTS=OFF >/dev/null
ninja -C build/demo >/dev/null
cat <<'MSG'

ufcast demo
-----------
NOT YET A TRANSFER: the programs uftp, uftpd, uftpproxyd and uftp_keymgt
are not written yet (see the issues), so this demo cannot send a file.
What exists is the wire codec for UFTP protocol versions 5 and 4. Here it
decodes packets captured from the real UFTP programs:

MSG
n=0
for f in tests/vectors/v5/*.bin tests/vectors/v4/*.bin; do
    [ -f "$f" ] || continue
    case "$f" in */inner_*) continue ;; esac
    build/demo/src/app/ufcast-dump "$f" | cut -c1-200
    n=$((n + 1))
    [ "$n" -ge 12 ] && break
done
[ "$n" -gt 0 ] || echo "(no captured packets found under tests/vectors)"
