/*
 * replica.c: what the broker's replication through etcd needs from the
 * store (docs/operations.md, "Scale-out"): a secret's sealed record made
 * without storing it, the same record stored as it is on another replica,
 * and the etcd revision a replica has applied.
 *
 * A sealed record leaves the store only in the form the store keeps it
 * (records.c's secret record: version, times, bound policy, write id,
 * nonce, ciphertext under the sealing key): the replicas share the master
 * key, so each opens and stores what another sealed, and nothing but
 * sealed bytes ever crosses etcd. The write id makes a record's identity
 * unique, so applying the same record twice writes nothing the second
 * time: replaying a watch stream is harmless.
 *
 * The applied revision is a meta entry "replica_rev", a bare u64le. It is
 * not authenticated: a replica re-reads etcd whole when it starts, so the
 * number only says how far it had got (for /readyz before etcd answers).
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char ks_meta_replica_rev[] = "replica_rev";

int
keystore_secret_seal(struct keystore *ks, const char *name, const uint8_t *value, size_t value_len,
    const char *policy, uint32_t version, uint8_t **ret_rec, size_t *ret_len)
{
	struct ks_secret_rec rec;
	MDB_txn *txn = NULL;
	uint8_t *ct = NULL, *out = NULL;
	size_t out_len = 0;
	int r;

	if (ks == NULL || ret_rec == NULL || ret_len == NULL || value == NULL || value_len == 0 ||
	    version == 0 || policy == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (value_len > KEYSTORE_SECRET_MAX)
		return KBS_ERR_TOO_LARGE;
	if ((r = ks_name_check(name, NULL)) != 0 ||
	    (policy[0] != '\0' && (r = ks_name_check(policy, NULL)) != 0))
		return r;
	memset(&rec, 0, sizeof(rec));
	rec.version = version;
	rec.created = rec.updated = kbs_time_now();
	memcpy(rec.policy, policy, strlen(policy) + 1);
	randombytes_buf(rec.write_id, sizeof(rec.write_id));
	if ((ct = malloc(value_len + KS_SEAL_TAG)) == NULL)
		return KBS_ERR_ALLOC;
	/* The read lock keeps the keys from being swapped by a rotation meanwhile. */
	if ((r = ks_read_begin(ks, &txn)) != 0)
		goto out;
	r = ks_seal_secret(ks->keys, name, &rec, value, value_len, ct);
	ks_read_end(ks, txn);
	if (r != 0)
		goto out;
	if ((r = ks_encode_alloc(ks_enc_secret(&rec), &out, &out_len)) != 0)
		goto out;
	*ret_rec = out;
	*ret_len = out_len;
	r = 0;
out:
	free(ct);
	return r;
}

struct sealed_arg {
	const struct keystore_actor *actor;
	const char *name;
	size_t name_len;
	struct ks_secret_rec rec; /* points into the caller's bytes */
	uint8_t *scratch;         /* the opened value, wiped after */
	int64_t now;
	uint32_t version; /* out */
	bool written;     /* out */
};

static int
op_put_sealed(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct sealed_arg *a = arg;
	MDB_val k = { a->name_len, (void *)(uintptr_t)a->name }, v;
	struct keystore_audit_record ar;
	struct ks_head_rec head;
	struct ks_secret_rec old;
	int rc, r;

	a->written = false;
	if ((r = ks_audit_begin(ks, txn, &head)) != 0)
		return r;
	/* Opening authenticates the record for this name (and is the only check). */
	r = ks_open_secret(ks->keys, a->name, &a->rec, a->scratch);
	sodium_memzero(a->scratch, a->rec.ct_len - KS_SEAL_TAG);
	if (r != 0)
		return r;
	rc = mdb_get(txn, ks->dbi_secrets, &k, &v);
	if (rc == 0 && ks_secret_rec_decode(v.mv_data, v.mv_size, &old) == 0 &&
	    sodium_memcmp(old.write_id, a->rec.write_id, KS_WRITE_ID_SIZE) == 0 &&
	    old.version == a->rec.version) {
		a->version = old.version; /* this very write is current already */
		return 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return ks_mdb_err(rc);
	if ((r = ks_put_enc(txn, ks->dbi_secrets, NULL, &k, 0, ks_enc_secret(&a->rec), NULL)) != 0)
		return r;
	ks_change_rec(&ar, a->actor, "secret_put", a->now);
	ar.policy_name = a->rec.policy;
	ar.object.kind = KEYSTORE_OBJECT_SECRET;
	ar.object.name = a->name;
	ar.object.version = a->rec.version;
	ks_secret_digest(a->name, a->name_len, &a->rec, ar.object.record_sha256);
	if ((r = ks_audit_add(ks, txn, &head, ks->keys, &ar, NULL)) != 0)
		return r;
	a->version = a->rec.version;
	a->written = true;
	return 0;
}

int
keystore_secret_put_sealed(struct keystore *ks, const char *name, const uint8_t *rec, size_t len,
    const struct keystore_actor *actor, uint32_t *ret_version, bool *ret_written)
{
	struct sealed_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (ks == NULL || rec == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_actor_check(actor)) != 0 || (r = ks_name_check(name, &a.name_len)) != 0)
		return r;
	if ((r = ks_secret_rec_decode(rec, len, &a.rec)) != 0)
		return r;
	if (a.rec.version == 0 || a.rec.ct_len <= KS_SEAL_TAG ||
	    a.rec.ct_len - KS_SEAL_TAG > KEYSTORE_SECRET_MAX ||
	    (a.rec.policy[0] != '\0' && ks_name_check(a.rec.policy, NULL) != 0))
		return KBS_ERR_STORE_CORRUPT;
	if ((a.scratch = malloc(a.rec.ct_len - KS_SEAL_TAG)) == NULL)
		return KBS_ERR_ALLOC;
	a.actor = actor;
	a.name = name;
	a.now = kbs_time_now();
	r = ks_write(ks, op_put_sealed, &a);
	free(a.scratch); /* wiped by the operation */
	if (r != 0)
		return r;
	if (ret_version != NULL)
		*ret_version = a.version;
	if (ret_written != NULL)
		*ret_written = a.written;
	return 0;
}

static int
op_set_revision(struct keystore *ks, MDB_txn *txn, void *arg)
{
	MDB_val k = { sizeof(ks_meta_replica_rev) - 1, (void *)(uintptr_t)ks_meta_replica_rev };
	MDB_val v = { 8, arg };
	int rc;

	if ((rc = mdb_put(txn, ks->dbi_meta, &k, &v, 0)) != 0)
		return ks_mdb_err(rc);
	return 0;
}

int
keystore_replica_set_revision(struct keystore *ks, uint64_t revision)
{
	uint8_t b[8];
	int i;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(revision >> (8 * i));
	return ks_write(ks, op_set_revision, b);
}

int
keystore_replica_revision(struct keystore *ks, uint64_t *ret_revision)
{
	MDB_val k = { sizeof(ks_meta_replica_rev) - 1, (void *)(uintptr_t)ks_meta_replica_rev }, v;
	MDB_txn *txn = NULL;
	uint64_t rev = 0;
	int rc, r, i;

	if (ks == NULL || ret_revision == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	rc = mdb_get(txn, ks->dbi_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		r = 0;
	} else if (rc != 0) {
		r = ks_mdb_err(rc);
	} else if (v.mv_size != 8) {
		r = KBS_ERR_STORE_CORRUPT;
	} else {
		for (i = 0; i < 8; i++)
			rev |= (uint64_t)((const uint8_t *)v.mv_data)[i] << (8 * i);
		r = 0;
	}
	ks_read_end(ks, txn);
	if (r == 0)
		*ret_revision = rev;
	return r;
}

/*
 * The replication MAC: HMAC-SHA-256 under the record key (the one policy
 * and token records use) of a label of its own and the bytes, so no
 * replicated value can pass for a stored record or the other way round.
 */
static const char ks_replica_label[] = "kbs-replica-v1";

static int
replica_mac(struct keystore *ks, const uint8_t *data, size_t len, uint8_t mac[32])
{
	crypto_auth_hmacsha256_state st;
	MDB_txn *txn = NULL;
	int r;

	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	crypto_auth_hmacsha256_init(&st, ks->keys->record_mac, sizeof(ks->keys->record_mac));
	ks_read_end(ks, txn);
	crypto_auth_hmacsha256_update(
	    &st, (const uint8_t *)ks_replica_label, sizeof(ks_replica_label));
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int
keystore_replica_mac(struct keystore *ks, const uint8_t *data, size_t len, uint8_t ret_mac[32])
{
	if (ks == NULL || (data == NULL && len > 0) || ret_mac == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	return replica_mac(ks, data, len, ret_mac);
}

int
keystore_replica_mac_check(
    struct keystore *ks, const uint8_t *data, size_t len, const uint8_t mac[32])
{
	uint8_t want[32];
	int r;

	if (ks == NULL || (data == NULL && len > 0) || mac == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = replica_mac(ks, data, len, want)) != 0)
		return r;
	r = sodium_memcmp(want, mac, sizeof(want)) == 0 ? 0 : KBS_ERR_STORE_INTEGRITY;
	sodium_memzero(want, sizeof(want));
	return r;
}
