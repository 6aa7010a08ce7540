/*
 * kbs_file.c: whole-file reads with a cap, so a huge or endless input
 * (a FIFO, /dev/zero) cannot exhaust memory.
 */
#include "kbs_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* read_fd reads fd (closed here) as kbs_file_read describes. */
static int
read_fd(int fd, size_t max_len, uint8_t **ret_data, size_t *ret_len)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap;
	ssize_t n;
	int r = KBS_ERR_INTERNAL, saved;

	cap = max_len < 65536 ? max_len + 1 : 65536;
	if ((buf = malloc(cap + 1)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap * 2 > max_len + 1 ? max_len + 1 : cap * 2;
			uint8_t *nbuf;

			if (ncap == cap) {
				r = KBS_ERR_TOO_LARGE;
				goto out;
			}
			/* Not realloc: the old block may hold a secret and must be wiped. */
			if ((nbuf = malloc(ncap + 1)) == NULL) {
				r = KBS_ERR_ALLOC;
				goto out;
			}
			memcpy(nbuf, buf, len);
			explicit_bzero(buf, cap + 1);
			free(buf);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = KBS_ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max_len) {
			r = KBS_ERR_TOO_LARGE;
			goto out;
		}
	}
	buf[len] = 0;
	*ret_data = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	saved = errno;
	if (buf != NULL) {
		/* The bytes read may be a secret (kbs_file_read_private). */
		explicit_bzero(buf, cap + 1);
		free(buf);
	}
	close(fd);
	errno = saved;
	return r;
}

int
kbs_file_read(const char *path, size_t max_len, uint8_t **ret_data, size_t *ret_len)
{
	int fd;

	if (path == NULL || ret_data == NULL || ret_len == NULL || max_len == SIZE_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return KBS_ERR_SYSTEM;
	return read_fd(fd, max_len, ret_data, ret_len);
}

int
kbs_file_read_private(
    const char *path, size_t max_len, int not_private, uint8_t **ret_data, size_t *ret_len)
{
	struct stat st;
	int fd, saved;

	if (path == NULL || ret_data == NULL || ret_len == NULL || max_len == SIZE_MAX ||
	    not_private >= 0)
		return KBS_ERR_INVALID_ARGUMENT;
	/* O_NONBLOCK: a FIFO at path is refused below (not regular) instead of waited on. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return errno == ELOOP ? not_private : KBS_ERR_SYSTEM;
	if (fstat(fd, &st) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return KBS_ERR_SYSTEM;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
		close(fd);
		return not_private;
	}
	return read_fd(fd, max_len, ret_data, ret_len);
}
