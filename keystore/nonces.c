/*
 * nonces.c: consumed attestation nonces.
 *
 * Two tables written together: "nonces" (nonce -> nonce record with the
 * expiry) answers "was it used?" in one lookup, and "nonce_expiry"
 * (u64be expiry || nonce -> empty) lets a purge walk only what expired,
 * oldest first, instead of the whole table. Nonces are consumed only by
 * keystore_attest_commit (audit.c), together with the decision's record.
 */
#include "keystore-int.h"

#include <string.h>

#define KS_EXPKEY (8 + KEYSTORE_NONCE_SIZE)

static void
expkey(uint8_t out[KS_EXPKEY], int64_t expires, const uint8_t *nonce)
{
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)((uint64_t)expires >> (56 - 8 * i));
	memcpy(out + 8, nonce, KEYSTORE_NONCE_SIZE);
}

int
ks_nonce_consume(struct keystore *ks, MDB_txn *txn, const uint8_t *nonce, int64_t expires)
{
	uint8_t rec[16], ek[KS_EXPKEY];
	struct ks_w w = { rec, sizeof(rec), 0 };
	MDB_val k = { KEYSTORE_NONCE_SIZE, (void *)(uintptr_t)nonce }, v, e = { 0, NULL };
	int rc;

	ks_nonce_rec_encode(&w, expires);
	v.mv_size = w.len;
	v.mv_data = rec;
	/* The first write: a used nonce is refused before anything is written. */
	rc = mdb_put(txn, ks->dbi_nonces, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return KBS_ERR_STORE_NONCE_REUSED;
	if (rc != 0)
		return ks_mdb_err(rc);
	expkey(ek, expires, nonce);
	k.mv_size = sizeof(ek);
	k.mv_data = ek;
	return ks_mdb_err(mdb_put(txn, ks->dbi_nonce_exp, &k, &e, 0));
}

struct purge_arg {
	int64_t now;
	size_t n; /* out */
};

static int
op_purge(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct purge_arg *a = arg;
	MDB_cursor *cur = NULL;
	MDB_val k, v, nk;
	uint64_t exp;
	size_t i, n = 0;
	int rc, r = KBS_ERR_INTERNAL;

	if ((rc = mdb_cursor_open(txn, ks->dbi_nonce_exp, &cur)) != 0)
		return ks_mdb_err(rc);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
		if (k.mv_size != KS_EXPKEY) {
			r = KBS_ERR_STORE_CORRUPT;
			goto out;
		}
		for (exp = 0, i = 0; i < 8; i++)
			exp = exp << 8 | ((const uint8_t *)k.mv_data)[i];
		if ((int64_t)exp >= a->now)
			break;
		nk.mv_size = KEYSTORE_NONCE_SIZE;
		nk.mv_data = (uint8_t *)k.mv_data + 8;
		rc = mdb_del(txn, ks->dbi_nonces, &nk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND) {
			r = ks_mdb_err(rc);
			goto out;
		}
		if ((rc = mdb_cursor_del(cur, 0)) != 0) {
			r = ks_mdb_err(rc);
			goto out;
		}
		n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		r = ks_mdb_err(rc);
		goto out;
	}
	a->n = n;
	r = 0;
out:
	mdb_cursor_close(cur);
	return r;
}

int
keystore_nonce_purge(struct keystore *ks, int64_t now, size_t *ret_n)
{
	struct purge_arg a = { now, 0 };
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_write(ks, op_purge, &a)) != 0)
		return r;
	if (ret_n != NULL)
		*ret_n = a.n;
	return 0;
}
