/* Unit tests for common/kbs_file.c: caps and errors. */
#include "test.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_read_and_cap(void)
{
	char path[] = "/tmp/kbs-test-file-XXXXXX";
	uint8_t *data = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, "hello", 5) == 5);
	close(fd);
	CHECK_OK(kbs_file_read(path, 5, &data, &len));
	CHECK_UINT_EQ(len, 5);
	CHECK(data != NULL && memcmp(data, "hello", 5) == 0 && data[5] == 0);
	free(data);
	data = NULL;
	CHECK_ERR(kbs_file_read(path, 4, &data, &len), KBS_ERR_TOO_LARGE);
	CHECK(data == NULL);
	unlink(path);
	CHECK_ERR(kbs_file_read(path, 4, &data, &len), KBS_ERR_SYSTEM);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK_ERR(kbs_file_read("/dev/zero", 1 << 20, &data, &len), KBS_ERR_TOO_LARGE);
}

/* kbs_file_read_private: only a regular file of ours closed to group and others, no symlink. */
static void
test_read_private(void)
{
	char path[] = "/tmp/kbs-test-private-XXXXXX", link[64];
	uint8_t *data = NULL;
	size_t len = 0;
	int fd = mkstemp(path); /* mode 0600 */

	CHECK(fd >= 0);
	CHECK(write(fd, "key", 3) == 3);
	close(fd);
	CHECK_OK(kbs_file_read_private(path, 3, KBS_ERR_CONFIG, &data, &len));
	CHECK_UINT_EQ(len, 3);
	CHECK(data != NULL && memcmp(data, "key", 3) == 0);
	free(data);
	data = NULL;
	CHECK_ERR(kbs_file_read_private(path, 2, KBS_ERR_CONFIG, &data, &len), KBS_ERR_TOO_LARGE);
	CHECK(chmod(path, 0640) == 0);
	CHECK_ERR(kbs_file_read_private(path, 3, KBS_ERR_CONFIG, &data, &len), KBS_ERR_CONFIG);
	CHECK(chmod(path, 0604) == 0);
	CHECK_ERR(kbs_file_read_private(path, 3, KBS_ERR_CONFIG, &data, &len), KBS_ERR_CONFIG);
	CHECK(chmod(path, 0400) == 0);
	CHECK_OK(kbs_file_read_private(path, 3, KBS_ERR_CONFIG, &data, &len));
	free(data);
	data = NULL;
	snprintf(link, sizeof(link), "%s.link", path);
	CHECK(symlink(path, link) == 0);
	CHECK_ERR(kbs_file_read_private(link, 3, KBS_ERR_CONFIG, &data, &len), KBS_ERR_CONFIG);
	unlink(link);
	CHECK_ERR(kbs_file_read_private("/tmp", 3, KBS_ERR_CONFIG, &data, &len), KBS_ERR_CONFIG);
	CHECK_ERR(
	    kbs_file_read_private("/dev/null", 3, KBS_ERR_CONFIG, &data, &len), KBS_ERR_CONFIG);
	CHECK_ERR(kbs_file_read_private(path, 3, 0, &data, &len), KBS_ERR_INVALID_ARGUMENT);
	unlink(path);
	CHECK_ERR(kbs_file_read_private(path, 3, KBS_ERR_CONFIG, &data, &len), KBS_ERR_SYSTEM);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK(data == NULL);
}

TEST_MAIN(TEST(test_read_and_cap), TEST(test_read_private))
