/*
 * kbs_codec.h: hex and base64 for keys, digests and wire fields.
 *
 * Decoders are constant-time in the data, so they are safe for secret
 * values, and strict: hex must have exactly the expected number of
 * digits, base64 must be canonical with padding.
 */
#ifndef KBS_CODEC_H
#define KBS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

/*
 * kbs_hex_encode writes 2*len lower-case digits and a NUL into out, which
 * must hold 2*len+1 bytes; KBS_ERR_BUFFER_TOO_SMALL otherwise.
 */
KBS_MUST_CHECK int kbs_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/*
 * kbs_hex_decode_exact decodes exactly 2*len hex digits (either case, no
 * separators, no prefix) from hex[0..hex_len) into out[0..len).
 * KBS_ERR_BAD_HEX on any other input; out is untouched then.
 */
KBS_MUST_CHECK int kbs_hex_decode_exact(const char *hex, size_t hex_len, uint8_t *out, size_t len);

/* kbs_b64_encoded_len returns the buffer size (with NUL) for len bytes. */
size_t kbs_b64_encoded_len(size_t len);

/* kbs_b64_encode writes standard padded base64 and a NUL. */
KBS_MUST_CHECK int kbs_b64_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/*
 * kbs_b64_decode decodes standard padded base64 (no whitespace) into out;
 * *ret_len receives the decoded length. On failure: KBS_ERR_BUFFER_TOO_SMALL
 * with out untouched, or KBS_ERR_BAD_BASE64 with the bytes the text would
 * have filled zeroed (never part of a value; none for a length that is not
 * a multiple of 4).
 */
KBS_MUST_CHECK int kbs_b64_decode(
    const char *b64, size_t b64_len, uint8_t *out, size_t out_size, size_t *ret_len);

#endif
