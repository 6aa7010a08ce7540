/*
 * Unit tests for common/kbs_utf8.c: what is well-formed (RFC 3629, Unicode
 * Table 3-7) and how ill-formed input is repaired (one U+FFFD per maximal
 * subpart, the Unicode Standard's own examples included).
 */
#include "test.h"

#define R KBS_UTF8_REPLACEMENT

/* sanitized runs kbs_utf8_sanitize on n bytes and checks the text and the count. */
static void
sanitized(const char *in, size_t n, const char *want, size_t want_replaced, int line)
{
	char *out = NULL;
	size_t replaced = 99;

	CHECK_OK(kbs_utf8_sanitize((const uint8_t *)in, n, &out, &replaced));
	if (out == NULL)
		return;
	if (strcmp(out, want) != 0 || replaced != want_replaced)
		fprintf(stderr, "line %d: got %zu replacements\n", line, replaced);
	CHECK_STR_EQ(out, want);
	CHECK_UINT_EQ(replaced, want_replaced);
	CHECK(kbs_utf8_valid((const uint8_t *)out, strlen(out)));
	free(out);
}

#define SANE(in, want, k) sanitized((in), sizeof(in) - 1, (want), (k), __LINE__)

static void
test_valid(void)
{
	static const char *const good[] = {
		"", "plain ascii 0123 ~\x7f", "caf\xc3\xa9", /* U+00E9 */
		"\xc2\x80\xdf\xbf",         /* U+0080, U+07FF: ends of the 2-byte range */
		"\xe0\xa0\x80\xef\xbf\xbf", /* U+0800, U+FFFF */
		"\xed\x9f\xbf\xee\x80\x80", /* U+D7FF, U+E000: either side of the surrogates */
		"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", /* U+10000, U+10FFFF */
		"\xe2\x82\xac \xf0\x9f\x94\x91",    /* euro sign, key emoji */
	};
	static const char *const bad[] = {
		"\x80",                                     /* lone continuation */
		"\xbf", "\xc0\x80",                         /* overlong NUL */
		"\xc1\xbf",                                 /* overlong */
		"\xe0\x80\x80",                             /* overlong 3-byte */
		"\xe0\x9f\xbf", "\xed\xa0\x80",             /* U+D800 */
		"\xed\xbf\xbf",                             /* U+DFFF */
		"\xf0\x80\x80\x80",                         /* overlong 4-byte */
		"\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",     /* U+110000 */
		"\xf5\x80\x80\x80", "\xff", "\xfe", "\xc3", /* cut short */
		"\xe2\x82", "\xf0\x9f\x94",
		"ok\xc3(", /* a continuation byte missing before ASCII */
	};
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(good); i++) {
		if (!kbs_utf8_valid((const uint8_t *)good[i], strlen(good[i])))
			fprintf(stderr, "good[%zu] refused\n", i);
		CHECK(kbs_utf8_valid((const uint8_t *)good[i], strlen(good[i])));
	}
	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		if (kbs_utf8_valid((const uint8_t *)bad[i], strlen(bad[i])))
			fprintf(stderr, "bad[%zu] accepted\n", i);
		CHECK(!kbs_utf8_valid((const uint8_t *)bad[i], strlen(bad[i])));
	}
	/* NUL is a character; NULL is fine for no bytes. */
	CHECK(kbs_utf8_valid((const uint8_t *)"a\0b", 3));
	CHECK(kbs_utf8_valid(NULL, 0));
}

static void
test_sanitize_keeps_good_text(void)
{
	SANE("", "", 0);
	SANE("192.0.2.7:443", "192.0.2.7:443", 0);
	SANE("caf\xc3\xa9 \xf0\x9f\x94\x91", "caf\xc3\xa9 \xf0\x9f\x94\x91", 0);
	SANE("a\"b\\c\n\x01\x7f", "a\"b\\c\n\x01\x7f", 0);
}

/*
 * The Unicode Standard's examples for U+FFFD substitution of maximal
 * subparts (chapter 3, tables 3-8 to 3-11), byte for byte.
 */
static void
test_sanitize_maximal_subparts(void)
{
	/* Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 */
	SANE("a\xf1\x80\x80\xe1\x80\xc2"
	     "b\x80"
	     "c\x80\xbf"
	     "d",
	    "a" R R R "b" R "c" R R "d", 6);
	/* Table 3-9: non-shortest forms, C0 AF E0 80 BF F0 81 82 41: every byte */
	SANE("\xc0\xaf\xe0\x80\xbf\xf0\x81\x82\x41", R R R R R R R R "A", 8);
	/* Table 3-10: ill-formed sequences for surrogates, ED A0 80 ED BF BF ED AF 41 */
	SANE("\xed\xa0\x80\xed\xbf\xbf\xed\xaf\x41", R R R R R R R R "A", 8);
	/* Table 3-11: other ill-formed sequences, F4 91 92 93 FF 41 80 BF 42 */
	SANE("\xf4\x91\x92\x93\xff\x41\x80\xbf\x42", R R R R R "A" R R "B", 7);
	/* Truncated at the end: one replacement for the whole prefix. */
	SANE("x\xf0\x9f\x94", "x" R, 1);
	SANE("x\xe2\x82", "x" R, 1);
	/* A high byte read as Latin-1 by mistake: one replacement, no mojibake. */
	SANE("a\xffz", "a" R "z", 1);
}

static void
test_sanitize_nul_and_errors(void)
{
	static char untouched[] = "untouched";
	char *out = untouched;
	size_t replaced = 0;

	/* A NUL inside would cut the C string short: replaced too. */
	CHECK_OK(kbs_utf8_sanitize((const uint8_t *)"a\0b", 3, &out, &replaced));
	CHECK_STR_EQ(out, "a" R "b");
	CHECK_UINT_EQ(replaced, 1);
	free(out);
	out = untouched;
	CHECK_OK(kbs_utf8_sanitize(NULL, 0, &out, NULL));
	CHECK_STR_EQ(out, "");
	free(out);
	out = untouched;
	CHECK_ERR(kbs_utf8_sanitize(NULL, 1, &out, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_utf8_sanitize((const uint8_t *)"a", 1, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_utf8_sanitize((const uint8_t *)"a", KBS_UTF8_MAX + 1, &out, NULL),
	    KBS_ERR_TOO_LARGE);
	CHECK(out == untouched);
}

/* Every single byte and every pair: the output is always well-formed. */
static void
test_sanitize_all_pairs(void)
{
	uint8_t in[3];
	char *out = NULL;
	unsigned a, b;
	int bad = 0;

	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			in[0] = (uint8_t)a;
			in[1] = (uint8_t)b;
			in[2] = 0x80;
			if (kbs_utf8_sanitize(in, 3, &out, NULL) != 0) {
				bad++;
				continue;
			}
			if (!kbs_utf8_valid((const uint8_t *)out, strlen(out)))
				bad++;
			/* Valid input is never changed. */
			if (kbs_utf8_valid(in, 3) && memchr(in, 0, 3) == NULL &&
			    (strlen(out) != 3 || memcmp(out, in, 3) != 0))
				bad++;
			free(out);
			out = NULL;
		}
	}
	CHECK_INT_EQ(bad, 0);
}

TEST_MAIN(TEST(test_valid), TEST(test_sanitize_keeps_good_text),
    TEST(test_sanitize_maximal_subparts), TEST(test_sanitize_nul_and_errors),
    TEST(test_sanitize_all_pairs))
