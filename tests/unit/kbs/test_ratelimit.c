/*
 * Unit tests for kbs/ratelimit.c: a burst, then one take per refill
 * interval; addresses do not share a bucket (short of slot collisions,
 * which the keyed hash makes rare for two addresses); a clock that steps
 * back refills nothing; count 0 disables the limit; a bounded table serves
 * any number of addresses, and many threads taking from one bucket never
 * get more than it holds.
 */
#include <pthread.h>

#include "ratelimit.h"
#include "test.h"

static void
test_burst_and_refill(void)
{
	struct kbs_ratelimit *rl = NULL;
	int i;

	CHECK_OK(kbs_ratelimit_new(2, 1, 3, &rl)); /* 2 per second, bursts of 3 */
	for (i = 0; i < 3; i++)
		CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1000), 1);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1000), 0);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1499), 0);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1500), 1); /* half a second: one */
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1500), 0);
	/* Another address has its own bucket. */
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.2", 1500), 1);
	/* The clock steps back: no refill, no crash. */
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 10), 0);
	/* A long pause refills only up to the burst. */
	for (i = 0; i < 3; i++)
		CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 100000), 1);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 100000), 0);
	kbs_ratelimit_free(rl);
}

static void
test_per_minute(void)
{
	struct kbs_ratelimit *rl = NULL;
	int i;

	CHECK_OK(kbs_ratelimit_new(6, 60, 6, &rl)); /* the refused-evidence audit budget */
	for (i = 0; i < 6; i++)
		CHECK_INT_EQ(kbs_ratelimit_take(rl, "local", 0 + 1), 1);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "local", 9000), 0);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "local", 10001), 1); /* one per 10 s */
	kbs_ratelimit_free(rl);
}

static void
test_disabled(void)
{
	struct kbs_ratelimit *rl = NULL;
	int i;

	CHECK_OK(kbs_ratelimit_new(0, 1, 1, &rl));
	for (i = 0; i < 1000; i++)
		CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1), 1);
	kbs_ratelimit_free(rl);
	CHECK_INT_EQ(kbs_ratelimit_take(NULL, "192.0.2.1", 1), 1);
	kbs_ratelimit_free(NULL);
}

static void
test_many_addresses(void)
{
	struct kbs_ratelimit *rl = NULL;
	char addr[64];
	int i, ok = 0;

	/* 100000 addresses through a fixed table: each one's first take mostly succeeds. */
	CHECK_OK(kbs_ratelimit_new(1, 1, 1, &rl));
	for (i = 0; i < 100000; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x:%x", i >> 16, i & 0xffff);
		ok += kbs_ratelimit_take(rl, addr, 1000 + i / 1000);
	}
	CHECK(ok > 1000);
	/* The longest address text (an IPv6 address with an IPv4 tail) is handled whole. */
	CHECK_INT_EQ(
	    kbs_ratelimit_take(rl, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 999999), 1);
	CHECK_INT_EQ(
	    kbs_ratelimit_take(rl, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 999999), 0);
	kbs_ratelimit_free(rl);
}

struct taker {
	struct kbs_ratelimit *rl;
	int got;
};

static void *
take_many(void *arg)
{
	struct taker *t = arg;
	int i;

	for (i = 0; i < 10000; i++)
		t->got += kbs_ratelimit_take(t->rl, "198.51.100.7", 5000);
	return NULL;
}

static void
test_threads(void)
{
	struct kbs_ratelimit *rl = NULL;
	struct taker t[8];
	pthread_t th[8];
	int i, total = 0;

	CHECK_OK(kbs_ratelimit_new(1, 1, 500, &rl));
	for (i = 0; i < 8; i++) {
		t[i].rl = rl;
		t[i].got = 0;
		CHECK(pthread_create(&th[i], NULL, take_many, &t[i]) == 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += t[i].got;
	}
	CHECK_INT_EQ(total, 500); /* the burst, exactly: the clock did not move */
	kbs_ratelimit_free(rl);
}

/* A reload changes the limit in place: buckets keep their tokens up to the new burst. */
static void
test_set(void)
{
	struct kbs_ratelimit *rl = NULL;
	int i;

	CHECK_OK(kbs_ratelimit_new(2, 1, 3, &rl));
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1000), 1); /* 2 left */
	kbs_ratelimit_set(rl, 1, 1, 1);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1000), 1); /* capped at 1, taken */
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1000), 0);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 1999), 0);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 2000), 1); /* one per second now */
	kbs_ratelimit_set(rl, 0, 1, 1);                             /* off */
	for (i = 0; i < 100; i++)
		CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.1", 2000), 1);
	kbs_ratelimit_set(rl, 5, 1, 5);
	for (i = 0; i < 5; i++)
		CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.9", 3000), 1);
	CHECK_INT_EQ(kbs_ratelimit_take(rl, "192.0.2.9", 3000), 0);
	kbs_ratelimit_free(rl);
}

TEST_MAIN(TEST(test_set), TEST(test_burst_and_refill), TEST(test_per_minute), TEST(test_disabled),
    TEST(test_many_addresses), TEST(test_threads))
