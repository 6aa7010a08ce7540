/*
 * state.c: the key files in the data directory.
 *
 *   DIR/master.key     32 bytes, hex: seals the keystore (read by keystore/)
 *   DIR/identity.key   32-byte Ed25519 seed, hex: signs responses and tokens
 *   DIR/nonce.key      32 bytes, hex: authenticates this replica's nonces
 *   DIR/admin.token    the bootstrap admin bearer token (only its hash is stored)
 *
 * Each is created on first start with O_EXCL|O_NOFOLLOW, mode 0600,
 * written, fsynced, and the directory fsynced, so a crash cannot leave a
 * half-written key that a restart would silently replace. An existing file
 * must be a regular file owned by us with no group or other permission,
 * and hold exactly 64 hex digits and an optional newline; anything else
 * stops the broker (KBS_ERR_STATE_FILE) rather than being "repaired".
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return KBS_ERR_SYSTEM;
	if (fsync(fd) != 0)
		r = KBS_ERR_SYSTEM;
	close(fd);
	return r;
}

int
kbs_state_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return KBS_ERR_SYSTEM;
	if (lstat(dir, &st) != 0)
		return KBS_ERR_SYSTEM;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
		return KBS_ERR_STATE_FILE;
	return 0;
}

int
kbs_state_write_new(const char *dir, const char *name, const char *text)
{
	char path[4096];
	size_t len = strlen(text), off = 0;
	int fd, r = KBS_ERR_SYSTEM;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return KBS_ERR_INVALID_ARGUMENT;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return errno == EEXIST ? KBS_ERR_EXISTS : KBS_ERR_SYSTEM;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	r = 0;
out:
	close(fd);
	if (r != 0)
		(void)unlink(path);
	else
		r = fsync_dir(dir);
	return r;
}

/* read_small reads a short state file after checking who may read it. */
static int
read_small(const char *dir, const char *name, char *buf, size_t size, size_t *ret_len)
{
	char path[4096];
	struct stat st;
	ssize_t n;
	int fd, r = KBS_ERR_STATE_FILE;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return KBS_ERR_INVALID_ARGUMENT;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? KBS_ERR_NOT_FOUND : KBS_ERR_SYSTEM;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0077) != 0)
		goto out;
	if ((n = read(fd, buf, size)) < 0) {
		r = KBS_ERR_SYSTEM;
		goto out;
	}
	if ((size_t)n == size) /* longer than any valid file */
		goto out;
	*ret_len = (size_t)n;
	r = 0;
out:
	close(fd);
	return r;
}

int
kbs_state_key(const char *dir, const char *name, int may_create, uint8_t key[32], int *ret_created)
{
	char hex[80];
	uint8_t fresh[32];
	size_t len = 0;
	int r;

	*ret_created = 0;
	r = read_small(dir, name, hex, sizeof(hex), &len);
	if (r == KBS_ERR_NOT_FOUND && !may_create)
		goto out;
	if (r == KBS_ERR_NOT_FOUND) {
		randombytes_buf(fresh, sizeof(fresh));
		if ((r = kbs_hex_encode(fresh, sizeof(fresh), hex, sizeof(hex))) != 0)
			goto out;
		hex[64] = '\n';
		hex[65] = '\0';
		if ((r = kbs_state_write_new(dir, name, hex)) != 0)
			goto out;
		memcpy(key, fresh, 32);
		*ret_created = 1;
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	if (len == 65 && hex[64] == '\n')
		len = 64;
	if (len != 64 || kbs_hex_decode_exact(hex, 64, key, 32) != 0) {
		r = KBS_ERR_STATE_FILE;
		goto out;
	}
	r = 0;
out:
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(fresh, sizeof(fresh));
	return r;
}

int
kbs_state_exists(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return 0;
	return lstat(path, &st) == 0;
}
