/*
 * masterkey.c: loading the master key and deriving the store's keys.
 *
 * The key file holds exactly 32 raw bytes, or 64 hex digits with one
 * optional final newline (what `openssl rand -hex 32` writes); anything
 * else is KBS_ERR_STORE_KEY_FORMAT. The file must be a regular file with no
 * group or other permission bits (checked on the open descriptor, so the
 * check and the read see the same file). The raw key only ever lives in
 * sodium_malloc memory and is wiped as soon as the subkeys are derived:
 *   seal      = KDF(master, 1, "kbsstore")  AEAD key for secrets, check value
 *   audit_mac = KDF(master, 2, "kbsstore")  HMAC key for the audit head
 *   key_id    = KDF(master, 3, "kbsstore")[0..8)  names the key in records
 * (libsodium crypto_kdf, BLAKE2b), so no stored value is keyed by the
 * master key itself and the key id reveals nothing about it.
 */
#include "keystore-int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KS_KEY_FILE_MAX 66 /* 64 hex digits and a newline, plus one to detect more */
#define KS_KDF_CONTEXT "kbsstore"

void
ks_keys_free(struct ks_keys *keys)
{
	if (keys != NULL)
		sodium_free(keys); /* wipes */
}

int
ks_keys_from_bytes(const uint8_t master[32], struct ks_keys **ret_keys)
{
	struct ks_keys *k;
	uint8_t id[16];

	if ((k = sodium_malloc(sizeof(*k))) == NULL)
		return KBS_ERR_ALLOC;
	if (crypto_kdf_derive_from_key(k->seal, sizeof(k->seal), 1, KS_KDF_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(
		k->audit_mac, sizeof(k->audit_mac), 2, KS_KDF_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(id, sizeof(id), 3, KS_KDF_CONTEXT, master) != 0) {
		sodium_free(k);
		return KBS_ERR_INTERNAL;
	}
	memcpy(k->key_id, id, KS_KEY_ID_SIZE);
	sodium_memzero(id, sizeof(id));
	if (sodium_mprotect_readonly(k) != 0) {
		sodium_free(k);
		return KBS_ERR_SYSTEM;
	}
	*ret_keys = k;
	return 0;
}

/* read_key_fd reads at most KS_KEY_FILE_MAX bytes into buf (sodium memory). */
static int
read_key_fd(int fd, uint8_t *buf, size_t cap, size_t *ret_len)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return KBS_ERR_SYSTEM;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_len = len;
	return 0;
}

static int
load_path(const char *path, struct ks_keys **ret_keys)
{
	struct stat st;
	uint8_t *buf = NULL; /* raw file bytes, then the 32 key bytes at buf+KS_KEY_FILE_MAX+1 */
	uint8_t *key;
	size_t len = 0;
	int fd = -1, r = KBS_ERR_INTERNAL, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return KBS_ERR_SYSTEM;
	if (fstat(fd, &st) != 0) {
		r = KBS_ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		r = KBS_ERR_STORE_KEY_PERMS;
		goto out;
	}
	if ((buf = sodium_malloc(KS_KEY_FILE_MAX + 1 + 32)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	key = buf + KS_KEY_FILE_MAX + 1;
	if ((r = read_key_fd(fd, buf, KS_KEY_FILE_MAX + 1, &len)) != 0)
		goto out;
	if (len == 32) {
		memcpy(key, buf, 32);
	} else {
		size_t hl = len;

		if (hl == 65 && buf[64] == '\n')
			hl = 64;
		if (hl != 64 || kbs_hex_decode_exact((const char *)buf, hl, key, 32) != 0) {
			r = KBS_ERR_STORE_KEY_FORMAT;
			goto out;
		}
	}
	if ((r = ks_keys_from_bytes(key, ret_keys)) != 0)
		goto out;
	r = 0;
out:
	saved = errno;
	if (buf != NULL)
		sodium_free(buf);
	if (fd >= 0)
		close(fd);
	errno = saved;
	return r;
}

int
ks_keys_load(const struct keystore_key_source *src, struct ks_keys **ret_keys)
{
	char path[PATH_MAX];
	const char *dir;
	int n;

	if (src == NULL || src->name == NULL || src->name[0] == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	switch (src->kind) {
	case KEYSTORE_KEY_FILE:
		return load_path(src->name, ret_keys);
	case KEYSTORE_KEY_CREDENTIAL:
		/* A credential name is one file name inside the directory systemd made. */
		if (strchr(src->name, '/') != NULL || strcmp(src->name, ".") == 0 ||
		    strcmp(src->name, "..") == 0)
			return KBS_ERR_INVALID_ARGUMENT;
		if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL || dir[0] == 0)
			return KBS_ERR_NOT_FOUND;
		n = snprintf(path, sizeof(path), "%s/%s", dir, src->name);
		if (n < 0 || (size_t)n >= sizeof(path))
			return KBS_ERR_INVALID_ARGUMENT;
		return load_path(path, ret_keys);
	}
	return KBS_ERR_INVALID_ARGUMENT;
}
