/*
 * Unit tests for kbs/policy_cache.c: a hit returns the same parsed policy,
 * bytes that do not hash to the key are refused (KBS_ERR_STORE_INTEGRITY),
 * a stored policy that no longer parses fails with its parse error; and 8
 * threads getting and putting 40 policies through a cache of 4, holding up
 * to 3 each (so every entry is often in use and policies are handed out
 * uncached), always get the policy they asked for and never touch a freed
 * one (run under ASan and TSan).
 */
#include <pthread.h>
#include <sodium.h>

#include "policy.h"
#include "policy_cache.h"
#include "test.h"

#define N_POLICIES 40
#define N_THREADS 8
#define ROUNDS 3000

static char texts[N_POLICIES][128];
static uint8_t hashes[N_POLICIES][32];
static char hexes[N_POLICIES][65];

static void
make_policies(void)
{
	int i;

	for (i = 0; i < N_POLICIES; i++) {
		snprintf(texts[i], sizeof(texts[i]),
		    "{\"kbs_policy\":1,\"name\":\"p%d\",\"rules\":{\"vmpl\":{\"max\":%d}}}", i,
		    i % 4);
		crypto_hash_sha256(hashes[i], (const uint8_t *)texts[i], strlen(texts[i]));
		if (kbs_hex_encode(hashes[i], 32, hexes[i], sizeof(hexes[i])) != 0)
			exit(2);
	}
}

static int
get(struct kbs_policy_cache *c, int i, const struct policy **p)
{
	return kbs_policy_cache_get(c, hashes[i], (const uint8_t *)texts[i], strlen(texts[i]), p);
}

static void
test_hit_and_refusals(void)
{
	struct kbs_policy_cache *c = NULL;
	const struct policy *a = NULL, *b = NULL, *x = (const struct policy *)1;
	const char bad[] = "{\"kbs_policy\":1,\"name\":\"bad\",\"rules\":{\"vmpl\":{\"max\":9}}}";
	uint8_t h[32];

	CHECK_ERR(kbs_policy_cache_new(0, &c), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(kbs_policy_cache_new(2, &c));
	CHECK_OK(get(c, 0, &a));
	CHECK_OK(get(c, 0, &b));
	CHECK(a == b && a != NULL);
	CHECK_STR_EQ(policy_hash(a), hexes[0]);
	/* Bytes that are not the key's: refused, nothing handed out. */
	CHECK_ERR(
	    kbs_policy_cache_get(c, hashes[1], (const uint8_t *)texts[2], strlen(texts[2]), &x),
	    KBS_ERR_STORE_INTEGRITY);
	CHECK(x == (const struct policy *)1);
	/* A policy that does not parse any more fails with its own code. */
	crypto_hash_sha256(h, (const uint8_t *)bad, strlen(bad));
	CHECK_ERR(kbs_policy_cache_get(c, h, (const uint8_t *)bad, strlen(bad), &x),
	    KBS_ERR_POLICY_VALUE);
	kbs_policy_cache_put(c, hashes[0], a);
	kbs_policy_cache_put(c, hashes[0], b);
	kbs_policy_cache_put(c, hashes[0], NULL);
	kbs_policy_cache_free(c);
	kbs_policy_cache_free(NULL);
}

static void
test_full_of_busy_entries(void)
{
	struct kbs_policy_cache *c = NULL;
	const struct policy *held[6];
	int i;

	/* Two slots, six policies held at once: four are handed out uncached. */
	CHECK_OK(kbs_policy_cache_new(2, &c));
	for (i = 0; i < 6; i++) {
		CHECK_OK(get(c, i, &held[i]));
		CHECK_STR_EQ(policy_hash(held[i]), hexes[i]);
	}
	for (i = 0; i < 6; i++)
		kbs_policy_cache_put(c, hashes[i], held[i]);
	/* Now idle: new policies evict them. */
	for (i = 6; i < 12; i++) {
		CHECK_OK(get(c, i, &held[0]));
		CHECK_STR_EQ(policy_hash(held[0]), hexes[i]);
		kbs_policy_cache_put(c, hashes[i], held[0]);
	}
	kbs_policy_cache_free(c);
}

struct worker {
	struct kbs_policy_cache *c;
	unsigned seed;
	int wrong, errors;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	const struct policy *held[3];
	int idx[3], n = 0, r, i, k;

	for (r = 0; r < ROUNDS; r++) {
		i = (int)(rand_r(&w->seed) % N_POLICIES);
		if (get(w->c, i, &held[n]) != 0) {
			w->errors++;
			continue;
		}
		if (strcmp(policy_hash(held[n]), hexes[i]) != 0)
			w->wrong++;
		idx[n++] = i;
		if (n == 3 || rand_r(&w->seed) % 2 == 0) {
			for (k = 0; k < n; k++) {
				if (strcmp(policy_hash(held[k]), hexes[idx[k]]) != 0)
					w->wrong++;
				kbs_policy_cache_put(w->c, hashes[idx[k]], held[k]);
			}
			n = 0;
		}
	}
	for (k = 0; k < n; k++)
		kbs_policy_cache_put(w->c, hashes[idx[k]], held[k]);
	return NULL;
}

static void
test_threads(void)
{
	struct kbs_policy_cache *c = NULL;
	struct worker w[N_THREADS];
	pthread_t th[N_THREADS];
	int i;

	CHECK_OK(kbs_policy_cache_new(4, &c));
	for (i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ c, (unsigned)i * 7919u + 1u, 0, 0 };
		CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < N_THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT_EQ(w[i].wrong, 0);
		CHECK_INT_EQ(w[i].errors, 0);
	}
	kbs_policy_cache_free(c); /* ASan: every uncached copy was freed at its last put */
}

TEST_MAIN(TEST(make_policies), TEST(test_hit_and_refusals), TEST(test_full_of_busy_entries),
    TEST(test_threads))
