/*
 * keystore-int.h: what the files of keystore/ share (not public).
 *
 * Locking, in one place:
 *   ks->lock (rwlock, writer-preferring) is held shared by every LMDB
 *   transaction of this process, read or write, and exclusively only to
 *   resize the map (LMDB requires no live transaction then) and to swap
 *   the master key after a rotation. Both are rare.
 *   ks->q_mu guards the group-commit queue; nothing else is taken under it.
 */
#ifndef KEYSTORE_INT_H
#define KEYSTORE_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "keystore.h"

/*
 * Schema 2: policy and token records are MACed, secrets carry a write id,
 * every change is audited with the object it changed, and a store is made
 * with an audit head. Schema 1 stores are refused (KBS_ERR_STORE_SCHEMA_OLD).
 */
#define KS_SCHEMA_VERSION 2u
#define KS_FORMAT_V1 1u
#define KS_FORMAT_V2 2u

#define KS_SEAL_NONCE 24u /* XChaCha20-Poly1305-IETF */
#define KS_SEAL_TAG 16u
#define KS_KEY_ID_SIZE 8u
#define KS_WRITE_ID_SIZE 16u /* random per secret write: names it in the audit log */
#define KS_MAC_SIZE 32u

/* Batches clear the reader slots of dead processes this often (commit.c). */
#define KS_READER_CHECK_NS (1000000000ull)

/* Keys derived from the master key; in sodium_malloc memory, read-only. */
struct ks_keys {
	uint8_t seal[32];       /* AEAD key for secrets and the check value */
	uint8_t audit_mac[32];  /* HMAC-SHA-256 key for the audit head */
	uint8_t record_mac[32]; /* HMAC-SHA-256 key for policy and token records */
	uint8_t key_id[KS_KEY_ID_SIZE];
};

struct ks_op;

/*
 * An operation runs inside the batch's write transaction. Its contract:
 * a refusal (KBS_ERR_STORE_NONCE_REUSED, NOT_FOUND, EXISTS,
 * STORE_AUDIT_CHAIN, STORE_TOKEN_REVOKED) is returned before its first write, so the batch can
 * commit without it; any other error makes the committer rerun the batch
 * with every operation in its own nested transaction, so one caller's
 * failure never undoes or leaks into another's write. Operations may be
 * run more than once (map resize, rerun), so they touch nothing outside
 * txn but their own outputs in arg.
 */
typedef int (*ks_op_fn)(struct keystore *ks, MDB_txn *txn, void *arg);

struct ks_op {
	ks_op_fn fn;
	void *arg;
	int result;
	bool done;
	pthread_cond_t cv;
	struct ks_op *next;
};

struct keystore {
	MDB_env *env;
	MDB_dbi dbi_meta, dbi_secrets, dbi_policies, dbi_nonces, dbi_nonce_exp, dbi_audit,
	    dbi_audit_index, dbi_tokens, dbi_token_hashes, dbi_certs;
	unsigned flags;
	size_t map_size, max_map_size;
	struct ks_keys *keys;
	pthread_rwlock_t lock;

	pthread_mutex_t q_mu;
	pthread_cond_t q_cv;
	struct ks_op *q_head, *q_tail;
	bool stopping;
	bool busy; /* under q_mu: a batch is running, on the committer or a writer's thread */
	bool committer_started;
	pthread_t committer;
	uint64_t batches; /* under q_mu: committed batches, for tests and the benchmark */
	void (*on_commit)(void *ctx, size_t writes); /* keystore_options.on_commit */
	void *on_commit_ctx;
	uint64_t reader_check_ns;   /* how often batches clear dead readers (tests change it) */
	uint64_t reader_checked_ns; /* __atomic: monotonic time of the last check */

	/* env.c: the store's directory, in the list of stores open in this process */
	dev_t dir_dev;
	ino_t dir_ino;
	bool registered;
	struct keystore *next_open;
};

/* ---- mdb_err.c ------------------------------------------------------ */

/* ks_mdb_err translates an LMDB or errno code to KBS_ERR_*. */
int ks_mdb_err(int rc);

/* ks_commit_err is ks_mdb_err for a failed commit or copy (a short write on a full disk:
 * STORE_FULL). */
int ks_commit_err(struct keystore *ks, int rc);

/* ---- commit.c: transactions, group commit, map growth ---------------- */

/* The lock of the header comment; abort() on a misuse (a bug, not a condition). */
void ks_lock_rd(struct keystore *ks);
void ks_lock_wr(struct keystore *ks);
void ks_unlock(struct keystore *ks);

/* ks_adopt_map_size takes the map size another process grew to (exclusive lock held). */
KBS_MUST_CHECK int ks_adopt_map_size(struct keystore *ks);

/*
 * ks_grow doubles the map (up to max_map_size) unless someone already grew
 * it past seen; KBS_ERR_STORE_FULL at the ceiling. wrlocked: the caller
 * holds the lock exclusively already.
 */
KBS_MUST_CHECK int ks_grow(struct keystore *ks, size_t seen, bool wrlocked);

/* ks_read_begin starts a read transaction (shared lock held until ks_read_end). */
KBS_MUST_CHECK int ks_read_begin(struct keystore *ks, MDB_txn **ret_txn);
void ks_read_end(struct keystore *ks, MDB_txn *txn);

/* ks_write runs fn(arg) durably: alone on this thread, or batched by the committer. */
KBS_MUST_CHECK int ks_write(struct keystore *ks, ks_op_fn fn, void *arg);

/*
 * ks_write_exclusive runs fn alone holding the lock exclusively, then
 * after(ks, arg) once committed, still exclusively (key rotation).
 */
KBS_MUST_CHECK int ks_write_exclusive(
    struct keystore *ks, ks_op_fn fn, void *arg, void (*after)(struct keystore *, void *));

/*
 * The committer's life: init (locks and queue; nothing to undo on
 * failure), start (the thread, unless KEYSTORE_NO_GROUP_COMMIT), stop
 * (answers what is queued, joins; safe if never started), destroy.
 */
KBS_MUST_CHECK int ks_committer_init(struct keystore *ks);
KBS_MUST_CHECK int ks_committer_start(struct keystore *ks);
void ks_committer_stop(struct keystore *ks);
void ks_committer_destroy(struct keystore *ks);

/* keystore_test_run_batch runs ops[0..n) as one batch, as the committer would (tests). */
void keystore_test_run_batch(struct keystore *ks, struct ks_op *ops, size_t n);

/* keystore_test_batches: committed write batches so far (tests, benchmark). */
uint64_t keystore_test_batches(struct keystore *ks);

/* ---- table.c: going over a table, collecting a list ----------------- */

/*
 * ks_each calls fn for every key and value of dbi in key order, through a
 * cursor fn may write the current record through (MDB_CURRENT, in a write
 * transaction); it stops at fn's first non-zero return and returns it.
 */
typedef int (*ks_each_fn)(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, void *ctx);
KBS_MUST_CHECK int ks_each(MDB_txn *txn, MDB_dbi dbi, ks_each_fn fn, void *ctx);

/* A growing array of size-byte items; items is malloc'd (free()), NULL while empty. */
struct ks_vec {
	void *items;
	size_t n, cap, size;
};

/* ks_vec_push appends a zeroed item and returns it, or NULL when out of memory. */
void *ks_vec_push(struct ks_vec *v);

/* ---- masterkey.c ---------------------------------------------------- */

/* ks_keys_load reads the master key and derives *ret_keys (sodium_malloc'd, read-only). */
KBS_MUST_CHECK int ks_keys_load(const struct keystore_key_source *src, struct ks_keys **ret_keys);

/* ks_keys_from_bytes derives keys from 32 raw bytes (tests, fuzzing). */
KBS_MUST_CHECK int ks_keys_from_bytes(const uint8_t master[32], struct ks_keys **ret_keys);

void ks_keys_free(struct ks_keys *keys);

/* ---- names.c -------------------------------------------------------- */

/* ks_name_check: 1..KEYSTORE_NAME_MAX of [A-Za-z0-9._:/@+-]. */
KBS_MUST_CHECK int ks_name_check(const char *name, size_t *ret_len);
/* ks_name_check_bytes: the same for bytes that are not NUL-terminated. */
KBS_MUST_CHECK int ks_name_check_bytes(const uint8_t *name, size_t len);

/* ---- records.c: encodings of stored values (docs/keystore.md) -------- */

/*
 * A writer that either counts (p == NULL) or fills a buffer of known size:
 * each encoder runs once to size and once to fill, so the two cannot drift.
 */
struct ks_w {
	uint8_t *p;
	size_t cap;
	size_t len;
};

struct ks_secret_rec {
	uint32_t version;
	uint8_t key_id[KS_KEY_ID_SIZE];
	int64_t created;
	int64_t updated;
	char policy[KEYSTORE_NAME_MAX + 1];
	uint8_t write_id[KS_WRITE_ID_SIZE];
	uint8_t nonce[KS_SEAL_NONCE];
	const uint8_t *ct; /* ciphertext and tag, pointing into the decoded bytes */
	size_t ct_len;
};

struct ks_policy_rec {
	uint32_t version;
	int64_t since;
	uint8_t sha256[32];
	uint8_t key_id[KS_KEY_ID_SIZE];
	uint8_t mac[KS_MAC_SIZE];
	const uint8_t *data;
	size_t len;
};

struct ks_token_rec {
	uint8_t role; /* enum keystore_token_role */
	uint8_t sha256[32];
	int64_t created;
	int64_t revoked;
	uint8_t key_id[KS_KEY_ID_SIZE];
	uint8_t mac[KS_MAC_SIZE];
};

/* audit_index: the seq of the last audit record that changed an object. */
struct ks_index_rec {
	uint64_t seq;
};

struct ks_cert_rec {
	int64_t fetched;
	const uint8_t *data;
	size_t len;
};

struct ks_head_rec {
	uint64_t seq;
	uint8_t sha256[32];
	uint8_t mac[32];
};

struct ks_check_rec {
	uint8_t key_id[KS_KEY_ID_SIZE];
	uint8_t nonce[KS_SEAL_NONCE];
	uint8_t ct[32 + KS_SEAL_TAG];
};

void ks_secret_rec_encode(struct ks_w *w, const struct ks_secret_rec *r);
KBS_MUST_CHECK int ks_secret_rec_decode(const uint8_t *p, size_t len, struct ks_secret_rec *ret);

/* Decoding checks the bytes against the stored SHA-256 (STORE_INTEGRITY), not the MAC (seal.c). */
void ks_policy_rec_encode(struct ks_w *w, const struct ks_policy_rec *r);
KBS_MUST_CHECK int ks_policy_rec_decode(const uint8_t *p, size_t len, struct ks_policy_rec *ret);

void ks_token_rec_encode(struct ks_w *w, const struct ks_token_rec *r);
KBS_MUST_CHECK int ks_token_rec_decode(const uint8_t *p, size_t len, struct ks_token_rec *ret);

void ks_index_rec_encode(struct ks_w *w, const struct ks_index_rec *r);
KBS_MUST_CHECK int ks_index_rec_decode(const uint8_t *p, size_t len, struct ks_index_rec *ret);

void ks_cert_rec_encode(struct ks_w *w, const struct ks_cert_rec *r);
KBS_MUST_CHECK int ks_cert_rec_decode(const uint8_t *p, size_t len, struct ks_cert_rec *ret);

void ks_nonce_rec_encode(struct ks_w *w, int64_t expires);
KBS_MUST_CHECK int ks_nonce_rec_decode(const uint8_t *p, size_t len, int64_t *ret_expires);

void ks_head_rec_encode(struct ks_w *w, const struct ks_head_rec *r);
KBS_MUST_CHECK int ks_head_rec_decode(const uint8_t *p, size_t len, struct ks_head_rec *ret);

void ks_check_rec_encode(struct ks_w *w, const struct ks_check_rec *r);
KBS_MUST_CHECK int ks_check_rec_decode(const uint8_t *p, size_t len, struct ks_check_rec *ret);

/* ks_audit_rec_check validates the caller's strings and sizes before encoding. */
KBS_MUST_CHECK int ks_audit_rec_check(const struct keystore_audit_record *r);
void ks_audit_rec_encode(struct ks_w *w, const struct keystore_audit_record *r);
/*
 * ks_audit_rec_decode parses p (which must stay alive: strings point into
 * it, and the record's strings are stored with their NUL) into ret;
 * *ret_names is a malloc'd array of n_secret_names pointers (free()).
 */
KBS_MUST_CHECK int ks_audit_rec_decode(
    const uint8_t *p, size_t len, struct keystore_audit_record *ret, const char ***ret_names);

/*
 * An encoding to run: a typed encoder with its record. Only the ks_enc_*
 * constructors make one, each pairing an encoder with a thunk that takes
 * the record back to its own type, so no encoder is ever called through a
 * function pointer of another type.
 */
struct ks_enc {
	void (*run)(struct ks_w *w, const void *rec);
	const void *rec;
};

struct ks_enc ks_enc_secret(const struct ks_secret_rec *r);
struct ks_enc ks_enc_policy(const struct ks_policy_rec *r);
struct ks_enc ks_enc_token(const struct ks_token_rec *r);
struct ks_enc ks_enc_index(const struct ks_index_rec *r);
struct ks_enc ks_enc_cert(const struct ks_cert_rec *r);
struct ks_enc ks_enc_head(const struct ks_head_rec *r);
struct ks_enc ks_enc_check(const struct ks_check_rec *r);
struct ks_enc ks_enc_audit(const struct keystore_audit_record *r);

/* ks_encode_alloc runs e twice (to size, then to fill) into a malloc'd buffer. */
KBS_MUST_CHECK int ks_encode_alloc(struct ks_enc e, uint8_t **ret_p, size_t *ret_len);

/*
 * ks_put_enc stores e under key without a copy: it encodes once to learn
 * the size, reserves that many bytes in LMDB (MDB_RESERVE | flags, through
 * mdb_cursor_put on cur if cur is not NULL, else mdb_put into dbi), and
 * encodes again into the reserved bytes. *ret_val (may be NULL) receives
 * the stored bytes, valid until the next write in txn. LMDB errors are
 * translated (MDB_KEYEXIST is KBS_ERR_EXISTS).
 */
KBS_MUST_CHECK int ks_put_enc(MDB_txn *txn, MDB_dbi dbi, MDB_cursor *cur, const MDB_val *key,
    unsigned flags, struct ks_enc e, MDB_val *ret_val);

/* ---- seal.c: seals, MACs and record identities ----------------------- */

/*
 * A record's identity is the fields its seal or MAC covers, without the
 * key: the AEAD associated data of a secret (minus the key id), the MACed
 * bytes of a policy or token. Its SHA-256 (the *_digest functions) is what
 * the audit record of the change that wrote it names, so it identifies
 * one write, whatever key seals it now.
 */
KBS_MUST_CHECK int ks_seal_secret(const struct ks_keys *keys, const char *name,
    struct ks_secret_rec *r, const uint8_t *value, size_t value_len, uint8_t *ct_out);
KBS_MUST_CHECK int ks_open_secret(const struct ks_keys *keys, const char *name,
    const struct ks_secret_rec *r, uint8_t *value_out);
void ks_secret_digest(
    const char *name, size_t name_len, const struct ks_secret_rec *r, uint8_t out[32]);

/* ks_policy_mac sets r's key id and MAC under keys. */
void ks_policy_mac(
    const struct ks_keys *keys, const char *name, size_t name_len, struct ks_policy_rec *r);
/* ks_policy_check: 0, KBS_ERR_STORE_MASTER_KEY (another key id), KBS_ERR_STORE_INTEGRITY. */
KBS_MUST_CHECK int ks_policy_check(
    const struct ks_keys *keys, const char *name, size_t name_len, const struct ks_policy_rec *r);
void ks_policy_digest(
    const char *name, size_t name_len, const struct ks_policy_rec *r, uint8_t out[32]);

void ks_token_mac(
    const struct ks_keys *keys, const char *id, size_t id_len, struct ks_token_rec *r);
KBS_MUST_CHECK int ks_token_check(
    const struct ks_keys *keys, const char *id, size_t id_len, const struct ks_token_rec *r);
void ks_token_digest(const char *id, size_t id_len, const struct ks_token_rec *r, uint8_t out[32]);

KBS_MUST_CHECK int ks_check_make(const struct ks_keys *keys, struct ks_check_rec *ret);
KBS_MUST_CHECK int ks_check_verify(const struct ks_keys *keys, const struct ks_check_rec *c);

void ks_head_mac(const struct ks_keys *keys, struct ks_head_rec *h);
KBS_MUST_CHECK int ks_head_mac_verify(const struct ks_keys *keys, const struct ks_head_rec *h);

/* ---- meta.c --------------------------------------------------------- */

/* ks_meta_get_head reads the head; *ret_present false (and *ret zeroed) if there is none. */
KBS_MUST_CHECK int ks_meta_get_head(
    struct keystore *ks, MDB_txn *txn, struct ks_head_rec *ret, bool *ret_present);
KBS_MUST_CHECK int ks_meta_put_head(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *h);
/*
 * ks_meta_init_or_check makes a new store's meta (schema, check value, the
 * MACed head of the empty chain) or checks an existing one's schema and key.
 */
KBS_MUST_CHECK int ks_meta_init_or_check(struct keystore *ks, MDB_txn *txn);
KBS_MUST_CHECK int ks_meta_put_check(struct keystore *ks, MDB_txn *txn, const struct ks_keys *keys);
/*
 * ks_meta_check_key: KBS_ERR_STORE_MASTER_KEY if the store's key id is not
 * ks->keys' (another process rotated the key since this one opened).
 * Every write that uses the key calls it first, before writing anything.
 */
KBS_MUST_CHECK int ks_meta_check_key(struct keystore *ks, MDB_txn *txn);

/* ---- audit.c: the chain, and the change records --------------------- */

/* Audit keys are the sequence number as u64 big-endian, so LMDB order is sequence order. */
void ks_seq_key(uint8_t out[8], uint64_t seq);
/* ks_seq_from_key reads one back; false if the key is not 8 bytes. */
bool ks_seq_from_key(const MDB_val *k, uint64_t *ret);

/* ks_actor_check: a name for id, request id and address within KEYSTORE_AUDIT_FIELD_MAX. */
KBS_MUST_CHECK int ks_actor_check(const struct keystore_actor *a);

/* ks_change_rec starts the audit record of a change: event, actor, time; flags HAS_OBJECT. */
void ks_change_rec(struct keystore_audit_record *rec, const struct keystore_actor *a,
    const char *event, int64_t now);

/*
 * ks_audit_begin is the first step of every operation that appends: it
 * checks the store's key id (STORE_MASTER_KEY) and reads the head, which
 * must exist and pass its MAC (KBS_ERR_STORE_AUDIT_CHAIN otherwise: a head
 * someone without the key wrote must never be re-MACed). A refusal,
 * before any write. *ret_head is then passed to ks_audit_add.
 */
KBS_MUST_CHECK int ks_audit_begin(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *ret_head);

/*
 * ks_audit_add appends rec (time set, seq and prev_sha256 taken from
 * *head) after *head, moves *head on and stores it MACed under keys, and,
 * for a record with KEYSTORE_AUDIT_HAS_OBJECT, points the object's
 * audit_index entry at it. *ret_seq (may be NULL) receives the seq.
 */
KBS_MUST_CHECK int ks_audit_add(struct keystore *ks, MDB_txn *txn, struct ks_head_rec *head,
    const struct ks_keys *keys, const struct keystore_audit_record *rec, uint64_t *ret_seq);

/* ks_index_key builds the audit_index key: u8 kind, then the name. Returns its length. */
#define KS_INDEX_KEY_MAX (1 + KEYSTORE_NAME_MAX)
size_t ks_index_key(uint8_t out[KS_INDEX_KEY_MAX], enum keystore_object_kind kind, const char *name,
    size_t name_len);

/*
 * ks_audit_walk checks the chain in txn as keystore_audit_verify does,
 * calling fn (if not NULL) for each record that decodes, with its seq and
 * stored bytes' hash; a non-zero return from fn stops the walk and is
 * returned. On a broken chain: KBS_ERR_STORE_AUDIT_CHAIN with *ret_bad.
 */
typedef int (*ks_walk_fn)(
    struct keystore *ks, MDB_txn *txn, const struct keystore_audit_record *rec, void *ctx);
KBS_MUST_CHECK int ks_audit_walk(struct keystore *ks, MDB_txn *txn, ks_walk_fn fn, void *ctx,
    uint64_t *ret_count, uint64_t *ret_bad, struct keystore_audit_head *ret_head);

/* ks_audit_get_rec decodes record seq from txn into *ret (strings point into the map). */
KBS_MUST_CHECK int ks_audit_get_rec(struct keystore *ks, MDB_txn *txn, uint64_t seq,
    struct keystore_audit_record *ret, const char ***ret_names);

/* ---- nonces.c ------------------------------------------------------- */

/* ks_nonce_consume records nonce until expires; STORE_NONCE_REUSED (before writing) if it was. */
KBS_MUST_CHECK int ks_nonce_consume(
    struct keystore *ks, MDB_txn *txn, const uint8_t *nonce, int64_t expires);

/* ---- rotation (rotate.c): each table re-seals or re-MACs its records -- */

/*
 * Each checks every record under ks->keys first; any failure leaves txn
 * to be aborted. They go over their table with ks_each and this context.
 */
struct ks_rekey {
	struct keystore *ks;
	const struct ks_keys *new_keys;
};

KBS_MUST_CHECK int ks_secrets_reseal(
    struct keystore *ks, MDB_txn *txn, const struct ks_keys *new_keys);
KBS_MUST_CHECK int ks_policies_remac(
    struct keystore *ks, MDB_txn *txn, const struct ks_keys *new_keys);
KBS_MUST_CHECK int ks_tokens_remac(
    struct keystore *ks, MDB_txn *txn, const struct ks_keys *new_keys);

/* ---- policies.c, tokens.c: what verify.c reads ---------------------- */

/* ks_policy_key builds the policies key: name, 0x00, u32 BE version. Returns its length. */
#define KS_PKEY_MAX (KEYSTORE_NAME_MAX + 5)
size_t ks_policy_key(uint8_t out[KS_PKEY_MAX], const char *name, size_t name_len, uint32_t version);

/*
 * ks_policy_key_split takes any key of the table apart into a
 * NUL-terminated name and a version; KBS_ERR_STORE_CORRUPT for another shape.
 */
KBS_MUST_CHECK int ks_policy_key_split(
    const MDB_val *k, char name[KEYSTORE_NAME_MAX + 1], size_t *ret_len, uint32_t *ret_v);

/*
 * ks_policy_read decodes one stored version v and checks that it is
 * version of name and passes its MAC (STORE_CORRUPT, STORE_INTEGRITY,
 * STORE_MASTER_KEY).
 */
KBS_MUST_CHECK int ks_policy_read(struct keystore *ks, const MDB_val *v, const char *name,
    size_t name_len, uint32_t version, struct ks_policy_rec *ret);

/* ks_policy_read_at is ks_policy_read for a record found by its key k: name and version from k. */
KBS_MUST_CHECK int ks_policy_read_at(struct keystore *ks, const MDB_val *k, const MDB_val *v,
    char name[KEYSTORE_NAME_MAX + 1], size_t *ret_name_len, struct ks_policy_rec *ret);

/* ks_policy_current finds name's current version (MAC checked); KBS_ERR_NOT_FOUND. */
KBS_MUST_CHECK int ks_policy_current(struct keystore *ks, MDB_txn *txn, const char *name,
    size_t name_len, struct ks_policy_rec *ret);

/*
 * The operations of keystore_policy_put and keystore_secret_delete, for
 * replica.c to run with a replication sequence number in one transaction.
 * *_prepare checks the arguments (the public call's errors) and fills a;
 * the op runs under ks_write. name, data and actor stay the caller's.
 */
struct ks_policy_put_arg {
	const struct keystore_actor *actor;
	const char *name;
	size_t name_len;
	const uint8_t *data;
	size_t len;
	uint8_t sha256[32];
	int64_t now;
	uint32_t version; /* out: the current version after the op */
	bool written;     /* out: false when these bytes were current already */
};
KBS_MUST_CHECK int ks_policy_put_prepare(struct ks_policy_put_arg *a, const char *name,
    const uint8_t *data, size_t len, const struct keystore_actor *actor);
KBS_MUST_CHECK int ks_policy_put_op(struct keystore *ks, MDB_txn *txn, void *arg);

struct ks_secret_del_arg {
	const struct keystore_actor *actor;
	const char *name;
	size_t name_len;
	int64_t now;
};
KBS_MUST_CHECK int ks_secret_delete_prepare(
    struct ks_secret_del_arg *a, const char *name, const struct keystore_actor *actor);
/* ks_secret_delete_op: KBS_ERR_NOT_FOUND (a refusal, nothing written) when name has no secret. */
KBS_MUST_CHECK int ks_secret_delete_op(struct keystore *ks, MDB_txn *txn, void *arg);

/* ks_token_read decodes the record stored under key k (an id) and checks its MAC. */
KBS_MUST_CHECK int ks_token_read(
    struct keystore *ks, const MDB_val *k, const MDB_val *v, struct ks_token_rec *ret);

/* ks_token_get reads id's record (MAC checked); KBS_ERR_NOT_FOUND. */
KBS_MUST_CHECK int ks_token_get(
    struct keystore *ks, MDB_txn *txn, const char *id, size_t id_len, struct ks_token_rec *ret);

#endif
