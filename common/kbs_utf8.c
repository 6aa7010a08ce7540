/*
 * kbs_utf8.c: UTF-8 validation and repair (kbs_utf8.h).
 *
 * One decoder step, seq_at, serves both functions: the first byte gives
 * the length and the allowed range of the second byte (Unicode Table 3-7;
 * the narrow ranges after E0, ED, F0 and F4 are what exclude overlongs,
 * surrogates and code points past U+10FFFF), every later byte must be a
 * continuation byte 80..BF. Reading stops at the first byte that does not
 * fit, so the bytes consumed so far are the maximal subpart that one
 * U+FFFD replaces, and the byte that did not fit starts the next step.
 */
#include "kbs_utf8.h"

#include <stdlib.h>
#include <string.h>

/*
 * seq_at looks at s[0..len) (len >= 1): it returns the length of the
 * well-formed sequence there and sets *ret_ok, or the length of the
 * ill-formed subpart to replace (at least 1) and clears *ret_ok.
 */
static size_t
seq_at(const uint8_t *s, size_t len, bool *ret_ok)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*ret_ok = false;
	if (b < 0x80) {
		*ret_ok = b != 0;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		need = 2;
	} else if (b >= 0xe0 && b <= 0xef) {
		need = 3;
		if (b == 0xe0)
			lo = 0xa0; /* below: overlong */
		else if (b == 0xed)
			hi = 0x9f; /* above: surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 4;
		if (b == 0xf0)
			lo = 0x90; /* below: overlong */
		else if (b == 0xf4)
			hi = 0x8f; /* above: past U+10FFFF */
	} else {
		return 1; /* 80..C1 and F5..FF never begin a sequence */
	}
	for (i = 1; i < need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xbf;
	}
	*ret_ok = true;
	return need;
}

bool
kbs_utf8_valid(const uint8_t *s, size_t len)
{
	size_t off = 0, n;
	bool ok;

	while (off < len) {
		/* seq_at calls NUL ill-formed for the copy; as text it is a character. */
		if (s[off] == 0) {
			off++;
			continue;
		}
		n = seq_at(s + off, len - off, &ok);
		if (!ok)
			return false;
		off += n;
	}
	return true;
}

/* utf8_copy writes the repaired text to out (NULL: only count) and returns its length. */
static size_t
utf8_copy(const uint8_t *s, size_t len, char *out, size_t *ret_replaced)
{
	size_t off = 0, w = 0, n, replaced = 0;
	bool ok;

	while (off < len) {
		n = seq_at(s + off, len - off, &ok);
		if (ok) {
			if (out != NULL)
				memcpy(out + w, s + off, n);
			w += n;
		} else {
			if (out != NULL)
				memcpy(out + w, KBS_UTF8_REPLACEMENT, 3);
			w += 3;
			replaced++;
		}
		off += n;
	}
	if (ret_replaced != NULL)
		*ret_replaced = replaced;
	return w;
}

int
kbs_utf8_sanitize(const uint8_t *s, size_t len, char **ret_str, size_t *ret_replaced)
{
	size_t n, replaced = 0;
	char *out;

	if ((s == NULL && len > 0) || ret_str == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (len > KBS_UTF8_MAX)
		return KBS_ERR_TOO_LARGE; /* so 3 * len + 1 cannot overflow */
	n = utf8_copy(s, len, NULL, NULL);
	if ((out = malloc(n + 1)) == NULL)
		return KBS_ERR_ALLOC;
	(void)utf8_copy(s, len, out, &replaced);
	out[n] = 0;
	*ret_str = out;
	if (ret_replaced != NULL)
		*ret_replaced = replaced;
	return 0;
}
