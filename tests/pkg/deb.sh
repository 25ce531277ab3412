#!/bin/sh
# The Debian package, from build to purge (root; it installs system-wide):
#
#   [pkgdeb_srv] s0 10.98.0.1 --+-- br0 in [pkgdeb_br]
#   [pkgdeb_c1]  c0 10.98.0.11 -+
#
# cpack builds the .deb; its file list must be exactly what we ship.
# dpkg -i installs it (under /opt/ufcast, so Debian's uftp package keeps
# /usr/bin/uftp: checked before and after). Then uftpd is started the way
# systemd would, in a namespace: the ExecStart=, EnvironmentFile= and
# StateDirectory= lines are read from the installed unit, not written
# here. The installed uftp sends it a file; the bytes must arrive in the
# state directory. dpkg -r must remove everything but the conffiles,
# dpkg --purge those and the state directory too.
# usage: deb.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"
need_root
BUILD=$(cd "${1:?usage: deb.sh BUILD_DIR}" && pwd)
NET_PREFIX=pkgdeb
UNIT=/lib/systemd/system/uftpd.service
fail() { echo "FAIL: $*"; exit 1; }
for t in cpack dpkg dpkg-deb; do
    command -v "$t" >/dev/null || { echo "SKIPPED: $t is not installed"; exit 77; }
done
# One run at a time on this machine: the package is installed system-wide.
exec 8>/tmp/.ufcast-pkg-deb.lock
flock -w 300 8 || fail "another run of this test holds /tmp/.ufcast-pkg-deb.lock"
if dpkg-query -W -f='${Status}' ufcast 2>/dev/null | grep -q installed; then
    fail "a ufcast package is installed already; remove it (dpkg --purge ufcast) to run this test"
fi
[ ! -e /var/lib/uftpd ] || fail "/var/lib/uftpd exists; the package's purge would delete it"
debian_uftp=$(dpkg -S /usr/bin/uftp 2>/dev/null | cut -d: -f1 || true)
W=$(mktemp -d)
installed=0
cleanup() {
    net_bg_stop
    net_down
    [ "$installed" -eq 0 ] || dpkg --purge ufcast >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT

t0=$(date +%s%N)
(cd "$BUILD" && cpack -G DEB -B "$W/out" >"$W/cpack.log" 2>&1) || { cat "$W/cpack.log"; fail "cpack"; }
deb=$(ls "$W"/out/ufcast_*.deb)
t1=$(date +%s%N)
dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '/$' | sort >"$W/contents"
sort >"$W/expected" <<'LIST'
./etc/default/uftpd
./etc/default/uftpproxyd
./lib/systemd/system/uftpd.service
./lib/systemd/system/uftpproxyd.service
./opt/ufcast/bin/ufcast-dump
./opt/ufcast/bin/uftp
./opt/ufcast/bin/uftp_keymgt
./opt/ufcast/bin/uftpd
./opt/ufcast/bin/uftpproxyd
./opt/ufcast/include/ufcast/ufcast.h
./opt/ufcast/lib/libufcast.a
./opt/ufcast/lib/libufcast.so
./opt/ufcast/lib/libufcast.so.0
./opt/ufcast/lib/libufcast.so.0.1.0
./opt/ufcast/lib/pkgconfig/ufcast.pc
./opt/ufcast/share/man/man1/uftp.1
./opt/ufcast/share/man/man1/uftp_keymgt.1
./opt/ufcast/share/man/man1/uftpd.1
./opt/ufcast/share/man/man1/uftpproxyd.1
./opt/ufcast/share/man/man3/ufcast.3
LIST
diff -u "$W/expected" "$W/contents" || fail "the package's files differ from the list above"
dpkg-deb -f "$deb" Package | grep -qx ufcast || fail "the package is not named ufcast"
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

dpkg -i "$deb" >"$W/dpkg.log" 2>&1 || { cat "$W/dpkg.log"; fail "dpkg -i"; }
installed=1
for f in $(sed 's/^\.//' "$W/expected"); do
    [ -e "$f" ] || fail "$f missing after dpkg -i"
done
[ "$(dpkg -S /usr/bin/uftp 2>/dev/null | cut -d: -f1 || true)" = "$debian_uftp" ] ||
    fail "/usr/bin/uftp changed owner after installing ufcast"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$UNIT" /lib/systemd/system/uftpproxyd.service >"$W/verify.log" 2>&1 ||
        { cat "$W/verify.log"; fail "systemd-analyze verify of the installed units"; }
    # an unknown or misspelt directive is only a warning (exit 0)
    [ ! -s "$W/verify.log" ] || { cat "$W/verify.log"; fail "systemd-analyze verify warned"; }
fi

# Start uftpd as systemd would: the unit's own lines.
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
env_file=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$UNIT")
state_dir=/var/lib/$(sed -n 's/^StateDirectory=//p' "$UNIT")
[ -n "$exec_start" ] && [ -n "$env_file" ] && [ "$state_dir" != /var/lib/ ] ||
    fail "$UNIT lacks ExecStart=, EnvironmentFile= or StateDirectory="
case $exec_start in /opt/ufcast/bin/uftpd\ *) ;; *) fail "ExecStart=$exec_start" ;; esac
[ -f "$env_file" ] || fail "the unit's EnvironmentFile $env_file is not installed"
mkdir -p -m 0750 "$state_dir"
net_down
net_up 1
cat >"$W/service.sh" <<SH
#!/bin/sh
# systemd: read the environment file, expand \$VARS into words, exec
set -a
. "$env_file"
set +a
eval "set -- $exec_start"
exec "\$@"
SH
chmod +x "$W/service.sh"
net_bg c1 30 "$W/service.sh" >"$W/uftpd.log" 2>&1
sleep 0.5
head -c 2000000 /dev/urandom >"$W/payload.bin"
rc=0
(cd "$W" && ip netns exec "$(net_ns srv)" timeout -k 5 30 /opt/ufcast/bin/uftp -U 0x0a000001 \
    -H 0x0a62000b -R 200000 -x 1 payload.bin) >"$W/uftp.log" 2>&1 || rc=$?
net_bg_stop
if [ "$rc" -ne 0 ] || ! cmp -s "$W/payload.bin" "$state_dir/payload.bin"; then
    echo "--- uftp (exit $rc)"; cat "$W/uftp.log"; echo "--- uftpd"; cat "$W/uftpd.log"
    fail "the installed uftp did not deliver to the service's uftpd in $state_dir"
fi
grep -q "as client 0x0A62000B" "$W/uftpd.log" ||
    fail "the service's uftpd did not take its ID (0x0A62000B) from its address: $(cat "$W/uftpd.log")"

dpkg -r ufcast >"$W/dpkg.log" 2>&1 || { cat "$W/dpkg.log"; fail "dpkg -r"; }
for f in /opt/ufcast /lib/systemd/system/uftpd.service /lib/systemd/system/uftpproxyd.service; do
    [ ! -e "$f" ] || fail "$f left after dpkg -r"
done
[ -f /etc/default/uftpd ] || fail "dpkg -r removed the conffile /etc/default/uftpd"
dpkg --purge ufcast >"$W/dpkg.log" 2>&1 || { cat "$W/dpkg.log"; fail "dpkg --purge"; }
installed=0
for f in /etc/default/uftpd /etc/default/uftpproxyd /var/lib/uftpd; do
    [ ! -e "$f" ] || fail "$f left after dpkg --purge"
done
! dpkg-query -W ufcast >/dev/null 2>&1 || fail "dpkg still knows ufcast after --purge"
[ "$(dpkg -S /usr/bin/uftp 2>/dev/null | cut -d: -f1 || true)" = "$debian_uftp" ] ||
    fail "/usr/bin/uftp changed owner after removing ufcast"
t2=$(date +%s%N)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
echo "PASS: package built in $(secs "$t0" "$t1") s; installed, served, sent 2000000 bytes, removed and purged; $(secs "$t0" "$t2") s in all"
