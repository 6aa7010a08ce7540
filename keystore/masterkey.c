/*
 * masterkey.c: loading the master key and deriving the store's keys.
 *
 * The key file holds exactly 32 raw bytes, or 64 hex digits with one
 * optional final newline (what `openssl rand -hex 32` writes); anything
 * else is KBS_ERR_STORE_KEY_FORMAT. The file must be a regular file owned
 * by this process's user or root, with no group or other permission bits
 * (checked on the open descriptor, so the check and the read see the same
 * file). A POSIX ACL replaces the group bits with its mask: systemd makes
 * each credential 0400, owned by root, plus "user:<service>:r", which
 * shows as 0440. Such a file is accepted when its ACL (the kernel's
 * "system.posix_acl_access" xattr: u32le version 2, then entries of u16le
 * tag, u16le perm, u32le id; at most 32 read here) grants nothing to any
 * group, to others, or to a named user other than us. The raw key only ever lives in
 * sodium_malloc memory and is wiped as soon as the subkeys are derived:
 *   seal       = KDF(master, 1, "kbsstore")  AEAD key for secrets, check value
 *   audit_mac  = KDF(master, 2, "kbsstore")  HMAC key for the audit head
 *   key_id     = KDF(master, 3, "kbsstore")[0..8)  names the key in records
 *   record_mac = KDF(master, 4, "kbsstore")  HMAC key for policy and token records
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
#include <sys/xattr.h>
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
	    crypto_kdf_derive_from_key(id, sizeof(id), 3, KS_KDF_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(
		k->record_mac, sizeof(k->record_mac), 4, KS_KDF_CONTEXT, master) != 0) {
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

#define KS_ACL_XATTR "system.posix_acl_access"
#define KS_ACL_VERSION 2u
#define KS_ACL_MAX_ENTRIES 32u
#define KS_ACL_USER_OBJ 0x01u
#define KS_ACL_USER 0x02u
#define KS_ACL_MASK 0x10u

/*
 * key_acl_check sets *ret_has_acl and refuses (KBS_ERR_STORE_KEY_PERMS) an
 * ACL that lets anyone but the owner and this process's user have the
 * key. The mask is ignored: an entry must grant nothing by itself.
 */
static int
key_acl_check(int fd, bool *ret_has_acl)
{
	uint8_t raw[4 + 8 * KS_ACL_MAX_ENTRIES];
	struct kbs_buf b;
	uint32_t version, id;
	uint16_t tag, perm;
	ssize_t n;

	n = fgetxattr(fd, KS_ACL_XATTR, raw, sizeof(raw));
	if (n < 0) {
		if (errno == ENODATA || errno == ENOTSUP) {
			*ret_has_acl = false;
			return 0;
		}
		return errno == ERANGE ? KBS_ERR_STORE_KEY_PERMS : KBS_ERR_SYSTEM;
	}
	kbs_buf_init(&b, raw, (size_t)n);
	if (kbs_buf_get_u32le(&b, &version) != 0 || version != KS_ACL_VERSION)
		return KBS_ERR_STORE_KEY_PERMS;
	while (kbs_buf_remaining(&b) > 0) {
		if (kbs_buf_get_u16le(&b, &tag) != 0 || kbs_buf_get_u16le(&b, &perm) != 0 ||
		    kbs_buf_get_u32le(&b, &id) != 0)
			return KBS_ERR_STORE_KEY_PERMS;
		if (tag == KS_ACL_USER_OBJ || tag == KS_ACL_MASK)
			continue;
		if (tag == KS_ACL_USER && id == (uint32_t)geteuid())
			continue;
		if (perm != 0)
			return KBS_ERR_STORE_KEY_PERMS;
	}
	*ret_has_acl = true;
	return 0;
}

static int
load_path(const char *path, struct ks_keys **ret_keys)
{
	struct stat st;
	uint8_t *buf = NULL; /* raw file bytes, then the 32 key bytes at buf+KS_KEY_FILE_MAX+1 */
	uint8_t *key;
	size_t len = 0;
	bool has_acl = false;
	int fd = -1, r = KBS_ERR_INTERNAL, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return KBS_ERR_SYSTEM;
	if (fstat(fd, &st) != 0) {
		r = KBS_ERR_SYSTEM;
		goto out;
	}
	/* Whoever owns the file can read the key (and replace it). */
	if (!S_ISREG(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0)) {
		r = KBS_ERR_STORE_KEY_PERMS;
		goto out;
	}
	if ((r = key_acl_check(fd, &has_acl)) != 0)
		goto out;
	if ((st.st_mode & S_IRWXO) != 0 || (!has_acl && (st.st_mode & S_IRWXG) != 0)) {
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
