/* Unit tests for common/kbs_buf.c and kbs_le.h: bounds, endianness, unchanged cursor on failure. */
#include "test.h"

#include "kbs_le.h"

static void
test_reads_little_endian(void)
{
	static const uint8_t data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
		0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	struct kbs_buf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	kbs_buf_init(&b, data, sizeof(data));
	CHECK_OK(kbs_buf_get_u8(&b, &u8));
	CHECK_UINT_EQ(u8, 0x01);
	CHECK_OK(kbs_buf_get_u16le(&b, &u16));
	CHECK_UINT_EQ(u16, 0x0302);
	CHECK_OK(kbs_buf_get_u32le(&b, &u32));
	CHECK_UINT_EQ(u32, 0x07060504);
	CHECK_OK(kbs_buf_get_u64le(&b, &u64));
	CHECK_UINT_EQ(u64, 0x0f0e0d0c0b0a0908ULL);
	CHECK_UINT_EQ(kbs_buf_remaining(&b), 0);
	CHECK_OK(kbs_buf_expect_end(&b));
}

static void
test_truncated_leaves_cursor(void)
{
	static const uint8_t data[] = { 1, 2, 3 };
	struct kbs_buf b;
	uint32_t u32 = 0xdeadbeef;
	uint64_t u64;
	uint8_t out[4] = { 0 };
	const uint8_t *p = NULL;

	kbs_buf_init(&b, data, sizeof(data));
	CHECK_OK(kbs_buf_skip(&b, 1));
	CHECK_ERR(kbs_buf_get_u32le(&b, &u32), KBS_ERR_TRUNCATED);
	CHECK_UINT_EQ(u32, 0xdeadbeef);
	CHECK_UINT_EQ(b.off, 1);
	CHECK_ERR(kbs_buf_get_u64le(&b, &u64), KBS_ERR_TRUNCATED);
	CHECK_ERR(kbs_buf_get_bytes(&b, out, 3), KBS_ERR_TRUNCATED);
	CHECK_ERR(kbs_buf_get_direct(&b, SIZE_MAX, &p), KBS_ERR_TRUNCATED);
	CHECK(p == NULL);
	CHECK_ERR(kbs_buf_skip(&b, 3), KBS_ERR_TRUNCATED);
	CHECK_UINT_EQ(b.off, 1);
	CHECK_ERR(kbs_buf_expect_end(&b), KBS_ERR_TRAILING_DATA);
	CHECK_OK(kbs_buf_get_bytes(&b, out, 2));
	CHECK_UINT_EQ(out[0], 2);
	CHECK_UINT_EQ(out[1], 3);
}

static void
test_skip_zero(void)
{
	static const uint8_t data[] = { 0, 0, 7, 0 };
	struct kbs_buf b;

	kbs_buf_init(&b, data, sizeof(data));
	CHECK_OK(kbs_buf_skip_zero(&b, 2, KBS_ERR_REPORT_RESERVED));
	CHECK_ERR(kbs_buf_skip_zero(&b, 2, KBS_ERR_REPORT_RESERVED), KBS_ERR_REPORT_RESERVED);
	CHECK_UINT_EQ(b.off, 2);
	CHECK_ERR(kbs_buf_skip_zero(&b, 3, KBS_ERR_REPORT_RESERVED), KBS_ERR_TRUNCATED);
	CHECK_UINT_EQ(b.off, 2);
}

static void
test_empty_and_null(void)
{
	struct kbs_buf b;
	uint8_t u8;

	kbs_buf_init(&b, NULL, 10);
	CHECK_UINT_EQ(kbs_buf_remaining(&b), 0);
	CHECK_ERR(kbs_buf_get_u8(&b, &u8), KBS_ERR_TRUNCATED);
	CHECK_OK(kbs_buf_skip(&b, 0));
	CHECK_OK(kbs_buf_expect_end(&b));
}

/* kbs_le_put writes what the getters read back, and never past n bytes (or 8). */
static void
test_le_put(void)
{
	static const uint8_t want[] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	uint8_t out[10];
	struct kbs_buf b;
	uint64_t u64;
	uint16_t u16;

	memset(out, 0xee, sizeof(out));
	kbs_le_put(out, 0x0102030405060708ull, 8);
	CHECK(memcmp(out, want, 8) == 0);
	CHECK_UINT_EQ(out[8], 0xee);
	kbs_buf_init(&b, out, 8);
	CHECK_OK(kbs_buf_get_u64le(&b, &u64));
	CHECK_UINT_EQ(u64, 0x0102030405060708ull);

	memset(out, 0xee, sizeof(out));
	kbs_le_put(out, 0xabcd1234, 2);
	CHECK_UINT_EQ(out[0], 0x34);
	CHECK_UINT_EQ(out[1], 0x12);
	CHECK_UINT_EQ(out[2], 0xee);
	kbs_buf_init(&b, out, 2);
	CHECK_OK(kbs_buf_get_u16le(&b, &u16));
	CHECK_UINT_EQ(u16, 0x1234);

	memset(out, 0xee, sizeof(out));
	kbs_le_put(out, UINT64_MAX, sizeof(out)); /* asks for 10: stores 8 */
	CHECK_UINT_EQ(out[7], 0xff);
	CHECK_UINT_EQ(out[8], 0xee);
	kbs_le_put(out, 0, 0);
	CHECK_UINT_EQ(out[0], 0xff);
}

TEST_MAIN(TEST(test_reads_little_endian), TEST(test_truncated_leaves_cursor), TEST(test_skip_zero),
    TEST(test_empty_and_null), TEST(test_le_put))
