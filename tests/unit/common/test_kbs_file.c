/* Unit tests for common/kbs_file.c: caps and errors. */
#include "test.h"

#include <errno.h>
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

TEST_MAIN(TEST(test_read_and_cap))
