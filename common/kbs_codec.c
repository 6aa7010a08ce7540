/*
 * kbs_codec.c: hex and base64 on top of libsodium's constant-time codecs.
 */
#include "kbs_codec.h"

#include <sodium.h>
#include <string.h>

int
kbs_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
	if (len > (SIZE_MAX - 1) / 2 || out_size < len * 2 + 1)
		return KBS_ERR_BUFFER_TOO_SMALL;
	sodium_bin2hex(out, out_size, in, len);
	return 0;
}

int
kbs_hex_decode_exact(const char *hex, size_t hex_len, uint8_t *out, size_t len)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (len > SIZE_MAX / 2 || hex_len != len * 2)
		return KBS_ERR_BAD_HEX;
	if (sodium_hex2bin(out, len, hex, hex_len, NULL, &bin_len, &end) != 0 || bin_len != len ||
	    end != hex + hex_len)
		return KBS_ERR_BAD_HEX;
	return 0;
}

size_t
kbs_b64_encoded_len(size_t len)
{
	return sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
}

int
kbs_b64_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
	if (len > SIZE_MAX / 2 || out_size < kbs_b64_encoded_len(len))
		return KBS_ERR_BUFFER_TOO_SMALL;
	sodium_bin2base64(out, out_size, in, len, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

int
kbs_b64_decode(const char *b64, size_t b64_len, uint8_t *out, size_t out_size, size_t *ret_len)
{
	size_t bin_len = 0, pad = 0;
	const char *end = NULL;

	if (b64_len % 4 != 0)
		return KBS_ERR_BAD_BASE64;
	if (b64_len > 0 && b64[b64_len - 1] == '=')
		pad = b64_len > 1 && b64[b64_len - 2] == '=' ? 2 : 1;
	if (b64_len / 4 * 3 - pad > out_size)
		return KBS_ERR_BUFFER_TOO_SMALL;
	if (sodium_base642bin(out, out_size, b64, b64_len, NULL, &bin_len, &end,
		sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + b64_len)
		return KBS_ERR_BAD_BASE64;
	*ret_len = bin_len;
	return 0;
}
