#!/bin/sh
# A hostile server against ufcast's uftpd, over real multicast in private
# namespaces. uftp's -D names a file on the receivers freely, so it can
# send the names an attacker would:
#   dotdot:   "../../escape.txt"
#   absolute: an absolute path outside the destination
#   linkdir:  first a symlink "esc" -> a directory outside, then a file
#             "esc/pwned.txt" that would land there through the link,
#             sent with an honest file that must still arrive
#   linkfile: a symlink "victim" -> a file outside, then a file "victim"
#             that would overwrite the target through the link
# Nothing may appear or change outside the destination; each hostile
# name is rejected (the server's status says "rejected") and the receiver
# keeps running for the next session.
# usage: hostile.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: hostile.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=ufth
W=$(mktemp -d)
trap 'net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down
net_up 1
mkdir -p "$W/src/esc" "$W/dest/inner" "$W/outside" "$W/srv"
printf 'payload\n' >"$W/src/payload.txt"
printf 'pwned\n' >"$W/src/esc/pwned.txt"
printf 'honest\n' >"$W/src/ok.txt"
printf 'keep me\n' >"$W/outside/target.txt"
ln -s "$W/outside" "$W/srv/esc"
ln -s "$W/outside/target.txt" "$W/srv/victim"
fail=0
bad() { echo "FAIL $1"; fail=1; }

net_bg c1 120 "$B/uftpd" -d -D "$W/dest/inner" -U 0x0a000001 -x 3 >"$W/uftpd.log" 2>&1
sleep 0.5

send() { # send NAME ARGS...: one session from $W/srv; status file in $W/NAME.st
    name=$1
    shift
    (cd "$W/srv" && ip netns exec "$(net_ns srv)" timeout -k 5 40 "$B/uftp" -Y none -R 100000 \
        -r 0.02:0.01:1 -s 10 -H 0x0a000001 -x 2 -S "$W/$name.st" "$@" >"$W/$name.log" 2>&1) || true
}

outside_intact() {
    [ "$(ls -A "$W/outside")" = target.txt ] && [ "$(cat "$W/outside/target.txt")" = "keep me" ] &&
        [ ! -e "$W/dest/escape.txt" ] && [ ! -e "$W/escape.txt" ]
}

send dotdot -D ../../escape.txt "$W/src/payload.txt"
outside_intact && grep -q rejected "$W/dotdot.st" && echo "PASS dotdot" ||
    bad "dotdot: $(cat "$W/dotdot.st" 2>/dev/null)"

send absolute -D "$W/outside/abs.txt" "$W/src/payload.txt"
outside_intact && grep -q rejected "$W/absolute.st" && echo "PASS absolute" ||
    bad "absolute: $(cat "$W/absolute.st" 2>/dev/null)"

send link1 esc
[ -L "$W/dest/inner/esc" ] || bad "linkdir: the symlink itself was not made"
send link2 "$W/src/esc" "$W/src/ok.txt"
if outside_intact && grep -q rejected "$W/link2.st" && cmp -s "$W/src/ok.txt" "$W/dest/inner/ok.txt"; then
    echo "PASS linkdir"
else
    bad "linkdir: outside holds [$(ls -A "$W/outside")], status: $(cat "$W/link2.st" 2>/dev/null)"
fi

send link3 victim
mkdir -p "$W/src2"
printf 'overwrite\n' >"$W/src2/victim"
send link4 "$W/src2/victim"
# either refused, or the link replaced by a plain file: the target keeps its bytes
outside_intact && echo "PASS linkfile" || bad "linkfile: target now holds '$(cat "$W/outside/target.txt")'"

# the receiver survived all of it
kill -0 "$(echo $NET_BG_PIDS | awk '{print $1}')" 2>/dev/null || bad "uftpd is gone"
net_bg_stop
check_no_temp "$W/dest" || bad "a temporary file was left"
exit $fail
