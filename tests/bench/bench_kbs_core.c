/*
 * bench_kbs_core.c: what the broker's own pieces cost per request, to set
 * beside the one P-384 report verification (~265 us nettle, ~470 us
 * OpenSSL; bench_verify): issuing and checking a nonce, signing and
 * verifying a token with one and with 32 secrets, one metrics observation
 * (single thread and four threads on one counter) and one /metrics render;
 * the Ed25519 operations alone are printed beside the token lines, since
 * they are most of the token's cost and scale with the machine's load.
 * A benchmark, not a test: it asserts only that each operation succeeds.
 *
 * Single-thread lines are CPU time of the thread; the 4-thread line is
 * wall time over all observations.
 *
 * usage: bench_kbs_core [ITERATIONS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kbs_common.h"
#include "metrics.h"
#include "nonce.h"
#include "token_fixture.h"

static long iters = 20000;

/*
 * cpu_ns reads this thread's CPU time: on a shared machine it counts only
 * the work done, not the time other processes held the core.
 */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return kbs_time_monotonic_ns();
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
report(const char *what, uint64_t t0, uint64_t t1, long n)
{
	printf("%-34s %10.3f us/op\n", what, (double)(t1 - t0) / 1000.0 / (double)n);
}

static void
fail(const char *what)
{
	fprintf(stderr, "%s failed\n", what);
	exit(1);
}

static void
bench_nonce(void)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	struct kbs_nonce_issuer *is = NULL;
	uint8_t n[32];
	int64_t e = 0, i = 0;
	uint64_t t0, t1;
	long k;

	if (kbs_nonce_issuer_new(key, "kbs-0", 5, KBS_NONCE_LIFETIME_DEFAULT, &is) != 0)
		fail("issuer");
	t0 = cpu_ns();
	for (k = 0; k < iters; k++) {
		if (kbs_nonce_issue(is, 1760000000, n, &e) != 0)
			fail("issue");
	}
	t1 = cpu_ns();
	report("nonce issue", t0, t1, iters);
	t0 = cpu_ns();
	for (k = 0; k < iters; k++) {
		if (kbs_nonce_check(is, n, 32, 1760000001, &i, &e) != 0)
			fail("check");
	}
	t1 = cpu_ns();
	report("nonce check", t0, t1, iters);
	kbs_nonce_issuer_free(is);
}

static void
bench_token(const char *label, size_t secrets)
{
	static struct kbs_token_secret many[KBS_TOKEN_MAX_SECRETS];
	static struct kbs_token_verified v;
	struct token_fixture f;
	char *t = NULL, what[64];
	size_t len = 0, i;
	uint64_t t0, t1;
	long k, n = iters / 4 > 0 ? iters / 4 : 1;

	if (token_fixture_init(&f) != 0)
		fail("fixture");
	for (i = 0; i < secrets; i++) {
		many[i] = f.secrets[0];
		snprintf(many[i].name, sizeof(many[i].name), "secret-%zu", i);
	}
	f.claims.secrets = many;
	f.claims.secret_count = secrets;
	t0 = cpu_ns();
	for (k = 0; k < n; k++) {
		free(t);
		t = NULL;
		if (kbs_token_sign(&f.key, f.sk, &f.claims, &t, &len) != 0)
			fail("sign");
	}
	t1 = cpu_ns();
	snprintf(what, sizeof(what), "token sign (%s, %zu B)", label, len);
	report(what, t0, t1, n);
	t0 = cpu_ns();
	for (k = 0; k < n; k++) {
		if (kbs_token_verify(&f.key, t, len, FIX_IAT + 1, &v) != 0)
			fail("verify");
	}
	t1 = cpu_ns();
	snprintf(what, sizeof(what), "token verify (%s)", label);
	report(what, t0, t1, n);
	free(t);
}

/* The Ed25519 operations alone, on a message of a token's size, for comparison. */
static void
bench_ed25519(size_t msg_len)
{
	static uint8_t msg[8192];
	uint8_t pk[32], sk[64], sig[64];
	uint64_t t0, t1;
	char what[64];
	long k, n = iters / 4 > 0 ? iters / 4 : 1;

	crypto_sign_keypair(pk, sk);
	t0 = cpu_ns();
	for (k = 0; k < n; k++)
		crypto_sign_detached(sig, NULL, msg, msg_len, sk);
	t1 = cpu_ns();
	snprintf(what, sizeof(what), "  (Ed25519 sign alone, %zu B)", msg_len);
	report(what, t0, t1, n);
	t0 = cpu_ns();
	for (k = 0; k < n; k++) {
		if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0)
			fail("ed25519 verify");
	}
	t1 = cpu_ns();
	snprintf(what, sizeof(what), "  (Ed25519 verify alone, %zu B)", msg_len);
	report(what, t0, t1, n);
}

static void *
observe_loop(void *arg)
{
	struct kbs_metrics *m = arg;
	long k;

	for (k = 0; k < iters * 10; k++)
		kbs_metrics_request(m, KBS_METRICS_ROUTE_ATTEST, 200, (uint64_t)k * 37);
	return NULL;
}

static void
bench_metrics(void)
{
	static const char *const rules[] = { "measurement", "vmpl", "min_tcb.milan" };
	struct kbs_metrics *m = NULL;
	pthread_t th[4];
	uint64_t t0, t1;
	char *s = NULL;
	size_t len = 0;
	long k;
	int i;

	if (kbs_metrics_new(rules, 3, &m) != 0)
		fail("metrics");
	t0 = cpu_ns();
	observe_loop(m);
	t1 = cpu_ns();
	report("metrics request observe (1 thread)", t0, t1, iters * 10);
	t0 = cpu_ns();
	for (k = 0; k < iters * 10; k++)
		kbs_metrics_denied_rule(m, "min_tcb.milan");
	t1 = cpu_ns();
	report("metrics denied rule (3 ids)", t0, t1, iters * 10);
	t0 = kbs_time_monotonic_ns();
	for (i = 0; i < 4; i++) {
		if (pthread_create(&th[i], NULL, observe_loop, m) != 0)
			fail("thread");
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t1 = kbs_time_monotonic_ns();
	report("metrics observe (4 threads, wall)", t0, t1, iters * 10 * 4);
	t0 = cpu_ns();
	for (k = 0; k < iters / 10 + 1; k++) {
		free(s);
		s = NULL;
		if (kbs_metrics_render(m, &s, &len) != 0)
			fail("render");
	}
	t1 = cpu_ns();
	report("metrics render", t0, t1, iters / 10 + 1);
	free(s);
	kbs_metrics_free(m);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && (iters = strtol(argv[1], NULL, 10)) <= 0)
		iters = 20000;
	if (kbs_crypto_init() != 0)
		return 2;
	bench_nonce();
	bench_token("1 secret", 1);
	bench_ed25519(1760);
	bench_token("32 secrets", 32);
	bench_ed25519(7410);
	bench_metrics();
	return 0;
}
