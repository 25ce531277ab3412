#!/bin/sh
# Rebuild the committed seed corpus: the codec's sample messages plus the
# real captured packets of tests/vectors, filed under their fuzz target.
# Files it writes are overwritten; other inputs in the corpus (those merged
# by hand from longer fuzzing runs, `fuzz_X -merge=1`) are kept.
# Usage: seed-corpus.sh BUILD_DIR (a normal build with tests on)
set -eu
build=${1:?usage: seed-corpus.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/tests/fuzz/corpus"
mkdir -p "$out"
"$build/tests/unit/seed_corpus" "$out"
grep -v '^#' "$root/tests/vectors/MANIFEST" | while read -r rel rest; do
    [ -n "$rel" ] || continue
    func=$(echo "$rest" | tr ' ' '\n' | sed -n 's/^func=//p')
    kind=$(echo "$rest" | tr ' ' '\n' | sed -n 's/^kind=//p')
    ver=$(echo "$rest" | tr ' ' '\n' | sed -n 's/^ver=//p')
    name="vec_$(echo "$rel" | tr '/' '_')"
    if [ "$kind" = inner ]; then
        mkdir -p "$out/fuzz_body"
        if [ "$ver" = 0x50 ]; then printf '\001'; else printf '\000'; fi >"$out/fuzz_body/$name"
        cat "$root/tests/vectors/$rel" >>"$out/fuzz_body/$name"
        continue
    fi
    type=$(sed -n "$((func + 0))p" <<TYPES
announce
register
client_key
reg_conf
keyinfo
keyinfo_ack
fileinfo
fileinfo_ack
fileseg
done
status
complete
done_conf
hb_req
hb_resp
key_req
proxy_key
encrypted
abort
cong_ctrl
cc_ack
TYPES
)
    mkdir -p "$out/fuzz_packet" "$out/fuzz_$type"
    cp "$root/tests/vectors/$rel" "$out/fuzz_packet/$name"
    cp "$root/tests/vectors/$rel" "$out/fuzz_$type/$name"
done
# Whole-session seeds: what client 1 and the server receive in a few
# simulator runs (SIM_TRACE writes the fuzz_*_session input format).
trace=$(mktemp -d)
for sc in open3 reorder vanish; do
    SIM_TRACE="$trace" "$build/tests/sim/uft_sim" "$sc" 7 >/dev/null
    mkdir -p "$out/fuzz_client_session" "$out/fuzz_server_session"
    mv "$trace/client_7" "$out/fuzz_client_session/sim_$sc"
    mv "$trace/server_7" "$out/fuzz_server_session/sim_$sc"
done
rm -rf "$trace"
echo "seed-corpus: $(find "$out" -type f | wc -l) files in $out"
