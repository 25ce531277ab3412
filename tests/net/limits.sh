#!/bin/sh
# Limits of the path and the disk, over real multicast in private
# namespaces:
#   rate:     the server's link is shaped to 20 Mbit/s (tc tbf); uftp -R
#             10000 must send within 5% of 10,000 Kbit/s on the wire
#             (from the status file's KB/s of data), to three receivers.
#   diskfull: receiver 3's destination is a 3 MB tmpfs. A 5 MB file is
#             rejected there up front ("not enough disk space", named in
#             its log) while the files before and after it arrive; the
#             other receivers get everything.
#   enospc:   the tmpfs fills up while a file is arriving (another writer
#             takes the space): the receiver aborts with "Not enough disk
#             space", leaves nothing under the final name and no
#             temporary file, and the others complete.
# usage: limits.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: limits.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftl
W=$(mktemp -d)
cleanup() {
    net_down
    umount "$W/small" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
net_down
net_up 3
fail=0
bad() { echo "FAIL $1"; fail=1; }
mkdir -p "$W/src" "$W/small"
head -c 12800000 /dev/urandom >"$W/src/rate.bin"
head -c 100000 /dev/urandom >"$W/src/a_small.bin"
head -c 5000000 /dev/urandom >"$W/src/b_big.bin"
head -c 50000 /dev/urandom >"$W/src/c_after.bin"
head -c 2000000 /dev/urandom >"$W/src/slow.bin"

receivers() { # receivers NAME DEST3
    for i in 1 2 3; do
        d="$W/r$i"
        [ "$i" = 3 ] && d=$2
        rm -rf "${d:?}"/* 2>/dev/null || true
        mkdir -p "$d"
        net_bg "c$i" 120 "$B/uftpd" -d -D "$d" -U "0x0a00000$i" -x 2 >"$W/$1.c$i.log" 2>&1
    done
    sleep 0.5
}

send() { # send NAME ARGS...
    name=$1
    shift
    set +e
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 100 "$B/uftp" -Y none \
        -r 0.02:0.01:1 -s 10 -H 0x0a000001,0x0a000002,0x0a000003 -x 2 -S "$W/$name.st" "$@" \
        >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
}

# ---- rate ----
ip netns exec "$(net_ns srv)" tc qdisc add dev eth0 root tbf rate 20mbit burst 32kbit latency 50ms
receivers rate "$W/r3"
send rate -R 10000 rate.bin
net_bg_stop
ip netns exec "$(net_ns srv)" tc qdisc del dev eth0 root
[ "$rc" -eq 0 ] || bad "rate: server exit $rc"
# RESULT;ID;name;KB;copy;RATEKB/s: 10,000 Kbit/s is 1,250 KB/s
rates=$(awk -F';' '$1 == "RESULT" && $5 == "copy" { sub("KB/s", "", $6); print $6 }' "$W/rate.st")
n=$(echo "$rates" | grep -c . || true)
[ "$n" -eq 3 ] || bad "rate: $n receivers reported (want 3): $(cat "$W/rate.st")"
# -R counts whole IP packets, as UFTP does: 1,300 data bytes travel in
# 1,352 (FILESEG 8, UFTP 16, UDP 8, IPv4 20), so goodput is 1300/1352 of it
for r in $rates; do
    awk -v r="$r" 'BEGIN { w = r * 1352 / 1300; exit !(w >= 1187.5 && w <= 1312.5) }' ||
        bad "rate: a receiver got $r KB/s of data (want 1250 KB/s on the wire +/- 5%)"
done
for i in 1 2 3; do cmp -s "$W/src/rate.bin" "$W/r$i/rate.bin" || bad "rate: receiver $i differs"; done
[ "$fail" = 0 ] && echo "PASS rate ($(echo $rates) KB/s)"

# ---- diskfull ----
f0=$fail
mount -t tmpfs -o size=3m tmpfs "$W/small"
receivers diskfull "$W/small"
send diskfull -R 100000 a_small.bin b_big.bin c_after.bin
net_bg_stop
[ "$rc" -eq 0 ] || bad "diskfull: server exit $rc"
for i in 1 2; do
    for f in a_small.bin b_big.bin c_after.bin; do
        cmp -s "$W/src/$f" "$W/r$i/$f" || bad "diskfull: receiver $i lacks $f"
    done
done
cmp -s "$W/src/a_small.bin" "$W/small/a_small.bin" || bad "diskfull: a_small.bin missing on the full disk"
cmp -s "$W/src/c_after.bin" "$W/small/c_after.bin" || bad "diskfull: c_after.bin missing after the rejection"
[ -e "$W/small/b_big.bin" ] && bad "diskfull: b_big.bin exists on the full disk"
check_no_temp "$W/small" || bad "diskfull: a temporary file was left"
grep -q "0x0A000003;b_big.bin;.*rejected" "$W/diskfull.st" || bad "diskfull: status lacks the rejection"
grep -q "disk space.*b_big.bin\|b_big.bin.*disk space" "$W/diskfull.c3.log" ||
    bad "diskfull: the receiver's log does not name the file and the reason"
[ "$fail" = "$f0" ] && echo "PASS diskfull"

# ---- enospc: the space goes while the file arrives ----
f0=$fail
rm -rf "${W:?}/small"/*
receivers enospc "$W/small"
(sleep 1.5 && dd if=/dev/zero of="$W/small/filler" bs=64k 2>/dev/null; true) &
filler=$!
# 4,000 Kbit/s: the 2 MB file takes 4 s, so the filler wins mid-file
send enospc -R 4000 slow.bin
wait "$filler" || true
net_bg_stop
[ "$rc" -eq 0 ] || bad "enospc: server exit $rc"
for i in 1 2; do cmp -s "$W/src/slow.bin" "$W/r$i/slow.bin" || bad "enospc: receiver $i lacks slow.bin"; done
[ -e "$W/small/slow.bin" ] && bad "enospc: slow.bin exists under its final name"
check_no_temp "$W/small" || bad "enospc: a temporary file was left"
grep -q "Not enough disk space" "$W/enospc.s.log" || bad "enospc: the server did not hear why"
grep -qi "no space\|disk space" "$W/enospc.c3.log" || bad "enospc: the receiver's log does not say why"
[ "$fail" = "$f0" ] && echo "PASS enospc"
exit $fail
