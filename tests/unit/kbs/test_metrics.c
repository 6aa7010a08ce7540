/*
 * Unit tests for kbs/metrics.c: the exact exposition text for a small known
 * set of observations (tests/unit/kbs/metrics.golden), exact counts from 4 threads x 100000
 * observations, unknown labels folded into "other", and the refusals of
 * kbs_metrics_new and kbs_metrics_add_gauge.
 */
#include <pthread.h>
#include <time.h>

#include "metrics.h"
#include "test.h"

static const char *const rules[] = { "measurement", "min_tcb.milan" };

static int
gauge_used(void *ctx, uint64_t *ret)
{
	*ret = *(const uint64_t *)ctx;
	return 0;
}

static int
gauge_broken(void *ctx, uint64_t *ret)
{
	(void)ctx;
	(void)ret;
	return KBS_ERR_IO;
}

static char *
render(const struct kbs_metrics *m)
{
	char *s = NULL;
	size_t len = 0;

	if (kbs_metrics_render(m, &s, &len) != 0 || strlen(s) != len)
		exit(2);
	return s;
}

/* golden reads tests/unit/kbs/metrics.golden, the exact text test_golden expects. */
static char *
golden(void)
{
	char path[4096];
	uint8_t *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/unit/kbs/metrics.golden", getenv("KBS_SOURCE_ROOT"));
	data = test_read(path, &len);
	if ((data = realloc(data, len + 1)) == NULL)
		exit(2);
	data[len] = '\0';
	return (char *)data;
}

static void
test_golden(void)
{
	struct kbs_metrics *m = NULL;
	uint64_t used = 4096;
	struct kbs_metrics_gauge g1 = { "kbs_store_map_used_bytes", "Bytes of the LMDB map in use.",
		gauge_used, &used };
	struct kbs_metrics_gauge g2 = { "kbs_store_broken", "A gauge whose read fails is left out.",
		gauge_broken, NULL };
	char *s, *want;

	CHECK_OK(kbs_metrics_new(rules, 2, &m));
	CHECK_OK(kbs_metrics_add_gauge(m, &g1));
	CHECK_OK(kbs_metrics_add_gauge(m, &g2));
	kbs_metrics_request(m, KBS_METRICS_ROUTE_ATTEST, 200, 150000);
	kbs_metrics_request(m, KBS_METRICS_ROUTE_ATTEST, 403, 100000); /* exactly le 0.0001 */
	kbs_metrics_request(m, KBS_METRICS_ROUTE_CHALLENGE, 200, 20000000001ULL); /* above 10 s */
	kbs_metrics_request(m, (enum kbs_metrics_route)99, 418, 1);
	kbs_metrics_decision(m, KBS_METRICS_RELEASED);
	kbs_metrics_decision(m, KBS_METRICS_DENIED);
	kbs_metrics_denied_rule(m, "measurement");
	kbs_metrics_denied_rule(m, "no-such-rule");
	kbs_metrics_decision(m, KBS_METRICS_REFUSED_EVIDENCE);
	kbs_metrics_refused_evidence(m, KBS_ERR_REPORT_SIGNATURE);
	kbs_metrics_decision(m, KBS_METRICS_REFUSED_EVIDENCE);
	kbs_metrics_refused_evidence(m, KBS_ERR_NONCE_MAC);
	kbs_metrics_decision(m, KBS_METRICS_REFUSED_EVIDENCE);
	kbs_metrics_refused_evidence(m, -9999);
	kbs_metrics_verification(m, true);
	kbs_metrics_verification(m, false);
	kbs_metrics_verification(m, false);
	kbs_metrics_nonce_issued(m);
	kbs_metrics_nonce_issued(m);
	kbs_metrics_nonce_issued(m);
	kbs_metrics_nonce_consumed(m);
	kbs_metrics_audit_appended(m, 2);
	kbs_metrics_commit_batch(m, 1);
	kbs_metrics_commit_batch(m, 3);
	kbs_metrics_commit_batch(m, 1000);
	kbs_metrics_webhook_event(m, KBS_METRICS_WEBHOOK_RELEASE);
	kbs_metrics_webhook_event(m, KBS_METRICS_WEBHOOK_RELEASE);
	kbs_metrics_webhook_event(m, KBS_METRICS_WEBHOOK_TOKEN_REVOKED);
	kbs_metrics_webhook_event(m, (enum kbs_metrics_webhook_kind)99); /* not counted */
	kbs_metrics_webhook_delivery(m, KBS_METRICS_WEBHOOK_OK);
	kbs_metrics_webhook_delivery(m, KBS_METRICS_WEBHOOK_TIMEOUT);
	kbs_metrics_webhook_delivery(m, (enum kbs_metrics_webhook_result)99); /* "error" */
	kbs_metrics_webhook_dropped(m, KBS_METRICS_WEBHOOK_QUEUE_FULL);
	kbs_metrics_webhook_dropped(m, (enum kbs_metrics_webhook_drop)99); /* not counted */
	kbs_metrics_kds_fetch(m, 0, KBS_METRICS_KDS_OK);
	kbs_metrics_kds_fetch(m, 2, KBS_METRICS_KDS_CACHED);
	kbs_metrics_kds_fetch(m, 2, KBS_METRICS_KDS_CACHED);
	kbs_metrics_kds_fetch(m, 0, KBS_METRICS_KDS_HTTP_429);
	kbs_metrics_kds_fetch(m, 3, KBS_METRICS_KDS_OK); /* no such kind */
	kbs_metrics_kds_fetch(
	    m, 1, (enum kbs_metrics_kds_result)KBS_METRICS_KDS_RESULT_COUNT); /* ignored */
	kbs_metrics_crl_stale(m);
	kbs_metrics_crl_held(m, 0, 0, 5); /* product 0 (unknown) is never rendered */
	kbs_metrics_crl_held(m, 4, 0, 5);
	kbs_metrics_crl_held(m, 1, 2, 5);
	s = render(m);
	want = golden();
	CHECK_STR_EQ(s, want);
	free(want);
	free(s);
	kbs_metrics_free(m);
}

/* The webhook kinds: one table for the labels, the configuration and the bodies. */
static void
test_webhook_kinds(void)
{
	enum kbs_metrics_webhook_kind k = KBS_METRICS_WEBHOOK_RELEASE;
	size_t i;

	for (i = 0; i < KBS_METRICS_WEBHOOK_KIND_COUNT; i++) {
		const char *name = kbs_metrics_webhook_kind_name((enum kbs_metrics_webhook_kind)i);

		CHECK(name != NULL);
		CHECK_OK(kbs_metrics_webhook_kind_parse(name, &k));
		CHECK_INT_EQ(k, i);
	}
	CHECK(kbs_metrics_webhook_kind_name(KBS_METRICS_WEBHOOK_KIND_COUNT) == NULL);
	CHECK_STR_EQ(
	    kbs_metrics_webhook_kind_name(KBS_METRICS_WEBHOOK_POLICY_CHANGE), "policy_change");
	k = KBS_METRICS_WEBHOOK_DENIAL;
	CHECK_ERR(kbs_metrics_webhook_kind_parse("Release", &k), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_webhook_kind_parse("", &k), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_webhook_kind_parse(NULL, &k), KBS_ERR_INVALID_ARGUMENT);
	CHECK_INT_EQ(k, KBS_METRICS_WEBHOOK_DENIAL);
	CHECK_STR_EQ(kbs_metrics_webhook_drop_name(KBS_METRICS_WEBHOOK_SHUTDOWN), "shutdown");
	CHECK_STR_EQ(kbs_metrics_webhook_drop_name(KBS_METRICS_WEBHOOK_DROP_COUNT), "other");
}

/* kbs_crl_age_seconds is now minus the held list's thisUpdate, per product and chain. */
static void
test_crl_age(void)
{
	struct kbs_metrics *m = NULL;
	int64_t now = (int64_t)time(NULL);
	char *s, *p;
	long age;

	CHECK_OK(kbs_metrics_new(NULL, 0, &m));
	s = render(m);
	CHECK(strstr(s, "kbs_crl_age_seconds{") == NULL); /* none held: no series */
	CHECK(strstr(s, "kbs_kds_fetches_total{kind=\"crl\",result=\"timeout\"} 0\n") != NULL);
	free(s);
	kbs_metrics_crl_held(m, 3, 1, now - 100);
	s = render(m);
	p = strstr(s, "kbs_crl_age_seconds{product=\"turin\",chain=\"vlek\"} ");
	CHECK(p != NULL);
	age = p != NULL ? strtol(strchr(p, '}') + 2, NULL, 10) : -1;
	CHECK(age >= 100 && age <= 105);
	CHECK(strstr(s, "kbs_crl_age_seconds{product=\"milan\"") == NULL);
	free(s);
	kbs_metrics_crl_held(m, 3, 1, 0); /* dropped */
	s = render(m);
	CHECK(strstr(s, "kbs_crl_age_seconds{") == NULL);
	free(s);
	kbs_metrics_free(m);
}

/* A fresh object: the small fixed sets at zero, no labelled series of the large ones. */
static void
test_empty(void)
{
	struct kbs_metrics *m = NULL;
	char *s;

	CHECK_OK(kbs_metrics_new(NULL, 0, &m));
	s = render(m);
	CHECK(strstr(s, "kbs_attest_decisions_total{result=\"error\"} 0\n") != NULL);
	CHECK(strstr(s, "kbs_verifications_total{chain=\"cold\"} 0\n") != NULL);
	CHECK(strstr(s, "kbs_nonces_issued_total 0\n") != NULL);
	CHECK(strstr(s, "kbs_store_commit_batch_size_count 0\n") != NULL);
	CHECK(strstr(s, "kbs_http_requests_total{") == NULL);
	CHECK(strstr(s, "kbs_http_request_duration_seconds_bucket{") == NULL);
	CHECK(strstr(s, "kbs_attest_denied_rules_total{") == NULL);
	free(s);
	/* With no rule ids every denied rule is "other". */
	kbs_metrics_denied_rule(m, "measurement");
	kbs_metrics_denied_rule(m, NULL);
	s = render(m);
	CHECK(strstr(s, "kbs_attest_denied_rules_total{rule=\"other\"} 2\n") != NULL);
	free(s);
	kbs_metrics_free(m);
}

/* Labels outside their lists fold into "other" and never add a series. */
static void
test_unknown_labels_fold(void)
{
	static const unsigned odd_status[] = { 0, 100, 202, 302, 418, 502, 599, 1000, 65535 };
	static const int odd_err[] = { 0, 1, -600, -9999, -98, -99, -599, INT32_MIN };
	struct kbs_metrics *m = NULL;
	char *s, *p;
	size_t i, lines = 0;

	CHECK_OK(kbs_metrics_new(rules, 2, &m));
	for (i = 0; i < KBS_ARRAY_SIZE(odd_status); i++)
		kbs_metrics_request(m, KBS_METRICS_ROUTE_KEYS, odd_status[i], 5);
	for (i = 0; i < KBS_ARRAY_SIZE(odd_err); i++)
		kbs_metrics_refused_evidence(m, odd_err[i]);
	kbs_metrics_denied_rule(m, "MEASUREMENT");
	kbs_metrics_denied_rule(m, "measurement ");
	kbs_metrics_denied_rule(m, "");
	kbs_metrics_decision(m, (enum kbs_metrics_decision)17);
	kbs_metrics_request(m, (enum kbs_metrics_route) - 1, 200, 5);
	s = render(m);
	CHECK(strstr(s, "kbs_http_requests_total{route=\"keys\",code=\"other\"} 9\n") != NULL);
	CHECK(strstr(s, "kbs_http_requests_total{route=\"other\",code=\"200\"} 1\n") != NULL);
	CHECK(strstr(s, "kbs_attest_refused_evidence_total{reason=\"other\"} 8\n") != NULL);
	CHECK(strstr(s, "kbs_attest_denied_rules_total{rule=\"other\"} 3\n") != NULL);
	CHECK(strstr(s, "kbs_attest_decisions_total{result=\"error\"} 1\n") != NULL);
	for (p = s; (p = strstr(p, "kbs_attest_refused_evidence_total{")) != NULL; p++)
		lines++;
	CHECK_INT_EQ(lines, 1);
	free(s);
	kbs_metrics_free(m);
	/* NULL metrics: every observer is a no-op. */
	kbs_metrics_request(NULL, KBS_METRICS_ROUTE_ATTEST, 200, 1);
	kbs_metrics_decision(NULL, KBS_METRICS_RELEASED);
	kbs_metrics_denied_rule(NULL, "measurement");
	kbs_metrics_refused_evidence(NULL, KBS_ERR_NONCE_MAC);
	kbs_metrics_verification(NULL, true);
	kbs_metrics_nonce_issued(NULL);
	kbs_metrics_nonce_consumed(NULL);
	kbs_metrics_audit_appended(NULL, 1);
	kbs_metrics_commit_batch(NULL, 1);
	kbs_metrics_free(NULL);
}

static void
test_new_refusals(void)
{
	static const char *const dup[] = { "measurement", "vmpl", "measurement" };
	static const char *const other[] = { "other" };
	static const char *const quote[] = { "a\"b" };
	static const char *const newline[] = { "a\nb" };
	static const char *const empty[] = { "" };
	static const char *const null_id[] = { NULL };
	static const char *many[KBS_METRICS_MAX_RULES + 1];
	char long_id[KBS_METRICS_RULE_ID_MAX + 2];
	const char *const long_ids[] = { long_id };
	struct kbs_metrics *m = NULL;

	CHECK_ERR(kbs_metrics_new(dup, 3, &m), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_new(other, 1, &m), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_new(quote, 1, &m), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_new(newline, 1, &m), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_new(empty, 1, &m), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_new(null_id, 1, &m), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_new(NULL, 1, &m), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_metrics_new(many, KBS_METRICS_MAX_RULES + 1, &m), KBS_ERR_INVALID_ARGUMENT);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	CHECK_ERR(kbs_metrics_new(long_ids, 1, &m), KBS_ERR_INVALID_ARGUMENT);
	long_id[KBS_METRICS_RULE_ID_MAX] = '\0'; /* exactly the limit */
	CHECK_OK(kbs_metrics_new(long_ids, 1, &m));
	kbs_metrics_free(m);
	CHECK_ERR(kbs_metrics_new(rules, 2, NULL), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_gauge_refusals(void)
{
	struct kbs_metrics *m = NULL;
	uint64_t v = 1;
	struct kbs_metrics_gauge g = { "kbs_g", "help", gauge_used, &v };
	size_t i;

	CHECK_OK(kbs_metrics_new(rules, 2, &m));
	g.name = "1abc";
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT);
	g.name = "kbs-g";
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT);
	g.name = "";
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT);
	g.name = "kbs_g";
	g.help = "two\nlines";
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT);
	g.help = "back\\slash";
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT);
	g.help = "help";
	g.read = NULL;
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT);
	g.read = gauge_used;
	CHECK_OK(kbs_metrics_add_gauge(m, &g));
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT); /* same name */
	for (i = 1; i < KBS_METRICS_MAX_GAUGES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "kbs_g%zu", i);
		g.name = name;
		CHECK_OK(kbs_metrics_add_gauge(m, &g));
	}
	g.name = "kbs_one_too_many";
	CHECK_ERR(kbs_metrics_add_gauge(m, &g), KBS_ERR_INVALID_ARGUMENT);
	kbs_metrics_free(m);
}

#define THREADS 4
#define PER_THREAD 100000

static void *
hammer(void *arg)
{
	struct kbs_metrics *m = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		kbs_metrics_request(m, KBS_METRICS_ROUTE_ATTEST, 200, 1000);
		kbs_metrics_decision(m, KBS_METRICS_RELEASED);
		kbs_metrics_denied_rule(m, "min_tcb.milan");
		kbs_metrics_refused_evidence(m, KBS_ERR_NONCE_EXPIRED);
		kbs_metrics_nonce_issued(m);
		kbs_metrics_commit_batch(m, 2);
	}
	return NULL;
}

/* 4 threads x 100000 of each observation: every count exact. */
static void
test_threads_exact(void)
{
	pthread_t t[THREADS];
	struct kbs_metrics *m = NULL;
	char *s;
	int i;

	CHECK_OK(kbs_metrics_new(rules, 2, &m));
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, hammer, m) == 0);
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	s = render(m);
	CHECK(strstr(s, "kbs_http_requests_total{route=\"attest\",code=\"200\"} 400000\n") != NULL);
	CHECK(strstr(s,
		  "kbs_http_request_duration_seconds_bucket{route=\"attest\",le=\"0.0001\"} "
		  "400000\n") != NULL);
	CHECK(strstr(s, "kbs_http_request_duration_seconds_sum{route=\"attest\"} 0.400000000\n") !=
	    NULL);
	CHECK(strstr(s, "kbs_http_request_duration_seconds_count{route=\"attest\"} 400000\n") !=
	    NULL);
	CHECK(strstr(s, "kbs_attest_decisions_total{result=\"released\"} 400000\n") != NULL);
	CHECK(strstr(s, "kbs_attest_denied_rules_total{rule=\"min_tcb.milan\"} 400000\n") != NULL);
	CHECK(strstr(s, "kbs_attest_refused_evidence_total{reason=\"nonce_expired\"} 400000\n") !=
	    NULL);
	CHECK(strstr(s, "kbs_nonces_issued_total 400000\n") != NULL);
	CHECK(strstr(s, "kbs_store_commit_batch_size_sum 800000\n") != NULL);
	CHECK(strstr(s, "kbs_store_commit_batch_size_bucket{le=\"2\"} 400000\n") != NULL);
	free(s);
	kbs_metrics_free(m);
}

TEST_MAIN(TEST(test_golden), TEST(test_webhook_kinds), TEST(test_crl_age), TEST(test_empty),
    TEST(test_unknown_labels_fold), TEST(test_new_refusals), TEST(test_gauge_refusals),
    TEST(test_threads_exact))
