/*
 * fuzz_codec.c: common/'s decoders of text from outside, on arbitrary
 * bytes: kbs_hex_decode_exact, kbs_b64_decode (nonces, reports,
 * certificates and secret values in request bodies) and the UTF-8
 * checker and sanitizer that every string written as JSON goes through.
 *
 * Invariants (abort on violation): a decode that succeeds re-encodes to
 * the same text (hex up to case; base64 byte for byte, as the decoder is
 * canonical) and fits its bound; one byte less room is refused with
 * KBS_ERR_BUFFER_TOO_SMALL, and a refusal leaves the output untouched
 * for hex and comes back zeroed for base64; base64 accepts exactly what
 * libsodium's decoder accepts (ASCII only: it reads bytes from 0x80 up
 * as '/'), with the same bytes; the sanitizer's output is valid UTF-8 without NULs, equal to
 * the input exactly when the input was valid, with no replacement then.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kbs_codec.h"
#include "kbs_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IN (64u << 10)

static uint8_t out[MAX_IN], out2[MAX_IN];
static char text[2 * MAX_IN + 4];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_codec: %s\n", what);
	abort();
}

static void
fuzz_hex(const char *in, size_t size)
{
	size_t n = size / 2, i;
	int r;

	memset(out, 0xa5, n + 1);
	r = kbs_hex_decode_exact(in, size, out, n);
	if (r != 0) {
		if (r != KBS_ERR_BAD_HEX)
			fail("hex: unexpected code");
		for (i = 0; i < n + 1; i++)
			if (out[i] != 0xa5)
				fail("hex: a refusal wrote its output");
		return;
	}
	if (size % 2 != 0 || out[n] != 0xa5)
		fail("hex: accepted an odd length or wrote past its bound");
	if (kbs_hex_encode(out, n, text, sizeof(text)) != 0 || strlen(text) != size)
		fail("hex: re-encoding failed");
	for (i = 0; i < size; i++)
		if (tolower((unsigned char)in[i]) != text[i])
			fail("hex: re-encoding differs");
	/* Asking for one digit pair more or less than given is refused. */
	if (n > 0 && kbs_hex_decode_exact(in, size, out2, n - 1) != KBS_ERR_BAD_HEX)
		fail("hex: accepted a length it was not asked for");
}

/* sodium_ok returns 1 when libsodium's decoder takes all of in, its bytes in out2. */
static int
sodium_ok(const char *in, size_t size, size_t *ret_len)
{
	const char *end = NULL;
	size_t i;

	for (i = 0; i < size; i++)
		if ((unsigned char)in[i] >= 0x80)
			return 0;
	return sodium_base642bin(out2, sizeof(out2), in, size, NULL, ret_len, &end,
		   sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    end == in + size;
}

static void
fuzz_b64(const char *in, size_t size)
{
	size_t len = 0, len2 = 0, ref_len = 0, i, pad, zeroed;
	int r, ref;

	memset(out, 0xa5, sizeof(out));
	r = kbs_b64_decode(in, size, out, sizeof(out), &len);
	ref = sodium_ok(in, size, &ref_len);
	if (r != 0) {
		if (r != KBS_ERR_BAD_BASE64 && r != KBS_ERR_BUFFER_TOO_SMALL)
			fail("base64: unexpected code");
		if (ref)
			fail("base64: refused a text libsodium decodes");
		/* Whole groups of four are decoded, then zeroed; anything else writes nothing. */
		pad = size >= 4 && in[size - 1] == '=' ? (in[size - 2] == '=' ? 2 : 1) : 0;
		zeroed = size % 4 == 0 ? size / 4 * 3 - pad : 0;
		for (i = 0; i < size / 4 * 3 + 3 && i < sizeof(out); i++)
			if (out[i] != (i < zeroed ? 0 : 0xa5))
				fail("base64: a refusal left decoded bytes or wrote past them");
		return;
	}
	if (!ref || ref_len != len || memcmp(out, out2, len) != 0)
		fail("base64: differs from libsodium's decoder");
	if (len > size / 4 * 3 || kbs_b64_encoded_len(len) != size + 1)
		fail("base64: a decoded length that does not match the text");
	if (kbs_b64_encode(out, len, text, sizeof(text)) != 0 || memcmp(text, in, size) != 0 ||
	    text[size] != '\0')
		fail("base64: accepted a non-canonical text");
	memset(out2, 0x5a, len);
	if (len > 0 && kbs_b64_decode(in, size, out2, len - 1, &len2) != KBS_ERR_BUFFER_TOO_SMALL)
		fail("base64: decoded into too small a buffer");
	for (i = 0; i < len; i++)
		if (out2[i] != 0x5a)
			fail("base64: a buffer too small was written");
}

static void
fuzz_utf8(const uint8_t *in, size_t size)
{
	char *s = NULL;
	size_t replaced = 0, n;
	bool valid = kbs_utf8_valid(in, size);
	int r;

	if ((r = kbs_utf8_sanitize(in, size, &s, &replaced)) != 0) {
		if (r != KBS_ERR_TOO_LARGE && r != KBS_ERR_ALLOC)
			fail("utf8: unexpected code");
		return;
	}
	n = strlen(s);
	if (!kbs_utf8_valid((const uint8_t *)s, n))
		fail("utf8: the sanitized text is not valid");
	if (valid && memchr(in, '\0', size) == NULL &&
	    (replaced != 0 || n != size || memcmp(s, in, size) != 0))
		fail("utf8: valid text changed");
	if (!valid && replaced == 0)
		fail("utf8: invalid text kept");
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IN)
		return 0;
	fuzz_hex((const char *)data, size);
	fuzz_b64((const char *)data, size);
	fuzz_utf8(data, size);
	return 0;
}
