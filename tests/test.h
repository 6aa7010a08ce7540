/*
 * test.h: the project's small unit-test harness (header only).
 *
 * A test program is a list of functions run by TEST_MAIN. Each CHECK that
 * fails prints file, line and the values, marks the current test failed and
 * goes on, so one run shows every broken expectation. The program prints
 * "N passed, N failed" and exits non-zero when anything failed.
 *
 * Helpers for data: test_vector_path() joins $KBS_VECTORS (set by meson to
 * tests/vectors/snp) with a relative path; test_read() reads a whole file
 * or fails the test.
 */
#ifndef KBS_TEST_H
#define KBS_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_common.h"

struct test_case {
	const char *name;
	void (*fn)(void);
};

static int test_failed_checks;
static int test_current_failed;

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			test_failed_checks++; \
			test_current_failed = 1; \
		} \
	} while (0)

#define CHECK_INT_EQ(a, b) \
	do { \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
		if (check_a_ != check_b_) { \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
			    __LINE__, #a, #b, check_a_, check_b_); \
			test_failed_checks++; \
			test_current_failed = 1; \
		} \
	} while (0)

#define CHECK_UINT_EQ(a, b) \
	do { \
		unsigned long long check_a_ = (unsigned long long)(a); \
		unsigned long long check_b_ = (unsigned long long)(b); \
		if (check_a_ != check_b_) { \
			fprintf(stderr, "%s:%d: %s == %s failed: 0x%llx != 0x%llx\n", __FILE__, \
			    __LINE__, #a, #b, check_a_, check_b_); \
			test_failed_checks++; \
			test_current_failed = 1; \
		} \
	} while (0)

/* CHECK_ERR asserts an exact return code and names both codes on failure. */
#define CHECK_ERR(expr, want) \
	do { \
		int check_got_ = (expr), check_want_ = (want); \
		if (check_got_ != check_want_) { \
			fprintf(stderr, "%s:%d: %s returned %d (%s), want %d (%s)\n", __FILE__, \
			    __LINE__, #expr, check_got_, kbs_err_name(check_got_), check_want_, \
			    kbs_err_name(check_want_)); \
			test_failed_checks++; \
			test_current_failed = 1; \
		} \
	} while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, 0)

#define CHECK_STR_EQ(a, b) \
	do { \
		const char *check_a_ = (a), *check_b_ = (b); \
		if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) { \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, \
			    __LINE__, #a, #b, check_a_ ? check_a_ : "(null)", \
			    check_b_ ? check_b_ : "(null)"); \
			test_failed_checks++; \
			test_current_failed = 1; \
		} \
	} while (0)

#define CHECK_MEM_EQ(a, b, n) \
	do { \
		if (memcmp((a), (b), (n)) != 0) { \
			fprintf(stderr, "%s:%d: %s == %s failed (%zu bytes)\n", __FILE__, \
			    __LINE__, #a, #b, (size_t)(n)); \
			test_failed_checks++; \
			test_current_failed = 1; \
		} \
	} while (0)

static inline const char *
test_vector_path(const char *rel)
{
	static char path[4096];
	const char *base = getenv("KBS_VECTORS");

	if (base == NULL) {
		fprintf(stderr, "KBS_VECTORS is not set (run through meson test)\n");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	return path;
}

/* test_read reads a file (path as given) or exits: missing data is a broken test. */
static inline uint8_t *
test_read(const char *path, size_t *ret_len)
{
	uint8_t *data = NULL;
	int r;

	if ((r = kbs_file_read(path, 16u << 20, &data, ret_len)) != 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, kbs_err_str(r));
		exit(2);
	}
	return data;
}

/* test_read_vector reads a file under tests/vectors/snp. */
static inline uint8_t *
test_read_vector(const char *rel, size_t *ret_len)
{
	return test_read(test_vector_path(rel), ret_len);
}

static inline int
test_run(const struct test_case *cases, size_t n)
{
	size_t i;
	int passed = 0, failed = 0;

	for (i = 0; i < n; i++) {
		test_current_failed = 0;
		cases[i].fn();
		if (test_current_failed) {
			printf("not ok %zu - %s\n", i + 1, cases[i].name);
			failed++;
		} else {
			printf("ok %zu - %s\n", i + 1, cases[i].name);
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && test_failed_checks == 0 ? 0 : 1;
}

#define TEST(fn) \
	{ \
#fn, fn \
	}
#define TEST_MAIN(...) \
	int main(void) \
	{ \
		static const struct test_case cases[] = { __VA_ARGS__ }; \
		if (kbs_crypto_init() != 0) \
			return 2; \
		return test_run(cases, sizeof(cases) / sizeof(cases[0])); \
	}

#endif
