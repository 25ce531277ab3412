# Tests of src/crypto.
uft_unit(test_crypto)
target_link_libraries(test_crypto PRIVATE uft_crypto uft_sys)
