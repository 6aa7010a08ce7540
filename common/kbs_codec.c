/*
 * kbs_codec.c: hex and base64. Encoders and the hex decoder are libsodium's
 * constant-time codecs; the base64 decoder is our own (below), also
 * constant-time.
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
 * The base64 decoder works on eight characters at a time, as the bytes of
 * one 64-bit word (SWAR), without a branch or a table lookup on the data,
 * so it stays constant-time for secret values in a quarter of the time of
 * libsodium's decoder (4.6 against 19 us for a report and its two
 * certificates: docs/performance.md). fuzz_codec checks that it takes
 * exactly the texts libsodium's takes (ASCII), with the same bytes.
 *
 * Per byte x below 0x80, ((x | 0x80) - k) has its high bit set exactly
 * when x >= k (for 1 <= k <= 0x80), and the subtraction never borrows
 * from the next byte. A byte class [lo, hi] is then ge(lo) & ~ge(hi + 1),
 * a high bit per byte that is in it. A byte from 0x80 up is in no class:
 * it is refused by its own high bit.
 */
#define B64_LO ((uint64_t)0x0101010101010101u)
#define B64_HI ((uint64_t)0x8080808080808080u)

static uint64_t
b64_ge(uint64_t xh, unsigned k)
{
	return (xh - B64_LO * k) & B64_HI;
}

/* b64_in returns the high bit of each byte of x (xh = x | B64_HI) in [lo, hi]. */
static uint64_t
b64_in(uint64_t xh, unsigned lo, unsigned hi)
{
	return b64_ge(xh, lo) & ~b64_ge(xh, hi + 1);
}

/* b64_mask widens b64_in's high bits to 0x7f per byte, which covers every 6-bit value. */
static uint64_t
b64_mask(uint64_t in)
{
	return in - (in >> 7);
}

/*
 * b64_block decodes the eight characters in[0..8) into out[0..6) and
 * returns a word with the high bit of every byte that is not a base64
 * character set (0 when all eight are).
 */
static inline uint64_t
b64_block(const char *in, uint8_t out[6])
{
	uint64_t x, xh, upper, lower, digit, plus, slash, v, bad;
	uint32_t g, n;
	int i;

	/* Character 0 is the low byte (compilers make this one load on little-endian). */
	x = (uint64_t)(unsigned char)in[0] | (uint64_t)(unsigned char)in[1] << 8 |
	    (uint64_t)(unsigned char)in[2] << 16 | (uint64_t)(unsigned char)in[3] << 24 |
	    (uint64_t)(unsigned char)in[4] << 32 | (uint64_t)(unsigned char)in[5] << 40 |
	    (uint64_t)(unsigned char)in[6] << 48 | (uint64_t)(unsigned char)in[7] << 56;
	xh = x | B64_HI;
	upper = b64_in(xh, 'A', 'Z');
	lower = b64_in(xh, 'a', 'z');
	digit = b64_in(xh, '0', '9');
	plus = b64_in(xh, '+', '+');
	slash = b64_in(xh, '/', '/');
	bad = (x & B64_HI) | (~(upper | lower | digit | plus | slash) & B64_HI);
	/* (x + 128 - 65) & 0x7f is x - 65 for 'A'..'Z'; likewise x - 71 for 'a'..'z'. */
	v = ((xh - B64_LO * 65) & b64_mask(upper)) | ((xh - B64_LO * 71) & b64_mask(lower)) |
	    ((x + B64_LO * 4) & b64_mask(digit)) | (B64_LO * 62 & b64_mask(plus)) |
	    (B64_LO * 63 & b64_mask(slash));
	for (i = 0; i < 2; i++, v >>= 32) {
		g = (uint32_t)v; /* four 6-bit values a, b, c, d, a lowest */
		n = (g & 0x3fu) << 18 | (g >> 8 & 0x3fu) << 12 | (g >> 16 & 0x3fu) << 6 |
		    (g >> 24 & 0x3fu);
		out[3 * i] = (uint8_t)(n >> 16);
		out[3 * i + 1] = (uint8_t)(n >> 8);
		out[3 * i + 2] = (uint8_t)n;
	}
	return bad;
}

int
kbs_b64_decode(const char *b64, size_t b64_len, uint8_t *out, size_t out_size, size_t *ret_len)
{
	char tail[8];
	uint8_t bytes[6];
	uint64_t bad = 0;
	size_t pad = 0, n, i, last;
	unsigned spare;

	if (b64_len % 4 != 0)
		return KBS_ERR_BAD_BASE64;
	/* Where the padding is follows from the decoded length, which is public. */
	if (b64_len > 0 && b64[b64_len - 1] == '=')
		pad = b64[b64_len - 2] == '=' ? 2 : 1;
	n = b64_len / 4 * 3 - pad;
	if (n > out_size)
		return KBS_ERR_BUFFER_TOO_SMALL;
	/* Whole blocks of eight characters, except the one holding the end. */
	last = b64_len >= 8 ? (b64_len - 1) / 8 * 8 : 0;
	for (i = 0; i < last; i += 8)
		bad |= b64_block(b64 + i, out + i / 8 * 6);
	/* The last four or eight characters, padding read as 'A' (zero bits). */
	if (last < b64_len) {
		memset(tail, 'A', sizeof(tail));
		memcpy(tail, b64 + last, b64_len - last - pad);
		bad |= b64_block(tail, bytes);
		memcpy(out + last / 8 * 6, bytes, n - last / 8 * 6);
		/*
		 * Canonical: the bits of the last character that make no whole
		 * byte must be zero (2 of its 6 with one '=', 4 with two).
		 */
		spare = pad == 0 ? 0 : bytes[n - last / 8 * 6];
		bad |= spare;
		sodium_memzero(tail, sizeof(tail));
		sodium_memzero(bytes, sizeof(bytes));
	}
	if (bad != 0) {
		sodium_memzero(out, n);
		return KBS_ERR_BAD_BASE64;
	}
	*ret_len = n;
	return 0;
}
