/* Unit tests for common/kbs_codec.c: strict hex and base64. */
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

TEST_MAIN(TEST(test_hex_roundtrip), TEST(test_hex_rejects), TEST(test_b64))
