/*
 * kbsclient_file.c: writing a secret or a token to a file that no one
 * else can read, and that no reader sees half-written.
 *
 * The data goes to a fresh file beside the destination (mkstemp: created
 * 0600 with O_EXCL, so no one else can have it open), is fsync'd, and is
 * renamed over the destination only on commit. Callers that write several
 * files stage them all before committing any.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbsclient-int.h"

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return KBS_ERR_SYSTEM;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
kbsc_write_fd(int fd, const uint8_t *data, size_t len)
{
	return write_all(fd, data, len);
}

int
kbsc_stage_file(struct kbsc_staged *s, const char *dest, const uint8_t *data, size_t len)
{
	int fd, n, saved;

	memset(s, 0, sizeof(*s));
	n = snprintf(s->dest, sizeof(s->dest), "%s", dest);
	if (n < 0 || (size_t)n >= sizeof(s->dest))
		return KBS_ERR_INVALID_ARGUMENT;
	n = snprintf(s->tmp, sizeof(s->tmp), "%s.kbs-XXXXXX", dest);
	if (n < 0 || (size_t)n >= sizeof(s->tmp))
		return KBS_ERR_INVALID_ARGUMENT;
	if ((fd = mkstemp(s->tmp)) < 0)
		return KBS_ERR_SYSTEM;
	s->staged = 1;
	if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return KBS_ERR_SYSTEM;
	}
	if (close(fd) != 0)
		return KBS_ERR_SYSTEM;
	return 0;
}

int
kbsc_stage_commit(struct kbsc_staged *s)
{
	if (!s->staged)
		return KBS_ERR_INVALID_ARGUMENT;
	if (rename(s->tmp, s->dest) != 0)
		return KBS_ERR_SYSTEM;
	s->staged = 0;
	return 0;
}

void
kbsc_stage_abort(struct kbsc_staged *s)
{
	int saved = errno;

	if (s->staged)
		unlink(s->tmp);
	s->staged = 0;
	errno = saved;
}

int
kbsc_write_private_file(const char *path, const uint8_t *data, size_t len)
{
	struct kbsc_staged s;
	int r;

	if ((r = kbsc_stage_file(&s, path, data, len)) == 0)
		r = kbsc_stage_commit(&s);
	kbsc_stage_abort(&s);
	return r;
}
