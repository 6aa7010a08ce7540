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

/* The stable name is the constant in lower case, and the code is in range. */
static void
test_list_consistent(void)
{
	static const struct {
		const char *constant;
		const char *name;
		int code;
	} list[] = {
#define KBS_ERR_X(constant, name, code, text) { #constant, #name, code },
#include "kbs_err_list.h"
#undef KBS_ERR_X
	};
	size_t i, j;

	CHECK(sizeof(list) / sizeof(list[0]) > 50);
	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		const char *c = list[i].constant, *n = list[i].name;

		CHECK(list[i].code < 0 && list[i].code > -600);
		CHECK(strlen(c) == strlen(n));
		for (j = 0; c[j] != '\0' && n[j] != '\0'; j++)
			CHECK(n[j] == (c[j] >= 'A' && c[j] <= 'Z' ? c[j] - 'A' + 'a' : c[j]));
		CHECK_STR_EQ(kbs_err_name(list[i].code), n);
	}
}

TEST_MAIN(TEST(test_every_code_named), TEST(test_list_consistent))
