/*
 * etcd.h: etcd's v3 JSON gateway (etcd 3.4: POST /v3/kv/range, /v3/kv/txn,
 * /v3/watch) over libcurl, and the decoding of its answers, for the
 * broker's replication (replica.h). Keys and values travel base64 in
 * JSON and 64-bit numbers as decimal strings; a watch answers one JSON
 * object per line for as long as it stays open.
 *
 * Nothing here knows what the keys mean: replica.c does. Every request
 * has the configured timeout (the watch: to connect) and tries the
 * endpoints in turn, starting from the last one that answered.
 */
#ifndef KBS_ETCD_H
#define KBS_ETCD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kbs_common.h"

#define KBS_ETCD_KEY_MAX 511          /* prefix, kind and a keystore name fit */
#define KBS_ETCD_VALUE_MAX (2u << 20) /* a 1 MiB policy and its envelope fit */
#define KBS_ETCD_ANSWER_MAX (256u << 20)

/* One key-value, or one event of a watch (deleted: a DELETE; value empty). */
struct kbs_etcd_kv {
	char key[KBS_ETCD_KEY_MAX + 1]; /* never holds a NUL byte (refused) */
	uint8_t *value;                 /* malloc'd, NULL when empty */
	size_t value_len;
	int64_t mod_revision;
	int64_t version;
	int deleted;
};

/* A decoded answer: of a range, a txn, or one watch message. */
struct kbs_etcd_msg {
	int64_t revision;         /* header.revision: the store's revision when answered */
	int created;              /* watch: the watch was made */
	int canceled;             /* watch: etcd ended it */
	int64_t compact_revision; /* watch: > 0 when the start revision was compacted */
	int succeeded;            /* txn: the compare held */
	size_t n;
	struct kbs_etcd_kv *kvs; /* range: kvs; watch: events in revision order */
};

/* kbs_etcd_msg_clear frees m's kvs and zeroes it. */
void kbs_etcd_msg_clear(struct kbs_etcd_msg *m);

/*
 * The decoders read one answer of len bytes into *ret (cleared first; on
 * failure left empty). KBS_ERR_ETCD_PROTOCOL for anything not of the
 * gateway's shape: not JSON, a member of the wrong type, a number that is
 * not a non-negative decimal string, bad base64, a key or value too long
 * or a key holding NUL, more than KBS_ETCD_MAX_ITEMS items; KBS_ERR_ALLOC.
 * Unknown members are ignored (etcd adds some: cluster_id, raft_term).
 */
#define KBS_ETCD_MAX_ITEMS 1000000
KBS_MUST_CHECK int kbs_etcd_parse_range(const char *json, size_t len, struct kbs_etcd_msg *ret);
KBS_MUST_CHECK int kbs_etcd_parse_txn(const char *json, size_t len, struct kbs_etcd_msg *ret);
KBS_MUST_CHECK int kbs_etcd_parse_watch(const char *json, size_t len, struct kbs_etcd_msg *ret);

struct kbs_etcd;

/*
 * kbs_etcd_new makes a client for cfg (which must have endpoints). Call
 * it before any thread starts (it initialises libcurl). KBS_ERR_ALLOC,
 * KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int kbs_etcd_new(const struct kbs_config_etcd *cfg, struct kbs_etcd **ret);
void kbs_etcd_free(struct kbs_etcd *e);

/*
 * kbs_etcd_check_files reads cfg's TLS files at start-up, so a typo fails
 * then and not at the first write: ca_file and cert_file must each begin
 * with a PEM certificate (KBS_ERR_ETCD_TLS_FILE); key_file must pass
 * kbs_file_read_private and hold an unencrypted PEM private key of
 * cert_file's first certificate (KBS_ERR_ETCD_KEY_FILE). msg names the
 * member and its path ("etcd.key_file \"PATH\": ..."), never the contents.
 * Unset members are not checked; 0 when none is set.
 */
KBS_MUST_CHECK int kbs_etcd_check_files(
    const struct kbs_config_etcd *cfg, char *msg, size_t msg_size);

/*
 * Requests. Each is thread-safe (its own libcurl handle). Errors besides
 * the decoders': KBS_ERR_ETCD_UNAVAILABLE when no endpoint answered within
 * the timeout or every one answered 5xx (no leader, say).
 *
 * kbs_etcd_range reads every key under the configured prefix.
 * kbs_etcd_revision reads only the store's current revision (count only).
 * kbs_etcd_put_if writes key = value if key's mod_revision is expect (0:
 * the key must not exist), in one txn; kbs_etcd_delete_if deletes it
 * likewise. Both: *ret_revision the revision of the write;
 * KBS_ERR_ETCD_CONFLICT when the compare failed (nothing written).
 */
KBS_MUST_CHECK int kbs_etcd_range(struct kbs_etcd *e, struct kbs_etcd_msg *ret);
KBS_MUST_CHECK int kbs_etcd_revision(struct kbs_etcd *e, int64_t *ret_revision);
KBS_MUST_CHECK int kbs_etcd_put_if(struct kbs_etcd *e, const char *key, const uint8_t *value,
    size_t len, int64_t expect, int64_t *ret_revision);
KBS_MUST_CHECK int kbs_etcd_delete_if(
    struct kbs_etcd *e, const char *key, int64_t expect, int64_t *ret_revision);

/* kbs_etcd_prefix is the configured prefix ("/kbs/"). */
const char *kbs_etcd_prefix(const struct kbs_etcd *e);

struct kbs_etcd_watch;

/*
 * kbs_etcd_watch_open starts a watch of the prefix from start_revision
 * (progress notifications on) on the first endpoint that connects.
 * kbs_etcd_watch_next waits at most wait_ms for the next message: 0 with
 * *ret filled, or 0 with ret->revision == 0 and no flags when nothing
 * came (call again); KBS_ERR_ETCD_UNAVAILABLE when the stream ended or
 * broke (close it and open another), the decoder's errors, or
 * KBS_ERR_TOO_LARGE for a line over KBS_ETCD_ANSWER_MAX.
 */
KBS_MUST_CHECK int kbs_etcd_watch_open(
    struct kbs_etcd *e, int64_t start_revision, struct kbs_etcd_watch **ret);
KBS_MUST_CHECK int kbs_etcd_watch_next(
    struct kbs_etcd_watch *w, unsigned wait_ms, struct kbs_etcd_msg *ret);
void kbs_etcd_watch_close(struct kbs_etcd_watch *w);

#endif
