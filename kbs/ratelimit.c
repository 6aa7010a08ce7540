/*
 * ratelimit.c: token buckets per client address in a fixed-size table.
 *
 * The table never grows: an address hashes (keyed BLAKE2b, so a caller
 * cannot aim collisions) to one of KBS_RATE_SLOTS slots; a slot holding
 * another address is taken over when that address's bucket would be full
 * again anyway, and otherwise the newcomer shares its limit. Memory is
 * bounded whatever the number of addresses, at the cost that an attacker
 * with very many addresses can make others share buckets (a limit, never a
 * bypass of any check). Slots are locked in stripes so threads rarely
 * contend.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KBS_RATE_SLOTS 4096
#define KBS_RATE_STRIPES 64

struct slot {
	char addr[48];
	double tokens;
	int64_t last_ms;
};

struct kbs_ratelimit {
	/* Atomic: a reload (kbs_ratelimit_set) changes them while requests take. */
	_Atomic double per_second;
	_Atomic double burst;
	uint8_t key[crypto_shorthash_KEYBYTES];
	pthread_mutex_t locks[KBS_RATE_STRIPES];
	struct slot slots[KBS_RATE_SLOTS];
};

int
kbs_ratelimit_new(uint32_t count, uint32_t period_s, uint32_t burst, struct kbs_ratelimit **ret)
{
	struct kbs_ratelimit *rl;
	size_t i;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return KBS_ERR_ALLOC;
	kbs_ratelimit_set(rl, count, period_s, burst);
	crypto_shorthash_keygen(rl->key);
	for (i = 0; i < KBS_RATE_STRIPES; i++)
		pthread_mutex_init(&rl->locks[i], NULL);
	*ret = rl;
	return 0;
}

void
kbs_ratelimit_set(struct kbs_ratelimit *rl, uint32_t count, uint32_t period_s, uint32_t burst)
{
	atomic_store(&rl->per_second, period_s > 0 ? (double)count / (double)period_s : 0);
	atomic_store(&rl->burst, burst > 0 ? burst : 1);
}

void
kbs_ratelimit_free(struct kbs_ratelimit *rl)
{
	size_t i;

	if (rl == NULL)
		return;
	for (i = 0; i < KBS_RATE_STRIPES; i++)
		pthread_mutex_destroy(&rl->locks[i]);
	free(rl);
}

int
kbs_ratelimit_take(struct kbs_ratelimit *rl, const char *addr, int64_t now_ms)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t idx;
	struct slot *s;
	double elapsed, per_second, burst;
	int ok;

	if (rl == NULL || (per_second = atomic_load(&rl->per_second)) <= 0)
		return 1;
	burst = atomic_load(&rl->burst);
	crypto_shorthash(h, (const uint8_t *)addr, strlen(addr), rl->key);
	memcpy(&idx, h, sizeof(idx));
	idx %= KBS_RATE_SLOTS;
	s = &rl->slots[idx];
	pthread_mutex_lock(&rl->locks[idx % KBS_RATE_STRIPES]);
	elapsed =
	    s->last_ms == 0 || now_ms < s->last_ms ? 0 : (double)(now_ms - s->last_ms) / 1000.0;
	if (strncmp(s->addr, addr, sizeof(s->addr)) != 0) {
		/* Take the slot over once its owner's bucket has refilled. */
		if (s->last_ms == 0 || s->tokens + elapsed * per_second >= burst) {
			snprintf(s->addr, sizeof(s->addr), "%s", addr);
			s->tokens = burst;
			s->last_ms = now_ms;
			elapsed = 0;
		}
	}
	s->tokens += elapsed * per_second;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last_ms = now_ms;
	ok = s->tokens >= 1.0;
	if (ok)
		s->tokens -= 1.0;
	pthread_mutex_unlock(&rl->locks[idx % KBS_RATE_STRIPES]);
	return ok;
}
