#!/bin/sh
# uftpd's server list (-S) and source-specific multicast (-o), over real
# multicast in private namespaces, with the status file (-F):
#   listed:      the server is listed with its key's fingerprint: the
#                encrypted transfer completes; -F holds UFTP's CONNECT and
#                RESULT lines naming the server ID and address.
#   badfp:       the listed fingerprint is another key's: the receiver
#                refuses ("Failed to verify server key fingerprint").
#   notlisted:   the list names another server: "Server not in server list".
#   ssm:         -o with 232.x groups: the (S,G) joins carry the transfer.
#   ssm_wrong:   -o with the server listed at another address: the kernel
#                filters its packets and nothing arrives.
# usage: serverlist.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: serverlist.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftv
W=$(mktemp -d)
trap 'net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down
net_up 1
fail=0
bad() { echo "FAIL $1"; fail=1; }
mkdir -p "$W/src"
head -c 300000 /dev/urandom >"$W/src/a.bin"
printf 'b\n' >"$W/src/b.txt"
"$B/uftp_keymgt" -g ec:prime256v1 "$W/server.pem" 2>"$W/key.txt"
"$B/uftp_keymgt" -g ec:prime256v1 "$W/other.pem" 2>"$W/other.txt"
fp=$(sed -n 's/.*fingerprint: //p' "$W/key.txt")
otherfp=$(sed -n 's/.*fingerprint: //p' "$W/other.txt")
[ -n "$fp" ] && [ -n "$otherfp" ] || { echo "FAIL: no key fingerprints"; exit 1; }
SID=0A620001 # the server's default ID: its address 10.98.0.1

case_run() { # case_run NAME LIST_LINE CLIENT_OPTS SERVER_OPTS -> $rc, files in $W/r
    name=$1
    printf '# servers\n%s\n' "$2" >"$W/$name.list"
    rm -rf "$W/r"
    mkdir -p "$W/r"
    # shellcheck disable=SC2086
    net_bg c1 60 "$B/uftpd" -d -D "$W/r" -U 0x0a000001 -x 2 -S "$W/$name.list" \
        -F "$W/$name.status" $3 >"$W/$name.c.log" 2>&1
    sleep 0.5
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 40 "$B/uftp" -R 100000 \
        -r 0.02:0.01:1 -s 10 -H 0x0a000001 -x 2 $4 a.bin b.txt >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    net_bg_stop
}

got_all() { cmp -s "$W/src/a.bin" "$W/r/a.bin" && cmp -s "$W/src/b.txt" "$W/r/b.txt"; }

case_run listed "0x$SID|10.98.0.1|0|$fp" "" "-k $W/server.pem"
if [ "$rc" -eq 0 ] && got_all &&
    grep -q "^CONNECT;[0-9/:-]*;$SID;[0-9A-F]\{8\};10.98.0.1;" "$W/listed.status" &&
    grep -q "^RESULT;[0-9/:-]*;$SID;[0-9A-F]\{8\};a.bin;292KB;copied$" "$W/listed.status"; then
    echo "PASS listed"
else
    bad "listed: exit $rc; status: $(cat "$W/listed.status" 2>/dev/null)"
fi

case_run badfp "0x$SID|10.98.0.1|0|$otherfp" "" "-k $W/server.pem"
[ ! -e "$W/r/a.bin" ] && grep -q "Failed to verify server key fingerprint" "$W/badfp.s.log" &&
    echo "PASS badfp" || bad "badfp: exit $rc, files: $(ls "$W/r")"

case_run notlisted "0x0A620099|10.98.0.99|0" "" "-Y none"
[ ! -e "$W/r/a.bin" ] && grep -q "Server not in server list" "$W/notlisted.s.log" &&
    echo "PASS notlisted" || bad "notlisted: exit $rc, files: $(ls "$W/r")"

case_run ssm "0x$SID|10.98.0.1|0" "-o -M 232.4.4.1" "-Y none -M 232.4.4.1 -P 232.5.5.x"
[ "$rc" -eq 0 ] && got_all && echo "PASS ssm" || bad "ssm: exit $rc: $(tail -3 "$W/ssm.s.log")"

case_run ssm_wrong "0x$SID|10.98.0.77|0" "-o -M 232.4.4.1" "-Y none -M 232.4.4.1 -P 232.5.5.x"
[ "$rc" -ne 0 ] && [ ! -e "$W/r/a.bin" ] && echo "PASS ssm_wrong" ||
    bad "ssm_wrong: exit $rc, files: $(ls "$W/r")"
exit $fail
