#!/bin/sh
# Only src/crypto may include OpenSSL headers (DESIGN.md): everything else
# reaches cryptography through src/crypto/crypto.h.
set -eu
cd "$(dirname "$0")/.."
bad=$(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]openssl/' \
    --include='*.c' --include='*.h' . 2>/dev/null | grep -v '^\./src/crypto/' |
    grep -v '^\./build/' || true)
if [ -n "$bad" ]; then
    echo "check-openssl-includes: OpenSSL headers included outside src/crypto:" >&2
    echo "$bad" | sed 's/^/  /' >&2
    exit 1
fi
echo "check-openssl-includes: only src/crypto includes OpenSSL"
