/*
 * verify.c: keystore_verify_state, the whole-store check for kbs-store verify
 * and for the broker at start.
 *
 * Everything the audit log says about the current state is checked against
 * the tables, in one read transaction, in three passes:
 *   1. the chain (audit.c's walk); for each change record on the way, its
 *      object's audit_index entry must point at it or later (an index
 *      entry put back from an older copy points earlier), and a policy
 *      version it names must still exist with that identity (versions are
 *      never removed);
 *   2. for each audit_index entry, the record it points at must be a
 *      change record of that object, and the object's current record must
 *      be the one it names (version and identity digest), or absent if
 *      it removed the object: this is what finds an older record copied
 *      over the current one, a policy's newest versions deleted, a revoked
 *      token's old record put back, a secret deleted behind the log's back;
 *   3. each secret must open, each policy version and token pass its MAC,
 *      each token's hash entry point back at it, and each object have an
 *      index entry (a record written without its audit record has none).
 * The log's own truthfulness rests on the MACed head; rolling the whole
 * file back with its log cannot be seen from inside (docs/keystore.md).
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static int
fail(struct keystore_verify_report *rep, int r, uint64_t seq, enum keystore_object_kind kind,
    const void *name, size_t name_len)
{
	rep->bad_seq = seq;
	rep->bad_kind = kind;
	if (name_len > KEYSTORE_NAME_MAX)
		name_len = KEYSTORE_NAME_MAX;
	memcpy(rep->bad_name, name, name_len);
	rep->bad_name[name_len] = 0;
	return r;
}

/* index_get reads the seq of the last change record of (kind, name); KBS_ERR_NOT_FOUND. */
static int
index_get(struct keystore *ks, MDB_txn *txn, enum keystore_object_kind kind, const void *name,
    size_t name_len, uint64_t *ret_seq)
{
	uint8_t kb[KS_INDEX_KEY_MAX];
	struct ks_index_rec ix;
	MDB_val k, v;
	int rc, r;

	k.mv_data = kb;
	k.mv_size = ks_index_key(kb, kind, name, name_len);
	if ((rc = mdb_get(txn, ks->dbi_audit_index, &k, &v)) != 0)
		return ks_mdb_err(rc);
	if ((r = ks_index_rec_decode(v.mv_data, v.mv_size, &ix)) != 0)
		return r;
	*ret_seq = ix.seq;
	return 0;
}

/* ---- pass 1: the chain ---------------------------------------------------- */

static int
walk_change(struct keystore *ks, MDB_txn *txn, const struct keystore_audit_record *rec, void *ctx)
{
	struct keystore_verify_report *rep = ctx;
	const struct keystore_audit_object *o = &rec->object;
	size_t name_len;
	uint8_t kb[KS_PKEY_MAX], d[32];
	struct ks_policy_rec pr;
	MDB_val k, v;
	uint64_t last = 0;
	int rc, r;

	if (!(rec->flags & KEYSTORE_AUDIT_HAS_OBJECT))
		return 0;
	name_len = strlen(o->name);
	r = index_get(ks, txn, o->kind, o->name, name_len, &last);
	if (r == KBS_ERR_NOT_FOUND || (r == 0 && last < rec->seq))
		r = KBS_ERR_STORE_RECORD_STALE;
	if (r != 0)
		return fail(rep, r, rec->seq, o->kind, o->name, name_len);
	if (o->kind != KEYSTORE_OBJECT_POLICY)
		return 0;
	k.mv_data = kb;
	k.mv_size = ks_policy_key(kb, o->name, name_len, o->version);
	rc = mdb_get(txn, ks->dbi_policies, &k, &v);
	if (rc == MDB_NOTFOUND)
		return fail(rep, KBS_ERR_STORE_RECORD_STALE, rec->seq, o->kind, o->name, name_len);
	if (rc != 0)
		return fail(rep, ks_mdb_err(rc), rec->seq, o->kind, o->name, name_len);
	if ((r = ks_policy_read(ks, &v, o->name, name_len, o->version, &pr)) != 0)
		return fail(rep, r, rec->seq, o->kind, o->name, name_len);
	ks_policy_digest(o->name, name_len, &pr, d);
	if (sodium_memcmp(d, o->record_sha256, 32) != 0)
		return fail(rep, KBS_ERR_STORE_RECORD_STALE, rec->seq, o->kind, o->name, name_len);
	return 0;
}

/* ---- pass 2: each object's last change against its current record ------- */

/* current_digest finds the object's current record: 0 with version and digest, or NOT_FOUND. */
static int
current_digest(struct keystore *ks, MDB_txn *txn, enum keystore_object_kind kind, const char *name,
    size_t name_len, uint32_t *ret_version, uint8_t d[32])
{
	MDB_val k = { name_len, (void *)(uintptr_t)name }, v;
	struct ks_secret_rec sr;
	struct ks_policy_rec pr;
	struct ks_token_rec tr;
	int rc, r;

	switch (kind) {
	case KEYSTORE_OBJECT_SECRET:
		if ((rc = mdb_get(txn, ks->dbi_secrets, &k, &v)) != 0)
			return ks_mdb_err(rc);
		if ((r = ks_secret_rec_decode(v.mv_data, v.mv_size, &sr)) != 0)
			return r;
		*ret_version = sr.version;
		ks_secret_digest(name, name_len, &sr, d);
		return 0;
	case KEYSTORE_OBJECT_POLICY:
		if ((r = ks_policy_current(ks, txn, name, name_len, &pr)) != 0)
			return r;
		*ret_version = pr.version;
		ks_policy_digest(name, name_len, &pr, d);
		return 0;
	case KEYSTORE_OBJECT_TOKEN:
		if ((r = ks_token_get(ks, txn, name, name_len, &tr)) != 0)
			return r;
		*ret_version = 0;
		ks_token_digest(name, name_len, &tr, d);
		return 0;
	}
	return KBS_ERR_STORE_CORRUPT;
}

/* What the passes over the tables share. */
struct verify_ctx {
	struct keystore *ks;
	MDB_txn *txn;
	struct keystore_verify_report *rep;
	uint8_t *scratch;                 /* KEYSTORE_SECRET_MAX: a secret opened, wiped */
	char prev[KEYSTORE_NAME_MAX + 1]; /* the policy name seen last */
};

static int
check_index_entry(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct verify_ctx *c = ctx;
	struct keystore *ks = c->ks;
	MDB_txn *txn = c->txn;
	struct keystore_verify_report *rep = c->rep;
	struct keystore_audit_record rec;
	struct ks_index_rec ix;
	const char **names = NULL;
	char name[KEYSTORE_NAME_MAX + 1];
	const uint8_t *kp = k->mv_data;
	enum keystore_object_kind kind;
	uint8_t d[32];
	uint32_t version = 0;
	size_t name_len;
	int r;

	(void)cur;
	if (k->mv_size < 2 || ks_name_check_bytes(kp + 1, k->mv_size - 1) != 0)
		return fail(rep, KBS_ERR_STORE_CORRUPT, 0, 0, "", 0);
	kind = (enum keystore_object_kind)kp[0];
	name_len = k->mv_size - 1;
	memcpy(name, kp + 1, name_len);
	name[name_len] = 0;
	if ((r = ks_index_rec_decode(v->mv_data, v->mv_size, &ix)) != 0)
		return fail(rep, r, 0, kind, name, name_len);
	/* The entry must point at a change record of this very object. */
	r = ks_audit_get_rec(ks, txn, ix.seq, &rec, &names);
	if (r == KBS_ERR_NOT_FOUND)
		r = KBS_ERR_STORE_RECORD_STALE;
	if (r != 0)
		return fail(rep, r, ix.seq, kind, name, name_len);
	free(names);
	if (!(rec.flags & KEYSTORE_AUDIT_HAS_OBJECT) || rec.object.kind != kind ||
	    strcmp(rec.object.name, name) != 0)
		return fail(rep, KBS_ERR_STORE_RECORD_STALE, ix.seq, kind, name, name_len);
	r = current_digest(ks, txn, kind, name, name_len, &version, d);
	if (rec.object.removed) {
		if (r == KBS_ERR_NOT_FOUND)
			return 0;
		return fail(
		    rep, r == 0 ? KBS_ERR_STORE_RECORD_STALE : r, ix.seq, kind, name, name_len);
	}
	if (r == KBS_ERR_NOT_FOUND)
		r = KBS_ERR_STORE_RECORD_STALE; /* removed without its record */
	if (r != 0)
		return fail(rep, r, ix.seq, kind, name, name_len);
	if (version != rec.object.version || sodium_memcmp(d, rec.object.record_sha256, 32) != 0)
		return fail(rep, KBS_ERR_STORE_RECORD_STALE, ix.seq, kind, name, name_len);
	return 0;
}

/* ---- pass 3: every record is authentic and audited -------------------- */

static int
audited(struct verify_ctx *c, enum keystore_object_kind kind, const void *name, size_t name_len)
{
	uint64_t seq = 0;
	int r = index_get(c->ks, c->txn, kind, name, name_len, &seq);

	if (r == KBS_ERR_NOT_FOUND)
		r = KBS_ERR_STORE_RECORD_STALE;
	return r != 0 ? fail(c->rep, r, 0, kind, name, name_len) : 0;
}

static int
check_secret(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct verify_ctx *c = ctx;
	char name[KEYSTORE_NAME_MAX + 1];
	struct ks_secret_rec rec;
	int r;

	(void)cur;
	if (ks_name_check_bytes(k->mv_data, k->mv_size) != 0)
		return fail(c->rep, KBS_ERR_STORE_CORRUPT, 0, KEYSTORE_OBJECT_SECRET, "", 0);
	memcpy(name, k->mv_data, k->mv_size);
	name[k->mv_size] = 0;
	if ((r = ks_secret_rec_decode(v->mv_data, v->mv_size, &rec)) != 0 ||
	    (r = ks_open_secret(c->ks->keys, name, &rec, c->scratch)) != 0)
		return fail(c->rep, r, 0, KEYSTORE_OBJECT_SECRET, name, k->mv_size);
	sodium_memzero(c->scratch, rec.ct_len - KS_SEAL_TAG);
	if ((r = audited(c, KEYSTORE_OBJECT_SECRET, name, k->mv_size)) != 0)
		return r;
	c->rep->secrets++;
	return 0;
}

static int
check_policy(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct verify_ctx *c = ctx;
	char name[KEYSTORE_NAME_MAX + 1];
	struct ks_policy_rec rec;
	size_t name_len = 0;
	int r;

	(void)cur;
	if ((r = ks_policy_read_at(c->ks, k, v, name, &name_len, &rec)) != 0)
		return fail(c->rep, r, 0, KEYSTORE_OBJECT_POLICY, name, name_len);
	/* A name's versions are adjacent: check its index entry once. */
	if (strcmp(name, c->prev) == 0)
		return 0;
	memcpy(c->prev, name, name_len + 1);
	if ((r = audited(c, KEYSTORE_OBJECT_POLICY, name, name_len)) != 0)
		return r;
	c->rep->policies++;
	return 0;
}

static int
check_token(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct verify_ctx *c = ctx;
	struct ks_token_rec rec;
	MDB_val hk = { 32, NULL }, hv;
	int rc, r;

	(void)cur;
	if ((r = ks_token_read(c->ks, k, v, &rec)) != 0)
		return fail(c->rep, r, 0, KEYSTORE_OBJECT_TOKEN, k->mv_data,
		    ks_name_check_bytes(k->mv_data, k->mv_size) == 0 ? k->mv_size : 0);
	/* Its hash must find it, or the broker could not look it up. */
	hk.mv_data = rec.sha256;
	rc = mdb_get(c->txn, c->ks->dbi_token_hashes, &hk, &hv);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return fail(
		    c->rep, ks_mdb_err(rc), 0, KEYSTORE_OBJECT_TOKEN, k->mv_data, k->mv_size);
	if (rc != 0 || hv.mv_size != k->mv_size || memcmp(hv.mv_data, k->mv_data, k->mv_size) != 0)
		return fail(c->rep, KBS_ERR_STORE_CORRUPT, 0, KEYSTORE_OBJECT_TOKEN, k->mv_data,
		    k->mv_size);
	if ((r = audited(c, KEYSTORE_OBJECT_TOKEN, k->mv_data, k->mv_size)) != 0)
		return r;
	c->rep->tokens++;
	return 0;
}

int
keystore_verify_state(struct keystore *ks, struct keystore_verify_report *ret_report)
{
	struct keystore_verify_report rep;
	struct verify_ctx c;
	MDB_txn *txn = NULL;
	uint8_t *scratch = NULL;
	int r = KBS_ERR_INTERNAL;

	memset(&rep, 0, sizeof(rep));
	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((scratch = malloc(KEYSTORE_SECRET_MAX)) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		goto out;
	memset(&c, 0, sizeof(c));
	c.ks = ks;
	c.txn = txn;
	c.rep = &rep;
	c.scratch = scratch;
	if ((r = ks_audit_walk(
		 ks, txn, walk_change, &rep, &rep.records, &rep.bad_seq, &rep.head)) != 0 ||
	    (r = ks_each(txn, ks->dbi_audit_index, check_index_entry, &c)) != 0 ||
	    (r = ks_each(txn, ks->dbi_secrets, check_secret, &c)) != 0 ||
	    (r = ks_each(txn, ks->dbi_policies, check_policy, &c)) != 0 ||
	    (r = ks_each(txn, ks->dbi_tokens, check_token, &c)) != 0)
		goto out;
	r = 0;
out:
	ks_read_end(ks, txn);
	if (scratch != NULL) {
		sodium_memzero(scratch, KEYSTORE_SECRET_MAX);
		free(scratch);
	}
	if (ret_report != NULL)
		*ret_report = rep;
	return r;
}
