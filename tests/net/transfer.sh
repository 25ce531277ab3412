#!/bin/sh
# ufcast to ufcast over real UDP multicast in private namespaces: three
# receivers, a file set with directories, a link and awkward names; no
# loss, 1% and 10% loss on every receiver, IPv6 multicast, and encrypted
# sessions (uftp's default AES-256-GCM, and AES-128-CCM/SHA-384/P-384),
# client authentication (-c), with fingerprints checked (-H @file). Every
# receiver must hold exactly the source tree and no temporary file; a
# receiver whose key does not match is refused and gets nothing.
# usage: transfer.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: transfer.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftt
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 3
make_files "$W/src"
fail=0

case_run() { # case_run NAME LOSS FAMILY [SERVER OPTIONS]
    name=$1 loss=$2 fam=$3 extra=${4:--Y none}
    pub=230.4.4.1 priv=230.5.5.7
    if [ "$fam" = 6 ]; then pub=ff15::4:4:1 priv=ff15::5:5:7; fi
    for i in 1 2 3; do
        rm -rf "$W/r$i"
        mkdir -p "$W/r$i"
        ip netns exec "$(net_ns c$i)" nft flush ruleset
        [ "$loss" -gt 0 ] && net_loss "c$i" "$loss"
        # shellcheck disable=SC2086
        net_bg "c$i" 90 "$B/uftpd" -d -D "$W/r$i" -U "0x0a00000$i" \
            -M "$pub" -x 2 ${COPT:-} >"$W/$name.c$i.log" 2>&1
    done
    sleep 0.5
    start=$(date +%s.%N)
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 80 "$B/uftp" $extra -R 100000 \
        -r 0.02:0.01:1 -s 10 -M "$pub" -P "$priv" -H "${HOSTS:-0x0a000001,0x0a000002,0x0a000003}" -x 2 \
        big.bin one.bin zero.bin d1 empty "sp ace" link.bin >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    sleep 0.3
    net_bg_stop
    ok=1
    [ "$rc" -eq 0 ] || { echo "$name: server exit $rc"; ok=0; }
    for i in 1 2 3; do
        if [ "$i" = "${REFUSED:-}" ]; then
            # this receiver must have been refused: nothing written
            [ -z "$(ls -A "$W/r$i")" ] || { echo "$name: refused receiver $i has files"; ok=0; }
            continue
        fi
        check_tree "$W/src" "$W/r$i" >"$W/$name.diff$i" 2>&1 || { echo "$name: receiver $i: $(cat "$W/$name.diff$i")"; ok=0; }
        check_no_temp "$W/r$i" || ok=0
    done
    if [ "$ok" = 1 ]; then
        echo "PASS $name (${secs}s)"
    else
        echo "FAIL $name; server log:"
        tail -20 "$W/$name.s.log"
        fail=1
    fi
}

case_run plain_v4 0 4
case_run loss1_v4 1 4
case_run loss10_v4 10 4
case_run plain_v6 0 6
case_run encrypted_default 2 4 "-x 1"
case_run encrypted_ccm384 2 6 "-Y aes128-ccm -h sha384 -e secp384r1"
# client authentication (-c): clients sign CLIENT_KEY with an ephemeral key
case_run client_auth 2 4 "-c"

# -c with fingerprints (-H @file, "ID|fingerprint"): the clients load an
# RSA key (-k); receiver 3 is listed with a wrong fingerprint and must be
# refused while the others complete.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/client.pem" 2>/dev/null
fp=$(ip netns exec "$(net_ns c1)" timeout 1 "$B/uftpd" -d \
    -k "$W/client.pem" -p 1999 -D "$W" -x 2 2>&1 | sed -n 's/.*fingerprint: //p' | head -1)
bad=$(echo "$fp" | sed 's/^../00/; s/^0000/0101/')
printf '0x0a000001|%s\n# a comment\n0x0a000002 | %s\n0x0a000003|%s\n' "$fp" "$fp" "$bad" >"$W/hosts"
COPT="-k $W/client.pem" HOSTS="@$W/hosts" REFUSED=3 case_run client_auth_fingerprints 0 4 "-c"
grep -q "0x0A000003: Client key fingerprint does not match" "$W/client_auth_fingerprints.s.log" ||
    { echo "FAIL client_auth_fingerprints: no fingerprint rejection in the server log"; fail=1; }
exit $fail
