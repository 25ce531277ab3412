# Tests of src/crypto (owned by the crypto layer's work).
uft_unit(test_crypto)
target_link_libraries(test_crypto PRIVATE uft_crypto)
