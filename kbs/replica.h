/*
 * replica.h: a broker replica kept in step with etcd (docs/operations.md,
 * "Scale-out"). etcd holds the policies and the sealed secrets; each
 * replica applies etcd's watch stream into its own keystore by revision,
 * so guests are served from LMDB alone and a replica goes on releasing
 * while etcd is down. Admin writes go to etcd as a transaction on the
 * key's mod_revision, and reach this replica's store through the watch
 * like everyone else's.
 *
 * Keys: PREFIX "secrets/" NAME and PREFIX "policies/" NAME. Values: the
 * envelope of replica_value.c (kind, the object's sequence number, name,
 * who asked, the payload: a sealed secret record, a policy's bytes, or
 * nothing for a deleted secret's tombstone; MACed under the master key).
 * A replica applies a value only above the sequence number it holds for
 * the object (keystore_replica_apply), so an older authentic value put
 * back into etcd is refused ("etcd_rollback") instead of applied.
 */
#ifndef KBS_REPLICA_H
#define KBS_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kbs_common.h"

struct keystore;
struct keystore_actor;
struct kbs_metrics;
struct kbs_replica;

/* ---- The replicated value (replica_value.c) --------------------------- */

enum kbs_replica_kind {
	KBS_REPLICA_SECRET = 1,    /* payload: keystore_secret_seal's record */
	KBS_REPLICA_POLICY = 2,    /* payload: the policy file's bytes */
	KBS_REPLICA_TOMBSTONE = 3, /* a deleted secret, under its secrets/ key; no payload */
};

#define KBS_REPLICA_ORIGIN_MAX 63 /* a replica_id */
#define KBS_REPLICA_REQUEST_MAX 64

/* A decoded value: strings copied, payload pointing into the decoded bytes. */
struct kbs_replica_value {
	enum kbs_replica_kind kind;
	uint64_t seq; /* >= 1; 0 only when decoded from a v1 value */
	char name[256];
	char actor[256];                              /* the admin token id */
	char request_id[KBS_REPLICA_REQUEST_MAX + 1]; /* "" when none */
	char origin[KBS_REPLICA_ORIGIN_MAX + 1];      /* the replica that wrote it */
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * kbs_replica_value_encode writes v as a malloc'd v2 value (free()) MACed
 * with keystore_replica_mac. KBS_ERR_INVALID_ARGUMENT for a bad name,
 * actor or kind, seq 0, a payload with a tombstone or none without one;
 * KBS_ERR_TOO_LARGE, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_replica_value_encode(
    struct keystore *ks, const struct kbs_replica_value *v, uint8_t **ret, size_t *ret_len);

/*
 * kbs_replica_value_decode reads p[0..len) into *ret without checking its
 * MAC (payload points into p); *ret_mac_len is how many leading bytes the
 * MAC covers. A v1 value decodes with seq 0. KBS_ERR_ETCD_RECORD for
 * anything malformed: seq 0 in a v2 value, a tombstone with a payload or
 * another kind without one, a tombstone in v1, bytes after the MAC.
 * kbs_replica_value_open does both: decode, then keystore_replica_mac_check
 * (KBS_ERR_ETCD_RECORD when it fails too).
 */
KBS_MUST_CHECK int kbs_replica_value_decode(
    const uint8_t *p, size_t len, struct kbs_replica_value *ret, size_t *ret_mac_len);
KBS_MUST_CHECK int kbs_replica_value_open(
    struct keystore *ks, const uint8_t *p, size_t len, struct kbs_replica_value *ret);

/* ---- The replica -------------------------------------------------------- */

/*
 * kbs_replica_new prepares replication for ks with cfg (endpoints set);
 * origin is this replica's id. Nothing is read from etcd yet:
 * kbs_replica_start runs the watcher thread. metrics may be NULL; the
 * replica registers its gauges there (kbs_etcd_*). KBS_ERR_ALLOC,
 * KBS_ERR_INVALID_ARGUMENT, the keystore's errors.
 */
KBS_MUST_CHECK int kbs_replica_new(const struct kbs_config_etcd *cfg, const char *origin,
    struct keystore *ks, struct kbs_metrics *metrics, struct kbs_replica **ret);
KBS_MUST_CHECK int kbs_replica_start(struct kbs_replica *rp);

/* kbs_replica_free stops and joins the watcher (within about a second) and frees rp. */
void kbs_replica_free(struct kbs_replica *rp);

/* What /readyz reports. */
struct kbs_replica_status {
	uint64_t applied; /* the revision this replica's store holds */
	uint64_t seen;    /* the newest revision etcd was seen at */
	uint64_t behind;  /* seen - applied (0 if seen is older) */
	bool synced;      /* a full read has been applied, now or before a restart */
	bool up;          /* etcd answered the last request */
	bool watching;    /* the watch stream is open */
	bool ready;       /* synced and at most max_lag behind */
	uint64_t max_lag;
};

void kbs_replica_status(struct kbs_replica *rp, struct kbs_replica_status *ret);

/*
 * The admin writes. expect is the mod_revision the caller saw (If-Match),
 * or -1 for "what this replica has applied" (0 when it has no such key).
 * Each returns 0 with *ret_revision once etcd has committed the write;
 * then it waits (at most the etcd timeout) for this replica to apply it,
 * so a read right after sees it. Errors: KBS_ERR_ETCD_CONFLICT (409),
 * KBS_ERR_ETCD_UNAVAILABLE (503), KBS_ERR_ETCD_NOT_SYNCED (503: no full
 * read yet), KBS_ERR_NOT_FOUND (delete of a key etcd lacks, with expect
 * -1), the keystore's and the encoder's.
 */
KBS_MUST_CHECK int kbs_replica_secret_put(struct kbs_replica *rp, const char *name,
    const uint8_t *value, size_t len, const char *policy, int64_t expect,
    const struct keystore_actor *actor, int64_t *ret_revision);
KBS_MUST_CHECK int kbs_replica_secret_delete(struct kbs_replica *rp, const char *name,
    int64_t expect, const struct keystore_actor *actor, int64_t *ret_revision);
KBS_MUST_CHECK int kbs_replica_policy_put(struct kbs_replica *rp, const char *name,
    const uint8_t *data, size_t len, int64_t expect, const struct keystore_actor *actor,
    int64_t *ret_revision);

/*
 * kbs_replica_object_revision gives the mod_revision of kind/name as this
 * replica has applied it: 0 and *ret, or KBS_ERR_NOT_FOUND (also for a
 * tombstone), or KBS_ERR_ETCD_NOT_SYNCED.
 */
KBS_MUST_CHECK int kbs_replica_object_revision(
    struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name, int64_t *ret);

/*
 * kbs_replica_parse_if_match reads an If-Match header: a revision number,
 * bare or in double quotes (an entity tag). NULL is -1 (none given).
 * KBS_ERR_ETCD_IF_MATCH otherwise (a list, "*", W/, a sign, > 2^63-1).
 */
KBS_MUST_CHECK int kbs_replica_parse_if_match(const char *header, int64_t *ret);

#endif
