#!/bin/sh
# Black-box test of the uftp_keymgt program: it makes RSA and EC keys into
# a private temp dir and checks exit codes, file modes, PEM headers, the
# printed lines and fingerprints, that an existing file is never touched,
# and the usage errors. Where a reference UFTP uftp_keymgt exists (UFTP 5 in
# $UFTP_REF_DIR, Debian's UFTP 4.10.2 in /usr/bin) it must print the same
# line for our keys, and ours the same line for its keys; each reference
# that is missing is reported as SKIPPED.
#   test_keymgt.sh PATH/TO/uftp_keymgt
set -u
K=${1:?usage: test_keymgt.sh PATH/TO/uftp_keymgt}
T=$(mktemp -d /tmp/uft-keymgt-XXXXXX)
trap 'rm -rf "$T"' EXIT
checks=0 fails=0

check() { # DESCRIPTION COMMAND...: one assertion
    what=$1
    shift
    checks=$((checks + 1))
    if ! "$@"; then
        fails=$((fails + 1))
        echo "FAIL: $what" >&2
        [ -s "$T/err" ] && sed 's/^/    stderr: /' "$T/err" >&2
    fi
}
rc_is() { [ "$RC" -eq "$1" ]; }
has() { grep -qF -- "$1" "$T/err"; }
line_matches() { grep -qxE -- "$1" "$T/err"; }
empty() { [ ! -s "$1" ]; }
absent() { [ ! -e "$1" ] && [ ! -L "$1" ]; }
mode_is() { [ "$(stat -c %a "$1")" = "$2" ]; }
first_line() { [ "$(head -n 1 "$1")" = "$2" ]; }
same_file() { cmp -s "$1" "$2"; }
equal() { [ "$1" = "$2" ]; }

run() { # uftp_keymgt ARGS...: RC, stdout in $T/out, stderr in $T/err
    "$K" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

FP='([0-9A-F]{2}:){19}[0-9A-F]{2}'

# gen SPEC FILE PEM_LABEL DESCRIPTION: make a key (under umask 0, so 0600
# must come from the program), then look at it every way we can.
gen() {
    spec=$1 f=$T/$2 label=$3 desc=$4
    (umask 0 && "$K" -g "$spec" "$f" >"$T/out" 2>"$T/err")
    RC=$?
    check "-g $spec exits 0" rc_is 0
    check "-g $spec writes nothing to stdout" empty "$T/out"
    check "-g $spec prints '$desc' and a fingerprint" line_matches \
        "$f: $desc, fingerprint: $FP"
    check "-g $spec makes a mode 0600 file" mode_is "$f" 600
    check "-g $spec writes a $label PEM" first_line "$f" "-----BEGIN $label-----"
    check "-g $spec writes exactly one PEM block" equal "$(grep -c -- '-----BEGIN' "$f")" 1
    made=$(cat "$T/err")
    run "$f"
    check "showing $spec exits 0" rc_is 0
    check "showing $spec prints the line -g printed (same fingerprint)" equal \
        "$(cat "$T/err")" "$made"
    cp "$f" "$T/before"
    run -g "$spec" "$f"
    check "a second -g $spec on the same file exits 1" rc_is 1
    check "a second -g $spec names the file and says what to do" has \
        "$f: File exists; remove it or choose another name"
    check "a second -g $spec leaves the file byte-identical" same_file "$f" "$T/before"
    check "a second -g $spec leaves the mode alone" mode_is "$f" 600
}

gen rsa:1024 rsa1024.pem "RSA PRIVATE KEY" "RSA, 1024 bits"
gen ec:secp256r1 p256.pem "EC PRIVATE KEY" "ECDSA, curve prime256v1"
gen ec:prime256v1 p256b.pem "EC PRIVATE KEY" "ECDSA, curve prime256v1"
gen ec:secp384r1 p384.pem "EC PRIVATE KEY" "ECDSA, curve secp384r1"
gen ec:secp521r1 p521.pem "EC PRIVATE KEY" "ECDSA, curve secp521r1"
# UFTP prints an RSA key's size in whole bytes of modulus: 1025 bits -> 1032.
gen rsa:1025 rsa1025.pem "RSA PRIVATE KEY" "RSA, 1032 bits"
# The EC files name their curve (no explicit parameters), as UFTP writes them.
if command -v openssl >/dev/null 2>&1; then
    check "EC key files use a named curve" equal \
        "$(openssl ec -in "$T/p384.pem" -noout -text 2>/dev/null | grep -c 'NIST CURVE: P-384')" 1
fi

# Several files at once, -m accepted; a missing file is reported, exit 1.
run -m "$T/p256.pem" "$T/missing.pem" "$T/p521.pem"
check "listing with a missing file exits 1" rc_is 1
check "a missing file prints 'no such key'" line_matches "$T/missing.pem: no such key"
check "the keys around a missing one are still shown" line_matches \
    "$T/p521.pem: ECDSA, curve secp521r1, fingerprint: $FP"
check "listing writes nothing to stdout" empty "$T/out"
echo "not a key" >"$T/text"
run "$T/text"
check "a file without a key exits 1" rc_is 1
check "a file without a key prints 'no such key'" line_matches "$T/text: no such key"
check "a file without a key says why" has "$T/text: not an RSA or EC"

# A name that is a symbolic link is refused even when its target is absent.
ln -s "$T/victim" "$T/link"
run -g ec:secp256r1 "$T/link"
check "-g through a dangling symlink exits 1" rc_is 1
check "-g through a dangling symlink creates nothing" absent "$T/victim"
run -g ec:secp256r1 "$T/no-such-dir/k.pem"
check "-g into a missing directory exits 1" rc_is 1
check "-g into a missing directory names the file and reason" has \
    "$T/no-such-dir/k.pem: cannot write the key: No such file or directory"

# Usage errors: exit 1, a message, and no file made.
for spec in rsa:512 rsa:1023 rsa:3073 rsa:4096 rsa: rsa:1024x rsa:-1024 ec: ec:secp256k1 \
    ec:P-256 ec:SECP384R1 dsa:1024 rsa 2048; do
    run -g "$spec" "$T/bad.pem"
    check "-g $spec exits 1" rc_is 1
    check "-g $spec is explained" has "-g $spec: expected rsa:BITS (1024..3072) or ec:CURVE"
    check "-g $spec makes no file" absent "$T/bad.pem"
done
run -g ec:secp256r1 -d "$T/bad.pem"
check "-g with -d exits 1" rc_is 1
check "-g with -d is explained" has "-g and -d cannot be used together"
check "-g with -d makes no file" absent "$T/bad.pem"
run -g ec:secp256r1
check "-g without a file exits 1" rc_is 1
check "-g without a file is explained" has "name the key file"
run -g ec:secp256r1 "$T/bad.pem" "$T/bad2.pem"
check "-g with two files exits 1" rc_is 1
check "-g with two files makes neither" absent "$T/bad.pem"
run
check "no file at all exits 1" rc_is 1
check "no file at all shows the usage" has "usage: uftp_keymgt"
run -x "$T/p256.pem"
check "an unknown option exits 1" rc_is 1
check "an unknown option is named" has "-x: unknown option"
run -g
check "-g without its argument exits 1" rc_is 1
run -h
check "-h exits 0" rc_is 0
check "-h lists -g" grep -qF -- "-g rsa:BITS|ec:CURVE" "$T/out"

# -d (Windows key containers): accepted, does nothing here, says so.
cp "$T/p256.pem" "$T/before"
run -d "$T/p256.pem"
check "-d exits 0" rc_is 0
check "-d says nothing was deleted" has "nothing was deleted"
check "-d leaves a key file alone" same_file "$T/p256.pem" "$T/before"
run -d
check "-d without a name exits 1" rc_is 1

# The reference programs must read our keys the same way, and we theirs.
# On a mismatch, check shows both outputs (they are copied to $T/err).
compare_ref() { # NAME PROGRAM TAG
    name=$1 ref=$2 tag=$3
    for f in rsa1024 p256 p384 p521 rsa1025; do
        "$K" "$T/$f.pem" 2>"$T/ours"
        "$ref" "$T/$f.pem" >/dev/null 2>"$T/theirs"
        cat "$T/ours" "$T/theirs" >"$T/err"
        check "$name prints our line for $f.pem" equal "$(grep -F "$T/$f.pem:" "$T/theirs")" \
            "$(cat "$T/ours")"
    done
    for spec in rsa:2048 ec:secp256r1 ec:secp384r1 ec:secp521r1; do
        f=$T/$tag-$(echo "$spec" | tr : -).pem
        "$ref" -g "$spec" "$f" >/dev/null 2>"$T/theirs"
        "$K" "$f" 2>"$T/ours"
        cat "$T/theirs" "$T/ours" >"$T/err"
        check "we print $name's line for its $spec key" equal \
            "$(grep -F "$f:" "$T/theirs")" "$(cat "$T/ours")"
    done
    echo "compared with $name ($ref)"
}
if [ -n "${UFTP_REF_DIR:-}" ] && [ -x "$UFTP_REF_DIR/uftp_keymgt" ]; then
    compare_ref "UFTP 5" "$UFTP_REF_DIR/uftp_keymgt" ref5
else
    echo "SKIPPED: UFTP 5 comparison (UFTP_REF_DIR is unset or has no uftp_keymgt)"
fi
if [ -x /usr/bin/uftp_keymgt ] && [ "$(realpath /usr/bin/uftp_keymgt)" != "$(realpath "$K")" ]; then
    compare_ref "Debian UFTP 4.10.2" /usr/bin/uftp_keymgt ref4
else
    echo "SKIPPED: UFTP 4 comparison (Debian's uftp package is not installed)"
fi

echo "test_keymgt: $((checks - fails)) of $checks checks passed"
[ "$fails" -eq 0 ]
