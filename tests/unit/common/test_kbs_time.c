/* Unit tests for common/kbs_time.c: strict RFC 3339. */
#include "test.h"

static void
test_parse_valid(void)
{
	int64_t t = 0;
	char out[KBS_TIME_RFC3339_LEN];

	CHECK_OK(kbs_time_parse_rfc3339("1970-01-01T00:00:00Z", &t));
	CHECK_INT_EQ(t, 0);
	CHECK_OK(kbs_time_parse_rfc3339("2022-10-24T00:00:00Z", &t));
	CHECK_INT_EQ(t, 1666569600);
	CHECK_OK(kbs_time_parse_rfc3339("2024-02-29T12:34:56.789Z", &t));
	CHECK_INT_EQ(t, 1709210096);
	CHECK_OK(kbs_time_parse_rfc3339("2024-02-29T14:34:56+02:00", &t));
	CHECK_INT_EQ(t, 1709210096);
	CHECK_OK(kbs_time_parse_rfc3339("2024-02-29T10:04:56-02:30", &t));
	CHECK_INT_EQ(t, 1709210096);
	CHECK_OK(kbs_time_parse_rfc3339("2026-07-01", &t));
	CHECK_INT_EQ(t, 1782864000);
	CHECK_OK(kbs_time_format_rfc3339(1709210096, out, sizeof(out)));
	CHECK_STR_EQ(out, "2024-02-29T12:34:56Z");
	CHECK_ERR(kbs_time_format_rfc3339(0, out, 5), KBS_ERR_BUFFER_TOO_SMALL);
}

static void
test_parse_invalid(void)
{
	static const char *bad[] = { "", "2024", "2024-13-01", "2023-02-29", "2024-01-32",
		"2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:00",
		"2024-01-01 00:00:00Z", "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00+0200",
		"2024-01-01T00:00:00.Z", "1969-12-31T23:59:59Z", "2024-1-01T00:00:00Z",
		"+024-01-01T00:00:00Z", "2024-01-01T00:00:00+24:00" };
	size_t i;
	int64_t t = 42;

	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		CHECK_ERR(kbs_time_parse_rfc3339(bad[i], &t), KBS_ERR_BAD_TIME);
		CHECK_INT_EQ(t, 42);
	}
	CHECK_ERR(kbs_time_parse_rfc3339(NULL, &t), KBS_ERR_BAD_TIME);
}

TEST_MAIN(TEST(test_parse_valid), TEST(test_parse_invalid))
