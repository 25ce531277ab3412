# Shared by the library tests (sourced after tests/net/lib.sh, with W a
# scratch directory and the namespaces srv and c1 up).
#
# lib_transfer RECV_BIN SEND_BIN BYTES: send_recv built one way receives
# in c1 (one session, then it stops itself), send_recv built another way
# sends BYTES random bytes from srv; both must exit 0 (each checked the
# events its callback saw) and the bytes must arrive unchanged.
lib_transfer() {
    mkdir -p "$W/dst"
    head -c "$3" /dev/urandom >"$W/payload.bin"
    ip netns exec "$(net_ns c1)" timeout -k 5 30 "$1" receive "$W/dst" 0x0a00000b \
        >"$W/recv.out" 2>&1 &
    _lt_recv=$!
    sleep 0.3
    _lt_rc=0
    ip netns exec "$(net_ns srv)" timeout -k 5 30 "$2" send "$W/payload.bin" 0x0a000001 \
        0x0a00000b >"$W/send.out" 2>&1 || _lt_rc=$?
    _lt_rrc=0
    wait "$_lt_recv" || _lt_rrc=$?
    if [ "$_lt_rc" -ne 0 ] || [ "$_lt_rrc" -ne 0 ] || ! cmp -s "$W/payload.bin" "$W/dst/payload.bin" ||
        ! grep -q '"event":"file_done"' "$W/send.out"; then
        echo "--- sender (exit $_lt_rc)"; cat "$W/send.out"
        echo "--- receiver (exit $_lt_rrc)"; cat "$W/recv.out"
        echo "FAIL: $3 bytes from $2 to $1"
        return 1
    fi
    grep -h -E '^(sender|receiver): run returned' "$W/send.out" "$W/recv.out"
}
