#!/bin/sh
# uftpd --user nobody --confine, as root, over real multicast in private
# namespaces (prefix hdc):
#
#   [hdc_srv] uftp ---- br0 ---- [hdc_c1] uftpd --user nobody --confine
#                                          -D r -T t -s script
#
#   - the file arrives byte for byte, owned by nobody;
#   - /proc/PID/status of the daemon: every uid and gid nobody's,
#     NoNewPrivs 1, Seccomp 2 (a filter);
#   - Landlock: the -s script (run by the confined daemon, so under the
#     same domain) writes its record inside -D, but cannot create a file
#     in a directory that is world-writable (mode 1777, so plain
#     permissions would let nobody in) outside -D, -T: that write fails
#     (EACCES), which only Landlock explains;
#   - seccomp: the daemon's log names the filter; without -s, exec is
#     refused: a second daemon with --confine and no -s is checked for
#     Seccomp 2 and its log says "no exec";
#   - --user with an unknown name exits 1 and names the option;
#   - uftpproxyd --user nobody --confine runs as nobody with Seccomp 2 and
#     no writable directory.
# usage: confine.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"
need_root
B=$(cd "${1:?usage: confine.sh BUILD_APP_DIR}" && pwd)
id nobody >/dev/null 2>&1 || { echo "SKIPPED: no user nobody"; exit 77; }
NET_PREFIX=hdc
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 1
fail=0
bad() { echo "FAIL $1"; fail=1; }
chmod 755 "$W"
mkdir -p "$W/r" "$W/t" "$W/out" "$W/src" "$W/r2"
chown nobody "$W/r" "$W/t" "$W/r2"
chmod 1777 "$W/out"
head -c 3000000 /dev/urandom >"$W/src/data.bin"
nuid=$(id -u nobody)
ngid=$(id -g nobody)

# The script records who ran it and whether it could write outside -D.
cat >"$W/script.sh" <<EOF
#!/bin/sh
{
    echo "uid \$(id -u)"
    if ( echo escaped >"$W/out/escape" ) 2>/dev/null; then echo "outside written"; else echo "outside refused"; fi
    for f in "\$@"; do echo "ARG \$f"; done
} >"$W/r/script.rec" 2>&1
EOF
chmod 755 "$W/script.sh"

# an unknown user: exit 1, the option named
set +e
msg=$(ip netns exec "$(net_ns c1)" "$B/uftpd" -d -D "$W/r2" -U 0x0a000001 --user no-such-user-hd 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] && echo "$msg" | grep -q -- "--user no-such-user-hd" ||
    bad "unknown user: exit $rc, message: $msg"

net_bg c1 90 "$B/uftpd" -d -x 2 -D "$W/r" -T "$W/t" -s "$W/script.sh" -U 0x0a000001 \
    --user nobody --confine >"$W/c1.log" 2>&1

daemon_pid() { # the uftpd in namespace c1 with this destination
    for p in $(ip netns pids "$(net_ns c1)"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = uftpd ] || continue
        tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "-D $1 " && echo "$p" && return 0
    done
    return 1
}
n=50
while ! grep -q "listening on port" "$W/c1.log" && [ "$n" -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
pid=$(daemon_pid "$W/r") || { bad "no uftpd running; its log:"; cat "$W/c1.log"; exit 1; }
st="/proc/$pid/status"
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")
groups=$(awk '/^Groups:/ { $1 = ""; print }' "$st" | tr -d ' ')
[ "$uids" = "$nuid $nuid $nuid $nuid" ] || bad "uids are '$uids', not nobody's ($nuid)"
[ "$gids" = "$ngid $ngid $ngid $ngid" ] || bad "gids are '$gids', not nobody's group ($ngid)"
[ "$groups" = "$ngid" ] || bad "supplementary groups are '$groups', not just $ngid"
grep -q "^NoNewPrivs:[[:space:]]*1$" "$st" || bad "NoNewPrivs is not 1"
grep -q "^Seccomp:[[:space:]]*2$" "$st" || bad "Seccomp is not 2 (filter)"
grep -q -- "--confine: Landlock ABI [0-9]*: the file system is writable only under $W/r, $W/t" \
    "$W/c1.log" || bad "the log does not name the Landlock rules"
grep -q -- "--confine: seccomp filter: exec allowed for the -s script" "$W/c1.log" ||
    bad "the log does not name the seccomp filter"

set +e
(cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 60 "$B/uftp" -Y none -R 100000 \
    -r 0.02:0.01:1 -s 10 -H 0x0a000001 -x 1 data.bin >"$W/srv.log" 2>&1)
rc=$?
set -e
[ "$rc" = 0 ] || bad "uftp exit $rc"
cmp -s "$W/src/data.bin" "$W/r/data.bin" || bad "data.bin differs or is missing"
[ "$(stat -c %u "$W/r/data.bin" 2>/dev/null)" = "$nuid" ] || bad "data.bin is not owned by nobody"
n=50
while ! grep -q "^ARG" "$W/r/script.rec" 2>/dev/null && [ "$n" -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
grep -q "^uid $nuid$" "$W/r/script.rec" || bad "the script did not run as nobody: $(cat "$W/r/script.rec" 2>&1)"
grep -q "^outside refused$" "$W/r/script.rec" || bad "the script could write outside -D/-T"
[ ! -e "$W/out/escape" ] || bad "$W/out/escape exists"
grep -q "^ARG $W/r/data.bin$" "$W/r/script.rec" || bad "the script was not given data.bin"
# the same write as nobody without Landlock succeeds: the refusal is Landlock's
su -s /bin/sh nobody -c "echo x >'$W/out/plain'" 2>/dev/null && [ -e "$W/out/plain" ] ||
    bad "nobody cannot write $W/out even without Landlock; the check above proves nothing"

# --confine without -s: no exec
net_bg c1 60 "$B/uftpd" -d -x 2 -D "$W/r2" -p 1045 -U 0x0a000001 --user nobody --confine \
    >"$W/c1b.log" 2>&1
n=50
while ! grep -q "listening on port" "$W/c1b.log" && [ "$n" -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
pid2=$(daemon_pid "$W/r2") || bad "the second uftpd is not running: $(cat "$W/c1b.log")"
[ -n "${pid2:-}" ] && ! grep -q "^Seccomp:[[:space:]]*2$" "/proc/$pid2/status" &&
    bad "the second uftpd has no seccomp filter"
grep -q -- "--confine: seccomp filter: no exec" "$W/c1b.log" || bad "the second log does not say no exec"

# uftpproxyd takes the same options
net_bg c1 60 "$B/uftpproxyd" -d -c -x 2 -p 1046 -U 0x0a0000fe --user nobody --confine \
    >"$W/proxy.log" 2>&1
n=50
while ! grep -q "seccomp filter" "$W/proxy.log" && [ "$n" -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
ppid=
for p in $(ip netns pids "$(net_ns c1)"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = uftpproxyd ] && ppid=$p
done
if [ -z "$ppid" ]; then
    bad "uftpproxyd is not running: $(cat "$W/proxy.log")"
else
    [ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$ppid/status")" = "$nuid $nuid $nuid $nuid" ] ||
        bad "uftpproxyd does not run as nobody"
    grep -q "^Seccomp:[[:space:]]*2$" "/proc/$ppid/status" || bad "uftpproxyd has no seccomp filter"
    grep -q -- "--confine: Landlock ABI [0-9]*: the file system is writable only under (nothing)" \
        "$W/proxy.log" || bad "uftpproxyd's log does not name its Landlock rules"
fi
net_bg_stop
[ "$fail" = 0 ] && echo "PASS confine (uid/gid $nuid/$ngid, Seccomp 2, NoNewPrivs 1, Landlock refused a write to a 1777 directory, file intact)"
exit $fail
