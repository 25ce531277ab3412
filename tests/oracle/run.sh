#!/bin/sh
# ctest wrapper: the tshark oracle over the captured vectors and over the
# packets ufcast's encoder makes for its sample messages.
# usage: run.sh UFCAST_DUMP SEED_CORPUS_BIN VECTOR_DIR
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$2" "$tmp" >/dev/null
exec python3 "$(dirname "$0")/tshark_oracle.py" "$1" "$3" "$tmp/fuzz_packet"
