/*
 * replica.c: the watcher that keeps this replica's keystore in step with
 * etcd, and the admin writes that go through etcd (replica.h).
 *
 * One thread. It starts with a full read of the prefix (the map of every
 * key's mod_revision is built from it, and the store made to match),
 * then watches from the revision after it. Each watch message is applied
 * in revision order, then the applied revision is stored
 * (keystore_replica_set_revision): applying is idempotent (a sealed
 * record already current, a policy's same bytes, a secret already gone
 * write nothing), so a crash between the two only replays. When the watch
 * breaks the thread watches again from the applied revision + 1 (catch
 * up); when etcd answers that this revision was compacted away, it reads
 * everything again (resync). Once a second it asks etcd for its revision
 * (how far behind, and whether etcd is up). Guests never wait on any of
 * this: they read the keystore.
 *
 * Rollbacks: every value carries its object's sequence number (inside
 * the MAC), and keystore_replica_apply applies a change only above the
 * number the store holds for the object, recording the number in the
 * same transaction. An older authentic value put back into etcd, or a
 * deleted secret's value put back over its tombstone, is refused
 * (logged "etcd_rollback", kbs_etcd_rollbacks_total) and passed over.
 * Admin writes number their value above this replica's number, that of
 * etcd's current value and etcd's revision just before the write (the
 * floor an etcd writer cannot lower: next_seq); a secret's DELETE is a
 * tombstone put.
 *
 * The map (kind, name -> mod_revision, tombstone, seq) is what an admin
 * write without If-Match expects: etcd's state as this replica saw it,
 * refused values included (so the next write's compare matches etcd).
 * It lives under mu with the revisions; the thread applies outside the
 * lock, and only it changes the map.
 */
#include "replica.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "etcd.h"
#include "keystore.h"
#include "metrics.h"

#define POLL_MS 1000u       /* etcd's revision is asked this often */
#define WATCH_WAIT_MS 200u  /* the longest wait for a watch message (stop latency) */
#define BACKOFF_MIN_MS 100u /* after a failed read or a broken watch */
#define BACKOFF_MAX_MS 2000u
#define SYNC_ACTOR "etcd-sync" /* the actor of removals a full read finds */

static const char kind_secrets[] = "secrets/";
static const char kind_policies[] = "policies/";

/*
 * What etcd holds at one key, as this replica last saw it: the
 * mod_revision (what a write compares), its seq (0 for a v1 value or one
 * that did not open), and whether this replica passed it over (refused
 * it as a rollback, or it did not open: then its SHA-256, so a full read
 * does not log the same refusal again); and whether the object counts as
 * absent here (tomb: the value is a tombstone, or it was passed over and
 * the store lacks the secret, as after a deleted secret's value, or
 * garbage, put over its tombstone).
 */
struct entry {
	enum kbs_replica_kind kind; /* of the key: SECRET (tombstones too) or POLICY */
	char name[KEYSTORE_NAME_MAX + 1];
	int64_t rev;
	uint64_t seq;
	bool tomb, passed;
	uint8_t passed_sha[32];
};

struct map {
	struct entry *e;
	size_t n, cap;
};

struct kbs_replica {
	struct kbs_config_etcd cfg;
	char origin[KBS_REPLICA_ORIGIN_MAX + 1];
	struct keystore *ks;
	struct kbs_metrics *metrics;
	struct kbs_etcd *etcd;
	pthread_t thread;
	int started;
	atomic_int stop;

	pthread_mutex_t mu;
	pthread_cond_t applied_cond; /* signalled when applied moves */
	struct map map;              /* under mu */
	int have_map;                /* under mu: a full read was applied in this process */
	int64_t applied;             /* under mu */
	int64_t seen;                /* under mu */
	bool synced;                 /* under mu: have_map, or a revision stored before */

	atomic_int up, watching;
	atomic_uint_fast64_t applied_gauge, reconnects, resyncs, rollbacks;
};

/* ---- the map ------------------------------------------------------------ */

static int
entry_cmp(enum kbs_replica_kind kind, const char *name, const struct entry *e)
{
	if (kind != e->kind)
		return kind < e->kind ? -1 : 1;
	return strcmp(name, e->name);
}

/* map_find returns the index of (kind, name) or where it would go; *ret_found. */
static size_t
map_find(const struct map *m, enum kbs_replica_kind kind, const char *name, int *ret_found)
{
	size_t lo = 0, hi = m->n;

	*ret_found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = entry_cmp(kind, name, &m->e[mid]);

		if (c == 0) {
			*ret_found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* map_put finds (kind, name) or adds it (rev 0, nothing seen); NULL when out of memory. */
static struct entry *
map_put(struct map *m, enum kbs_replica_kind kind, const char *name)
{
	int found;
	size_t at = map_find(m, kind, name, &found);

	if (found)
		return &m->e[at];
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct entry *e = realloc(m->e, cap * sizeof(*e));

		if (e == NULL)
			return NULL;
		m->e = e;
		m->cap = cap;
	}
	memmove(&m->e[at + 1], &m->e[at], (m->n - at) * sizeof(*m->e));
	memset(&m->e[at], 0, sizeof(m->e[at]));
	m->e[at].kind = kind;
	snprintf(m->e[at].name, sizeof(m->e[at].name), "%s", name);
	m->n++;
	return &m->e[at];
}

static void
map_del(struct map *m, enum kbs_replica_kind kind, const char *name)
{
	int found;
	size_t at = map_find(m, kind, name, &found);

	if (!found)
		return;
	memmove(&m->e[at], &m->e[at + 1], (m->n - at - 1) * sizeof(*m->e));
	m->n--;
}

/* ---- keys --------------------------------------------------------------- */

static int
make_key(const struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name, char *out,
    size_t size)
{
	int n = snprintf(out, size, "%s%s%s", rp->cfg.prefix,
	    kind == KBS_REPLICA_SECRET ? kind_secrets : kind_policies, name);

	return n < 0 || (size_t)n >= size ? KBS_ERR_TOO_LARGE : 0;
}

/* split_key finds kind and name in a key of the prefix; 0 for keys of no kind of ours. */
static int
split_key(const struct kbs_replica *rp, const char *key, enum kbs_replica_kind *ret_kind,
    const char **ret_name)
{
	size_t pl = strlen(rp->cfg.prefix);
	const char *rest;

	if (strncmp(key, rp->cfg.prefix, pl) != 0)
		return 0;
	rest = key + pl;
	if (strncmp(rest, kind_secrets, sizeof(kind_secrets) - 1) == 0) {
		*ret_kind = KBS_REPLICA_SECRET;
		*ret_name = rest + sizeof(kind_secrets) - 1;
	} else if (strncmp(rest, kind_policies, sizeof(kind_policies) - 1) == 0) {
		*ret_kind = KBS_REPLICA_POLICY;
		*ret_name = rest + sizeof(kind_policies) - 1;
	} else {
		return 0;
	}
	return (*ret_name)[0] != '\0' && strlen(*ret_name) <= KEYSTORE_NAME_MAX;
}

/* ---- applying ----------------------------------------------------------- */

static void
apply_failed(const char *key, int64_t rev, int r)
{
	kbs_log(KBS_LOG_ERROR,
	    "{\"event\":\"etcd_apply\",\"key\":\"%.300s\",\"revision\":%lld,\"error\":\"%s\"}", key,
	    (long long)rev, kbs_err_name(r));
}

/* What apply_put found in one etcd value: for the map. */
struct seen {
	uint64_t seq;    /* the value's (0: v1, or it did not open) */
	uint64_t held;   /* the seq this replica held (on a rollback) */
	bool tomb;       /* absent here: a tombstone, or (passed over) a secret the store lacks */
	uint8_t sha[32]; /* SHA-256 of the value's bytes */
};

/*
 * apply_put stores one value of kind/name: a sealed secret record as it
 * is, a policy's bytes, or a tombstone's delete, together with the
 * value's seq (keystore_replica_apply: KBS_ERR_ETCD_ROLLBACK, nothing
 * written, for a seq below the held one or the same seq with other
 * bytes). Its audit record names the admin token that asked on the
 * origin replica and says where it came from.
 */
static int
apply_put(struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name,
    const struct kbs_etcd_kv *kv, struct seen *ret)
{
	struct kbs_replica_value v;
	struct keystore_replica_change c;
	struct keystore_replica_seq held;
	struct keystore_actor actor;
	char from[KBS_REPLICA_ORIGIN_MAX + 48];
	bool written = false;
	int r;

	memset(ret, 0, sizeof(*ret));
	crypto_hash_sha256(ret->sha, kv->value, kv->value_len);
	if ((r = kbs_replica_value_open(rp->ks, kv->value, kv->value_len, &v)) != 0)
		return r;
	if ((v.kind != kind && !(kind == KBS_REPLICA_SECRET && v.kind == KBS_REPLICA_TOMBSTONE)) ||
	    strcmp(v.name, name) != 0)
		return KBS_ERR_ETCD_RECORD; /* a value moved to another key */
	ret->seq = v.seq;
	ret->tomb = v.kind == KBS_REPLICA_TOMBSTONE;
	snprintf(from, sizeof(from), "etcd:%s@%lld", v.origin, (long long)kv->mod_revision);
	actor.token_id = v.actor;
	actor.request_id = v.request_id[0] != '\0' ? v.request_id : NULL;
	actor.client_addr = from;
	memset(&c, 0, sizeof(c));
	c.op = v.kind == KBS_REPLICA_POLICY ? KEYSTORE_REPLICA_POLICY_PUT
	    : ret->tomb                     ? KEYSTORE_REPLICA_SECRET_DELETE
					    : KEYSTORE_REPLICA_SECRET_PUT;
	c.name = name;
	c.payload = v.payload;
	c.payload_len = v.payload_len;
	c.actor = &actor;
	c.seq.seq = v.seq;
	memcpy(c.seq.value_sha256, ret->sha, sizeof(ret->sha));
	r = keystore_replica_apply(rp->ks, &c, &held, &written);
	ret->held = held.seq;
	if (r != 0)
		return r;
	if (written)
		kbs_metrics_audit_appended(rp->metrics, 1);
	return 0;
}

/*
 * refused logs and counts a value refused as a rollback, once per key and
 * value: prev is what the map held for the key (NULL: nothing), and a
 * full read offering the same refused bytes again stays quiet.
 */
static void
refused(struct kbs_replica *rp, const struct kbs_etcd_kv *kv, const struct seen *sn,
    const struct entry *prev)
{
	if (prev != NULL && prev->passed && memcmp(prev->passed_sha, sn->sha, 32) == 0)
		return;
	atomic_fetch_add(&rp->rollbacks, 1);
	kbs_log(KBS_LOG_ERROR,
	    "{\"event\":\"etcd_rollback\",\"key\":\"%.300s\",\"revision\":%lld,"
	    "\"held_seq\":%llu,\"offered_seq\":%llu,\"note\":\"%s\"}",
	    kv->key, (long long)kv->mod_revision, (unsigned long long)sn->held,
	    (unsigned long long)sn->seq,
	    sn->seq == sn->held ? "the held number with other bytes: not applied"
				: "older than the applied value: not applied");
}

/* note_seen records in e (the map's entry of kv's key) what applying kv found. */
static void
note_seen(struct entry *e, const struct kbs_etcd_kv *kv, const struct seen *sn, int r)
{
	e->rev = kv->mod_revision;
	e->seq = sn->seq;
	e->tomb = sn->tomb;
	e->passed = r == KBS_ERR_ETCD_ROLLBACK || r == KBS_ERR_ETCD_RECORD;
	memcpy(e->passed_sha, sn->sha, sizeof(e->passed_sha));
}

/*
 * apply_value applies one put of the watch or a full read and logs a
 * refusal: 0 also when the value was passed over (ETCD_RECORD: not ours
 * or forged; ETCD_ROLLBACK: older than the applied one), any other error
 * being this store's. prev is the map's entry of the key (may be NULL).
 */
static int
apply_value(struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name,
    const struct kbs_etcd_kv *kv, const struct entry *prev, struct seen *ret, int *ret_r)
{
	int r = apply_put(rp, kind, name, kv, ret);

	*ret_r = r;
	if (r == KBS_ERR_ETCD_ROLLBACK || r == KBS_ERR_ETCD_RECORD) {
		struct keystore_secret_info info;

		/* Nothing changed here: the object is absent if the store lacks it (a tombstone
		 * held), whether the value was older or did not open. */
		ret->tomb = kind == KBS_REPLICA_SECRET &&
		    keystore_secret_info(rp->ks, name, &info) == KBS_ERR_NOT_FOUND;
	}
	if (r == KBS_ERR_ETCD_ROLLBACK)
		refused(rp, kv, ret, prev);
	else if (r != 0)
		apply_failed(kv->key, kv->mod_revision, r);
	return r == KBS_ERR_ETCD_ROLLBACK || r == KBS_ERR_ETCD_RECORD ? 0 : r;
}

static int
apply_delete(struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name, int64_t rev,
    const char *actor_id)
{
	struct keystore_actor actor;
	char from[48];
	int r;

	if (kind == KBS_REPLICA_POLICY) {
		/* The store keeps every policy version; the admin API deletes none. */
		kbs_log(KBS_LOG_WARNING,
		    "{\"event\":\"etcd_apply\",\"policy\":\"%.255s\",\"revision\":%lld,"
		    "\"note\":\"policies are not deleted; kept in the store\"}",
		    name, (long long)rev);
		return 0;
	}
	snprintf(from, sizeof(from), "etcd@%lld", (long long)rev);
	actor.token_id = actor_id;
	actor.request_id = NULL;
	actor.client_addr = from;
	r = keystore_secret_delete(rp->ks, name, &actor);
	if (r == KBS_ERR_NOT_FOUND)
		return 0;
	if (r == 0)
		kbs_metrics_audit_appended(rp->metrics, 1);
	return r;
}

/*
 * set_applied moves the applied revision forward; a full read (reset)
 * sets it to what etcd holds, lower too: an etcd restored from a backup
 * counts from the backup's revision, and a replica left above it would
 * skip every write until etcd passed its old number.
 */
static void
set_applied(struct kbs_replica *rp, int64_t rev, bool reset)
{
	pthread_mutex_lock(&rp->mu);
	if (reset)
		rp->applied = rp->seen = rev;
	if (rev > rp->applied)
		rp->applied = rev;
	if (rev > rp->seen)
		rp->seen = rev;
	atomic_store(&rp->applied_gauge, (uint64_t)rp->applied);
	pthread_cond_broadcast(&rp->applied_cond);
	pthread_mutex_unlock(&rp->mu);
}

static int
store_revision(struct kbs_replica *rp, int64_t rev, bool reset)
{
	int r;

	if ((r = keystore_replica_set_revision(rp->ks, (uint64_t)rev)) != 0) {
		kbs_log(KBS_LOG_ERROR, "{\"event\":\"etcd_revision\",\"error\":\"%s\"}",
		    kbs_err_name(r));
		return r;
	}
	set_applied(rp, rev, reset);
	return 0;
}

/* tombstone says whether kv's value decodes as a tombstone (unchecked: used to refuse, never to
 * apply). */
static bool
tombstone(const struct kbs_etcd_kv *kv)
{
	struct kbs_replica_value v;
	size_t mac_len = 0;

	return kbs_replica_value_decode(kv->value, kv->value_len, &v, &mac_len) == 0 &&
	    v.kind == KBS_REPLICA_TOMBSTONE;
}

/* name_in says whether m has the secrets/ key of name; with live, one not holding a tombstone. */
static int
name_in(const struct kbs_etcd_msg *m, const struct kbs_replica *rp, const char *name, bool live)
{
	enum kbs_replica_kind kind;
	const char *n;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (split_key(rp, m->kvs[i].key, &kind, &n) && kind == KBS_REPLICA_SECRET &&
		    strcmp(n, name) == 0)
			return !live || !tombstone(&m->kvs[i]);
	return 0;
}

/* map_at is the watcher's look-up of its own map (only this thread changes it: no lock). */
static const struct entry *
map_at(const struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name)
{
	int found;
	size_t at = map_find(&rp->map, kind, name, &found);

	return found ? &rp->map.e[at] : NULL;
}

/*
 * full_sync reads every key and makes the store match: each value applied
 * (a no-op where it is current; refused where it is older than the
 * applied one), each secret etcd lacks removed. On the very first sync of
 * a store (no revision stored) a secret etcd lacks (or holds as a
 * tombstone) is not removed: the replica refuses to sync
 * (ETCD_LOCAL_ONLY), since the likelier story is a wrong prefix or a
 * store from before replication. A key holding a tombstone is not one
 * etcd lacks: the tombstone deleted the secret when applied, and one
 * refused as a rollback changes nothing.
 */
static int
full_sync(struct kbs_replica *rp)
{
	struct kbs_etcd_msg m;
	struct keystore_secret_info *local = NULL;
	struct map fresh = { NULL, 0, 0 };
	enum kbs_replica_kind kind;
	const char *name;
	uint64_t stored = 0;
	size_t n_local = 0, i;
	int r;

	memset(&m, 0, sizeof(m));
	if ((r = kbs_etcd_range(rp->etcd, &m)) != 0)
		goto out;
	atomic_store(&rp->up, 1);
	if ((r = keystore_replica_revision(rp->ks, &stored)) != 0 ||
	    (r = keystore_secret_list(rp->ks, &local, &n_local)) != 0)
		goto out;
	for (i = 0; i < n_local; i++)
		if (stored == 0 && !name_in(&m, rp, local[i].name, true)) {
			kbs_log(KBS_LOG_ERROR,
			    "{\"event\":\"etcd_sync\",\"secret\":\"%.255s\",\"error\":\"%s\"}",
			    local[i].name, kbs_err_name(KBS_ERR_ETCD_LOCAL_ONLY));
			r = KBS_ERR_ETCD_LOCAL_ONLY;
			goto out;
		}
	for (i = 0; i < m.n; i++) {
		const struct kbs_etcd_kv *kv = &m.kvs[i];
		struct entry *e;
		struct seen sn;
		int ar = 0;

		if (!split_key(rp, kv->key, &kind, &name))
			continue;
		if ((e = map_put(&fresh, kind, name)) == NULL) {
			r = KBS_ERR_ALLOC;
			goto out;
		}
		/* Policies first would be tidier; the store does not need it (no cross-checks). */
		r = apply_value(rp, kind, name, kv, map_at(rp, kind, name), &sn, &ar);
		note_seen(e, kv, &sn, ar);
		if (r != 0)
			goto out; /* this store failed: the read is tried again */
	}
	r = 0;
	for (i = 0; i < n_local; i++)
		if (!name_in(&m, rp, local[i].name, false) &&
		    (r = apply_delete(
			 rp, KBS_REPLICA_SECRET, local[i].name, m.revision, SYNC_ACTOR)) != 0)
			goto out;
	pthread_mutex_lock(&rp->mu);
	free(rp->map.e);
	rp->map = fresh;
	fresh.e = NULL;
	rp->have_map = 1;
	rp->synced = true;
	pthread_mutex_unlock(&rp->mu);
	r = store_revision(rp, m.revision, true);
out:
	free(fresh.e);
	free(local);
	kbs_etcd_msg_clear(&m);
	return r;
}

/*
 * stopped_at keeps what apply_events applied before the event of
 * revision rev failed: the revision below it is stored (when above the
 * applied one), so the watch opened again starts at that event and does
 * not replay the ones before it (an object written twice among them
 * would offer its older value again, a false etcd_rollback). Events of
 * rev itself before the failed one are replayed: each key has one event
 * per revision, and its value is the one applied (same seq and bytes:
 * taken again). The caller's error stands whatever this finds.
 */
static void
stopped_at(struct kbs_replica *rp, int64_t rev, int64_t applied)
{
	if (rev - 1 > applied && store_revision(rp, rev - 1, false) != 0)
		return; /* logged: the replay is then told apart by the map (apply_events) */
}

/*
 * apply_events applies one watch message's events in order, then stores
 * the revision. A value that does not open (ETCD_RECORD: not ours, or
 * forged) or is older than the applied one (ETCD_ROLLBACK) is passed
 * over; any other failure is this store's (full, say) and stops before
 * the revision moves past it, so the change is applied when the watch is
 * opened again instead of being lost. A plain delete of a key removes the
 * secret as before (whoever can write etcd can destroy; that fails
 * closed); the held seq stays, so an older value put back is refused.
 *
 * An event at or below the revision the map holds for its key was taken
 * here already (a watch replaying what this process applied before its
 * revision could be stored): it is skipped, not offered again, so an
 * older value of it is not mistaken for a rollback. A value an etcd
 * writer puts back comes with a new, higher revision.
 */
static int
apply_events(struct kbs_replica *rp, const struct kbs_etcd_msg *m)
{
	enum kbs_replica_kind kind;
	const char *name;
	int64_t last = 0, applied;
	size_t i;
	int r;

	pthread_mutex_lock(&rp->mu);
	applied = rp->applied;
	pthread_mutex_unlock(&rp->mu);
	for (i = 0; i < m->n; i++) {
		const struct kbs_etcd_kv *kv = &m->kvs[i];
		const struct entry *prev;
		struct entry *e;
		struct seen sn;
		int ar = 0;

		if (kv->mod_revision <= applied)
			continue; /* replayed after a reconnect: in the store already */
		last = kv->mod_revision;
		if (!split_key(rp, kv->key, &kind, &name))
			continue;
		prev = map_at(rp, kind, name);
		if (prev != NULL && kv->mod_revision <= prev->rev)
			continue; /* replayed: taken in this process already */
		if (kv->deleted) {
			if ((r = apply_delete(rp, kind, name, kv->mod_revision, SYNC_ACTOR)) != 0) {
				apply_failed(kv->key, kv->mod_revision, r);
				stopped_at(rp, kv->mod_revision, applied);
				return r; /* this store failed: not past it, the watch retries */
			}
			pthread_mutex_lock(&rp->mu);
			map_del(&rp->map, kind, name);
			pthread_mutex_unlock(&rp->mu);
			continue;
		}
		if ((r = apply_value(rp, kind, name, kv, prev, &sn, &ar)) != 0) {
			stopped_at(rp, kv->mod_revision, applied);
			return r;
		}
		pthread_mutex_lock(&rp->mu);
		if ((e = map_put(&rp->map, kind, name)) != NULL)
			note_seen(e, kv, &sn, ar);
		pthread_mutex_unlock(&rp->mu);
		if (e == NULL) {
			stopped_at(rp, kv->mod_revision, applied);
			return KBS_ERR_ALLOC;
		}
	}
	return last > 0 ? store_revision(rp, last, false) : 0;
}

/* ---- the thread ----------------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* nap sleeps ms in short steps, so a stop is seen quickly. */
static void
nap(struct kbs_replica *rp, unsigned ms)
{
	struct timespec step = { 0, 50 * 1000 * 1000 };
	unsigned slept;

	for (slept = 0; slept < ms && !atomic_load(&rp->stop); slept += 50)
		nanosleep(&step, NULL);
}

/*
 * went_back says whether etcd's revision rev is below what this replica
 * applied: etcd was restored from a backup (or replaced). A watch from
 * applied + 1 would wait for revisions etcd hands out again to other
 * writes, so the replica reads everything again instead.
 */
static bool
went_back(struct kbs_replica *rp, int64_t rev)
{
	int64_t applied;

	pthread_mutex_lock(&rp->mu);
	applied = rp->applied;
	pthread_mutex_unlock(&rp->mu);
	if (rev <= 0 || rev >= applied)
		return false;
	kbs_log(KBS_LOG_WARNING,
	    "{\"event\":\"etcd_watch\",\"revision\":%lld,\"applied\":%lld,"
	    "\"note\":\"etcd is behind this replica (restored?): reading everything again\"}",
	    (long long)rev, (long long)applied);
	return true;
}

/* poll_revision asks etcd's revision; KBS_ERR_ETCD_COMPACTED when it went back. */
static int
poll_revision(struct kbs_replica *rp)
{
	int64_t rev = 0;

	if (kbs_etcd_revision(rp->etcd, &rev) != 0) {
		atomic_store(&rp->up, 0);
		return 0;
	}
	atomic_store(&rp->up, 1);
	if (went_back(rp, rev))
		return KBS_ERR_ETCD_COMPACTED;
	pthread_mutex_lock(&rp->mu);
	if (rev > rp->seen)
		rp->seen = rev;
	pthread_mutex_unlock(&rp->mu);
	return 0;
}

/*
 * watch_once follows one watch from applied + 1 until it breaks (returns
 * 0: catch up from where it got), is compacted away (ETCD_COMPACTED: read
 * everything; also when etcd's revision went below the applied one), or
 * the replica stops.
 */
static int
watch_once(struct kbs_replica *rp)
{
	struct kbs_etcd_watch *w = NULL;
	struct kbs_etcd_msg m;
	uint64_t next_poll = now_ms() + POLL_MS;
	int64_t from;
	int r;

	pthread_mutex_lock(&rp->mu);
	from = rp->applied + 1;
	pthread_mutex_unlock(&rp->mu);
	if ((r = kbs_etcd_watch_open(rp->etcd, from, &w)) != 0)
		return r;
	while (!atomic_load(&rp->stop)) {
		if ((r = kbs_etcd_watch_next(w, WATCH_WAIT_MS, &m)) != 0)
			break;
		if (m.canceled) {
			r = m.compact_revision > 0 ? KBS_ERR_ETCD_COMPACTED
						   : KBS_ERR_ETCD_UNAVAILABLE;
			kbs_etcd_msg_clear(&m);
			break;
		}
		if (m.created) {
			atomic_store(&rp->watching, 1);
			atomic_store(&rp->up, 1);
			if (went_back(rp, m.revision)) {
				kbs_etcd_msg_clear(&m);
				r = KBS_ERR_ETCD_COMPACTED;
				break;
			}
		}
		if (m.revision > 0) {
			pthread_mutex_lock(&rp->mu);
			if (m.revision > rp->seen)
				rp->seen = m.revision;
			pthread_mutex_unlock(&rp->mu);
		}
		if (m.n > 0) {
			r = apply_events(rp, &m);
		} else if (!m.created && m.revision > 0) {
			/* A progress notification: every event up to this revision has come. */
			r = store_revision(rp, m.revision, false);
		}
		kbs_etcd_msg_clear(&m);
		if (r != 0)
			break;
		if (now_ms() >= next_poll) {
			if ((r = poll_revision(rp)) != 0)
				break;
			next_poll = now_ms() + POLL_MS;
		}
	}
	atomic_store(&rp->watching, 0);
	kbs_etcd_watch_close(w);
	return atomic_load(&rp->stop) ? 0 : r;
}

static void *
run(void *arg)
{
	struct kbs_replica *rp = arg;
	unsigned backoff = BACKOFF_MIN_MS;
	int need_full = 1, first = 1, r;

	while (!atomic_load(&rp->stop)) {
		if (need_full) {
			if ((r = full_sync(rp)) != 0) {
				if (r == KBS_ERR_ETCD_UNAVAILABLE)
					atomic_store(&rp->up, 0);
				else
					kbs_log(KBS_LOG_ERROR,
					    "{\"event\":\"etcd_sync\",\"error\":\"%s\"}",
					    kbs_err_name(r));
				nap(rp, backoff);
				backoff =
				    backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			if (!first)
				atomic_fetch_add(&rp->resyncs, 1);
			first = 0;
			need_full = 0;
			kbs_log(KBS_LOG_INFO, "{\"event\":\"etcd_sync\",\"revision\":%llu}",
			    (unsigned long long)atomic_load(&rp->applied_gauge));
		}
		r = watch_once(rp);
		if (atomic_load(&rp->stop))
			break;
		if (r == KBS_ERR_ETCD_COMPACTED) {
			kbs_log(KBS_LOG_WARNING,
			    "{\"event\":\"etcd_watch\",\"note\":\"compacted: reading everything "
			    "again\"}");
			need_full = 1;
			continue;
		}
		atomic_fetch_add(&rp->reconnects, 1);
		if (r == KBS_ERR_ETCD_UNAVAILABLE)
			atomic_store(&rp->up, 0);
		else if (r != 0)
			kbs_log(KBS_LOG_WARNING, "{\"event\":\"etcd_watch\",\"error\":\"%s\"}",
			    kbs_err_name(r));
		nap(rp, backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
		if (atomic_load(&rp->watching) == 0 && atomic_load(&rp->up))
			backoff = BACKOFF_MIN_MS;
	}
	return NULL;
}

/* ---- metrics ---------------------------------------------------------------- */

static int
g_applied(void *ctx, uint64_t *ret)
{
	*ret = atomic_load(&((struct kbs_replica *)ctx)->applied_gauge);
	return 0;
}

static int
g_reconnects(void *ctx, uint64_t *ret)
{
	*ret = atomic_load(&((struct kbs_replica *)ctx)->reconnects);
	return 0;
}

static int
g_resyncs(void *ctx, uint64_t *ret)
{
	*ret = atomic_load(&((struct kbs_replica *)ctx)->resyncs);
	return 0;
}

static int
g_rollbacks(void *ctx, uint64_t *ret)
{
	*ret = atomic_load(&((struct kbs_replica *)ctx)->rollbacks);
	return 0;
}

static int
g_up(void *ctx, uint64_t *ret)
{
	*ret = (uint64_t)atomic_load(&((struct kbs_replica *)ctx)->up);
	return 0;
}

static int
add_gauges(struct kbs_replica *rp)
{
	const struct kbs_metrics_gauge
	    applied = { "kbs_etcd_applied_revision", "The etcd revision this replica's store holds",
		    g_applied, rp },
	    reconnects = { "kbs_etcd_watch_reconnects_total",
		    "Watch streams that broke and were opened again (catch-up)", g_reconnects, rp },
	    resyncs = { "kbs_etcd_resyncs_total",
		    "Full reads of etcd after the first (the watch was compacted "
		    "away)",
		    g_resyncs, rp },
	    rollbacks = { "kbs_etcd_rollbacks_total",
		    "etcd values refused as older than (or conflicting with) the applied one",
		    g_rollbacks, rp },
	    up = { "kbs_etcd_up", "1 when etcd answered this replica's last request", g_up, rp };
	int r;

	if (rp->metrics == NULL)
		return 0;
	if ((r = kbs_metrics_add_gauge(rp->metrics, &applied)) != 0 ||
	    (r = kbs_metrics_add_counter(rp->metrics, &reconnects)) != 0 ||
	    (r = kbs_metrics_add_counter(rp->metrics, &resyncs)) != 0 ||
	    (r = kbs_metrics_add_counter(rp->metrics, &rollbacks)) != 0 ||
	    (r = kbs_metrics_add_gauge(rp->metrics, &up)) != 0)
		return r;
	return 0;
}

/* ---- life ------------------------------------------------------------------- */

int
kbs_replica_new(const struct kbs_config_etcd *cfg, const char *origin, struct keystore *ks,
    struct kbs_metrics *metrics, struct kbs_replica **ret)
{
	struct kbs_replica *rp = NULL;
	pthread_condattr_t ca;
	uint64_t stored = 0;
	int r;

	if (cfg == NULL || origin == NULL || ks == NULL || ret == NULL || cfg->n_endpoints == 0 ||
	    origin[0] == '\0' || strlen(origin) > KBS_REPLICA_ORIGIN_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = keystore_replica_revision(ks, &stored)) != 0)
		return r;
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return KBS_ERR_ALLOC;
	rp->cfg = *cfg;
	snprintf(rp->origin, sizeof(rp->origin), "%s", origin);
	rp->ks = ks;
	rp->metrics = metrics;
	pthread_mutex_init(&rp->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rp->applied_cond, &ca);
	pthread_condattr_destroy(&ca);
	/* What the store held when it stopped: served, and reported, until etcd answers. */
	rp->applied = rp->seen = (int64_t)stored;
	rp->synced = stored > 0;
	atomic_store(&rp->applied_gauge, stored);
	if ((r = kbs_etcd_new(cfg, &rp->etcd)) != 0 || (r = add_gauges(rp)) != 0) {
		kbs_replica_free(rp);
		return r;
	}
	*ret = rp;
	return 0;
}

int
kbs_replica_start(struct kbs_replica *rp)
{
	if (rp->started)
		return KBS_ERR_INVALID_ARGUMENT;
	if (pthread_create(&rp->thread, NULL, run, rp) != 0)
		return KBS_ERR_SYSTEM;
	rp->started = 1;
	return 0;
}

void
kbs_replica_free(struct kbs_replica *rp)
{
	if (rp == NULL)
		return;
	atomic_store(&rp->stop, 1);
	if (rp->started)
		pthread_join(rp->thread, NULL);
	kbs_etcd_free(rp->etcd);
	free(rp->map.e);
	pthread_cond_destroy(&rp->applied_cond);
	pthread_mutex_destroy(&rp->mu);
	free(rp);
}

void
kbs_replica_status(struct kbs_replica *rp, struct kbs_replica_status *ret)
{
	memset(ret, 0, sizeof(*ret));
	pthread_mutex_lock(&rp->mu);
	ret->applied = (uint64_t)rp->applied;
	ret->seen = (uint64_t)rp->seen;
	ret->synced = rp->synced;
	pthread_mutex_unlock(&rp->mu);
	ret->behind = ret->seen > ret->applied ? ret->seen - ret->applied : 0;
	ret->up = atomic_load(&rp->up) != 0;
	ret->watching = atomic_load(&rp->watching) != 0;
	ret->max_lag = rp->cfg.max_lag;
	ret->ready = ret->synced && ret->behind <= ret->max_lag;
}

/* ---- admin writes ------------------------------------------------------------ */

/*
 * expected resolves expect to the mod_revision a write compares: -1 is
 * this replica's (0: none), 0 ("must not exist") is a tombstone's where
 * this replica saw one (a deleted secret counts as absent), any other is
 * the caller's. *ret_e is a copy of the map's entry (zero when none) and
 * *ret_found whether there was one (a tombstone too).
 */
static int
expected(struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name, int64_t expect,
    int64_t *ret, struct entry *ret_e, int *ret_found)
{
	int found = 0;
	size_t at;

	memset(ret_e, 0, sizeof(*ret_e));
	pthread_mutex_lock(&rp->mu);
	if (!rp->have_map) {
		pthread_mutex_unlock(&rp->mu);
		return KBS_ERR_ETCD_NOT_SYNCED;
	}
	at = map_find(&rp->map, kind, name, &found);
	if (found)
		*ret_e = rp->map.e[at];
	pthread_mutex_unlock(&rp->mu);
	if (expect > 0)
		*ret = expect;
	else if (expect == 0)
		*ret = found && ret_e->tomb ? ret_e->rev : 0;
	else
		*ret = found ? ret_e->rev : 0;
	*ret_found = found;
	return 0;
}

/*
 * etcd_seq reads etcd's current value of key (a full read: this is the
 * rare case of a caller expecting a revision this replica has not seen)
 * and gives its seq if it opens (0 if not, or none). KBS_ERR_ETCD_CONFLICT
 * when its mod_revision is not expect: the compare would fail anyway.
 */
static int
etcd_seq(struct kbs_replica *rp, const char *key, int64_t expect, uint64_t *ret)
{
	struct kbs_replica_value v;
	struct kbs_etcd_msg m;
	int64_t rev = 0;
	size_t i;
	int r;

	*ret = 0;
	memset(&m, 0, sizeof(m));
	if ((r = kbs_etcd_range(rp->etcd, &m)) != 0)
		return r;
	for (i = 0; i < m.n; i++)
		if (strcmp(m.kvs[i].key, key) == 0) {
			rev = m.kvs[i].mod_revision;
			if (kbs_replica_value_open(
				rp->ks, m.kvs[i].value, m.kvs[i].value_len, &v) == 0)
				*ret = v.seq;
			break;
		}
	kbs_etcd_msg_clear(&m);
	return rev == expect ? 0 : KBS_ERR_ETCD_CONFLICT;
}

/*
 * next_seq is the seq of a new value of kind/name written over the key's
 * value of mod_revision exp: above the one this replica holds, above the
 * one of etcd's current value, and above etcd's revision R read just
 * now, before the write's transaction. e is the map's entry (found:
 * there was one).
 *
 * The floor R is what makes the number above every earlier honest value
 * of the object, whatever this replica or etcd's current value hold (a
 * replica that was down, new or resynced may hold an older value that an
 * etcd writer put back, and etcd's value then carries the same old
 * number). By induction every honest seq is at most the mod_revision of
 * its own write: R is read before the transaction, so the transaction's
 * revision is above R, and held and etcd's current seq are seqs of
 * earlier writes, each at most its own revision, which is at most R. So
 * every earlier honest value of the object has a seq <= R < this one,
 * and every replica applies this write. An etcd writer without the
 * master key cannot lower R (revisions only grow); an etcd restored from
 * a backup can (docs/operations.md, "Scale-out").
 */
static int
next_seq(struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name, const char *key,
    int64_t exp, const struct entry *e, int found, uint64_t *ret)
{
	struct keystore_replica_seq held;
	uint64_t top, there = 0;
	int64_t now = 0;
	int r;

	if ((r = keystore_replica_seq(rp->ks,
		 kind == KBS_REPLICA_POLICY ? KEYSTORE_REPLICA_POLICIES : KEYSTORE_REPLICA_SECRETS,
		 name, &held)) != 0)
		return r;
	top = held.seq;
	if (found && e->rev == exp)
		there = e->seq; /* the very value the compare expects: seen here */
	else if (exp != 0 && (r = etcd_seq(rp, key, exp, &there)) != 0)
		return r;
	if (there > top)
		top = there;
	if ((r = kbs_etcd_revision(rp->etcd, &now)) != 0)
		return r;
	if (now > 0 && (uint64_t)now > top)
		top = (uint64_t)now;
	if (top == UINT64_MAX)
		return KBS_ERR_NUMBER_RANGE;
	*ret = top + 1;
	return 0;
}

/* wait_applied waits (at most the etcd timeout) until this replica has applied rev. */
static void
wait_applied(struct kbs_replica *rp, int64_t rev)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += rp->cfg.timeout_ms / 1000;
	until.tv_nsec += (long)(rp->cfg.timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&rp->mu);
	while (rp->applied < rev &&
	    pthread_cond_timedwait(&rp->applied_cond, &rp->mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&rp->mu);
}

/*
 * write_value writes a value of kind (a tombstone: payload NULL, len 0)
 * for name to its key if the key's mod_revision is still what expect
 * resolves to, with the next seq, and waits for this replica to apply it.
 */
static int
write_value(struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name,
    const uint8_t *payload, size_t len, int64_t exp, const struct entry *e, int found,
    const struct keystore_actor *actor, int64_t *ret_revision)
{
	struct kbs_replica_value v;
	enum kbs_replica_kind key_kind =
	    kind == KBS_REPLICA_POLICY ? KBS_REPLICA_POLICY : KBS_REPLICA_SECRET;
	char key[KBS_ETCD_KEY_MAX + 1];
	uint8_t *value = NULL;
	size_t value_len = 0;
	int64_t rev = 0;
	int r;

	memset(&v, 0, sizeof(v));
	v.kind = kind;
	if (strlen(name) >= sizeof(v.name) || strlen(actor->token_id) >= sizeof(v.actor))
		return KBS_ERR_INVALID_ARGUMENT;
	snprintf(v.name, sizeof(v.name), "%s", name);
	snprintf(v.actor, sizeof(v.actor), "%s", actor->token_id);
	if (actor->request_id != NULL)
		snprintf(v.request_id, sizeof(v.request_id), "%s", actor->request_id);
	snprintf(v.origin, sizeof(v.origin), "%s", rp->origin);
	v.payload = payload;
	v.payload_len = len;
	if ((r = make_key(rp, key_kind, name, key, sizeof(key))) != 0 ||
	    (r = next_seq(rp, key_kind, name, key, exp, e, found, &v.seq)) != 0 ||
	    (r = kbs_replica_value_encode(rp->ks, &v, &value, &value_len)) != 0)
		return r;
	r = kbs_etcd_put_if(rp->etcd, key, value, value_len, exp, &rev);
	free(value);
	if (r != 0)
		return r;
	wait_applied(rp, rev);
	*ret_revision = rev;
	return 0;
}

int
kbs_replica_secret_put(struct kbs_replica *rp, const char *name, const uint8_t *value, size_t len,
    const char *policy, int64_t expect, const struct keystore_actor *actor, int64_t *ret_revision)
{
	struct keystore_secret_info info;
	struct entry e;
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	uint32_t version = 1;
	int64_t exp = 0;
	int found = 0, r;

	if (rp == NULL || actor == NULL || ret_revision == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = expected(rp, KBS_REPLICA_SECRET, name, expect, &exp, &e, &found)) != 0)
		return r;
	/* The next version of what this replica holds: etcd's compare decides if it is current. */
	r = keystore_secret_info(rp->ks, name, &info);
	if (r == 0 && info.version < UINT32_MAX)
		version = info.version + 1;
	else if (r != 0 && r != KBS_ERR_NOT_FOUND)
		return r;
	if ((r = keystore_secret_seal(rp->ks, name, value, len, policy, version, &rec, &rec_len)) !=
	    0)
		return r;
	r = write_value(
	    rp, KBS_REPLICA_SECRET, name, rec, rec_len, exp, &e, found, actor, ret_revision);
	free(rec); /* sealed bytes only */
	return r;
}

int
kbs_replica_policy_put(struct kbs_replica *rp, const char *name, const uint8_t *data, size_t len,
    int64_t expect, const struct keystore_actor *actor, int64_t *ret_revision)
{
	struct entry e;
	int64_t exp = 0;
	int found = 0, r;

	if (rp == NULL || actor == NULL || ret_revision == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = expected(rp, KBS_REPLICA_POLICY, name, expect, &exp, &e, &found)) != 0)
		return r;
	return write_value(
	    rp, KBS_REPLICA_POLICY, name, data, len, exp, &e, found, actor, ret_revision);
}

/*
 * kbs_replica_secret_delete writes a tombstone (a put compared like any
 * other) instead of deleting the key, so the delete carries a seq and the
 * deleted value cannot be put back. A tombstone counts as absent.
 */
int
kbs_replica_secret_delete(struct kbs_replica *rp, const char *name, int64_t expect,
    const struct keystore_actor *actor, int64_t *ret_revision)
{
	struct entry e;
	int64_t exp = 0;
	int found = 0, r;

	if (rp == NULL || actor == NULL || ret_revision == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = expected(rp, KBS_REPLICA_SECRET, name, expect, &exp, &e, &found)) != 0)
		return r;
	if ((!found || e.tomb) && expect < 0)
		return KBS_ERR_NOT_FOUND;
	if (exp == 0 || (found && e.tomb && exp == e.rev))
		return KBS_ERR_ETCD_CONFLICT; /* "must not exist": there is nothing to delete */
	return write_value(
	    rp, KBS_REPLICA_TOMBSTONE, name, NULL, 0, exp, &e, found, actor, ret_revision);
}

int
kbs_replica_object_revision(
    struct kbs_replica *rp, enum kbs_replica_kind kind, const char *name, int64_t *ret)
{
	struct entry e;
	int64_t rev = 0;
	int found = 0, r;

	if ((r = expected(rp, kind, name, -1, &rev, &e, &found)) != 0)
		return r;
	if (!found || e.tomb)
		return KBS_ERR_NOT_FOUND;
	*ret = rev;
	return 0;
}

int
kbs_replica_parse_if_match(const char *header, int64_t *ret)
{
	unsigned long long v;
	const char *p = header;
	char *end = NULL;
	size_t n;

	if (header == NULL) {
		*ret = -1;
		return 0;
	}
	n = strlen(p);
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		p++;
		n -= 2;
	}
	if (n == 0 || n > 19 || p[0] < '0' || p[0] > '9')
		return KBS_ERR_ETCD_IF_MATCH;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || end != p + n || v > INT64_MAX)
		return KBS_ERR_ETCD_IF_MATCH;
	*ret = (int64_t)v;
	return 0;
}
