/*
 * meta.c: the meta table: schema version, master key check value, audit head.
 *
 * Keys are short ASCII strings. "schema" holds a bare u32le (no format
 * byte: it is what decides how everything else is read, so it can never
 * change shape); "check" and "audit_head" are records from records.c.
 * A new store gets all three in its first transaction, the head being the
 * MACed head of the empty chain (seq 0, hash all zero): from then on a
 * missing head means the log was wiped, not that it is new.
 */
#include "keystore-int.h"

#include <string.h>

#include <sodium.h>

static const char ks_meta_schema[] = "schema";
static const char ks_meta_check[] = "check";
static const char ks_meta_head[] = "audit_head";

static MDB_val
meta_key(const char *k)
{
	MDB_val v = { strlen(k), (void *)(uintptr_t)k };

	return v;
}

int
ks_meta_get_head(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *ret, bool *ret_present)
{
	MDB_val k = meta_key(ks_meta_head), v;
	int rc;

	rc = mdb_get(txn, ks->dbi_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		memset(ret, 0, sizeof(*ret));
		*ret_present = false;
		return 0;
	}
	if (rc != 0)
		return ks_mdb_err(rc);
	if ((rc = ks_head_rec_decode(v.mv_data, v.mv_size, ret)) != 0)
		return rc;
	*ret_present = true;
	return 0;
}

static int
put_rec(struct keystore *ks, MDB_txn *txn, const char *key, struct ks_enc e)
{
	MDB_val k = meta_key(key);

	return ks_put_enc(txn, ks->dbi_meta, NULL, &k, 0, e, NULL);
}

int
ks_meta_put_head(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *h)
{
	return put_rec(ks, txn, ks_meta_head, ks_enc_head(h));
}

int
ks_meta_put_check(struct keystore *ks, MDB_txn *txn, const struct ks_keys *keys)
{
	struct ks_check_rec c;
	int r;

	if ((r = ks_check_make(keys, &c)) != 0)
		return r;
	return put_rec(ks, txn, ks_meta_check, ks_enc_check(&c));
}

int
ks_meta_init_or_check(struct keystore *ks, MDB_txn *txn)
{
	MDB_val k = meta_key(ks_meta_schema), v;
	struct ks_check_rec c;
	uint8_t sv[4];
	uint32_t schema;
	int rc;

	rc = mdb_get(txn, ks->dbi_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		struct ks_head_rec head;
		int r;

		sv[0] = (uint8_t)KS_SCHEMA_VERSION;
		sv[1] = sv[2] = sv[3] = 0;
		v.mv_size = 4;
		v.mv_data = sv;
		if ((rc = mdb_put(txn, ks->dbi_meta, &k, &v, 0)) != 0)
			return ks_mdb_err(rc);
		if ((r = ks_meta_put_check(ks, txn, ks->keys)) != 0)
			return r;
		memset(&head, 0, sizeof(head));
		ks_head_mac(ks->keys, &head);
		return ks_meta_put_head(ks, txn, &head);
	}
	if (rc != 0)
		return ks_mdb_err(rc);
	if (v.mv_size != 4)
		return KBS_ERR_STORE_CORRUPT;
	memcpy(sv, v.mv_data, 4);
	schema =
	    (uint32_t)sv[0] | (uint32_t)sv[1] << 8 | (uint32_t)sv[2] << 16 | (uint32_t)sv[3] << 24;
	if (schema > KS_SCHEMA_VERSION)
		return KBS_ERR_STORE_SCHEMA;
	if (schema == 0)
		return KBS_ERR_STORE_CORRUPT;
	/*
	 * Schema 1 had unauthenticated policy records and no head for an
	 * empty log; none was deployed with a broker. Not upgraded in place:
	 * the schema number is not authenticated, so an "upgrade" that MACs
	 * what it finds would certify whatever someone wrote there.
	 */
	if (schema < KS_SCHEMA_VERSION)
		return KBS_ERR_STORE_SCHEMA_OLD;
	k = meta_key(ks_meta_check);
	if ((rc = mdb_get(txn, ks->dbi_meta, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? KBS_ERR_STORE_CORRUPT : ks_mdb_err(rc);
	if ((rc = ks_check_rec_decode(v.mv_data, v.mv_size, &c)) != 0)
		return rc;
	return ks_check_verify(ks->keys, &c);
}

int
ks_meta_check_key(struct keystore *ks, MDB_txn *txn)
{
	MDB_val k = meta_key(ks_meta_check), v;
	struct ks_check_rec c;
	int rc;

	if ((rc = mdb_get(txn, ks->dbi_meta, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? KBS_ERR_STORE_CORRUPT : ks_mdb_err(rc);
	if ((rc = ks_check_rec_decode(v.mv_data, v.mv_size, &c)) != 0)
		return rc;
	if (sodium_memcmp(c.key_id, ks->keys->key_id, KS_KEY_ID_SIZE) != 0)
		return KBS_ERR_STORE_MASTER_KEY;
	return 0;
}
