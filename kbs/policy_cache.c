/*
 * policy_cache.c: a small hash table of parsed policies (see the header).
 *
 * Lookups take the read lock and bump the entry's count atomically, so
 * concurrent attestations never serialise on the cache; a miss parses
 * outside any lock and inserts under the write lock (a second thread that
 * parsed the same policy meanwhile keeps the first copy). When the table is
 * full an idle entry is evicted; if every entry is in use the new policy
 * is handed out uncached and freed at its put.
 */
#include "policy_cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

struct entry {
	uint8_t sha256[32];
	struct policy *policy; /* NULL: free slot */
	atomic_long refs;
};

struct kbs_policy_cache {
	pthread_rwlock_t lock;
	size_t max;
	struct entry *entries;
	pthread_mutex_t orphans_lock; /* policies handed out uncached (the table was busy) */
	struct entry **orphans;
	size_t n_orphans, cap_orphans;
};

int
kbs_policy_cache_new(size_t max_entries, struct kbs_policy_cache **ret)
{
	struct kbs_policy_cache *c;

	if (max_entries == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KBS_ERR_ALLOC;
	if ((c->entries = calloc(max_entries, sizeof(*c->entries))) == NULL) {
		free(c);
		return KBS_ERR_ALLOC;
	}
	c->max = max_entries;
	pthread_rwlock_init(&c->lock, NULL);
	pthread_mutex_init(&c->orphans_lock, NULL);
	*ret = c;
	return 0;
}

void
kbs_policy_cache_free(struct kbs_policy_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->max; i++)
		policy_free(c->entries[i].policy);
	for (i = 0; i < c->n_orphans; i++) {
		policy_free(c->orphans[i]->policy);
		free(c->orphans[i]);
	}
	free(c->orphans);
	free(c->entries);
	pthread_rwlock_destroy(&c->lock);
	pthread_mutex_destroy(&c->orphans_lock);
	free(c);
}

static size_t
slot_of(const struct kbs_policy_cache *c, const uint8_t sha256[32])
{
	uint64_t v;

	memcpy(&v, sha256, sizeof(v));
	return (size_t)(v % c->max);
}

/* find: linear probing over the whole table from the hash's slot. */
static struct entry *
find(struct kbs_policy_cache *c, const uint8_t sha256[32])
{
	size_t i, s = slot_of(c, sha256);

	for (i = 0; i < c->max; i++) {
		struct entry *e = &c->entries[(s + i) % c->max];

		if (e->policy != NULL && memcmp(e->sha256, sha256, 32) == 0)
			return e;
	}
	return NULL;
}

static int
orphan_add(struct kbs_policy_cache *c, struct policy *p, const uint8_t sha256[32], long refs)
{
	struct entry *e, **n;
	int r = KBS_ERR_ALLOC;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return r;
	pthread_mutex_lock(&c->orphans_lock);
	if (c->n_orphans == c->cap_orphans) {
		size_t cap = c->cap_orphans == 0 ? 8 : c->cap_orphans * 2;

		if ((n = realloc(c->orphans, cap * sizeof(*n))) == NULL)
			goto out;
		c->orphans = n;
		c->cap_orphans = cap;
	}
	memcpy(e->sha256, sha256, 32);
	e->policy = p;
	atomic_store(&e->refs, refs);
	c->orphans[c->n_orphans++] = e;
	e = NULL;
	r = 0;
out:
	pthread_mutex_unlock(&c->orphans_lock);
	free(e);
	return r;
}

int
kbs_policy_cache_get(struct kbs_policy_cache *c, const uint8_t sha256[32], const uint8_t *data,
    size_t len, const struct policy **ret)
{
	struct policy *p = NULL;
	struct entry *e;
	uint8_t h[32];
	size_t i, s;
	int r;

	pthread_rwlock_rdlock(&c->lock);
	if ((e = find(c, sha256)) != NULL) {
		atomic_fetch_add(&e->refs, 1);
		*ret = e->policy;
		pthread_rwlock_unlock(&c->lock);
		return 0;
	}
	pthread_rwlock_unlock(&c->lock);

	crypto_hash_sha256(h, data, len);
	if (sodium_memcmp(h, sha256, 32) != 0)
		return KBS_ERR_STORE_INTEGRITY;
	if ((r = policy_parse(data, len, &p, NULL)) != 0)
		return r;

	pthread_rwlock_wrlock(&c->lock);
	if ((e = find(c, sha256)) != NULL) { /* another thread was faster */
		atomic_fetch_add(&e->refs, 1);
		*ret = e->policy;
		pthread_rwlock_unlock(&c->lock);
		policy_free(p);
		return 0;
	}
	s = slot_of(c, sha256);
	for (i = 0; i < c->max; i++) {
		e = &c->entries[(s + i) % c->max];
		if (e->policy == NULL)
			break;
		if (atomic_load(&e->refs) == 0) { /* idle: evict */
			policy_free(e->policy);
			e->policy = NULL;
			break;
		}
	}
	if (i < c->max) {
		memcpy(e->sha256, sha256, 32);
		e->policy = p;
		atomic_store(&e->refs, 1);
		pthread_rwlock_unlock(&c->lock);
		*ret = p;
		return 0;
	}
	pthread_rwlock_unlock(&c->lock);
	if ((r = orphan_add(c, p, sha256, 1)) != 0) {
		policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

void
kbs_policy_cache_put(struct kbs_policy_cache *c, const uint8_t sha256[32], const struct policy *p)
{
	struct entry *e;
	size_t i;

	if (p == NULL)
		return;
	pthread_rwlock_rdlock(&c->lock);
	if ((e = find(c, sha256)) != NULL && e->policy == p) {
		atomic_fetch_sub(&e->refs, 1);
		pthread_rwlock_unlock(&c->lock);
		return;
	}
	pthread_rwlock_unlock(&c->lock);
	pthread_mutex_lock(&c->orphans_lock);
	for (i = 0; i < c->n_orphans; i++)
		if (c->orphans[i]->policy == p) {
			e = c->orphans[i];
			if (atomic_fetch_sub(&e->refs, 1) == 1) {
				policy_free(e->policy);
				free(e);
				c->orphans[i] = c->orphans[--c->n_orphans];
			}
			break;
		}
	pthread_mutex_unlock(&c->orphans_lock);
}
