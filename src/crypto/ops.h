/* The crypto layer packaged for the core's sessions (core/secure.h). */
#ifndef UFT_CRYPTO_OPS_H
#define UFT_CRYPTO_OPS_H

#include "core/secure.h"

/* A static table of src/crypto's functions; never NULL. */
const struct uft_crypto_ops *uft_crypto_ops(void);

#endif
