/* Unit tests for common/kbs_codec.c: strict hex and base64. */
#include <sodium.h>
#include <string.h>

#include "test.h"

static void
test_hex_roundtrip(void)
{
	static const uint8_t bin[] = { 0x00, 0xab, 0xCD, 0xff };
	char hex[9];
	uint8_t out[4];

	CHECK_OK(kbs_hex_encode(bin, sizeof(bin), hex, sizeof(hex)));
	CHECK_STR_EQ(hex, "00abcdff");
	CHECK_OK(kbs_hex_decode_exact("00ABcdff", 8, out, sizeof(out)));
	CHECK_MEM_EQ(out, bin, sizeof(bin));
	CHECK_ERR(kbs_hex_encode(bin, sizeof(bin), hex, 8), KBS_ERR_BUFFER_TOO_SMALL);
}

static void
test_hex_rejects(void)
{
	uint8_t out[2] = { 0x55, 0x55 };

	CHECK_ERR(kbs_hex_decode_exact("abc", 3, out, 2), KBS_ERR_BAD_HEX);
	CHECK_ERR(kbs_hex_decode_exact("abcdef", 6, out, 2), KBS_ERR_BAD_HEX);
	CHECK_ERR(kbs_hex_decode_exact("zz00", 4, out, 2), KBS_ERR_BAD_HEX);
	CHECK_ERR(kbs_hex_decode_exact("ab:d", 4, out, 2), KBS_ERR_BAD_HEX);
	CHECK_ERR(kbs_hex_decode_exact("0x00", 4, out, 2), KBS_ERR_BAD_HEX);
	CHECK_ERR(kbs_hex_decode_exact("ab d", 4, out, 2), KBS_ERR_BAD_HEX);
	/* A bad digit after good ones (found by fuzz_codec): nothing is written. */
	CHECK_ERR(kbs_hex_decode_exact("abzz", 4, out, 2), KBS_ERR_BAD_HEX);
	CHECK_ERR(kbs_hex_decode_exact("0G", 2, out, 1), KBS_ERR_BAD_HEX);
	CHECK_ERR(kbs_hex_decode_exact("f\xe6", 2, out, 1), KBS_ERR_BAD_HEX);
	CHECK(out[0] == 0x55 && out[1] == 0x55);
}

static void
test_b64(void)
{
	static const uint8_t bin[] = "hello!?";
	char b64[32];
	uint8_t out[16];
	size_t n = 0;

	CHECK_OK(kbs_b64_encode(bin, 7, b64, sizeof(b64)));
	CHECK_STR_EQ(b64, "aGVsbG8hPw==");
	CHECK_OK(kbs_b64_decode(b64, strlen(b64), out, sizeof(out), &n));
	CHECK_UINT_EQ(n, 7);
	CHECK_MEM_EQ(out, bin, 7);
	CHECK_ERR(kbs_b64_decode("aGVsbG8hPw", 10, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("aGVs bG8=", 9, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("aGVs!G8=", 8, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	/* Bytes from 0x80 up are not '/' (libsodium 1.0.18 took them for it; fuzz_codec). */
	CHECK_ERR(kbs_b64_decode("I\xfb\xfb\xfb", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("aGVs\xc3\xa9G8=", 9, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("aGV\xaf"
				 "bG8=",
		      8, out, sizeof(out), &n),
	    KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("aGVsbG8hPw==", 12, out, 3, &n), KBS_ERR_BUFFER_TOO_SMALL);
	CHECK_ERR(kbs_b64_decode("aGVsbG8hPw==", 12, out, 6, &n), KBS_ERR_BUFFER_TOO_SMALL);
	CHECK_OK(kbs_b64_decode("aGVsbG8hPw==", 12, out, 7, &n));
	CHECK_UINT_EQ(n, 7);
	CHECK_ERR(kbs_b64_decode("aGVsbG8h", 8, out, 5, &n), KBS_ERR_BUFFER_TOO_SMALL);
	CHECK_OK(kbs_b64_decode("aGVsbG8h", 8, out, 6, &n));
	CHECK_UINT_EQ(n, 6);
	CHECK_OK(kbs_b64_decode("", 0, out, 0, &n));
	CHECK_UINT_EQ(n, 0);
	CHECK_ERR(kbs_b64_decode("====", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_encode(bin, 7, b64, 12), KBS_ERR_BUFFER_TOO_SMALL);
}

/* Non-canonical texts: the bits of the last character past the last byte must be zero. */
static void
test_b64_canonical(void)
{
	uint8_t out[16];
	size_t n = 0;

	CHECK_OK(kbs_b64_decode("QQ==", 4, out, sizeof(out), &n));
	CHECK(n == 1 && out[0] == 'A');
	CHECK_ERR(kbs_b64_decode("QR==", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("QX==", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_OK(kbs_b64_decode("QUI=", 4, out, sizeof(out), &n));
	CHECK(n == 2 && memcmp(out, "AB", 2) == 0);
	CHECK_ERR(kbs_b64_decode("QUJ=", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("aGVsbG8hPx==", 12, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	/* Padding only at the end, at most two, and never alone. */
	CHECK_ERR(kbs_b64_decode("QQ==QQ==", 8, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("Q===", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("=QQQ", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
	CHECK_ERR(kbs_b64_decode("QQ=Q", 4, out, sizeof(out), &n), KBS_ERR_BAD_BASE64);
}

/* Every byte value in every position of texts of 4 to 24 characters (each block path). */
static void
test_b64_every_byte(void)
{
	static const char good[] = "TWFueSBoYW5kcyBtYWtlIGxp"; /* "Many hands make li" */
	char t[24];
	uint8_t out[32];
	size_t len, pos, n = 0;
	unsigned c;
	int r, want;

	for (len = 4; len <= 24; len += 4) {
		for (pos = 0; pos < len; pos++) {
			for (c = 0; c < 256; c++) {
				if (c == '=' && pos == len - 1)
					continue; /* padding: test_b64_canonical */
				memcpy(t, good, len);
				t[pos] = (char)c;
				want = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '+' || c == '/';
				memset(out, 0xa5, sizeof(out));
				r = kbs_b64_decode(t, len, out, sizeof(out), &n);
				CHECK_INT_EQ(r, want ? 0 : KBS_ERR_BAD_BASE64);
				if (r == 0) {
					CHECK_UINT_EQ(n, len / 4 * 3);
				} else {
					/* A refusal leaves zeros, never part of a value. */
					CHECK(out[0] == 0 && out[len / 4 * 3 - 1] == 0);
				}
			}
		}
	}
}

/* Random texts against libsodium's decoder (ASCII, where it is right). */
static void
test_b64_matches_libsodium(void)
{
	static const char alphabet[] = "ABCXYZabcxyz0189+/=@[`{:-_";
	char t[40];
	uint8_t out[32], ref[32], pick[40];
	size_t n = 0, ref_n = 0, len;
	const char *end = NULL;
	int i, j, r, ok;

	for (i = 0; i < 200000; i++) {
		randombytes_buf(pick, sizeof(pick));
		len = (size_t)(pick[0] % 10) * 4;
		for (j = 0; j < (int)len; j++)
			t[j] = alphabet[pick[j] % (sizeof(alphabet) - 1)];
		/* Mostly valid texts: keep the noise characters rare. */
		for (j = 0; j + 2 < (int)len; j++)
			if (t[j] == '=' || t[j] == '@' || t[j] == '[' || t[j] == '`' ||
			    t[j] == '{' || t[j] == ':' || t[j] == '-' || t[j] == '_')
				t[j] = pick[j] & 1 ? 'Q' : t[j];
		r = kbs_b64_decode(t, len, out, sizeof(out), &n);
		ok = sodium_base642bin(ref, sizeof(ref), t, len, NULL, &ref_n, &end,
			 sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    end == t + len;
		CHECK_INT_EQ(r == 0, ok);
		if (r == 0 && ok) {
			CHECK_UINT_EQ(n, ref_n);
			CHECK_MEM_EQ(out, ref, n);
		}
	}
}

TEST_MAIN(TEST(test_hex_roundtrip), TEST(test_hex_rejects), TEST(test_b64),
    TEST(test_b64_canonical), TEST(test_b64_every_byte), TEST(test_b64_matches_libsodium))
