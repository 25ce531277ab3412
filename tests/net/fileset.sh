#!/bin/sh
# UFTP's file-set features with the real programs, over multicast in
# private namespaces, each checked on disk and in the status file (-S):
#   sync:     -z against a receiver holding an older copy (overwritten), an
#             identical one (skipped), a newer one (skipped) and none (copy)
#   preview:  -Z reports the same decisions and changes nothing on disk
#   list:     -i reads the operands from a file; -X leaves a subtree out
#   dest:     -D renames a single file; -D with -o puts files under a dir;
#             -E strips a base directory
#   delete:   @DELETE:path removes a file on the receivers
#   freespace: @FREESPACE gets a FREESPACE line with the receiver's bytes
#   links:    a symlink goes as a link, with -l as the file it points to
#   quit:     -q with a closed-group member that never answers: everyone is
#             aborted and uftp exits 7, as UFTP does
#   passes:   -a 1 on a receiver losing 30%: it is aborted after one pass
#             ("aborted" in the status file), and with no receiver left uftp
#             exits 9
# usage: fileset.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: fileset.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftk
W=$(mktemp -d)
trap 'net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down
net_up 1
fail=0
bad() { echo "FAIL $1"; fail=1; }
S="$W/src"
R="$W/r"
mkdir -p "$S/tree/keep" "$S/tree/skip" "$R"

send() { # send NAME ARGS...: one session from $S to the receiver, status in $W/NAME.st
    name=$1
    shift
    net_bg c1 60 "$B/uftpd" -d -D "$R" -U 0x0a00000b -x 2 >"$W/$name.c.log" 2>&1
    sleep 0.3
    set +e
    (cd "$S" && ip netns exec "$(net_ns srv)" timeout -k 5 40 "$B/uftp" -Y none -R 100000 \
        -r 0.02:0.01:1 -s 10 -H 0x0a00000b -x 2 -S "$W/$name.st" "$@" >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    net_bg_stop
}
line() { grep -q "^RESULT;0x0A00000B;$2;[0-9]*KB;$3;" "$W/$1.st"; }

# ---- sync and preview ----
printf 'same\n' >"$S/same.txt"
printf 'newer at the sender\n' >"$S/old.txt"
printf 'older at the sender\n' >"$S/new.txt"
printf 'fresh\n' >"$S/fresh.txt"
touch -d '2020-01-01 00:00:00' "$S/new.txt"
touch -d '2024-01-01 00:00:00' "$S/same.txt" "$S/old.txt"
cp -p "$S/same.txt" "$R/same.txt"
printf 'stale\n' >"$R/old.txt"
touch -d '2021-01-01 00:00:00' "$R/old.txt"
printf 'kept: newer here\n' >"$R/new.txt"
touch -d '2025-01-01 00:00:00' "$R/new.txt"
before=$(cd "$R" && ls -l --time-style=+%s . | md5sum)
send preview -Z same.txt old.txt new.txt fresh.txt
after=$(cd "$R" && ls -l --time-style=+%s . | md5sum)
[ "$before" = "$after" ] && [ ! -e "$R/fresh.txt" ] && line preview same.txt skipped &&
    line preview old.txt overwritten && line preview new.txt skipped &&
    line preview fresh.txt copy && echo "PASS preview" ||
    bad "preview: exit $rc, disk changed: $([ "$before" = "$after" ] || echo yes); $(cat "$W/preview.st")"
send sync -z same.txt old.txt new.txt fresh.txt
cmp -s "$S/old.txt" "$R/old.txt" && cmp -s "$S/fresh.txt" "$R/fresh.txt" &&
    [ "$(cat "$R/new.txt")" = "kept: newer here" ] && line sync same.txt skipped &&
    line sync old.txt overwritten && line sync new.txt skipped && line sync fresh.txt copy &&
    echo "PASS sync" || bad "sync: exit $rc; $(cat "$W/sync.st")"

# ---- -i list file and -X exclude ----
head -c 5000 /dev/urandom >"$S/tree/keep/k.bin"
head -c 5000 /dev/urandom >"$S/tree/skip/s.bin"
printf 'tree\n' >"$W/list"
printf 'tree/skip\n' >"$W/exclude"
send list -i "$W/list" -X "$W/exclude"
cmp -s "$S/tree/keep/k.bin" "$R/tree/keep/k.bin" && [ ! -e "$R/tree/skip" ] &&
    echo "PASS list_exclude" || bad "list_exclude: exit $rc; $(ls -R "$R/tree" 2>&1)"

# ---- -D, -o, -E ----
send rename -D renamed.bin tree/keep/k.bin
cmp -s "$S/tree/keep/k.bin" "$R/renamed.bin" && echo "PASS dest_name" ||
    bad "dest_name: exit $rc"
send intodir -D incoming -o tree/keep/k.bin
cmp -s "$S/tree/keep/k.bin" "$R/incoming/k.bin" && echo "PASS dest_dir" || bad "dest_dir: exit $rc"
send base -E "$S/tree/" "$S/tree/keep/k.bin"
cmp -s "$S/tree/keep/k.bin" "$R/keep/k.bin" && echo "PASS base_dir" || bad "base_dir: exit $rc"

# ---- @DELETE and @FREESPACE ----
printf 'doomed\n' >"$R/doomed.txt"
send delete @DELETE:doomed.txt @FREESPACE
[ ! -e "$R/doomed.txt" ] && grep -q "^FREESPACE;.;[1-9][0-9]*$" "$W/delete.st" &&
    echo "PASS delete_freespace" || bad "delete_freespace: exit $rc; $(cat "$W/delete.st")"

# ---- links: as a link, and followed with -l ----
ln -s tree/keep/k.bin "$S/link.bin"
send link link.bin
[ "$(readlink "$R/link.bin")" = tree/keep/k.bin ] && echo "PASS link" || bad "link: exit $rc"
rm -f "$R/link.bin"
send follow -l link.bin
[ ! -L "$R/link.bin" ] && cmp -s "$S/tree/keep/k.bin" "$R/link.bin" && echo "PASS follow" ||
    bad "follow: exit $rc"
# ---- -q and -a: the server's exit codes ----
rm -rf "${R:?}"/*
head -c 3000000 /dev/urandom >"$S/big.bin"
send quit -q -H 0x0a00000b,0x0a00000c big.bin
[ "$rc" -eq 7 ] && [ ! -e "$R/big.bin" ] && grep -q "A client dropped out" "$W/quit.c.log" &&
    echo "PASS quit" || bad "quit: exit $rc (want 7); $(tail -2 "$W/quit.s.log")"
net_loss c1 30
send passes -a 1 big.bin
[ "$rc" -eq 9 ] && [ ! -e "$R/big.bin" ] && line passes big.bin aborted &&
    echo "PASS max_passes" || bad "max_passes: exit $rc (want 9); $(cat "$W/passes.st")"
ip netns exec "$(net_ns c1)" nft flush ruleset
check_no_temp "$R" || bad "a temporary file was left"
exit $fail
