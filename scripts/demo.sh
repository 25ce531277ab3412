#!/bin/sh
# The README's demo: build ufcast, then send a generated file set (with a
# directory) from one uftp to three uftpd receivers, each in a private
# network namespace made and removed here, and check every byte.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
if [ "$(id -u)" -ne 0 ]; then
    echo "demo: needs root to make private network namespaces (sudo ./scripts/demo.sh)" >&2
    exit 1
fi
cmake -S . -B build/demo -G Ninja -DUFT_TESTS=OFF >/dev/null
ninja -C build/demo uftp uftpd >/dev/null
B=$root/build/demo/src/app
. "$root/tests/net/lib.sh"
NET_PREFIX=uftdemo
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 3
make_files "$W/src"
echo "demo: sending $(du -sh "$W/src" | cut -f1) ($(find "$W/src" -mindepth 1 | wc -l) entries) from one sender to three receivers"
echo "      (encrypted as UFTP 5 does by default: ECDH, ECDSA, AES-256-GCM)"
for i in 1 2 3; do
    mkdir -p "$W/r$i"
    net_bg "c$i" 60 "$B/uftpd" -d -D "$W/r$i" -U "0x0a00000$i" -x 1 \
        >"$W/c$i.log" 2>&1
done
sleep 0.5
(cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 60 "$B/uftp" -R 100000 -r 0.02 \
    -H 0x0a000001,0x0a000002,0x0a000003 -S "$W/status" -x 1 \
    big.bin one.bin zero.bin d1 empty "sp ace" link.bin)
rc=$?
net_bg_stop
ok=0
for i in 1 2 3; do
    if check_tree "$W/src" "$W/r$i" && check_no_temp "$W/r$i"; then
        echo "demo: receiver $i: every file, directory and link identical"
        ok=$((ok + 1))
    else
        echo "demo: receiver $i: DIFFERENT"
    fi
done
echo "demo: sender exit code $rc; $ok of 3 receivers identical; status lines:"
sed 's/^/      /' "$W/status" | head -12
[ "$rc" -eq 0 ] && [ "$ok" -eq 3 ]
