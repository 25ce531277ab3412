/*
 * Quantized header fields, bit-compatible with UFTP:
 *  - GRTT and per-client RTT in one byte (RFC 5401, section 3.7.4);
 *  - group size in one byte: 5-bit mantissa (0..10 scaled to 0..32) and
 *    3-bit decimal exponent;
 *  - rates (bytes per second) in 16 bits: 12-bit mantissa and 4-bit
 *    decimal exponent (RFC 5740 style), used by TFMCC.
 * Encoders clamp out-of-range input; decoders accept every byte value.
 */
#ifndef UFT_QUANT_H
#define UFT_QUANT_H

#include <stdint.h>

/* RTTs are clamped to [1 us, 1000 s] before encoding. */
uint8_t uft_quant_grtt(double rtt_s);
double uft_unquant_grtt(uint8_t q);

/* Group sizes below 0 encode as 0; the exponent saturates at 7. */
uint8_t uft_quant_gsize(int64_t n);
int64_t uft_unquant_gsize(uint8_t q);

/* Rates below 0 encode as 0; the exponent saturates at 15. */
uint16_t uft_quant_rate(int64_t bytes_per_s);
int64_t uft_unquant_rate(uint16_t q);

#endif
