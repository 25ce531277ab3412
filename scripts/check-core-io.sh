#!/bin/sh
# src/core must stay free of I/O: no sockets, clocks, files, processes or
# OpenSSL. List the undefined symbols of the core library and allow only
# libc memory/string/formatting functions, libm, and sanitizer/compiler
# runtime hooks. Usage: check-core-io.sh path/to/libuft_core.a
set -eu
lib=${1:?usage: check-core-io.sh libuft_core.a}
# Heap allocation is not I/O; everything that touches the outside world is.
# ISA-L's pure GF(2^8) table and multiply functions, for the FEC codec (core/fec.c).
isal='ec_init_tables|ec_encode_data|ec_encode_data_update'
allowed='^(malloc|calloc|realloc|free|memcpy|memmove|memset|memcmp|bcmp|memchr|strlen|strnlen|strcmp|strncmp|strchr|snprintf|vsnprintf|__assert_fail|ceil|exp|log|floor|sqrt|pow|__stack_chk_fail|__popcount.i2|__ubsan_.*|__asan_.*|__sanitizer_.*|__sancov_.*|__msan_.*|_GLOBAL_OFFSET_TABLE_|__cxa_.*|'"$isal"')$'
# Symbols one member of the archive takes from another are not external.
defined=$(mktemp)
trap 'rm -f "$defined"' EXIT
nm -g --defined-only "$lib" | awk 'NF == 3 {print $3}' | sort -u >"$defined"
external=$(nm -u "$lib" | awk 'NF == 2 {print $2}' | sort -u | comm -23 - "$defined")
bad=$(echo "$external" | grep -Ev "$allowed" | grep -v '^$' || true)
if [ -n "$bad" ]; then
    echo "check-core-io: src/core uses symbols outside the I/O-free allow list:" >&2
    echo "$bad" | sed 's/^/  /' >&2
    echo "Move the I/O to src/sys or src/crypto and pass it in through callbacks." >&2
    exit 1
fi
echo "check-core-io: external symbols of $lib, all allowed:" $external
