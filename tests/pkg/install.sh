#!/bin/sh
# cmake --install into a private prefix, then use it as a user would:
#
#   [pkgin_srv] s0 10.98.0.1 --+-- br0 in [pkgin_br]
#   [pkgin_c1]  c0 10.98.0.11 -+
#
# Checks every installed file (programs, man pages, headers, libraries
# with their SONAME and only ufcast_* exported, or global in the .a,
# each in ufcast(3) and the header; ufcast.pc; the systemd units pointing
# into the prefix, systemd-analyze verify), then builds
# examples/send_recv.c out of tree with only pkg-config's flags, once
# linked to libufcast.so and once to libufcast.a. As root, the shared
# build receives and the static one sends a file in a network namespace:
# bytes and events checked. Without root the build checks still run,
# then the test reports itself skipped (77).
# usage: install.sh BUILD_DIR SOURCE_DIR CC [EXTRA_CFLAGS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"
. "$here/lib.sh"
BUILD=$1 SRC=$2 CC=$3 XFLAGS=${4:-}
NET_PREFIX=pkgin
W=$(mktemp -d)
P=$W/prefix
trap 'net_bg_stop; [ "$(id -u)" -ne 0 ] || net_down; rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$BUILD" --prefix "$P" >"$W/install.log" || { cat "$W/install.log"; fail "cmake --install"; }
libdir=$(dirname "$(find "$P" -name libufcast.so -print | head -1)")
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "no libufcast.so installed"
for f in bin/uftp bin/uftpd bin/uftpproxyd bin/uftp_keymgt bin/ufcast-dump \
    share/man/man1/uftp.1 share/man/man1/uftpd.1 share/man/man1/uftpproxyd.1 \
    share/man/man1/uftp_keymgt.1 share/man/man3/ufcast.3 include/ufcast/ufcast.h \
    lib/systemd/system/uftpd.service lib/systemd/system/uftpproxyd.service \
    etc/default/uftpd etc/default/uftpproxyd; do
    [ -e "$P/$f" ] || fail "$f not installed"
done
for f in libufcast.a libufcast.so.0 pkgconfig/ufcast.pc; do
    [ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
soname=$(objdump -p "$libdir/libufcast.so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libufcast.so.0 ] || fail "SONAME is '$soname', not libufcast.so.0"
others=$(nm -D --defined-only "$libdir/libufcast.so" | awk '{print $3}' | grep -v '^ufcast_' |
    grep -v '^UFCAST_' || true)
[ -z "$others" ] || fail "libufcast.so exports more than ufcast_*: $others"
sothers=$(nm -g --defined-only "$libdir/libufcast.a" | awk 'NF == 3 {print $3}' | grep -v '^ufcast_' || true)
[ -z "$sothers" ] || fail "libufcast.a has global symbols other than ufcast_*: $(echo $sothers | head -c 300)"
n_api=$(nm -D --defined-only "$libdir/libufcast.so" | grep -c ' ufcast_')
[ "$n_api" -ge 20 ] || fail "only $n_api ufcast_ symbols exported"
for f in $(nm -D --defined-only "$libdir/libufcast.so" | awk '{print $3}' | sed 's/@.*//' |
    grep '^ufcast_'); do
    grep -q "$f" "$P/share/man/man3/ufcast.3" || fail "ufcast(3) does not document $f"
    grep -q "$f(" "$P/include/ufcast/ufcast.h" || fail "ufcast.h does not declare $f"
done
! grep -qE 'openssl|jansson' "$P/include/ufcast/ufcast.h" || fail "the public header names OpenSSL or jansson"
grep -qx "ExecStart=$P/bin/uftpd -d \$UFTPD_OPTS" "$P/lib/systemd/system/uftpd.service" ||
    fail "uftpd.service's ExecStart does not name $P/bin/uftpd"
grep -qx "EnvironmentFile=-$P/etc/default/uftpd" "$P/lib/systemd/system/uftpd.service" ||
    fail "uftpd.service's EnvironmentFile is not $P/etc/default/uftpd"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$P/lib/systemd/system/uftpd.service" \
        "$P/lib/systemd/system/uftpproxyd.service" >"$W/verify.log" 2>&1 ||
        { cat "$W/verify.log"; fail "systemd-analyze verify"; }
    # an unknown or misspelt directive is only a warning (exit 0)
    [ ! -s "$W/verify.log" ] || { cat "$W/verify.log"; fail "systemd-analyze verify warned"; }
fi

# Out of tree, with nothing but the installed prefix and pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cflags=$(pkg-config --cflags ufcast) libs=$(pkg-config --libs ufcast)
slibs=$(pkg-config --static --libs-only-other --libs-only-L ufcast)
spriv=$(pkg-config --static --libs ufcast | sed 's/-lufcast//')
mkdir -p "$W/ex"
cp "$SRC/examples/send_recv.c" "$W/ex/"
# shellcheck disable=SC2086
(cd "$W/ex" && $CC $XFLAGS -o send_recv_shared send_recv.c $cflags $libs -Wl,-rpath,"$libdir") ||
    fail "building the example against libufcast.so"
# shellcheck disable=SC2086
(cd "$W/ex" && $CC $XFLAGS -o send_recv_static send_recv.c $cflags $slibs "$libdir/libufcast.a" \
    $spriv) || fail "building the example against libufcast.a"
ldd "$W/ex/send_recv_shared" | grep -q "libufcast.so.0 => $libdir/" ||
    fail "the shared build does not load the installed libufcast.so.0"
! ldd "$W/ex/send_recv_static" | grep -q libufcast || fail "the static build needs libufcast.so"
for b in shared static; do
    "$W/ex/send_recv_$b" >"$W/$b.out" 2>&1 || true
    grep -q "^libufcast 0\." "$W/$b.out" || fail "send_recv_$b does not run: $(cat "$W/$b.out")"
done
ls -l "$libdir/libufcast.so.0".*.* "$libdir/libufcast.a" | awk '{print $5, $9}'

[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: the transfer needs root for network namespaces"; exit 77; }
net_down
net_up 1
lib_transfer "$W/ex/send_recv_shared" "$W/ex/send_recv_static" 1000000 ||
    fail "transfer between the installed shared and static builds"
echo "PASS: installed tree complete; the example built against it (shared and static) moved 1000000 bytes"
