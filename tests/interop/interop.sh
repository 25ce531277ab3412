#!/bin/sh
# ufcast against the real UFTP programs, both directions, in one session
# with receivers of both implementations, 2% loss on every receiver.
#   interop.sh 4 BUILD_APP_DIR   Debian's UFTP 4.10.2 (/usr/bin)
#   interop.sh 5 BUILD_APP_DIR   UFTP 5 from $UFTP_REF_DIR (skipped if unset)
# UFTP 4: plain sessions both ways; encrypted sessions (ECDH, GCM/CCM,
# client authentication) from UFTP 4's server to ufcast's uftpd, and from
# ufcast's uftp -V 4 to UFTP 4's uftpd with every key exchange, cipher and
# hash 4.10.2 offers (ECDH or RSA key exchange, GCM/CCM/CBC, SHA-1/256/384/
# 512, HMAC or signatures with CBC, RSA or EC server keys, -c), some of
# them with ufcast receivers in the same session. A UFTP 4 client needs a
# key of the server key's kind (an EC key on its curve, or an RSA key of its
# size), with or without -c: hence the -K on its command lines.
# UFTP 5: plain, and encrypted both ways across the matrix: AES-128/256 in
# GCM and CCM, SHA-256/384/512, P-256/384/521, ECDSA and RSA signing keys
# on either side, client authentication.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"
need_root
ver=${1:?usage: interop.sh 4|5 BUILD_APP_DIR}
B=$(cd "${2:?usage: interop.sh 4|5 BUILD_APP_DIR}" && pwd)
if [ "$ver" = 4 ]; then
    R=/usr/bin
    [ -x $R/uftp ] || { echo "SKIPPED: Debian's uftp package is not installed"; exit 77; }
    vopt="-V 4" ropt=""
else
    [ -n "${UFTP_REF_DIR:-}" ] || { echo "SKIPPED: UFTP_REF_DIR is unset (no UFTP 5 binaries)"; exit 77; }
    R=$UFTP_REF_DIR
    vopt="" ropt="-Y none"
fi
NET_PREFIX=ufti$ver
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 3
make_files "$W/src"
for i in 1 2 3; do net_loss "c$i" 2; done
fail=0

# session NAME SERVER_CMD CLIENT1 CLIENT2 CLIENT3 (a client is a program
# and its own options, split on spaces)
session() {
    name=$1 server=$2
    shift 2
    i=1
    for cbin in "$@"; do
        rm -rf "$W/r$i"
        mkdir -p "$W/r$i"
        # shellcheck disable=SC2086
        net_bg "c$i" 120 $cbin -d -D "$W/r$i" -U "0x0a00000$i" -x 2 \
            >"$W/$name.c$i.log" 2>&1
        i=$((i + 1))
    done
    sleep 1 # UFTP 4's uftpd makes its -K key first
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 100 $server -R 50000 -r 0.05 -s 10 \
        -H 0x0a000001,0x0a000002,0x0a000003 -x 2 big.bin one.bin zero.bin d1 empty "sp ace" \
        link.bin >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    sleep 0.5
    net_bg_stop
    ok=1
    [ "$rc" -eq 0 ] || { echo "$name: server exit $rc"; ok=0; }
    for i in 1 2 3; do
        check_tree "$W/src" "$W/r$i" >"$W/$name.diff" 2>&1 ||
            { echo "$name: receiver $i ($(basename "$(eval echo \$$((i + 0)))" 2>/dev/null)): $(cat "$W/$name.diff")"; ok=0; }
    done
    if [ "$ok" = 1 ]; then echo "PASS $name"; else echo "FAIL $name"; tail -15 "$W/$name.s.log"; fail=1; fi
}

# fec_took NAME I: in session NAME, ufcast's uftpd (receiver I) took the
# FEC and hashes of ufcast's uftp --fec; UFTP's receivers of the same
# session drop those message types and must have every file all the same
# (session checks that); the server's log must show that the engine got
# --fec and ufcast's receiver that it took parity and hashes.
fec_took() {
    if ! grep -q "FEC for receivers that take it" "$W/$1.s.log"; then
        echo "FAIL $1: the server's log does not show --fec reaching the engine"
        fail=1
    elif grep -q "taking parity hash" "$W/$1.c$2.log"; then
        echo "PASS $1: ufcast's receiver took parity and hashes"
    else
        echo "FAIL $1: ufcast's receiver $2 did not take FEC"
        fail=1
    fi
}

session "uftp${ver}_server" "$R/uftp $ropt" "$B/uftpd" "$B/uftpd" "$R/uftpd"
session "ufcast_server_v$ver" "$B/uftp -Y none $vopt" "$R/uftpd" "$R/uftpd" "$B/uftpd"
# ufcast's FEC extension (docs/protocol-notes.md): parity, reactive parity
# and file hashes go to the private group with the UFTP receivers in it
session "ufcast_server_fec_v$ver" "$B/uftp -Y none $vopt --fec 16:2 --fec-reactive" "$R/uftpd" \
    "$R/uftpd" "$B/uftpd"
fec_took "ufcast_server_fec_v$ver" 3
if [ "$ver" = 4 ]; then
    # UFTP 4 encryption (ECDH key exchange, AEAD), joined by ufcast's uftpd
    b="$B/uftpd"
    session uftp4_server_encrypted "$R/uftp -Y aes256-gcm -h sha256 -e ecdh_ecdsa:prime256v1" \
        "$b" "$b" "$b"
    session uftp4_server_ccm384_client_auth \
        "$R/uftp -Y aes128-ccm -h sha384 -e ecdh_ecdsa:secp384r1 -c" "$b" "$b" "$b"
    session uftp4_server_ecdh_rsa "$R/uftp -Y aes128-gcm -h sha256 -e ecdh_rsa:secp521r1 -c" \
        "$b" "$b" "$b"
    # ufcast's uftp -V 4, encrypted, to UFTP 4's uftpd (r: an EC P-256 key,
    # r384: EC P-384, r1k/r2k: RSA 1024/2048 bits) and to ufcast's uftpd
    u="$B/uftp -V 4" r="$R/uftpd -K ec:prime256v1" r384="$R/uftpd -K ec:secp384r1"
    r1k="$R/uftpd -K rsa:1024" r2k="$R/uftpd -K rsa:2048"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$W/ec384.pem" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$W/rsa1k.pem" 2>/dev/null
    session ufcast_v4_gcm256_sha256 "$u -Y aes256-gcm -h sha256" "$r" "$r" "$b"
    session ufcast_v4_gcm256_fec "$u -Y aes256-gcm -h sha256 --fec 16:2 --fec-reactive" "$r" "$b" \
        "$r"
    fec_took ufcast_v4_gcm256_fec 2
    session ufcast_v4_gcm128_sha384_auth "$u -Y aes128-gcm -h sha384 -c" "$r" "$b" "$r"
    session ufcast_v4_ccm128_sha512 "$u -Y aes128-ccm -h sha512" "$r" "$r" "$b"
    session ufcast_v4_ccm256_sha1_auth "$u -Y aes256-ccm -h sha1 -c" "$r" "$r" "$r"
    session ufcast_v4_ecdh_rsa_p384 "$u -Y aes128-gcm -e ecdh_rsa:secp384r1 -k $W/rsa1k.pem" \
        "$r1k" "$r1k" "$b"
    session ufcast_v4_ecdh_rsa_auth "$u -Y aes256-ccm -h sha384 -K rsa:2048 -c" "$r2k" "$r2k" "$r2k"
    session ufcast_v4_ec384_key_p521_auth "$u -Y aes256-gcm -e secp521r1 -k $W/ec384.pem -c" \
        "$r384" "$r384" "$r384"
    session ufcast_v4_cbc128_hmac "$u -Y aes128-cbc -h sha256" "$r" "$r" "$r"
    session ufcast_v4_cbc256_sha1_hmac_auth "$u -Y aes256-cbc -h sha1 -w hmac -c" "$r" "$r" "$r"
    session ufcast_v4_cbc128_sign_ecdsa "$u -Y aes128-cbc -h sha512 -w keyex" "$r" "$r" "$r"
    session ufcast_v4_cbc256_sign_rsa "$u -Y aes256-cbc -h sha384 -w keyex -K rsa:1024" \
        "$r1k" "$r1k" "$r1k"
    session ufcast_v4_rsa_keyex_gcm "$u -Y aes256-gcm -e rsa -K rsa:1024" "$r1k" "$r1k" "$r1k"
    session ufcast_v4_rsa_keyex_cbc_auth "$u -Y aes128-cbc -h sha1 -e rsa -K rsa:2048 -c" \
        "$r2k" "$r2k" "$r2k"
fi
if [ "$ver" = 5 ]; then
    # encrypted, both ways: each program's defaults, then other algorithms
    session uftp5_server_encrypted "$R/uftp" "$B/uftpd" "$B/uftpd" "$R/uftpd"
    session ufcast_server_encrypted "$B/uftp" "$R/uftpd" "$R/uftpd" "$B/uftpd"
    session ufcast_server_encrypted_fec "$B/uftp --fec 16:2 --fec-reactive" "$R/uftpd" "$B/uftpd" \
        "$R/uftpd"
    fec_took ufcast_server_encrypted_fec 2
    session uftp5_server_ccm384 "$R/uftp -Y aes128-ccm -h sha384 -e secp384r1" "$B/uftpd" \
        "$R/uftpd" "$B/uftpd"
    session ufcast_server_gcm521 "$B/uftp -Y aes256-gcm -h sha512 -e secp521r1" "$R/uftpd" \
        "$B/uftpd" "$R/uftpd"
    # client authentication: every client signs CLIENT_KEY
    session uftp5_server_client_auth "$R/uftp -c" "$B/uftpd" "$R/uftpd" "$B/uftpd"
    session ufcast_server_client_auth "$B/uftp -c -h sha384" "$R/uftpd" "$B/uftpd" "$R/uftpd"
    # the rest of the cipher / hash / curve matrix, and RSA signing keys on
    # both sides (the server's -k, the receivers' -k with -c)
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rsa2k.pem" 2>/dev/null
    session uftp5_server_gcm128_sha512_p521 "$R/uftp -Y aes128-gcm -h sha512 -e secp521r1" \
        "$B/uftpd" "$B/uftpd" "$R/uftpd"
    session ufcast_server_ccm128_sha256_p384 "$B/uftp -Y aes128-ccm -h sha256 -e secp384r1" \
        "$R/uftpd" "$R/uftpd" "$B/uftpd"
    session uftp5_server_ccm256_rsa_key "$R/uftp -Y aes256-ccm -h sha384 -k $W/rsa2k.pem" \
        "$B/uftpd" "$R/uftpd" "$B/uftpd"
    session ufcast_server_ccm256_rsa_key "$B/uftp -Y aes256-ccm -h sha512 -k $W/rsa2k.pem" \
        "$R/uftpd" "$B/uftpd" "$R/uftpd"
    session uftp5_server_auth_rsa_clients "$R/uftp -c -Y aes256-gcm" "$B/uftpd -k $W/rsa2k.pem" \
        "$R/uftpd -k $W/rsa2k.pem" "$B/uftpd -K rsa:2048"
    session ufcast_server_auth_rsa_clients "$B/uftp -c -Y aes128-gcm -h sha384" \
        "$R/uftpd -k $W/rsa2k.pem" "$B/uftpd -k $W/rsa2k.pem" "$R/uftpd -K ec:secp521r1"
fi
exit $fail
