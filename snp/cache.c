/*
 * cache.c: a bounded, thread-safe map from (signer digest, ASK digest) to
 * verified chain facts, plus a tiny set of verified CRL digests.
 *
 * A chained hash table (2 buckets per entry, keys are SHA-256 so their
 * first bytes hash well) with a FIFO ring giving the eviction order. A
 * pthread rwlock lets lookups run in parallel; insertion and eviction
 * take it exclusively. Facts are reference counted (atomic builtins), so
 * eviction never frees facts a concurrent verification is still using.
 */
#include "cache-int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cache_node {
	uint8_t key[64];
	struct snp_chain_facts *facts;
	struct cache_node *next;
};

struct crl_slot {
	uint8_t sha256[32];
	enum snp_product product;
	int used;
};

struct snp_cache {
	pthread_rwlock_t lock;
	struct cache_node **buckets;
	size_t nbuckets;          /* power of two */
	struct cache_node **ring; /* insertion order, for eviction */
	size_t max, head, count;
	struct crl_slot crl[SNP_CACHE_CRL_SLOTS];
	size_t crl_next;
};

int
snp_facts_new(struct snp_chain_facts **ret)
{
	struct snp_chain_facts *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return KBS_ERR_ALLOC;
	f->refs = 1;
	*ret = f;
	return 0;
}

void
snp_facts_release(struct snp_chain_facts *f)
{
	if (f == NULL)
		return;
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	ASN1_INTEGER_free(f->inter_serial);
	ASN1_INTEGER_free(f->signer_serial);
	snp_p384_pubkey_clear(&f->key);
	free(f);
}

int
snp_cache_new(size_t max_entries, struct snp_cache **ret)
{
	struct snp_cache *c = NULL;
	size_t nb = 1;
	int r = KBS_ERR_ALLOC;

	if (ret == NULL || max_entries == 0 || max_entries > (1u << 20))
		return KBS_ERR_INVALID_ARGUMENT;
	while (nb < 2 * max_entries)
		nb <<= 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	if ((c->buckets = calloc(nb, sizeof(*c->buckets))) == NULL ||
	    (c->ring = calloc(max_entries, sizeof(*c->ring))) == NULL)
		goto out;
	if (pthread_rwlock_init(&c->lock, NULL) != 0) {
		r = KBS_ERR_SYSTEM;
		goto out;
	}
	c->nbuckets = nb;
	c->max = max_entries;
	*ret = c;
	c = NULL;
	r = 0;
out:
	if (c != NULL) {
		free(c->buckets);
		free(c->ring);
		free(c);
	}
	return r;
}

void
snp_cache_free(struct snp_cache *c)
{
	struct cache_node *n, *next;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nbuckets; i++) {
		for (n = c->buckets[i]; n != NULL; n = next) {
			next = n->next;
			snp_facts_release(n->facts);
			free(n);
		}
	}
	pthread_rwlock_destroy(&c->lock);
	free(c->buckets);
	free(c->ring);
	free(c);
}

static size_t
bucket_of(const struct snp_cache *c, const uint8_t key[64])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	h ^= (uint64_t)key[32] << 32 | key[33];
	return (size_t)(h & (c->nbuckets - 1));
}

static void
make_key(uint8_t key[64], const uint8_t a[32], const uint8_t b[32])
{
	memcpy(key, a, 32);
	memcpy(key + 32, b, 32);
}

static struct cache_node *
find(const struct snp_cache *c, const uint8_t key[64])
{
	struct cache_node *n;

	for (n = c->buckets[bucket_of(c, key)]; n != NULL; n = n->next) {
		if (memcmp(n->key, key, 64) == 0)
			return n;
	}
	return NULL;
}

struct snp_chain_facts *
snp_cache_get(struct snp_cache *c, const uint8_t signer_sha256[32], const uint8_t inter_sha256[32])
{
	struct snp_chain_facts *f = NULL;
	struct cache_node *n;
	uint8_t key[64];

	if (c == NULL)
		return NULL;
	make_key(key, signer_sha256, inter_sha256);
	if (pthread_rwlock_rdlock(&c->lock) != 0)
		return NULL;
	if ((n = find(c, key)) != NULL) {
		f = n->facts;
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&c->lock);
	return f;
}

static void
unlink_node(struct snp_cache *c, struct cache_node *victim)
{
	struct cache_node **pp = &c->buckets[bucket_of(c, victim->key)];

	while (*pp != NULL && *pp != victim)
		pp = &(*pp)->next;
	if (*pp == victim)
		*pp = victim->next;
}

int
snp_cache_put(struct snp_cache *c, struct snp_chain_facts *f)
{
	struct cache_node *n = NULL, *old;
	size_t slot;
	int r = KBS_ERR_INTERNAL;

	if (c == NULL || f == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return KBS_ERR_ALLOC;
	make_key(n->key, f->signer_sha256, f->inter_sha256);
	if (pthread_rwlock_wrlock(&c->lock) != 0) {
		free(n);
		return KBS_ERR_SYSTEM;
	}
	if (find(c, n->key) != NULL) {
		r = 0; /* a concurrent verification got there first */
		goto out;
	}
	if (c->count == c->max) {
		/* The ring is full: its head is the oldest entry. */
		old = c->ring[c->head];
		unlink_node(c, old);
		snp_facts_release(old->facts);
		free(old);
		c->count--;
		c->head = (c->head + 1) % c->max;
	}
	slot = (c->head + c->count) % c->max;
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	n->facts = f;
	n->next = c->buckets[bucket_of(c, n->key)];
	c->buckets[bucket_of(c, n->key)] = n;
	c->ring[slot] = n;
	c->count++;
	n = NULL;
	r = 0;
out:
	pthread_rwlock_unlock(&c->lock);
	free(n);
	return r;
}

size_t
snp_cache_count(struct snp_cache *c)
{
	size_t n;

	if (c == NULL || pthread_rwlock_rdlock(&c->lock) != 0)
		return 0;
	n = c->count;
	pthread_rwlock_unlock(&c->lock);
	return n;
}

int
snp_cache_crl_verified(struct snp_cache *c, const uint8_t crl_sha256[32], enum snp_product product)
{
	size_t i;
	int found = 0;

	if (c == NULL || pthread_rwlock_rdlock(&c->lock) != 0)
		return 0;
	for (i = 0; i < SNP_CACHE_CRL_SLOTS && !found; i++) {
		found = c->crl[i].used && c->crl[i].product == product &&
		    memcmp(c->crl[i].sha256, crl_sha256, 32) == 0;
	}
	pthread_rwlock_unlock(&c->lock);
	return found;
}

void
snp_cache_crl_mark(struct snp_cache *c, const uint8_t crl_sha256[32], enum snp_product product)
{
	struct crl_slot *s;

	if (c == NULL || pthread_rwlock_wrlock(&c->lock) != 0)
		return;
	s = &c->crl[c->crl_next];
	memcpy(s->sha256, crl_sha256, 32);
	s->product = product;
	s->used = 1;
	c->crl_next = (c->crl_next + 1) % SNP_CACHE_CRL_SLOTS;
	pthread_rwlock_unlock(&c->lock);
}
