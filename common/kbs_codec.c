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

/*
 * hex_digits_ok returns 1 when every byte of hex[0..len) is a hex digit,
 * without a branch or a table lookup on the data. It runs first because
 * sodium_hex2bin writes what it decoded before it finds a bad digit, and
 * a refused value must leave out untouched (kbs_codec.h). For bytes x, k
 * below 256, ((x - k) >> 8) & 1 is 1 exactly when x < k.
 */
static int
hex_digits_ok(const char *hex, size_t len)
{
	unsigned bad = 0, c, num, alpha, is_num, is_alpha;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)hex[i];
		num = c ^ 48u;           /* '0'..'9' become 0..9 */
		alpha = (c | 32u) - 87u; /* 'a'..'f' and 'A'..'F' become 10..15 */
		is_num = ((num - 10u) >> 8) & 1u;
		is_alpha = (((alpha - 10u) ^ (alpha - 16u)) >> 8) & 1u;
		bad |= (is_num | is_alpha) ^ 1u;
	}
	return bad == 0;
}

int
kbs_hex_decode_exact(const char *hex, size_t hex_len, uint8_t *out, size_t len)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (len > SIZE_MAX / 2 || hex_len != len * 2 || !hex_digits_ok(hex, hex_len))
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

/*
 * ascii_only returns 1 when no byte of s[0..len) is 0x80 or above, in
 * constant time. libsodium 1.0.18 reads base64 text as plain (signed)
 * char, and its constant-time compares then take every byte from 0x80 up
 * for '/' (and '+'): "I\xfb\xfb\xfb" decoded as 23 ff ff (found by
 * fuzz_codec). Refusing those bytes first keeps one text per value.
 */
static int
ascii_only(const char *s, size_t len)
{
	unsigned hi = 0;
	size_t i;

	for (i = 0; i < len; i++)
		hi |= (unsigned char)s[i];
	return (hi & 0x80u) == 0;
}

int
kbs_b64_decode(const char *b64, size_t b64_len, uint8_t *out, size_t out_size, size_t *ret_len)
{
	size_t bin_len = 0, pad = 0;
	const char *end = NULL;

	if (b64_len % 4 != 0 || !ascii_only(b64, b64_len))
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
