/*
 * metrics.c: fixed arrays of relaxed C11 atomic counters, and a renderer
 * of the Prometheus text format 0.0.4.
 *
 * Layout: every series is a slot in an array sized at compile time (or,
 * for rule ids, at kbs_metrics_new), indexed by an enum or a lookup in a
 * fixed list; slot 0 or the last slot of each list is "other". Histograms
 * keep per-bucket (not cumulative) counts, so an observation is one
 * increment of its bucket plus one of the sum; the renderer accumulates,
 * and derives _count from the buckets so that +Inf and _count agree within
 * a scrape. Relaxed ordering is enough: each counter is independent and
 * only its own value must be exact.
 *
 * Label values all come from this file, the rule ids checked at
 * kbs_metrics_new, or kbs_err_name(), none of which needs escaping.
 */
#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbs_common.h"

/* The error table of kbs_err.c covers -1..-599 (kbs_err_list.h's blocks). */
#define ERR_SLOTS 600
#define GAUGE_NAME_MAX 64
#define GAUGE_HELP_MAX 200

typedef _Atomic uint64_t counter_t;

static const char *const route_names[KBS_METRICS_ROUTE_COUNT] = {
	[KBS_METRICS_ROUTE_CHALLENGE] = "challenge",
	[KBS_METRICS_ROUTE_ATTEST] = "attest",
	[KBS_METRICS_ROUTE_SECRET] = "secret",
	[KBS_METRICS_ROUTE_KEYS] = "keys",
	[KBS_METRICS_ROUTE_HEALTHZ] = "healthz",
	[KBS_METRICS_ROUTE_READYZ] = "readyz",
	[KBS_METRICS_ROUTE_METRICS] = "metrics",
	[KBS_METRICS_ROUTE_ADMIN_SECRETS] = "admin_secrets",
	[KBS_METRICS_ROUTE_ADMIN_POLICIES] = "admin_policies",
	[KBS_METRICS_ROUTE_ADMIN_TOKENS] = "admin_tokens",
	[KBS_METRICS_ROUTE_ADMIN_AUDIT] = "admin_audit",
	[KBS_METRICS_ROUTE_ADMIN_BACKUP] = "admin_backup",
	[KBS_METRICS_ROUTE_ADMIN_CERTS] = "admin_certs",
	[KBS_METRICS_ROUTE_OTHER] = "other",
};

/* The status codes docs/protocol.md and docs/admin-api.md use; the last slot is "other". */
static const unsigned status_codes[] = { 200, 201, 400, 401, 403, 404, 405, 413, 429, 500, 503 };
#define STATUS_SLOTS (KBS_ARRAY_SIZE(status_codes) + 1)

static const char *const decision_names[KBS_METRICS_DECISION_COUNT] = {
	[KBS_METRICS_RELEASED] = "released",
	[KBS_METRICS_DENIED] = "denied",
	[KBS_METRICS_REFUSED_EVIDENCE] = "refused_evidence",
	[KBS_METRICS_ERROR] = "error",
};

static const char *const webhook_kind_names[KBS_METRICS_WEBHOOK_KIND_COUNT] = {
	[KBS_METRICS_WEBHOOK_RELEASE] = "release",
	[KBS_METRICS_WEBHOOK_DENIAL] = "denial",
	[KBS_METRICS_WEBHOOK_POLICY_CHANGE] = "policy_change",
	[KBS_METRICS_WEBHOOK_AUDIT_CHAIN_FAILURE] = "audit_chain_failure",
	[KBS_METRICS_WEBHOOK_TOKEN_REVOKED] = "token_revoked",
};

static const char *const webhook_result_names[KBS_METRICS_WEBHOOK_RESULT_COUNT] = {
	[KBS_METRICS_WEBHOOK_OK] = "ok",
	[KBS_METRICS_WEBHOOK_HTTP_ERROR] = "http_error",
	[KBS_METRICS_WEBHOOK_TIMEOUT] = "timeout",
	[KBS_METRICS_WEBHOOK_CONNECT_ERROR] = "connect_error",
	[KBS_METRICS_WEBHOOK_FAILED] = "error",
};

static const char *const webhook_drop_names[KBS_METRICS_WEBHOOK_DROP_COUNT] = {
	[KBS_METRICS_WEBHOOK_QUEUE_FULL] = "queue_full",
	[KBS_METRICS_WEBHOOK_RETRIES] = "retries",
	[KBS_METRICS_WEBHOOK_REJECTED] = "rejected",
	[KBS_METRICS_WEBHOOK_SHUTDOWN] = "shutdown",
};

/* Latency buckets, 100 us to 10 s, as nanoseconds and as the "le" text. */
static const uint64_t latency_le_ns[] = { 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000,
	5000000000, 10000000000 };
static const char *const latency_le[] = { "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
	"0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10" };
#define LATENCY_BUCKETS KBS_ARRAY_SIZE(latency_le_ns)

static const uint64_t batch_le[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
#define BATCH_BUCKETS KBS_ARRAY_SIZE(batch_le)

/* kbs_kds_fetches_total{kind,result}; kbs_crl_age_seconds{product,chain}. */
#define KDS_KINDS 3
#define CRL_PRODUCTS 4 /* enum snp_product; 0 (unknown) is never rendered */
static const char *const kds_kind_names[KDS_KINDS] = { "vcek", "chain", "crl" };
static const char *const kds_result_names[KBS_METRICS_KDS_RESULT_COUNT] = {
	[KBS_METRICS_KDS_OK] = "ok",
	[KBS_METRICS_KDS_CACHED] = "cached",
	[KBS_METRICS_KDS_HTTP_429] = "http_429",
	[KBS_METRICS_KDS_HTTP_ERROR] = "http_error",
	[KBS_METRICS_KDS_TIMEOUT] = "timeout",
	[KBS_METRICS_KDS_BAD_CONTENT] = "bad_content",
};
static const char *const crl_product_names[CRL_PRODUCTS] = { "unknown", "milan", "genoa", "turin" };
static const char *const crl_chain_names[2] = { "vcek", "vlek" };

struct latency_hist {
	counter_t bucket[LATENCY_BUCKETS + 1]; /* the last is above 10 s */
	counter_t sum_ns;
};

struct batch_hist {
	counter_t bucket[BATCH_BUCKETS + 1];
	counter_t sum;
};

struct gauge {
	char name[GAUGE_NAME_MAX + 1];
	char help[GAUGE_HELP_MAX + 1];
	int (*read)(void *ctx, uint64_t *ret);
	void *ctx;
	bool counter;
};

struct kbs_metrics {
	counter_t requests[KBS_METRICS_ROUTE_COUNT][STATUS_SLOTS];
	struct latency_hist latency[KBS_METRICS_ROUTE_COUNT];
	counter_t decisions[KBS_METRICS_DECISION_COUNT];
	char **rule_ids;
	size_t n_rules;
	counter_t *denied_rules;      /* n_rules + 1 slots, the last "other" */
	counter_t refused[ERR_SLOTS]; /* by -code; slot 0 is "other" */
	counter_t verifications[2];   /* cold, cached */
	counter_t nonces_issued, nonces_consumed, audit_records;
	struct batch_hist batch;
	counter_t deadline_closed;
	struct gauge gauges[KBS_METRICS_MAX_GAUGES];
	size_t n_gauges;
	counter_t webhook_events[KBS_METRICS_WEBHOOK_KIND_COUNT];
	counter_t webhook_deliveries[KBS_METRICS_WEBHOOK_RESULT_COUNT];
	counter_t webhook_dropped[KBS_METRICS_WEBHOOK_DROP_COUNT];
	counter_t kds[KDS_KINDS][KBS_METRICS_KDS_RESULT_COUNT];
	counter_t crl_stale;
	_Atomic int64_t crl_this_update[CRL_PRODUCTS][2];
};

static void
inc(counter_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
get(const counter_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* string_ok: 1..max bytes (0..max when empty_ok), each accepted by char_ok at its position. */
static bool
string_ok(const char *s, size_t max, bool empty_ok, bool (*char_ok)(char c, size_t pos))
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || !char_ok(s[i], i))
			return false;
	}
	return i > 0 || empty_ok;
}

/* Rule ids: label values that need no escaping. */
static bool
rule_id_char(char c, size_t pos)
{
	(void)pos;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '.' || c == ':' || c == '-';
}

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static bool
metric_name_char(char c, size_t pos)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	    (pos > 0 && c >= '0' && c <= '9');
}

/* HELP text: printable ASCII without '\\', so none of HELP's escapes (backslash, newline) is
 * needed. */
static bool
help_char(char c, size_t pos)
{
	(void)pos;
	return c >= 0x20 && c <= 0x7e && c != '\\';
}

static bool
rule_id_ok(const char *s)
{
	return s != NULL && strcmp(s, "other") != 0 &&
	    string_ok(s, KBS_METRICS_RULE_ID_MAX, false, rule_id_char);
}

int
kbs_metrics_new(const char *const *rule_ids, size_t n_rules, struct kbs_metrics **ret)
{
	struct kbs_metrics *m = NULL;
	size_t i, j;
	int r = KBS_ERR_INTERNAL;

	if (ret == NULL || n_rules > KBS_METRICS_MAX_RULES || (n_rules > 0 && rule_ids == NULL))
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < n_rules; i++) {
		if (!rule_id_ok(rule_ids[i]))
			return KBS_ERR_INVALID_ARGUMENT;
		for (j = 0; j < i; j++) {
			if (strcmp(rule_ids[i], rule_ids[j]) == 0)
				return KBS_ERR_INVALID_ARGUMENT;
		}
	}
	/* calloc: all-zero bytes are a valid zero for lock-free 64-bit atomics. */
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->denied_rules = calloc(n_rules + 1, sizeof(*m->denied_rules))) == NULL ||
	    (n_rules > 0 && (m->rule_ids = calloc(n_rules, sizeof(*m->rule_ids))) == NULL)) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n_rules; i++) {
		if ((m->rule_ids[i] = strdup(rule_ids[i])) == NULL) {
			r = KBS_ERR_ALLOC;
			goto out;
		}
		m->n_rules = i + 1;
	}
	*ret = m;
	m = NULL;
	r = 0;
out:
	kbs_metrics_free(m);
	return r;
}

void
kbs_metrics_free(struct kbs_metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_rules; i++)
		free(m->rule_ids[i]);
	free(m->rule_ids);
	free(m->denied_rules);
	free(m);
}

static int
add_gauge(struct kbs_metrics *m, const struct kbs_metrics_gauge *g, bool counter)
{
	struct gauge *dst;
	size_t i;

	if (m == NULL || g == NULL || g->read == NULL ||
	    !string_ok(g->name, GAUGE_NAME_MAX, false, metric_name_char) ||
	    !string_ok(g->help, GAUGE_HELP_MAX, true, help_char) ||
	    m->n_gauges == KBS_METRICS_MAX_GAUGES)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < m->n_gauges; i++) {
		if (strcmp(m->gauges[i].name, g->name) == 0)
			return KBS_ERR_INVALID_ARGUMENT;
	}
	dst = &m->gauges[m->n_gauges];
	snprintf(dst->name, sizeof(dst->name), "%s", g->name);
	snprintf(dst->help, sizeof(dst->help), "%s", g->help);
	dst->read = g->read;
	dst->ctx = g->ctx;
	dst->counter = counter;
	m->n_gauges++;
	return 0;
}

int
kbs_metrics_add_gauge(struct kbs_metrics *m, const struct kbs_metrics_gauge *g)
{
	return add_gauge(m, g, false);
}

int
kbs_metrics_add_counter(struct kbs_metrics *m, const struct kbs_metrics_gauge *g)
{
	return add_gauge(m, g, true);
}

/* ---- observing ----------------------------------------------------------- */

static size_t
status_slot(unsigned status)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(status_codes); i++) {
		if (status_codes[i] == status)
			return i;
	}
	return KBS_ARRAY_SIZE(status_codes);
}

void
kbs_metrics_request(
    struct kbs_metrics *m, enum kbs_metrics_route route, unsigned status, uint64_t duration_ns)
{
	size_t b = 0;

	if (m == NULL)
		return;
	if ((unsigned)route >= KBS_METRICS_ROUTE_COUNT)
		route = KBS_METRICS_ROUTE_OTHER;
	inc(&m->requests[route][status_slot(status)], 1);
	while (b < LATENCY_BUCKETS && duration_ns > latency_le_ns[b])
		b++;
	inc(&m->latency[route].bucket[b], 1);
	inc(&m->latency[route].sum_ns, duration_ns);
}

void
kbs_metrics_decision(struct kbs_metrics *m, enum kbs_metrics_decision d)
{
	if (m == NULL)
		return;
	if ((unsigned)d >= KBS_METRICS_DECISION_COUNT)
		d = KBS_METRICS_ERROR;
	inc(&m->decisions[d], 1);
}

void
kbs_metrics_denied_rule(struct kbs_metrics *m, const char *rule_id)
{
	size_t i = 0;

	if (m == NULL)
		return;
	if (rule_id != NULL) {
		while (i < m->n_rules && strcmp(m->rule_ids[i], rule_id) != 0)
			i++;
	} else {
		i = m->n_rules;
	}
	inc(&m->denied_rules[i], 1);
}

void
kbs_metrics_refused_evidence(struct kbs_metrics *m, int err)
{
	size_t slot = 0;

	if (m == NULL)
		return;
	if (err < 0 && err > -ERR_SLOTS && strcmp(kbs_err_name(err), "unknown") != 0)
		slot = (size_t)-err;
	inc(&m->refused[slot], 1);
}

void
kbs_metrics_verification(struct kbs_metrics *m, bool chain_cached)
{
	if (m != NULL)
		inc(&m->verifications[chain_cached ? 1 : 0], 1);
}

void
kbs_metrics_nonce_issued(struct kbs_metrics *m)
{
	if (m != NULL)
		inc(&m->nonces_issued, 1);
}

void
kbs_metrics_nonce_consumed(struct kbs_metrics *m)
{
	if (m != NULL)
		inc(&m->nonces_consumed, 1);
}

void
kbs_metrics_audit_appended(struct kbs_metrics *m, uint64_t n)
{
	if (m != NULL)
		inc(&m->audit_records, n);
}

void
kbs_metrics_deadline_closed(struct kbs_metrics *m)
{
	if (m != NULL)
		inc(&m->deadline_closed, 1);
}

void
kbs_metrics_commit_batch(struct kbs_metrics *m, uint64_t size)
{
	size_t b = 0;

	if (m == NULL)
		return;
	while (b < BATCH_BUCKETS && size > batch_le[b])
		b++;
	inc(&m->batch.bucket[b], 1);
	inc(&m->batch.sum, size);
}

const char *
kbs_metrics_webhook_kind_name(enum kbs_metrics_webhook_kind kind)
{
	return (unsigned)kind < KBS_METRICS_WEBHOOK_KIND_COUNT ? webhook_kind_names[kind] : NULL;
}

int
kbs_metrics_webhook_kind_parse(const char *name, enum kbs_metrics_webhook_kind *ret)
{
	size_t i;

	for (i = 0; name != NULL && i < KBS_METRICS_WEBHOOK_KIND_COUNT; i++)
		if (strcmp(name, webhook_kind_names[i]) == 0) {
			*ret = (enum kbs_metrics_webhook_kind)i;
			return 0;
		}
	return KBS_ERR_INVALID_ARGUMENT;
}

const char *
kbs_metrics_webhook_drop_name(enum kbs_metrics_webhook_drop reason)
{
	return (unsigned)reason < KBS_METRICS_WEBHOOK_DROP_COUNT ? webhook_drop_names[reason]
								 : "other";
}

void
kbs_metrics_webhook_event(struct kbs_metrics *m, enum kbs_metrics_webhook_kind kind)
{
	if (m != NULL && (unsigned)kind < KBS_METRICS_WEBHOOK_KIND_COUNT)
		inc(&m->webhook_events[kind], 1);
}

void
kbs_metrics_webhook_delivery(struct kbs_metrics *m, enum kbs_metrics_webhook_result result)
{
	if (m == NULL)
		return;
	if ((unsigned)result >= KBS_METRICS_WEBHOOK_RESULT_COUNT)
		result = KBS_METRICS_WEBHOOK_FAILED;
	inc(&m->webhook_deliveries[result], 1);
}

void
kbs_metrics_webhook_dropped(struct kbs_metrics *m, enum kbs_metrics_webhook_drop reason)
{
	if (m != NULL && (unsigned)reason < KBS_METRICS_WEBHOOK_DROP_COUNT)
		inc(&m->webhook_dropped[reason], 1);
}

void
kbs_metrics_kds_fetch(struct kbs_metrics *m, unsigned kind, enum kbs_metrics_kds_result res)
{
	if (m != NULL && kind < KDS_KINDS && (unsigned)res < KBS_METRICS_KDS_RESULT_COUNT)
		inc(&m->kds[kind][res], 1);
}

void
kbs_metrics_crl_stale(struct kbs_metrics *m)
{
	if (m != NULL)
		inc(&m->crl_stale, 1);
}

void
kbs_metrics_crl_held(struct kbs_metrics *m, unsigned product, unsigned chain, int64_t this_update)
{
	if (m != NULL && product > 0 && product < CRL_PRODUCTS && chain < 2)
		atomic_store_explicit(
		    &m->crl_this_update[product][chain], this_update, memory_order_relaxed);
}

/* ---- rendering ----------------------------------------------------------- */

/* A growable text buffer; the first failure sticks in err. */
struct out {
	char *p;
	size_t len, cap;
	int err;
};

__attribute__((format(printf, 2, 3))) static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err != 0)
		return;
	for (;;) {
		size_t room = o->cap - o->len;
		char *np;

		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->err = KBS_ERR_INTERNAL;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		if (o->cap > SIZE_MAX / 2 - (size_t)n) {
			o->err = KBS_ERR_ALLOC;
			return;
		}
		if ((np = realloc(o->p, o->cap * 2 + (size_t)n)) == NULL) {
			o->err = KBS_ERR_ALLOC;
			return;
		}
		o->p = np;
		o->cap = o->cap * 2 + (size_t)n;
	}
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_requests(struct out *o, const struct kbs_metrics *m)
{
	size_t r, s;

	family(o, "kbs_http_requests_total", "counter", "HTTP requests by route and status code.");
	for (r = 0; r < KBS_METRICS_ROUTE_COUNT; r++) {
		for (s = 0; s < STATUS_SLOTS; s++) {
			uint64_t v = get(&m->requests[r][s]);
			char code[16];

			if (v == 0)
				continue;
			if (s < KBS_ARRAY_SIZE(status_codes))
				snprintf(code, sizeof(code), "%u", status_codes[s]);
			else
				snprintf(code, sizeof(code), "other");
			out_printf(o,
			    "kbs_http_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n",
			    route_names[r], code, v);
		}
	}
}

static void
render_latency(struct out *o, const struct kbs_metrics *m)
{
	static const char name[] = "kbs_http_request_duration_seconds";
	uint64_t counts[LATENCY_BUCKETS + 1], total, sum;
	size_t r, b;

	family(o, name, "histogram", "HTTP request latency by route.");
	for (r = 0; r < KBS_METRICS_ROUTE_COUNT; r++) {
		total = 0;
		for (b = 0; b <= LATENCY_BUCKETS; b++) {
			counts[b] = get(&m->latency[r].bucket[b]);
			total += counts[b];
		}
		if (total == 0)
			continue;
		sum = get(&m->latency[r].sum_ns);
		total = 0;
		for (b = 0; b < LATENCY_BUCKETS; b++) {
			total += counts[b];
			out_printf(o, "%s_bucket{route=\"%s\",le=\"%s\"} %" PRIu64 "\n", name,
			    route_names[r], latency_le[b], total);
		}
		total += counts[LATENCY_BUCKETS];
		out_printf(o, "%s_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
		    route_names[r], total);
		/* Nanoseconds as exact decimal seconds: no floating point. */
		out_printf(o, "%s_sum{route=\"%s\"} %" PRIu64 ".%09" PRIu64 "\n", name,
		    route_names[r], sum / 1000000000u, sum % 1000000000u);
		out_printf(o, "%s_count{route=\"%s\"} %" PRIu64 "\n", name, route_names[r], total);
	}
}

static void
render_decisions(struct out *o, const struct kbs_metrics *m)
{
	size_t i;
	int code;

	family(o, "kbs_attest_decisions_total", "counter", "Attestation decisions by result.");
	for (i = 0; i < KBS_METRICS_DECISION_COUNT; i++)
		out_printf(o, "kbs_attest_decisions_total{result=\"%s\"} %" PRIu64 "\n",
		    decision_names[i], get(&m->decisions[i]));
	family(o, "kbs_attest_denied_rules_total", "counter",
	    "Policy rules that failed in denied attestations, by rule id.");
	for (i = 0; i <= m->n_rules; i++) {
		uint64_t v = get(&m->denied_rules[i]);

		if (v != 0)
			out_printf(o, "kbs_attest_denied_rules_total{rule=\"%s\"} %" PRIu64 "\n",
			    i < m->n_rules ? m->rule_ids[i] : "other", v);
	}
	family(o, "kbs_attest_refused_evidence_total", "counter",
	    "Evidence refused before policy evaluation, by error code.");
	for (code = -1; code > -ERR_SLOTS; code--) {
		uint64_t v = get(&m->refused[-code]);

		if (v != 0)
			out_printf(o,
			    "kbs_attest_refused_evidence_total{reason=\"%s\"} %" PRIu64 "\n",
			    kbs_err_name(code), v);
	}
	if (get(&m->refused[0]) != 0)
		out_printf(o, "kbs_attest_refused_evidence_total{reason=\"other\"} %" PRIu64 "\n",
		    get(&m->refused[0]));
	family(o, "kbs_verifications_total", "counter",
	    "Report verifications by certificate chain source.");
	out_printf(o, "kbs_verifications_total{chain=\"cached\"} %" PRIu64 "\n",
	    get(&m->verifications[1]));
	out_printf(
	    o, "kbs_verifications_total{chain=\"cold\"} %" PRIu64 "\n", get(&m->verifications[0]));
}

static void
render_counter(struct out *o, const char *name, const char *help, const counter_t *c)
{
	family(o, name, "counter", help);
	out_printf(o, "%s %" PRIu64 "\n", name, get(c));
}

static void
render_batch(struct out *o, const struct kbs_metrics *m)
{
	static const char name[] = "kbs_store_commit_batch_size";
	uint64_t total = 0;
	size_t b;

	family(o, name, "histogram", "Requests carried by one durable store commit.");
	for (b = 0; b < BATCH_BUCKETS; b++) {
		total += get(&m->batch.bucket[b]);
		out_printf(
		    o, "%s_bucket{le=\"%" PRIu64 "\"} %" PRIu64 "\n", name, batch_le[b], total);
	}
	total += get(&m->batch.bucket[BATCH_BUCKETS]);
	out_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, total);
	out_printf(o, "%s_sum %" PRIu64 "\n", name, get(&m->batch.sum));
	out_printf(o, "%s_count %" PRIu64 "\n", name, total);
}

/* render_labelled renders a small fixed set of series, every one from zero. */
static void
render_labelled(struct out *o, const char *name, const char *help, const char *label,
    const char *const *values, const counter_t *c, size_t n)
{
	size_t i;

	family(o, name, "counter", help);
	for (i = 0; i < n; i++)
		out_printf(o, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, values[i], get(&c[i]));
}

static void
render_webhooks(struct out *o, const struct kbs_metrics *m)
{
	render_labelled(o, "kbs_webhook_events_total", "Events queued for webhooks, by kind.",
	    "kind", webhook_kind_names, m->webhook_events, KBS_METRICS_WEBHOOK_KIND_COUNT);
	render_labelled(o, "kbs_webhook_deliveries_total", "Webhook delivery attempts, by result.",
	    "result", webhook_result_names, m->webhook_deliveries,
	    KBS_METRICS_WEBHOOK_RESULT_COUNT);
	render_labelled(o, "kbs_webhook_dropped_total", "Webhook deliveries given up, by reason.",
	    "reason", webhook_drop_names, m->webhook_dropped, KBS_METRICS_WEBHOOK_DROP_COUNT);
}

static void
render_kds(struct out *o, const struct kbs_metrics *m)
{
	size_t k, r;

	family(o, "kbs_kds_fetches_total", "counter",
	    "AMD KDS certificate and CRL look-ups by kind and result.");
	for (k = 0; k < KDS_KINDS; k++)
		for (r = 0; r < KBS_METRICS_KDS_RESULT_COUNT; r++)
			out_printf(o,
			    "kbs_kds_fetches_total{kind=\"%s\",result=\"%s\"} %" PRIu64 "\n",
			    kds_kind_names[k], kds_result_names[r], get(&m->kds[k][r]));
}

static void
render_crl_age(struct out *o, const struct kbs_metrics *m)
{
	int64_t now = (int64_t)time(NULL), t;
	size_t p, c;

	family(o, "kbs_crl_age_seconds", "gauge",
	    "Seconds since the thisUpdate of the CRL held per product and chain.");
	for (p = 1; p < CRL_PRODUCTS; p++)
		for (c = 0; c < 2; c++) {
			t = atomic_load_explicit(&m->crl_this_update[p][c], memory_order_relaxed);
			if (t != 0)
				out_printf(o,
				    "kbs_crl_age_seconds{product=\"%s\",chain=\"%s\"} %" PRId64
				    "\n",
				    crl_product_names[p], crl_chain_names[c], now - t);
		}
}

static void
render_gauges(struct out *o, const struct kbs_metrics *m)
{
	size_t i;

	for (i = 0; i < m->n_gauges; i++) {
		const struct gauge *g = &m->gauges[i];
		uint64_t v = 0;

		family(o, g->name, g->counter ? "counter" : "gauge", g->help);
		if (g->read(g->ctx, &v) == 0)
			out_printf(o, "%s %" PRIu64 "\n", g->name, v);
	}
}

int
kbs_metrics_render(const struct kbs_metrics *m, char **ret, size_t *ret_len)
{
	struct out o = { NULL, 0, 0, 0 };

	if (m == NULL || ret == NULL || ret_len == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	o.cap = 8192;
	if ((o.p = malloc(o.cap)) == NULL)
		return KBS_ERR_ALLOC;
	o.p[0] = '\0';
	render_requests(&o, m);
	render_latency(&o, m);
	render_decisions(&o, m);
	render_counter(
	    &o, "kbs_nonces_issued_total", "Challenge nonces issued.", &m->nonces_issued);
	render_counter(&o, "kbs_nonces_consumed_total", "Nonces consumed by a recorded decision.",
	    &m->nonces_consumed);
	render_counter(&o, "kbs_audit_records_total", "Audit records appended.", &m->audit_records);
	render_batch(&o, m);
	render_webhooks(&o, m);
	render_counter(&o, "kbs_http_request_deadline_closed_total",
	    "Connections closed for not sending a whole request within request_deadline.",
	    &m->deadline_closed);
	render_kds(&o, m);
	render_counter(&o, "kbs_crl_stale_total",
	    "Verifications refused because the CRL was past its nextUpdate plus crl_grace.",
	    &m->crl_stale);
	render_crl_age(&o, m);
	render_gauges(&o, m);
	if (o.err != 0) {
		free(o.p);
		return o.err;
	}
	*ret = o.p;
	*ret_len = o.len;
	return 0;
}
