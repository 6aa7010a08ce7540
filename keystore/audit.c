/*
 * audit.c: the hash-chained audit log: append, the change records every
 * change call writes, get, verify and the expected-head check (export.c
 * writes the log out).
 *
 * Key: the sequence number as u64 big-endian (so LMDB order is sequence
 * order and appends use MDB_APPEND). Value: an audit record (records.c)
 * holding the SHA-256 of the previous record's stored bytes (zeros for
 * seq 1). The meta table's "audit_head" holds the last seq and its hash
 * under an HMAC keyed from the master key: without it, dropping the newest
 * records, or rewriting the whole chain, would go unnoticed. It exists
 * from the store's creation (seq 0 for the empty chain), so a missing head
 * is a wiped log.
 *
 * A record written by a change call (KEYSTORE_AUDIT_HAS_OBJECT) names the
 * object, the version and the identity digest of the record the change
 * left current (seal.c), and "audit_index" (u8 kind || name -> u64 seq)
 * points at the last such record per object, written in the same
 * transaction, so keystore_verify_state finds it without keeping the log in
 * memory.
 *
 * Verify names the first bad sequence number:
 *   - a missing record (a gap): the missing number;
 *   - a record that does not decode, or whose stored seq differs from its
 *     key (reordered): that record;
 *   - a record whose bytes do not hash to the next record's prev_sha256,
 *     or to the head's hash when it is the last (edited): that record;
 *   - a head that points past the last record (truncated): last + 1;
 *     before it: head + 1; a head missing or with a bad MAC: the last
 *     record, or 1 if there are none (the wiped log).
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void
ks_seq_key(uint8_t out[8], uint64_t seq)
{
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(seq >> (56 - 8 * i));
}

bool
ks_seq_from_key(const MDB_val *k, uint64_t *ret)
{
	const uint8_t *p = k->mv_data;
	uint64_t s = 0;
	int i;

	if (k->mv_size != 8)
		return false;
	for (i = 0; i < 8; i++)
		s = s << 8 | p[i];
	*ret = s;
	return true;
}

const char *
keystore_object_kind_name(enum keystore_object_kind kind)
{
	switch (kind) {
	case KEYSTORE_OBJECT_SECRET:
		return "secret";
	case KEYSTORE_OBJECT_POLICY:
		return "policy";
	case KEYSTORE_OBJECT_TOKEN:
		return "token";
	}
	return "unknown";
}

size_t
ks_index_key(uint8_t out[KS_INDEX_KEY_MAX], enum keystore_object_kind kind, const char *name,
    size_t name_len)
{
	out[0] = (uint8_t)kind;
	memcpy(out + 1, name, name_len);
	return 1 + name_len;
}

/* ---- the change records --------------------------------------------------- */

int
ks_actor_check(const struct keystore_actor *a)
{
	if (a == NULL || ks_name_check(a->token_id, NULL) != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((a->request_id != NULL &&
		strnlen(a->request_id, KEYSTORE_AUDIT_FIELD_MAX + 1) > KEYSTORE_AUDIT_FIELD_MAX) ||
	    (a->client_addr != NULL &&
		strnlen(a->client_addr, KEYSTORE_AUDIT_FIELD_MAX + 1) > KEYSTORE_AUDIT_FIELD_MAX))
		return KBS_ERR_TOO_LARGE;
	return 0;
}

void
ks_change_rec(struct keystore_audit_record *rec, const struct keystore_actor *a, const char *event,
    int64_t now)
{
	memset(rec, 0, sizeof(*rec));
	rec->time = now;
	rec->event = event;
	rec->actor = a->token_id;
	rec->request_id = a->request_id;
	rec->client_addr = a->client_addr;
	rec->flags = KEYSTORE_AUDIT_HAS_OBJECT;
}

int
ks_audit_begin(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *ret_head)
{
	bool present = false;
	int r;

	if ((r = ks_meta_check_key(ks, txn)) != 0 ||
	    (r = ks_meta_get_head(ks, txn, ret_head, &present)) != 0)
		return r;
	/*
	 * No head: the log was wiped (a new store has one). A head whose MAC
	 * is wrong: re-MACing it would certify whatever someone without the
	 * key wrote there (say, the newest record dropped and the head pointed
	 * at the one before). Either way refuse, before any write.
	 */
	if (!present)
		return KBS_ERR_STORE_AUDIT_CHAIN;
	return ks_head_mac_verify(ks->keys, ret_head);
}

int
ks_audit_add(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *head,
    const struct ks_keys *keys, const struct keystore_audit_record *in, uint64_t *ret_seq)
{
	struct keystore_audit_record rec = *in;
	struct ks_index_rec ix;
	uint8_t kb[8], ib[KS_INDEX_KEY_MAX];
	MDB_val k = { sizeof(kb), kb }, v, ik;
	int r;

	if (head->seq == UINT64_MAX)
		return KBS_ERR_NUMBER_RANGE;
	rec.seq = head->seq + 1;
	memcpy(rec.prev_sha256, head->sha256, 32);
	ks_seq_key(kb, rec.seq);
	r = ks_put_enc(txn, ks->dbi_audit, NULL, &k, MDB_APPEND, ks_enc_audit(&rec), &v);
	if (r == KBS_ERR_EXISTS)
		return KBS_ERR_STORE_AUDIT_CHAIN; /* the head and the table disagree */
	if (r != 0)
		return r;
	head->seq = rec.seq;
	crypto_hash_sha256(head->sha256, v.mv_data, v.mv_size);
	ks_head_mac(keys, head);
	if ((r = ks_meta_put_head(ks, txn, head)) != 0)
		return r;
	if (rec.flags & KEYSTORE_AUDIT_HAS_OBJECT) {
		ix.seq = rec.seq;
		ik.mv_data = ib;
		ik.mv_size = ks_index_key(ib, rec.object.kind, rec.object.name,
		    strnlen(rec.object.name, KEYSTORE_NAME_MAX));
		if ((r = ks_put_enc(
			 txn, ks->dbi_audit_index, NULL, &ik, 0, ks_enc_index(&ix), NULL)) != 0)
			return r;
	}
	if (ret_seq != NULL)
		*ret_seq = rec.seq;
	return 0;
}

/* ---- plain appends -------------------------------------------------------- */

struct append_arg {
	struct keystore_audit_record rec;
	uint64_t seq; /* out */
};

static int
op_append(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct append_arg *a = arg;
	struct ks_head_rec head;
	int r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0)
		return r;
	return ks_audit_add(ks, txn, &head, ks->keys, &a->rec, &a->seq);
}

/* plain_rec checks a caller's record: no object (only the change calls write those). */
static int
plain_rec(const struct keystore_audit_record *rec, struct keystore_audit_record *ret)
{
	int r;

	if ((r = ks_audit_rec_check(rec)) != 0)
		return r;
	if (rec->flags & KEYSTORE_AUDIT_HAS_OBJECT)
		return KBS_ERR_INVALID_ARGUMENT;
	*ret = *rec;
	if (ret->time == 0)
		ret->time = kbs_time_now();
	return 0;
}

int
keystore_audit_append(
    struct keystore *ks, const struct keystore_audit_record *rec, uint64_t *ret_seq)
{
	struct append_arg a;
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = plain_rec(rec, &a.rec)) != 0)
		return r;
	a.seq = 0;
	if ((r = ks_write(ks, op_append, &a)) != 0)
		return r;
	if (ret_seq != NULL)
		*ret_seq = a.seq;
	return 0;
}

struct attest_arg {
	struct keystore_audit_record rec;
	const uint8_t *nonce;
	int64_t expires;
	uint64_t seq; /* out */
};

/* Both refusals (a wrong head, a used nonce) come before the first write. */
static int
op_attest(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct attest_arg *a = arg;
	struct ks_head_rec head;
	int r;

	if ((r = ks_audit_begin(ks, txn, &head)) != 0 ||
	    (r = ks_nonce_consume(ks, txn, a->nonce, a->expires)) != 0)
		return r;
	return ks_audit_add(ks, txn, &head, ks->keys, &a->rec, &a->seq);
}

int
keystore_attest_commit(struct keystore *ks, const uint8_t nonce[KEYSTORE_NONCE_SIZE],
    int64_t expires, const struct keystore_audit_record *rec, uint64_t *ret_seq)
{
	struct attest_arg a;
	int r;

	if (ks == NULL || nonce == NULL || expires < 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = plain_rec(rec, &a.rec)) != 0)
		return r;
	a.nonce = nonce;
	a.expires = expires;
	a.seq = 0;
	if ((r = ks_write(ks, op_attest, &a)) != 0)
		return r;
	if (ret_seq != NULL)
		*ret_seq = a.seq;
	return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* The entry, its names array and a copy of the stored bytes in one allocation. */
struct audit_entry_priv {
	struct keystore_audit_entry pub; /* first: freed through it */
	const char **names;
	size_t raw_len;
	uint8_t raw[];
};

void
keystore_audit_entry_free(struct keystore_audit_entry *e)
{
	struct audit_entry_priv *p = (struct audit_entry_priv *)e;

	if (p == NULL)
		return;
	free(p->names);
	free(p);
}

static int
entry_from_bytes(const void *data, size_t len, struct keystore_audit_entry **ret)
{
	struct audit_entry_priv *p;
	int r;

	if ((p = calloc(1, sizeof(*p) + len)) == NULL)
		return KBS_ERR_ALLOC;
	memcpy(p->raw, data, len);
	p->raw_len = len;
	if ((r = ks_audit_rec_decode(p->raw, len, &p->pub.rec, &p->names)) != 0) {
		free(p);
		return r;
	}
	crypto_hash_sha256(p->pub.sha256, p->raw, len);
	*ret = &p->pub;
	return 0;
}

int
keystore_audit_get(struct keystore *ks, uint64_t seq, struct keystore_audit_entry **ret_entry)
{
	struct keystore_audit_entry *e = NULL;
	MDB_txn *txn = NULL;
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	int rc, r;

	if (ks == NULL || ret_entry == NULL || seq == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	ks_seq_key(kb, seq);
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_get(txn, ks->dbi_audit, &k, &v)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if ((r = entry_from_bytes(v.mv_data, v.mv_size, &e)) != 0)
		goto out;
	if (e->rec.seq != seq) {
		keystore_audit_entry_free(e);
		r = KBS_ERR_STORE_CORRUPT;
		goto out;
	}
	*ret_entry = e;
	r = 0;
out:
	ks_read_end(ks, txn);
	return r;
}

int
ks_audit_get_rec(struct keystore *ks, MDB_txn *txn, uint64_t seq, struct keystore_audit_record *ret,
    const char ***ret_names)
{
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	int rc, r;

	ks_seq_key(kb, seq);
	if ((rc = mdb_get(txn, ks->dbi_audit, &k, &v)) != 0)
		return ks_mdb_err(rc);
	if ((r = ks_audit_rec_decode(v.mv_data, v.mv_size, ret, ret_names)) != 0)
		return r;
	if (ret->seq != seq) {
		free(*ret_names);
		*ret_names = NULL;
		return KBS_ERR_STORE_CORRUPT;
	}
	return 0;
}

/* ---- verifying --------------------------------------------------------- */

int
ks_audit_walk(struct keystore *ks, MDB_txn *txn, ks_walk_fn fn, void *ctx, uint64_t *ret_count,
    uint64_t *ret_bad, struct keystore_audit_head *ret_head)
{
	struct keystore_audit_record rec;
	struct ks_head_rec head;
	const char **names = NULL;
	uint8_t prev[32] = { 0 };
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint64_t expect = 1, seq, bad = 0, last;
	bool present;
	int rc, r = KBS_ERR_INTERNAL;

	if ((r = ks_meta_get_head(ks, txn, &head, &present)) != 0)
		return r;
	if ((rc = mdb_cursor_open(txn, ks->dbi_audit, &cur)) != 0)
		return ks_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
		if (!ks_seq_from_key(&k, &seq) || seq != expect) {
			bad = expect;
			break;
		}
		if (ks_audit_rec_decode(v.mv_data, v.mv_size, &rec, &names) != 0 ||
		    rec.seq != seq) {
			bad = seq;
			break;
		}
		if (sodium_memcmp(rec.prev_sha256, prev, 32) != 0) {
			bad = seq > 1 ? seq - 1 : 1; /* the previous record's bytes changed */
			break;
		}
		crypto_hash_sha256(prev, v.mv_data, v.mv_size);
		if (fn != NULL && (r = fn(ks, txn, &rec, ctx)) != 0)
			goto out;
		free(names);
		names = NULL;
	}
	if (bad == 0 && rc != 0 && rc != MDB_NOTFOUND) {
		r = ks_mdb_err(rc);
		goto out;
	}
	last = expect - 1;
	if (bad == 0) {
		if (!present || ks_head_mac_verify(ks->keys, &head) != 0)
			bad = last > 0 ? last : 1;
		else if (head.seq > last)
			bad = last + 1;
		else if (head.seq < last)
			bad = head.seq + 1;
		else if (sodium_memcmp(head.sha256, prev, 32) != 0)
			bad = last > 0 ? last : 1;
	}
	if (bad != 0) {
		*ret_bad = bad;
		r = KBS_ERR_STORE_AUDIT_CHAIN;
		goto out;
	}
	*ret_count = last;
	ret_head->seq = head.seq;
	memcpy(ret_head->sha256, head.sha256, 32);
	r = 0;
out:
	free(names);
	mdb_cursor_close(cur);
	return r;
}

int
keystore_audit_verify(struct keystore *ks, uint64_t *ret_count, uint64_t *ret_bad_seq,
    struct keystore_audit_head *ret_head)
{
	struct keystore_audit_head head;
	MDB_txn *txn = NULL;
	uint64_t count = 0, bad = 0;
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	r = ks_audit_walk(ks, txn, NULL, NULL, &count, &bad, &head);
	ks_read_end(ks, txn);
	if (r == KBS_ERR_STORE_AUDIT_CHAIN && ret_bad_seq != NULL)
		*ret_bad_seq = bad;
	if (r != 0)
		return r;
	if (ret_count != NULL)
		*ret_count = count;
	if (ret_head != NULL)
		*ret_head = head;
	return 0;
}

int
keystore_audit_expect_head(struct keystore *ks, const struct keystore_audit_head *expect)
{
	MDB_txn *txn = NULL;
	uint8_t kb[8], h[32];
	MDB_val k = { sizeof(kb), kb }, v;
	int rc, r;

	if (ks == NULL || expect == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	/* Every chain extends the empty one. */
	if (expect->seq == 0)
		return sodium_is_zero(expect->sha256, 32) ? 0 : KBS_ERR_INVALID_ARGUMENT;
	ks_seq_key(kb, expect->seq);
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	rc = mdb_get(txn, ks->dbi_audit, &k, &v);
	if (rc == MDB_NOTFOUND) {
		r = KBS_ERR_STORE_AUDIT_ROLLBACK; /* the log is shorter than it was */
		goto out;
	}
	if (rc != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	crypto_hash_sha256(h, v.mv_data, v.mv_size);
	r = sodium_memcmp(h, expect->sha256, 32) == 0 ? 0 : KBS_ERR_STORE_AUDIT_ROLLBACK;
out:
	ks_read_end(ks, txn);
	return r;
}
