/*
 * policies.c: every version of every policy.
 *
 * Key: name, a 0x00 byte, the version as u32 big-endian, so one name's
 * versions are adjacent and in order, and the current version is the last
 * one (names cannot contain 0x00 or 0x01, see names.c). Value: a policy
 * record (records.c) whose stored SHA-256 is checked against the bytes,
 * and whose MAC (seal.c: name, version, since, hash) against the record
 * key, on every read: a record that fails is KBS_ERR_STORE_INTEGRITY and
 * never returned. Versions are never removed. A put appends its
 * "policy_put" audit record in the same transaction.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

size_t
ks_policy_key(uint8_t out[KS_PKEY_MAX], const char *name, size_t name_len, uint32_t version)
{
	memcpy(out, name, name_len);
	out[name_len] = 0;
	out[name_len + 1] = (uint8_t)(version >> 24);
	out[name_len + 2] = (uint8_t)(version >> 16);
	out[name_len + 3] = (uint8_t)(version >> 8);
	out[name_len + 4] = (uint8_t)version;
	return name_len + 5;
}

static bool
pkey_matches(const MDB_val *k, const char *name, size_t name_len, uint32_t *ret_version)
{
	const uint8_t *p = k->mv_data;

	if (k->mv_size != name_len + 5 || memcmp(p, name, name_len) != 0 || p[name_len] != 0)
		return false;
	*ret_version = (uint32_t)p[name_len + 1] << 24 | (uint32_t)p[name_len + 2] << 16 |
	    (uint32_t)p[name_len + 3] << 8 | (uint32_t)p[name_len + 4];
	return true;
}

int
ks_policy_key_split(
    const MDB_val *k, char name[KEYSTORE_NAME_MAX + 1], size_t *ret_len, uint32_t *ret_v)
{
	size_t n;

	if (k->mv_size < 6 || k->mv_size > KS_PKEY_MAX)
		return KBS_ERR_STORE_CORRUPT;
	n = k->mv_size - 5;
	if (ks_name_check_bytes(k->mv_data, n) != 0)
		return KBS_ERR_STORE_CORRUPT;
	memcpy(name, k->mv_data, n);
	name[n] = 0;
	if (!pkey_matches(k, name, n, ret_v))
		return KBS_ERR_STORE_CORRUPT;
	*ret_len = n;
	return 0;
}

int
ks_policy_read(struct keystore *ks, const MDB_val *v, const char *name, size_t name_len,
    uint32_t version, struct ks_policy_rec *ret)
{
	int r;

	/* The MAC first: a record moved from another name is tampering, not damage. */
	if ((r = ks_policy_rec_decode(v->mv_data, v->mv_size, ret)) != 0 ||
	    (r = ks_policy_check(ks->keys, name, name_len, ret)) != 0)
		return r;
	return ret->version != version ? KBS_ERR_STORE_CORRUPT : 0;
}

int
ks_policy_current(
    struct keystore *ks, MDB_txn *txn, const char *name, size_t name_len, struct ks_policy_rec *ret)
{
	uint8_t kb[KS_PKEY_MAX];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint32_t version;
	int rc, r = KBS_ERR_INTERNAL;

	memcpy(kb, name, name_len);
	kb[name_len] = 1; /* just past every "name\0<version>" key */
	k.mv_size = name_len + 1;
	k.mv_data = kb;
	if ((rc = mdb_cursor_open(txn, ks->dbi_policies, &cur)) != 0)
		return ks_mdb_err(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if (!pkey_matches(&k, name, name_len, &version)) {
		r = KBS_ERR_NOT_FOUND;
		goto out;
	}
	r = ks_policy_read(ks, &v, name, name_len, version, ret);
out:
	mdb_cursor_close(cur);
	return r;
}

int
ks_policy_put_op(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct ks_policy_put_arg *a = arg;
	struct keystore_audit_record ar;
	struct ks_head_rec head;
	struct ks_policy_rec cur, rec;
	uint8_t kb[KS_PKEY_MAX];
	MDB_val k;
	int r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0)
		return r;
	r = ks_policy_current(ks, txn, a->name, a->name_len, &cur);
	if (r == 0 && cur.len == a->len && memcmp(cur.sha256, a->sha256, 32) == 0 &&
	    memcmp(cur.data, a->data, a->len) == 0) {
		a->version = cur.version;
		a->written = false;
		return 0;
	}
	if (r != 0 && r != KBS_ERR_NOT_FOUND)
		return r;
	memset(&rec, 0, sizeof(rec));
	rec.version = r == 0 ? cur.version + 1 : 1;
	if (rec.version == 0)
		return KBS_ERR_NUMBER_RANGE;
	rec.since = a->now;
	memcpy(rec.sha256, a->sha256, 32);
	rec.data = a->data;
	rec.len = a->len;
	ks_policy_mac(ks->keys, a->name, a->name_len, &rec);
	k.mv_size = ks_policy_key(kb, a->name, a->name_len, rec.version);
	k.mv_data = kb;
	if ((r = ks_put_enc(
		 txn, ks->dbi_policies, NULL, &k, MDB_NOOVERWRITE, ks_enc_policy(&rec), NULL)) != 0)
		return r;
	ks_change_rec(&ar, a->actor, "policy_put", a->now);
	ar.policy_name = a->name;
	ar.flags |= KEYSTORE_AUDIT_HAS_POLICY_HASH;
	memcpy(ar.policy_sha256, a->sha256, 32);
	ar.object.kind = KEYSTORE_OBJECT_POLICY;
	ar.object.name = a->name;
	ar.object.version = rec.version;
	ks_policy_digest(a->name, a->name_len, &rec, ar.object.record_sha256);
	if ((r = ks_audit_add(ks, txn, &head, ks->keys, &ar, NULL)) != 0)
		return r;
	a->version = rec.version;
	a->written = true;
	return 0;
}

int
ks_policy_put_prepare(struct ks_policy_put_arg *a, const char *name, const uint8_t *data,
    size_t len, const struct keystore_actor *actor)
{
	int r;

	memset(a, 0, sizeof(*a));
	if (data == NULL || len == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if (len > KEYSTORE_POLICY_MAX)
		return KBS_ERR_TOO_LARGE;
	if ((r = ks_actor_check(actor)) != 0 || (r = ks_name_check(name, &a->name_len)) != 0)
		return r;
	a->actor = actor;
	a->name = name;
	a->data = data;
	a->len = len;
	a->now = kbs_time_now();
	crypto_hash_sha256(a->sha256, data, len);
	return 0;
}

int
keystore_policy_put(struct keystore *ks, const char *name, const uint8_t *data, size_t len,
    const struct keystore_actor *actor, uint32_t *ret_version)
{
	struct ks_policy_put_arg a;
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_policy_put_prepare(&a, name, data, len, actor)) != 0 ||
	    (r = ks_write(ks, ks_policy_put_op, &a)) != 0)
		return r;
	if (ret_version != NULL)
		*ret_version = a.version;
	return 0;
}

static void
info_from_rec(struct keystore_policy_info *info, const struct ks_policy_rec *rec)
{
	info->version = rec->version;
	info->since = rec->since;
	memcpy(info->sha256, rec->sha256, 32);
}

static int
policy_copy(const struct ks_policy_rec *rec, struct keystore_policy **ret)
{
	struct keystore_policy *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return KBS_ERR_ALLOC;
	if ((p->data = malloc(rec->len + 1)) == NULL) {
		free(p);
		return KBS_ERR_ALLOC;
	}
	memcpy(p->data, rec->data, rec->len);
	p->data[rec->len] = 0;
	p->len = rec->len;
	info_from_rec(&p->info, rec);
	*ret = p;
	return 0;
}

void
keystore_policy_free(struct keystore_policy *p)
{
	if (p == NULL)
		return;
	free(p->data);
	free(p);
}

int
keystore_policy_get(struct keystore *ks, const char *name, struct keystore_policy **ret_policy)
{
	struct ks_policy_rec rec;
	MDB_txn *txn = NULL;
	size_t name_len;
	int r;

	if (ks == NULL || ret_policy == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_name_check(name, &name_len)) != 0)
		return r;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((r = ks_policy_current(ks, txn, name, name_len, &rec)) == 0)
		r = policy_copy(&rec, ret_policy);
	ks_read_end(ks, txn);
	return r;
}

int
keystore_policy_get_version(
    struct keystore *ks, const char *name, uint32_t version, struct keystore_policy **ret_policy)
{
	struct ks_policy_rec rec;
	uint8_t kb[KS_PKEY_MAX];
	MDB_txn *txn = NULL;
	MDB_val k, v;
	size_t name_len;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL || ret_policy == NULL || version == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_name_check(name, &name_len)) != 0)
		return r;
	k.mv_size = ks_policy_key(kb, name, name_len, version);
	k.mv_data = kb;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_get(txn, ks->dbi_policies, &k, &v)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if ((r = ks_policy_read(ks, &v, name, name_len, version, &rec)) != 0)
		goto out;
	r = policy_copy(&rec, ret_policy);
out:
	ks_read_end(ks, txn);
	return r;
}

int
keystore_policy_history(
    struct keystore *ks, const char *name, struct keystore_policy_info **ret_items, size_t *ret_n)
{
	struct ks_vec vec = { NULL, 0, 0, sizeof(struct keystore_policy_info) };
	struct keystore_policy_info *item;
	struct ks_policy_rec rec;
	uint8_t kb[KS_PKEY_MAX];
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint32_t version;
	size_t name_len;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL || ret_items == NULL || ret_n == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_name_check(name, &name_len)) != 0)
		return r;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_cursor_open(txn, ks->dbi_policies, &cur)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	k.mv_size = ks_policy_key(kb, name, name_len, 0);
	k.mv_data = kb;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && pkey_matches(&k, name, name_len, &version);
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((r = ks_policy_read(ks, &v, name, name_len, version, &rec)) != 0)
			goto out;
		if ((item = ks_vec_push(&vec)) == NULL) {
			r = KBS_ERR_ALLOC;
			goto out;
		}
		info_from_rec(item, &rec);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if (vec.n == 0) {
		r = KBS_ERR_NOT_FOUND;
		goto out;
	}
	*ret_items = vec.items;
	*ret_n = vec.n;
	vec.items = NULL;
	r = 0;
out:
	mdb_cursor_close(cur);
	ks_read_end(ks, txn);
	free(vec.items);
	return r;
}

int
keystore_policy_list(struct keystore *ks, struct keystore_policy_summary **ret_items, size_t *ret_n)
{
	struct ks_vec vec = { NULL, 0, 0, sizeof(struct keystore_policy_summary) };
	struct keystore_policy_summary *item;
	char name[KEYSTORE_NAME_MAX + 1];
	struct ks_policy_rec rec;
	uint8_t kb[KS_PKEY_MAX];
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint32_t version;
	size_t name_len;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL || ret_items == NULL || ret_n == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_cursor_open(txn, ks->dbi_policies, &cur)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	/* One name at a time: its current version is the last key before "name\x01". */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;) {
		if ((r = ks_policy_key_split(&k, name, &name_len, &version)) != 0 ||
		    (r = ks_policy_current(ks, txn, name, name_len, &rec)) != 0)
			goto out;
		if ((item = ks_vec_push(&vec)) == NULL) {
			r = KBS_ERR_ALLOC;
			goto out;
		}
		memcpy(item->name, name, name_len + 1);
		info_from_rec(&item->info, &rec);
		memcpy(kb, name, name_len);
		kb[name_len] = 1; /* past every version of this name */
		k.mv_size = name_len + 1;
		k.mv_data = kb;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}
	if (rc != MDB_NOTFOUND) {
		r = ks_mdb_err(rc);
		goto out;
	}
	*ret_items = vec.items;
	*ret_n = vec.n;
	vec.items = NULL;
	r = 0;
out:
	mdb_cursor_close(cur);
	ks_read_end(ks, txn);
	free(vec.items);
	return r;
}

int
ks_policy_read_at(struct keystore *ks, const MDB_val *k, const MDB_val *v,
    char name[KEYSTORE_NAME_MAX + 1], size_t *ret_name_len, struct ks_policy_rec *ret)
{
	uint32_t version;
	int r;

	if ((r = ks_policy_key_split(k, name, ret_name_len, &version)) != 0)
		return r;
	return ks_policy_read(ks, v, name, *ret_name_len, version, ret);
}

static int
remac(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct ks_rekey *c = ctx;
	char name[KEYSTORE_NAME_MAX + 1];
	struct ks_policy_rec rec;
	uint8_t *copy;
	size_t name_len;
	int r;

	if ((r = ks_policy_read_at(c->ks, k, v, name, &name_len, &rec)) != 0)
		return r;
	/*
	 * The bytes are copied out first: LMDB may hand back the very bytes
	 * rec.data points at as the space to re-encode into.
	 */
	if ((copy = malloc(rec.len)) == NULL)
		return KBS_ERR_ALLOC;
	memcpy(copy, rec.data, rec.len);
	rec.data = copy;
	ks_policy_mac(c->new_keys, name, name_len, &rec);
	r = ks_put_enc(NULL, 0, cur, k, MDB_CURRENT, ks_enc_policy(&rec), NULL);
	free(copy);
	return r;
}

int
ks_policies_remac(struct keystore *ks, MDB_txn *txn, const struct ks_keys *new_keys)
{
	struct ks_rekey c = { ks, new_keys };

	return ks_each(txn, ks->dbi_policies, remac, &c);
}
