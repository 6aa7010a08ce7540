/* Unit tests for policy/load.c: policies from files, I/O and size errors. */
#include "test.h"

#include <errno.h>
#include <unistd.h>

#include "policy.h"

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK(fwrite(text, 1, len, f) == len);
	fclose(f);
}

static void
test_example_policy_loads(void)
{
	char path[4096];
	struct policy *p = NULL;
	struct policy_error err;

	snprintf(path, sizeof(path), "%s/deploy/policies/prod-disk-unlock.json",
	    getenv("KBS_SOURCE_ROOT"));
	CHECK_OK(policy_parse_file(path, &p, &err));
	CHECK(p != NULL);
	CHECK_STR_EQ(policy_name(p), "prod-disk-unlock");
	policy_free(p);
}

static void
test_missing_file(void)
{
	struct policy *p = NULL;
	struct policy_error err;

	CHECK_ERR(policy_parse_file("/nonexistent/kbs/policy.json", &p, &err), KBS_ERR_SYSTEM);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK(p == NULL);
	CHECK_UINT_EQ(err.line, 0);
	CHECK_STR_EQ(err.message, "No such file or directory");
}

static void
test_oversized_file(void)
{
	char path[] = "/tmp/kbs-test-policy-XXXXXX";
	struct policy *p = NULL;
	struct policy_error err;
	char msg[256];
	char *big;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	big = malloc(POLICY_MAX_FILE_SIZE + 1);
	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, ' ', POLICY_MAX_FILE_SIZE + 1);
	write_file(path, big, POLICY_MAX_FILE_SIZE + 1);
	free(big);
	CHECK_ERR(policy_parse_file(path, &p, &err), KBS_ERR_TOO_LARGE);
	CHECK(p == NULL);
	policy_error_format(&err, msg, sizeof(msg));
	CHECK_STR_EQ(msg, "1:1: file is larger than 262144 bytes (too_large)");
	unlink(path);
}

static void
test_parse_error_passes_through(void)
{
	char path[] = "/tmp/kbs-test-policy-XXXXXX";
	static const char text[] = "{\"kbs_policy\": 2, \"name\": \"x\", \"rules\": {}}";
	struct policy *p = NULL;
	struct policy_error err;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	write_file(path, text, sizeof(text) - 1);
	CHECK_ERR(policy_parse_file(path, &p, &err), KBS_ERR_POLICY_VERSION);
	CHECK(p == NULL);
	CHECK_UINT_EQ(err.line, 1);
	CHECK_STR_EQ(err.path, "kbs_policy");
	unlink(path);
}

TEST_MAIN(TEST(test_example_policy_loads), TEST(test_missing_file), TEST(test_oversized_file),
    TEST(test_parse_error_passes_through))
