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
 *
 * The sequence numbers (the rollback guard) are meta entries
 * "replica_seq/s/" NAME (a secret and its tombstones) and
 * "replica_seq/p/" NAME (a policy): u64le seq (>= 1) then the SHA-256 of
 * the value that carried it, 40 bytes. keystore_replica_apply reads the
 * entry, refuses an older value, applies the change and writes the entry
 * in one transaction: a crash leaves both or neither. Nothing else in the
 * store reads these entries (verify, rotation and backup copy meta as it
 * is), so a store holding them opens and verifies as before.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kbs_buf.h"
#include "kbs_le.h"

static const char ks_meta_replica_rev[] = "replica_rev";
static const char ks_meta_replica_seq[] = "replica_seq/";

#define SEQ_KEY_MAX (sizeof(ks_meta_replica_seq) - 1 + 2 + KEYSTORE_NAME_MAX)
#define SEQ_VALUE_SIZE (8 + 32)

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

/* sealed_prepare checks rec for name and sets a up; a->scratch is the caller's to free. */
static int
sealed_prepare(struct sealed_arg *a, const char *name, const uint8_t *rec, size_t len,
    const struct keystore_actor *actor)
{
	int r;

	memset(a, 0, sizeof(*a));
	if (rec == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_actor_check(actor)) != 0 || (r = ks_name_check(name, &a->name_len)) != 0)
		return r;
	if ((r = ks_secret_rec_decode(rec, len, &a->rec)) != 0)
		return r;
	if (a->rec.version == 0 || a->rec.ct_len <= KS_SEAL_TAG ||
	    a->rec.ct_len - KS_SEAL_TAG > KEYSTORE_SECRET_MAX ||
	    (a->rec.policy[0] != '\0' && ks_name_check(a->rec.policy, NULL) != 0))
		return KBS_ERR_STORE_CORRUPT;
	if ((a->scratch = malloc(a->rec.ct_len - KS_SEAL_TAG)) == NULL)
		return KBS_ERR_ALLOC;
	a->actor = actor;
	a->name = name;
	a->now = kbs_time_now();
	return 0;
}

int
keystore_secret_put_sealed(struct keystore *ks, const char *name, const uint8_t *rec, size_t len,
    const struct keystore_actor *actor, uint32_t *ret_version, bool *ret_written)
{
	struct sealed_arg a;
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = sealed_prepare(&a, name, rec, len, actor)) != 0)
		return r;
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

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	kbs_le_put(b, revision, sizeof(b));
	return ks_write(ks, op_set_revision, b);
}

int
keystore_replica_revision(struct keystore *ks, uint64_t *ret_revision)
{
	MDB_val k = { sizeof(ks_meta_replica_rev) - 1, (void *)(uintptr_t)ks_meta_replica_rev }, v;
	MDB_txn *txn = NULL;
	struct kbs_buf b;
	uint64_t rev = 0;
	int rc, r;

	if (ks == NULL || ret_revision == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	rc = mdb_get(txn, ks->dbi_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		r = 0;
	} else if (rc != 0) {
		r = ks_mdb_err(rc);
	} else {
		/* Exactly 8 bytes, as set_revision writes them. */
		kbs_buf_init(&b, v.mv_data, v.mv_size);
		if (kbs_buf_get_u64le(&b, &rev) != 0 || kbs_buf_expect_end(&b) != 0)
			r = KBS_ERR_STORE_CORRUPT;
		else
			r = 0;
	}
	ks_read_end(ks, txn);
	if (r == 0)
		*ret_revision = rev;
	return r;
}

/* ---- sequence numbers ------------------------------------------------ */

/* seq_key builds the meta key of family/name in out. */
static int
seq_key(enum keystore_replica_family family, const char *name, char out[SEQ_KEY_MAX], MDB_val *ret)
{
	size_t pl = sizeof(ks_meta_replica_seq) - 1, n = 0;
	int r;

	if (family != KEYSTORE_REPLICA_SECRETS && family != KEYSTORE_REPLICA_POLICIES)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_name_check(name, &n)) != 0)
		return r;
	memcpy(out, ks_meta_replica_seq, pl);
	out[pl] = family == KEYSTORE_REPLICA_SECRETS ? 's' : 'p';
	out[pl + 1] = '/';
	memcpy(out + pl + 2, name, n);
	ret->mv_size = pl + 2 + n;
	ret->mv_data = out;
	return 0;
}

static int
seq_get(struct keystore *ks, MDB_txn *txn, MDB_val *k, struct keystore_replica_seq *ret)
{
	struct kbs_buf b;
	MDB_val v;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = mdb_get(txn, ks->dbi_meta, k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return ks_mdb_err(rc);
	kbs_buf_init(&b, v.mv_data, v.mv_size);
	/* Exactly SEQ_VALUE_SIZE bytes; seq 0 is never written (0 is "none"). */
	if (kbs_buf_get_u64le(&b, &ret->seq) != 0 ||
	    kbs_buf_get_bytes(&b, ret->value_sha256, 32) != 0 || kbs_buf_expect_end(&b) != 0 ||
	    ret->seq == 0) {
		memset(ret, 0, sizeof(*ret));
		return KBS_ERR_STORE_CORRUPT;
	}
	return 0;
}

static int
seq_put(struct keystore *ks, MDB_txn *txn, MDB_val *k, const struct keystore_replica_seq *s)
{
	uint8_t b[SEQ_VALUE_SIZE];
	MDB_val v = { sizeof(b), b };
	int rc;

	kbs_le_put(b, s->seq, 8);
	memcpy(b + 8, s->value_sha256, 32);
	if ((rc = mdb_put(txn, ks->dbi_meta, k, &v, 0)) != 0)
		return ks_mdb_err(rc);
	return 0;
}

int
keystore_replica_seq(struct keystore *ks, enum keystore_replica_family family, const char *name,
    struct keystore_replica_seq *ret)
{
	char kb[SEQ_KEY_MAX];
	MDB_txn *txn = NULL;
	MDB_val k;
	int r;

	if (ks == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = seq_key(family, name, kb, &k)) != 0 || (r = ks_read_begin(ks, &txn)) != 0)
		return r;
	r = seq_get(ks, txn, &k, ret);
	ks_read_end(ks, txn);
	return r;
}

struct set_seq_arg {
	MDB_val k;
	const struct keystore_replica_seq *seq;
};

static int
op_set_seq(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct set_seq_arg *a = arg;

	return seq_put(ks, txn, &a->k, a->seq);
}

int
keystore_replica_set_seq(struct keystore *ks, enum keystore_replica_family family, const char *name,
    const struct keystore_replica_seq *seq)
{
	struct set_seq_arg a;
	char kb[SEQ_KEY_MAX];
	int r;

	if (ks == NULL || seq == NULL || seq->seq == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = seq_key(family, name, kb, &a.k)) != 0)
		return r;
	a.seq = seq;
	return ks_write(ks, op_set_seq, &a);
}

struct apply_arg {
	const struct keystore_replica_change *c;
	MDB_val k;
	struct sealed_arg sealed;
	struct ks_policy_put_arg policy;
	struct ks_secret_del_arg del;
	struct keystore_replica_seq held; /* out */
	bool written;                     /* out */
};

static int
op_apply(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct apply_arg *a = arg;
	const struct keystore_replica_seq *s = &a->c->seq;
	int r;

	a->written = false;
	if ((r = seq_get(ks, txn, &a->k, &a->held)) != 0)
		return r;
	/* Before any write, so a refusal leaves the transaction as it was. */
	if (s->seq < a->held.seq ||
	    (s->seq == a->held.seq && s->seq > 0 &&
		sodium_memcmp(s->value_sha256, a->held.value_sha256, 32) != 0))
		return KBS_ERR_ETCD_ROLLBACK;
	switch (a->c->op) {
	case KEYSTORE_REPLICA_SECRET_PUT:
		r = op_put_sealed(ks, txn, &a->sealed);
		a->written = a->sealed.written;
		break;
	case KEYSTORE_REPLICA_POLICY_PUT:
		r = ks_policy_put_op(ks, txn, &a->policy);
		a->written = a->policy.written;
		break;
	default:
		r = ks_secret_delete_op(ks, txn, &a->del);
		a->written = r == 0;
		if (r == KBS_ERR_NOT_FOUND)
			r = 0; /* gone already: only the number is written */
		break;
	}
	if (r != 0)
		return r;
	return s->seq > a->held.seq ? seq_put(ks, txn, &a->k, s) : 0;
}

int
keystore_replica_apply(struct keystore *ks, const struct keystore_replica_change *c,
    struct keystore_replica_seq *ret_held, bool *ret_written)
{
	enum keystore_replica_family family;
	struct apply_arg a;
	char kb[SEQ_KEY_MAX];
	bool del, pol;
	int r;

	memset(&a, 0, sizeof(a));
	if (ks == NULL || c == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	del = c->op == KEYSTORE_REPLICA_SECRET_DELETE;
	pol = c->op == KEYSTORE_REPLICA_POLICY_PUT;
	if ((c->op != KEYSTORE_REPLICA_SECRET_PUT && !pol && !del) || del != (c->payload_len == 0))
		return KBS_ERR_INVALID_ARGUMENT;
	a.c = c;
	family = pol ? KEYSTORE_REPLICA_POLICIES : KEYSTORE_REPLICA_SECRETS;
	if ((r = seq_key(family, c->name, kb, &a.k)) != 0)
		return r;
	if (c->op == KEYSTORE_REPLICA_SECRET_PUT)
		r = sealed_prepare(&a.sealed, c->name, c->payload, c->payload_len, c->actor);
	else if (c->op == KEYSTORE_REPLICA_POLICY_PUT)
		r = ks_policy_put_prepare(&a.policy, c->name, c->payload, c->payload_len, c->actor);
	else
		r = ks_secret_delete_prepare(&a.del, c->name, c->actor);
	if (r == 0)
		r = ks_write(ks, op_apply, &a);
	free(a.sealed.scratch); /* wiped by the operation */
	if (ret_held != NULL)
		*ret_held = a.held;
	if (r != 0)
		return r;
	if (ret_written != NULL)
		*ret_written = a.written;
	return 0;
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
