/*
 * secrets.c: sealed secrets: put, get, delete, list, bulk import, and
 * re-sealing for key rotation (rotate.c).
 *
 * Key: the name's bytes. Value: a secret record (records.c). The value is
 * sealed inside the write transaction, because the version it is bound to
 * is only known there; sealing costs about a microsecond. Each put and
 * delete appends its audit record (audit.c) in the same transaction.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct put_arg {
	const struct keystore_actor *actor;
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

/*
 * put_in_txn writes one secret and its "secret_put" record after *head
 * (used by put and import); ks_audit_begin has run.
 */
static int
put_in_txn(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *head, struct put_arg *a)
{
	MDB_val k = { a->name_len, (void *)(uintptr_t)a->name }, v;
	struct keystore_audit_record ar;
	struct ks_secret_rec rec, old;
	uint8_t *ct = NULL;
	int rc, r = KBS_ERR_INTERNAL;

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
	randombytes_buf(rec.write_id, sizeof(rec.write_id));
	if ((ct = malloc(a->value_len + KS_SEAL_TAG)) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = ks_seal_secret(ks->keys, a->name, &rec, a->value, a->value_len, ct)) != 0)
		goto out;
	if ((r = ks_put_enc(txn, ks->dbi_secrets, NULL, &k, 0, ks_enc_secret(&rec), NULL)) != 0)
		goto out;
	ks_change_rec(&ar, a->actor, "secret_put", a->now);
	ar.policy_name = rec.policy;
	ar.object.kind = KEYSTORE_OBJECT_SECRET;
	ar.object.name = a->name;
	ar.object.version = rec.version;
	ks_secret_digest(a->name, a->name_len, &rec, ar.object.record_sha256);
	if ((r = ks_audit_add(ks, txn, head, ks->keys, &ar, NULL)) != 0)
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
	struct ks_head_rec head;
	int r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0)
		return r;
	return put_in_txn(ks, txn, &head, arg);
}

int
keystore_secret_put(struct keystore *ks, const char *name, const uint8_t *value, size_t value_len,
    const char *policy, const struct keystore_actor *actor, uint32_t *ret_version)
{
	struct put_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_actor_check(actor)) != 0 ||
	    (r = check_put(name, &a.name_len, value, value_len, policy)) != 0)
		return r;
	a.actor = actor;
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
	const struct keystore_actor *actor;
	const struct keystore_secret_in *items;
	size_t n;
	int64_t now;
};

static int
op_import(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct import_arg *ia = arg;
	struct ks_head_rec head;
	struct put_arg a;
	size_t i;
	int r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0)
		return r;
	for (i = 0; i < ia->n; i++) {
		memset(&a, 0, sizeof(a));
		a.actor = ia->actor;
		a.name = ia->items[i].name;
		a.name_len = strlen(a.name);
		a.value = ia->items[i].value;
		a.value_len = ia->items[i].value_len;
		a.policy = ia->items[i].policy;
		a.now = ia->now;
		if ((r = put_in_txn(ks, txn, &head, &a)) != 0)
			return r;
	}
	return 0;
}

int
keystore_secret_import(struct keystore *ks, const struct keystore_secret_in *items, size_t n,
    const struct keystore_actor *actor)
{
	struct import_arg ia;
	size_t i, nl;
	int r;

	if (ks == NULL || (items == NULL && n > 0))
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_actor_check(actor)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((r = check_put(items[i].name, &nl, items[i].value, items[i].value_len,
			 items[i].policy)) != 0)
			return r;
	}
	if (n == 0)
		return 0;
	ia.actor = actor;
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

int
keystore_secret_info(struct keystore *ks, const char *name, struct keystore_secret_info *ret_info)
{
	struct keystore_secret *s = NULL;
	int r;

	if (ret_info == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	/* Opening is what authenticates the metadata; the value is wiped at once. */
	if ((r = keystore_secret_get(ks, name, &s)) != 0)
		return r;
	*ret_info = s->info;
	keystore_secret_free(s);
	return 0;
}

int
ks_secret_delete_op(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct ks_secret_del_arg *a = arg;
	struct keystore_audit_record ar;
	struct ks_head_rec head;
	struct ks_secret_rec old;
	MDB_val k = { a->name_len, (void *)(uintptr_t)a->name }, v;
	uint32_t version = 0;
	int rc, r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0)
		return r;
	if ((rc = mdb_get(txn, ks->dbi_secrets, &k, &v)) != 0)
		return ks_mdb_err(rc); /* NOT_FOUND: a refusal, nothing written */
	/* The version removed, for the record; a corrupt record can still be removed. */
	if (ks_secret_rec_decode(v.mv_data, v.mv_size, &old) == 0)
		version = old.version;
	if ((rc = mdb_del(txn, ks->dbi_secrets, &k, NULL)) != 0)
		return ks_mdb_err(rc);
	ks_change_rec(&ar, a->actor, "secret_delete", a->now);
	ar.object.kind = KEYSTORE_OBJECT_SECRET;
	ar.object.name = a->name;
	ar.object.version = version;
	ar.object.removed = true;
	return ks_audit_add(ks, txn, &head, ks->keys, &ar, NULL);
}

int
ks_secret_delete_prepare(
    struct ks_secret_del_arg *a, const char *name, const struct keystore_actor *actor)
{
	int r;

	if ((r = ks_actor_check(actor)) != 0 || (r = ks_name_check(name, &a->name_len)) != 0)
		return r;
	a->actor = actor;
	a->name = name;
	a->now = kbs_time_now();
	return 0;
}

int
keystore_secret_delete(struct keystore *ks, const char *name, const struct keystore_actor *actor)
{
	struct ks_secret_del_arg a;
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_secret_delete_prepare(&a, name, actor)) != 0)
		return r;
	return ks_write(ks, ks_secret_delete_op, &a);
}

static int
list_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct keystore_secret_info *info;
	struct ks_secret_rec rec;
	int r;

	(void)cur;
	if (ks_name_check_bytes(k->mv_data, k->mv_size) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((r = ks_secret_rec_decode(v->mv_data, v->mv_size, &rec)) != 0)
		return r;
	if ((info = ks_vec_push(ctx)) == NULL)
		return KBS_ERR_ALLOC;
	info_from_rec(info, k->mv_data, k->mv_size, &rec);
	return 0;
}

int
keystore_secret_list(struct keystore *ks, struct keystore_secret_info **ret_items, size_t *ret_n)
{
	struct ks_vec vec = { NULL, 0, 0, sizeof(struct keystore_secret_info) };
	MDB_txn *txn = NULL;
	int r;

	if (ks == NULL || ret_items == NULL || ret_n == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	r = ks_each(txn, ks->dbi_secrets, list_one, &vec);
	ks_read_end(ks, txn);
	if (r != 0) {
		free(vec.items);
		return r;
	}
	*ret_items = vec.items;
	*ret_n = vec.n;
	return 0;
}

/* ---- rotation ------------------------------------------------------------ */

/*
 * reseal opens one record with the current keys and seals it under the
 * new ones, keeping its write id, so its identity (and the audit record
 * naming it) stays the same.
 */
static int
reseal(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct ks_rekey *c = ctx;
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
	if ((r = ks_open_secret(c->ks->keys, name, &rec, plain)) != 0)
		goto out;
	if ((r = ks_seal_secret(c->new_keys, name, &rec, plain, plen, ct)) != 0)
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

int
ks_secrets_reseal(struct keystore *ks, MDB_txn *txn, const struct ks_keys *new_keys)
{
	struct ks_rekey c = { ks, new_keys };

	return ks_each(txn, ks->dbi_secrets, reseal, &c);
}
