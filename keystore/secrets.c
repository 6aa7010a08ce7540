/*
 * secrets.c: sealed secrets: put, get, delete, list, bulk import, rotate.
 *
 * Key: the name's bytes. Value: a secret record (records.c). The value is
 * sealed inside the write transaction, because the version it is bound to
 * is only known there; sealing costs about a microsecond.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct put_arg {
	const char *name;
	size_t name_len;
	const uint8_t *value;
	size_t value_len;
	const char *policy;
	int64_t now;
	uint32_t version; /* out */
};

static int
check_put(const char *name, size_t *ret_name_len, const uint8_t *value, size_t value_len,
    const char *policy)
{
	int r;

	if ((r = ks_name_check(name, ret_name_len)) != 0)
		return r;
	if (value == NULL || value_len == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if (value_len > KEYSTORE_SECRET_MAX)
		return KBS_ERR_TOO_LARGE;
	if (policy != NULL && policy[0] != 0 && (r = ks_name_check(policy, NULL)) != 0)
		return r;
	return 0;
}

/* put_in_txn writes one secret (used by put and import). */
static int
put_in_txn(struct keystore *ks, MDB_txn *txn, struct put_arg *a)
{
	MDB_val k = { a->name_len, (void *)(uintptr_t)a->name }, v;
	struct ks_secret_rec rec, old;
	uint8_t *ct = NULL;
	int rc, r = KBS_ERR_INTERNAL;

	if ((r = ks_meta_check_key(ks, txn)) != 0)
		return r;
	memset(&rec, 0, sizeof(rec));
	rec.version = 1;
	rec.created = a->now;
	rc = mdb_get(txn, ks->dbi_secrets, &k, &v);
	if (rc == 0) {
		/* A corrupt old record must not block replacing it; its version is lost then. */
		if (ks_secret_rec_decode(v.mv_data, v.mv_size, &old) == 0) {
			if (old.version == UINT32_MAX)
				return KBS_ERR_NUMBER_RANGE;
			rec.version = old.version + 1;
			rec.created = old.created;
		}
	} else if (rc != MDB_NOTFOUND) {
		return ks_mdb_err(rc);
	}
	rec.updated = a->now;
	if (a->policy != NULL)
		memcpy(rec.policy, a->policy, strlen(a->policy) + 1);
	if ((ct = malloc(a->value_len + KS_SEAL_TAG)) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = ks_seal_secret(ks->keys, a->name, &rec, a->value, a->value_len, ct)) != 0)
		goto out;
	if ((r = ks_put_enc(txn, ks->dbi_secrets, NULL, &k, 0, ks_enc_secret(&rec), NULL)) != 0)
		goto out;
	a->version = rec.version;
	r = 0;
out:
	free(ct);
	return r;
}

static int
op_put(struct keystore *ks, MDB_txn *txn, void *arg)
{
	return put_in_txn(ks, txn, arg);
}

int
keystore_secret_put(struct keystore *ks, const char *name, const uint8_t *value, size_t value_len,
    const char *policy, uint32_t *ret_version)
{
	struct put_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = check_put(name, &a.name_len, value, value_len, policy)) != 0)
		return r;
	a.name = name;
	a.value = value;
	a.value_len = value_len;
	a.policy = policy;
	a.now = kbs_time_now();
	if ((r = ks_write(ks, op_put, &a)) != 0)
		return r;
	if (ret_version != NULL)
		*ret_version = a.version;
	return 0;
}

struct import_arg {
	const struct keystore_secret_in *items;
	size_t n;
	int64_t now;
};

static int
op_import(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct import_arg *ia = arg;
	struct put_arg a;
	size_t i;
	int r;

	for (i = 0; i < ia->n; i++) {
		memset(&a, 0, sizeof(a));
		a.name = ia->items[i].name;
		a.name_len = strlen(a.name);
		a.value = ia->items[i].value;
		a.value_len = ia->items[i].value_len;
		a.policy = ia->items[i].policy;
		a.now = ia->now;
		if ((r = put_in_txn(ks, txn, &a)) != 0)
			return r;
	}
	return 0;
}

int
keystore_secret_import(struct keystore *ks, const struct keystore_secret_in *items, size_t n)
{
	struct import_arg ia;
	size_t i, nl;
	int r;

	if (ks == NULL || (items == NULL && n > 0))
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < n; i++) {
		if ((r = check_put(items[i].name, &nl, items[i].value, items[i].value_len,
			 items[i].policy)) != 0)
			return r;
	}
	if (n == 0)
		return 0;
	ia.items = items;
	ia.n = n;
	ia.now = kbs_time_now();
	return ks_write(ks, op_import, &ia);
}

void
keystore_secret_free(struct keystore_secret *s)
{
	if (s == NULL)
		return;
	if (s->value != NULL) {
		sodium_memzero(s->value, s->value_len);
		free(s->value);
	}
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static void
info_from_rec(struct keystore_secret_info *info, const void *name, size_t name_len,
    const struct ks_secret_rec *rec)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->name, name, name_len);
	memcpy(info->policy, rec->policy, sizeof(info->policy));
	info->version = rec->version;
	info->created = rec->created;
	info->updated = rec->updated;
}

int
keystore_secret_get(struct keystore *ks, const char *name, struct keystore_secret **ret_secret)
{
	struct keystore_secret *s = NULL;
	struct ks_secret_rec rec;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	size_t name_len;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL || ret_secret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_name_check(name, &name_len)) != 0)
		return r;
	k.mv_size = name_len;
	k.mv_data = (void *)(uintptr_t)name;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		goto out;
	if ((rc = mdb_get(txn, ks->dbi_secrets, &k, &v)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if ((r = ks_secret_rec_decode(v.mv_data, v.mv_size, &rec)) != 0)
		goto out;
	s->value_len = rec.ct_len - KS_SEAL_TAG;
	if ((s->value = malloc(s->value_len)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	/* Decrypting is the copy out of the map: nothing points into LMDB afterwards. */
	if ((r = ks_open_secret(ks->keys, name, &rec, s->value)) != 0)
		goto out;
	info_from_rec(&s->info, name, name_len, &rec);
	*ret_secret = s;
	s = NULL;
	r = 0;
out:
	ks_read_end(ks, txn);
	keystore_secret_free(s);
	return r;
}

struct del_arg {
	MDB_val k;
};

static int
op_delete(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct del_arg *a = arg;

	return ks_mdb_err(mdb_del(txn, ks->dbi_secrets, &a->k, NULL));
}

int
keystore_secret_delete(struct keystore *ks, const char *name)
{
	struct del_arg a;
	size_t name_len;
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_name_check(name, &name_len)) != 0)
		return r;
	a.k.mv_size = name_len;
	a.k.mv_data = (void *)(uintptr_t)name;
	return ks_write(ks, op_delete, &a);
}

int
keystore_secret_list(struct keystore *ks, struct keystore_secret_info **ret_items, size_t *ret_n)
{
	struct keystore_secret_info *items = NULL, *tmp;
	struct ks_secret_rec rec;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t n = 0, cap = 0;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL || ret_items == NULL || ret_n == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_cursor_open(txn, ks->dbi_secrets, &cur)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (ks_name_check_bytes(k.mv_data, k.mv_size) != 0) {
			r = KBS_ERR_STORE_CORRUPT;
			goto out;
		}
		if ((r = ks_secret_rec_decode(v.mv_data, v.mv_size, &rec)) != 0)
			goto out;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((tmp = reallocarray(items, cap, sizeof(*items))) == NULL) {
				r = KBS_ERR_ALLOC;
				goto out;
			}
			items = tmp;
		}
		info_from_rec(&items[n++], k.mv_data, k.mv_size, &rec);
	}
	if (rc != MDB_NOTFOUND) {
		r = ks_mdb_err(rc);
		goto out;
	}
	*ret_items = items;
	*ret_n = n;
	items = NULL;
	r = 0;
out:
	mdb_cursor_close(cur);
	ks_read_end(ks, txn);
	free(items);
	return r;
}

/* ---- rotation ------------------------------------------------------------ */

struct rotate_arg {
	struct ks_keys *new_keys;
};

/* reseal opens one record with the current keys and seals it under the new ones. */
static int
reseal(struct keystore *ks, struct ks_keys *nk, MDB_cursor *cur, const MDB_val *k, const MDB_val *v)
{
	char name[KEYSTORE_NAME_MAX + 1];
	struct ks_secret_rec rec;
	uint8_t *plain = NULL, *ct = NULL;
	size_t plen;
	int r = KBS_ERR_INTERNAL;

	if (ks_name_check_bytes(k->mv_data, k->mv_size) != 0)
		return KBS_ERR_STORE_CORRUPT;
	memcpy(name, k->mv_data, k->mv_size);
	name[k->mv_size] = 0;
	if ((r = ks_secret_rec_decode(v->mv_data, v->mv_size, &rec)) != 0)
		return r;
	plen = rec.ct_len - KS_SEAL_TAG;
	if ((plain = malloc(plen)) == NULL || (ct = malloc(rec.ct_len)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	if ((r = ks_open_secret(ks->keys, name, &rec, plain)) != 0)
		goto out;
	if ((r = ks_seal_secret(nk, name, &rec, plain, plen, ct)) != 0)
		goto out;
	if ((r = ks_put_enc(NULL, 0, cur, k, MDB_CURRENT, ks_enc_secret(&rec), NULL)) != 0)
		goto out;
	r = 0;
out:
	if (plain != NULL) {
		sodium_memzero(plain, plen);
		free(plain);
	}
	free(ct);
	return r;
}

static int
op_rotate(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct rotate_arg *a = arg;
	struct ks_head_rec head;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	bool present;
	int rc, r = KBS_ERR_INTERNAL;

	if ((r = ks_meta_check_key(ks, txn)) != 0)
		return r;
	if ((rc = mdb_cursor_open(txn, ks->dbi_secrets, &cur)) != 0)
		return ks_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((r = reseal(ks, a->new_keys, cur, &k, &v)) != 0)
			goto out;
	}
	if (rc != MDB_NOTFOUND) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if ((r = ks_meta_put_check(ks, txn, a->new_keys)) != 0)
		goto out;
	if ((r = ks_meta_get_head(ks, txn, &head, &present)) != 0)
		goto out;
	/* A head whose MAC is wrong stays wrong: rotation must not certify it. */
	if (present && ks_head_mac_verify(ks->keys, &head) == 0) {
		ks_head_mac(a->new_keys, &head);
		if ((r = ks_meta_put_head(ks, txn, &head)) != 0)
			goto out;
	}
	r = 0;
out:
	mdb_cursor_close(cur);
	return r;
}

static void
rotate_swap(struct keystore *ks, void *arg)
{
	struct rotate_arg *a = arg;
	struct ks_keys *old = ks->keys;

	ks->keys = a->new_keys;
	a->new_keys = old; /* freed by the caller */
}

int
keystore_rotate(struct keystore *ks, const struct keystore_key_source *new_src)
{
	struct rotate_arg a = { NULL };
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_keys_load(new_src, &a.new_keys)) != 0)
		return r;
	r = ks_write_exclusive(ks, op_rotate, &a, rotate_swap);
	ks_keys_free(a.new_keys);
	return r;
}
