/*
 * audit.c: the hash-chained audit log: append, get, verify (export.c writes it out).
 *
 * Key: the sequence number as u64 big-endian (so LMDB order is sequence
 * order and appends use MDB_APPEND). Value: an audit record (records.c)
 * holding the SHA-256 of the previous record's stored bytes (zeros for
 * seq 1). The meta table's "audit_head" holds the last seq and its hash
 * under an HMAC keyed from the master key: without it, dropping the newest
 * records, or rewriting the whole chain, would go unnoticed.
 *
 * Verify names the first bad sequence number:
 *   - a missing record (a gap): the missing number;
 *   - a record that does not decode, or whose stored seq differs from its
 *     key (reordered): that record;
 *   - a record whose bytes do not hash to the next record's prev_sha256,
 *     or to the head's hash when it is the last (edited): that record;
 *   - a head that points past the last record (truncated): last + 1;
 *     before it: head + 1; a head missing or with a bad MAC while records
 *     exist: the last record.
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

struct append_arg {
	struct keystore_audit_record rec;
	uint64_t seq; /* out */
};

static int
op_append(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct append_arg *a = arg;
	struct keystore_audit_record rec = a->rec;
	struct ks_head_rec head;
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	bool present;
	int r;

	if ((r = ks_meta_check_key(ks, txn)) != 0 ||
	    (r = ks_meta_get_head(ks, txn, &head, &present)) != 0)
		return r;
	/*
	 * Re-MACing a head whose MAC is wrong would certify whatever someone
	 * without the key wrote there (say, the newest record dropped and the
	 * head pointed at the one before): refuse, before any write.
	 */
	if (present && (r = ks_head_mac_verify(ks->keys, &head)) != 0)
		return r;
	rec.seq = present ? head.seq + 1 : 1;
	if (present)
		memcpy(rec.prev_sha256, head.sha256, 32);
	else
		memset(rec.prev_sha256, 0, 32);
	ks_seq_key(kb, rec.seq);
	r = ks_put_enc(txn, ks->dbi_audit, NULL, &k, MDB_APPEND, ks_enc_audit(&rec), &v);
	if (r == KBS_ERR_EXISTS)
		return KBS_ERR_STORE_AUDIT_CHAIN; /* the head and the table disagree */
	if (r != 0)
		return r;
	head.seq = rec.seq;
	crypto_hash_sha256(head.sha256, v.mv_data, v.mv_size);
	ks_head_mac(ks->keys, &head);
	if ((r = ks_meta_put_head(ks, txn, &head)) != 0)
		return r;
	a->seq = rec.seq;
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
	if ((r = ks_audit_rec_check(rec)) != 0)
		return r;
	a.rec = *rec;
	if (a.rec.time == 0)
		a.rec.time = kbs_time_now();
	a.seq = 0;
	if ((r = ks_write(ks, op_append, &a)) != 0)
		return r;
	if (ret_seq != NULL)
		*ret_seq = a.seq;
	return 0;
}

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
keystore_audit_verify(struct keystore *ks, uint64_t *ret_count, uint64_t *ret_bad_seq)
{
	struct keystore_audit_record rec;
	struct ks_head_rec head;
	const char **names = NULL;
	uint8_t prev[32] = { 0 };
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint64_t expect = 1, seq, bad = 0;
	bool present;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((r = ks_meta_get_head(ks, txn, &head, &present)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(txn, ks->dbi_audit, &cur)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
		if (!ks_seq_from_key(&k, &seq) || seq != expect) {
			bad = expect;
			break;
		}
		if (ks_audit_rec_decode(v.mv_data, v.mv_size, &rec, &names) != 0) {
			bad = seq;
			break;
		}
		free(names);
		names = NULL;
		if (rec.seq != seq) {
			bad = seq;
			break;
		}
		if (sodium_memcmp(rec.prev_sha256, prev, 32) != 0) {
			bad = seq > 1 ? seq - 1 : 1; /* the previous record's bytes changed */
			break;
		}
		crypto_hash_sha256(prev, v.mv_data, v.mv_size);
	}
	if (bad == 0 && rc != 0 && rc != MDB_NOTFOUND) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if (bad == 0) {
		uint64_t last = expect - 1;

		if (!present) {
			if (last > 0)
				bad = last;
		} else if (ks_head_mac_verify(ks->keys, &head) != 0) {
			bad = last > 0 ? last : 1;
		} else if (head.seq > last) {
			bad = last + 1;
		} else if (head.seq < last) {
			bad = head.seq + 1;
		} else if (last > 0 && sodium_memcmp(head.sha256, prev, 32) != 0) {
			bad = last;
		}
		if (ret_count != NULL && bad == 0)
			*ret_count = last;
	}
	if (bad != 0) {
		if (ret_bad_seq != NULL)
			*ret_bad_seq = bad;
		r = KBS_ERR_STORE_AUDIT_CHAIN;
		goto out;
	}
	r = 0;
out:
	free(names);
	mdb_cursor_close(cur);
	ks_read_end(ks, txn);
	return r;
}
