/*
 * certs.c: the VCEK and CRL cache for the broker's AMD KDS fetcher.
 *
 * Key: the caller's key string (a KDS URL, say). Value: a cert record
 * (records.c) with the fetch time, so the fetcher decides freshness.
 * Nothing here is trusted: the chain is verified on every use.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

struct put_arg {
	MDB_val k;
	struct ks_cert_rec rec;
};

static int
op_put(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct put_arg *a = arg;

	return ks_put_enc(txn, ks->dbi_certs, NULL, &a->k, 0, ks_enc_cert(&a->rec), NULL);
}

static int
cert_key(const char *key, MDB_val *ret)
{
	size_t n;

	if (key == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	n = strnlen(key, KEYSTORE_CERT_KEY_MAX + 1);
	if (n == 0 || n > KEYSTORE_CERT_KEY_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	ret->mv_size = n;
	ret->mv_data = (void *)(uintptr_t)key;
	return 0;
}

int
keystore_cert_put(
    struct keystore *ks, const char *key, const uint8_t *data, size_t len, int64_t fetched)
{
	struct put_arg a;
	int r;

	if (ks == NULL || data == NULL || len == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if (len > KEYSTORE_CERT_MAX)
		return KBS_ERR_TOO_LARGE;
	if ((r = cert_key(key, &a.k)) != 0)
		return r;
	a.rec.fetched = fetched;
	a.rec.data = data;
	a.rec.len = len;
	return ks_write(ks, op_put, &a);
}

int
keystore_cert_get(
    struct keystore *ks, const char *key, uint8_t **ret_data, size_t *ret_len, int64_t *ret_fetched)
{
	struct ks_cert_rec rec;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint8_t *copy = NULL;
	int rc, r = KBS_ERR_INTERNAL;

	if (ks == NULL || ret_data == NULL || ret_len == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = cert_key(key, &k)) != 0)
		return r;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_get(txn, ks->dbi_certs, &k, &v)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if ((r = ks_cert_rec_decode(v.mv_data, v.mv_size, &rec)) != 0)
		goto out;
	if ((copy = malloc(rec.len)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	memcpy(copy, rec.data, rec.len);
	*ret_data = copy;
	*ret_len = rec.len;
	if (ret_fetched != NULL)
		*ret_fetched = rec.fetched;
	r = 0;
out:
	ks_read_end(ks, txn);
	return r;
}
