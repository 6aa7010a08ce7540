/* Unit tests for common/kbs_err.c: every code has a distinct name and a sentence. */
#include "test.h"

static void
test_every_code_named(void)
{
	int code, seen = 0;

	CHECK_STR_EQ(kbs_err_name(0), "ok");
	CHECK_STR_EQ(kbs_err_str(0), "success");
	CHECK_STR_EQ(kbs_err_name(-599), "unknown");
	CHECK_STR_EQ(kbs_err_str(-100000), "unknown error");
	CHECK_STR_EQ(kbs_err_str(5), "unknown error");
	CHECK_STR_EQ(kbs_err_name(KBS_ERR_REPORT_SIGNATURE), "report_signature");
	for (code = -1; code > -600; code--) {
		int other;

		if (strcmp(kbs_err_name(code), "unknown") == 0) {
			CHECK_STR_EQ(kbs_err_str(code), "unknown error");
			continue;
		}
		seen++;
		CHECK(strcmp(kbs_err_str(code), "unknown error") != 0);
		for (other = code - 1; other > -600; other--)
			CHECK(strcmp(kbs_err_name(code), kbs_err_name(other)) != 0);
	}
	CHECK(seen > 50);
}

TEST_MAIN(TEST(test_every_code_named))
