/*
 * tokens.c: the admin API's bearer tokens.
 *
 * Two tables written together: "tokens" (id -> token record: role, the
 * SHA-256 of the bearer value, created, revoked, key id, MAC) and
 * "token_hashes" (SHA-256 -> id) for the lookup the broker makes per admin
 * request. The hash table is not authenticated and need not be: a lookup
 * reads the record it points at, checks its MAC, and requires that the
 * record carries the very hash looked up (compared in constant time), so
 * pointing a hash at another token gets STORE_INTEGRITY, not that token.
 * Tokens are never deleted (a revoked one keeps its id and hash, so
 * neither is ever reused); create and revoke append their audit records
 * in the same transaction.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

const char *
keystore_token_role_name(enum keystore_token_role role)
{
	switch (role) {
	case KEYSTORE_ROLE_ADMIN:
		return "admin";
	case KEYSTORE_ROLE_AUDITOR:
		return "auditor";
	}
	return "unknown";
}

int
ks_token_get(
    struct keystore *ks, MDB_txn *txn, const char *id, size_t id_len, struct ks_token_rec *ret)
{
	MDB_val k = { id_len, (void *)(uintptr_t)id }, v;
	int rc, r;

	if ((rc = mdb_get(txn, ks->dbi_tokens, &k, &v)) != 0)
		return ks_mdb_err(rc);
	if ((r = ks_token_rec_decode(v.mv_data, v.mv_size, ret)) != 0)
		return r;
	return ks_token_check(ks->keys, id, id_len, ret);
}

static void
info_from_rec(
    struct keystore_token_info *info, const void *id, size_t id_len, const struct ks_token_rec *rec)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->id, id, id_len);
	info->role = (enum keystore_token_role)rec->role;
	info->created = rec->created;
	info->revoked = rec->revoked;
}

/* token_audit appends the record of a token change: the record's new identity digest. */
static int
token_audit(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *head,
    const struct keystore_actor *actor, const char *event, const char *id, size_t id_len,
    const struct ks_token_rec *rec, int64_t now)
{
	struct keystore_audit_record ar;

	ks_change_rec(&ar, actor, event, now);
	ar.rules = rec->role == KEYSTORE_ROLE_ADMIN ? "role: admin" : "role: auditor";
	ar.object.kind = KEYSTORE_OBJECT_TOKEN;
	ar.object.name = id;
	ks_token_digest(id, id_len, rec, ar.object.record_sha256);
	return ks_audit_add(ks, txn, head, ks->keys, &ar, NULL);
}

struct create_arg {
	const struct keystore_actor *actor;
	const char *id;
	size_t id_len;
	uint8_t role;
	const uint8_t *sha256;
	int64_t now;
};

static int
op_create(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct create_arg *a = arg;
	struct ks_head_rec head;
	struct ks_token_rec rec;
	MDB_val k = { a->id_len, (void *)(uintptr_t)a->id }, v;
	MDB_val hk = { 32, (void *)(uintptr_t)a->sha256 },
		hv = { a->id_len, (void *)(uintptr_t)a->id };
	int rc, r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0)
		return r;
	/* Both refusals before the first write. */
	if ((rc = mdb_get(txn, ks->dbi_tokens, &k, &v)) != MDB_NOTFOUND)
		return rc == 0 ? KBS_ERR_EXISTS : ks_mdb_err(rc);
	if ((rc = mdb_get(txn, ks->dbi_token_hashes, &hk, &v)) != MDB_NOTFOUND)
		return rc == 0 ? KBS_ERR_EXISTS : ks_mdb_err(rc);
	memset(&rec, 0, sizeof(rec));
	rec.role = a->role;
	memcpy(rec.sha256, a->sha256, 32);
	rec.created = a->now;
	ks_token_mac(ks->keys, a->id, a->id_len, &rec);
	if ((r = ks_put_enc(txn, ks->dbi_tokens, NULL, &k, 0, ks_enc_token(&rec), NULL)) != 0)
		return r;
	if ((rc = mdb_put(txn, ks->dbi_token_hashes, &hk, &hv, 0)) != 0)
		return ks_mdb_err(rc);
	return token_audit(
	    ks, txn, &head, a->actor, "token_create", a->id, a->id_len, &rec, a->now);
}

int
keystore_token_create(struct keystore *ks, const char *id, enum keystore_token_role role,
    const uint8_t sha256[32], const struct keystore_actor *actor)
{
	struct create_arg a;
	int r;

	if (ks == NULL || sha256 == NULL || sodium_is_zero(sha256, 32))
		return KBS_ERR_INVALID_ARGUMENT;
	if (role != KEYSTORE_ROLE_ADMIN && role != KEYSTORE_ROLE_AUDITOR)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_actor_check(actor)) != 0 || (r = ks_name_check(id, &a.id_len)) != 0)
		return r;
	a.actor = actor;
	a.id = id;
	a.role = (uint8_t)role;
	a.sha256 = sha256;
	a.now = kbs_time_now();
	return ks_write(ks, op_create, &a);
}

int
keystore_token_lookup(
    struct keystore *ks, const uint8_t sha256[32], struct keystore_token_info *ret_info)
{
	struct ks_token_rec rec;
	MDB_txn *txn = NULL;
	MDB_val hk = { 32, (void *)(uintptr_t)sha256 }, v;
	char id[KEYSTORE_NAME_MAX + 1];
	size_t id_len;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL || sha256 == NULL || ret_info == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_get(txn, ks->dbi_token_hashes, &hk, &v)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if (ks_name_check_bytes(v.mv_data, v.mv_size) != 0) {
		r = KBS_ERR_STORE_CORRUPT;
		goto out;
	}
	id_len = v.mv_size;
	memcpy(id, v.mv_data, id_len);
	id[id_len] = 0;
	if ((r = ks_token_get(ks, txn, id, id_len, &rec)) != 0) {
		/* A hash pointing at no token: the table was edited. */
		if (r == KBS_ERR_NOT_FOUND)
			r = KBS_ERR_STORE_INTEGRITY;
		goto out;
	}
	if (sodium_memcmp(rec.sha256, sha256, 32) != 0) {
		r = KBS_ERR_STORE_INTEGRITY; /* pointed at another token */
		goto out;
	}
	info_from_rec(ret_info, id, id_len, &rec);
	r = rec.revoked != 0 ? KBS_ERR_STORE_TOKEN_REVOKED : 0;
out:
	ks_read_end(ks, txn);
	return r;
}

int
ks_token_read(struct keystore *ks, const MDB_val *k, const MDB_val *v, struct ks_token_rec *ret)
{
	int r;

	if (ks_name_check_bytes(k->mv_data, k->mv_size) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((r = ks_token_rec_decode(v->mv_data, v->mv_size, ret)) != 0)
		return r;
	return ks_token_check(ks->keys, k->mv_data, k->mv_size, ret);
}

struct list_ctx {
	struct keystore *ks;
	struct ks_vec vec;
};

static int
list_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct list_ctx *c = ctx;
	struct keystore_token_info *info;
	struct ks_token_rec rec;
	int r;

	(void)cur;
	if ((r = ks_token_read(c->ks, k, v, &rec)) != 0)
		return r;
	if ((info = ks_vec_push(&c->vec)) == NULL)
		return KBS_ERR_ALLOC;
	info_from_rec(info, k->mv_data, k->mv_size, &rec);
	return 0;
}

int
keystore_token_list(struct keystore *ks, struct keystore_token_info **ret_items, size_t *ret_n)
{
	struct list_ctx c = { ks, { NULL, 0, 0, sizeof(struct keystore_token_info) } };
	MDB_txn *txn = NULL;
	int r;

	if (ks == NULL || ret_items == NULL || ret_n == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	r = ks_each(txn, ks->dbi_tokens, list_one, &c);
	ks_read_end(ks, txn);
	if (r != 0) {
		free(c.vec.items);
		return r;
	}
	*ret_items = c.vec.items;
	*ret_n = c.vec.n;
	return 0;
}

struct revoke_arg {
	const struct keystore_actor *actor;
	const char *id;
	size_t id_len;
	int64_t now;
};

static int
op_revoke(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct revoke_arg *a = arg;
	struct ks_head_rec head;
	struct ks_token_rec rec;
	MDB_val k = { a->id_len, (void *)(uintptr_t)a->id };
	int r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0 ||
	    (r = ks_token_get(ks, txn, a->id, a->id_len, &rec)) != 0)
		return r;
	if (rec.revoked != 0)
		return KBS_ERR_STORE_TOKEN_REVOKED;
	/* 0 means live: a revocation is never recorded as 0, whatever the clock says. */
	rec.revoked = a->now > 0 ? a->now : 1;
	ks_token_mac(ks->keys, a->id, a->id_len, &rec);
	if ((r = ks_put_enc(txn, ks->dbi_tokens, NULL, &k, 0, ks_enc_token(&rec), NULL)) != 0)
		return r;
	return token_audit(
	    ks, txn, &head, a->actor, "token_revoke", a->id, a->id_len, &rec, a->now);
}

int
keystore_token_revoke(struct keystore *ks, const char *id, const struct keystore_actor *actor)
{
	struct revoke_arg a;
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_actor_check(actor)) != 0 || (r = ks_name_check(id, &a.id_len)) != 0)
		return r;
	a.actor = actor;
	a.id = id;
	a.now = kbs_time_now();
	return ks_write(ks, op_revoke, &a);
}

static int
remac(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct ks_rekey *c = ctx;
	struct ks_token_rec rec;
	int r;

	if ((r = ks_token_read(c->ks, k, v, &rec)) != 0)
		return r;
	ks_token_mac(c->new_keys, k->mv_data, k->mv_size, &rec);
	return ks_put_enc(NULL, 0, cur, k, MDB_CURRENT, ks_enc_token(&rec), NULL);
}

int
ks_tokens_remac(struct keystore *ks, MDB_txn *txn, const struct ks_keys *new_keys)
{
	struct ks_rekey c = { ks, new_keys };

	return ks_each(txn, ks->dbi_tokens, remac, &c);
}
