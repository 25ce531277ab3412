#!/bin/sh
# A file set of realistic size over real multicast in private namespaces:
# 200 files of mixed sizes (0 bytes to 2 MB, block-boundary sizes among
# them) in nested directories, plus one file of 1 GiB of random data, to
# three receivers, plain and encrypted (AES-256-GCM), at -R -1. Every
# receiver must hold byte-identical copies (SHA-256 of every file) and
# no temporary file. The 1 GiB file needs about 5 GiB of free space in
# TMPDIR; with less it is left out, visibly. UFT_BIG_BYTES sets its size
# (scripts/test.sh uses 100 MiB for the sanitizer build, where the
# programs run several times slower; the gcc build sends the full GiB).
# usage: scale.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: scale.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=ufts
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 3
fail=0

# 200 files: sizes cycle through edge cases and pseudo-random values
mkdir -p "$W/src/set"
i=0
while [ "$i" -lt 200 ]; do
    d="$W/src/set/d$((i % 7))/e$((i % 3))"
    mkdir -p "$d"
    case $((i % 10)) in
    0) n=0 ;;
    1) n=1 ;;
    2) n=1300 ;;
    3) n=1301 ;;
    4) n=$((1300 * 8 * 1300 + 7)) ;; # past one section of 10,400 blocks
    *) n=$(((i * 7919 + 13) % 300000)) ;;
    esac
    [ "$i" -lt 190 ] || n=$((2000000 - i))
    head -c "$n" /dev/urandom >"$d/f$i.bin"
    i=$((i + 1))
done
avail=$(df -Pk "$W" | awk 'NR == 2 { print $4 }')
bytes=${UFT_BIG_BYTES:-1073741824}
if [ "$avail" -gt $((bytes / 1024 * 5)) ]; then
    head -c "$bytes" /dev/urandom >"$W/src/huge.bin"
    big=huge.bin
    echo "big file: $bytes bytes"
else
    echo "SKIPPED the big file: only $((avail / 1024)) MiB free in $W"
    big=
fi
(cd "$W/src" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$W/src.sums"
nfiles=$(wc -l <"$W/src.sums")

case_run() { # case_run NAME SERVER_OPTIONS...
    name=$1
    shift
    for i in 1 2 3; do
        rm -rf "$W/r$i"
        mkdir -p "$W/r$i"
        net_bg "c$i" 400 "$B/uftpd" -d -D "$W/r$i" -U "0x0a00000$i" -x 1 >"$W/$name.c$i.log" 2>&1
    done
    sleep 0.5
    start=$(date +%s.%N)
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 380 "$B/uftp" "$@" -R -1 \
        -r 0.02:0.01:1 -s 10 -H 0x0a000001,0x0a000002,0x0a000003 -x 1 set $big \
        >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    net_bg_stop
    ok=1
    [ "$rc" -eq 0 ] || { echo "$name: server exit $rc"; ok=0; }
    for i in 1 2 3; do
        (cd "$W/r$i" && sha256sum --quiet -c "$W/src.sums") >"$W/$name.sum$i" 2>&1 ||
            { echo "$name: receiver $i: $(head -3 "$W/$name.sum$i")"; ok=0; }
        check_no_temp "$W/r$i" || ok=0
        rm -rf "$W/r$i"
    done
    if [ "$ok" = 1 ]; then
        echo "PASS $name ($nfiles files, ${secs}s)"
    else
        echo "FAIL $name; server log:"
        tail -20 "$W/$name.s.log"
        fail=1
    fi
}

case_run plain -Y none
case_run encrypted -Y aes256-gcm
exit $fail
