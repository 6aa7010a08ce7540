/*
 * metrics.h: the broker's counters and histograms, rendered for GET
 * /metrics in the Prometheus text format 0.0.4.
 *
 * Every label takes its values from a fixed list known at start-up: the
 * routes and status codes below, the decision results, the policy rule ids
 * given to kbs_metrics_new, the kbs_err names of common/kbs_err_list.h. A
 * value outside its list is counted as "other", so no request can create
 * a series; the number of series has a bound fixed at start-up.
 *
 * Series of the small sets (decision results, cached/cold verification)
 * are always rendered, so rate() sees them from zero; those of the large
 * ones (route x code, rule ids, error names, the per-route histograms)
 * appear at their first observation.
 *
 * Observing is lock-free: each call is one to three relaxed C11 atomic
 * additions, safe from any number of threads. A render reads every
 * counter once; it may see an observation in one series and not yet in
 * another (never a torn value), and a histogram's +Inf bucket always
 * equals its _count. Every observing function accepts a NULL metrics
 * object and does nothing.
 */
#ifndef KBS_METRICS_H
#define KBS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

#define KBS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define KBS_METRICS_MAX_RULES 256
#define KBS_METRICS_RULE_ID_MAX 128
#define KBS_METRICS_MAX_GAUGES 16

/* The routes (label "route"). Out-of-range values count as OTHER. */
enum kbs_metrics_route {
	KBS_METRICS_ROUTE_CHALLENGE,      /* "challenge" POST /v1/challenge */
	KBS_METRICS_ROUTE_ATTEST,         /* "attest" POST /v1/attest */
	KBS_METRICS_ROUTE_SECRET,         /* "secret" GET /v1/secrets/{name} */
	KBS_METRICS_ROUTE_KEYS,           /* "keys" GET /v1/keys */
	KBS_METRICS_ROUTE_HEALTHZ,        /* "healthz" */
	KBS_METRICS_ROUTE_READYZ,         /* "readyz" */
	KBS_METRICS_ROUTE_METRICS,        /* "metrics" */
	KBS_METRICS_ROUTE_ADMIN_SECRETS,  /* "admin_secrets" /v1/admin/secrets... */
	KBS_METRICS_ROUTE_ADMIN_POLICIES, /* "admin_policies" */
	KBS_METRICS_ROUTE_ADMIN_TOKENS,   /* "admin_tokens" */
	KBS_METRICS_ROUTE_ADMIN_AUDIT,    /* "admin_audit" */
	KBS_METRICS_ROUTE_ADMIN_BACKUP,   /* "admin_backup" */
	KBS_METRICS_ROUTE_ADMIN_CERTS,    /* "admin_certs" PUT /v1/admin/certs/{path} */
	KBS_METRICS_ROUTE_OTHER,          /* "other": no route matched (404, 405) */
	KBS_METRICS_ROUTE_COUNT
};

/* The results of an attestation (label "result"). */
enum kbs_metrics_decision {
	KBS_METRICS_RELEASED,         /* "released" */
	KBS_METRICS_DENIED,           /* "denied": a policy failed */
	KBS_METRICS_REFUSED_EVIDENCE, /* "refused_evidence": nonce, report or chain refused */
	KBS_METRICS_ERROR,            /* "error": the broker could not decide (e.g. 503) */
	KBS_METRICS_DECISION_COUNT
};

struct kbs_metrics;

/*
 * kbs_metrics_new makes the metrics object. rule_ids[0..n_rules) are the
 * policy rule ids a denial may name (the policy rule table); they are
 * copied. Each is 1..KBS_METRICS_RULE_ID_MAX bytes of [A-Za-z0-9_.:-], not
 * "other", without repeats; at most KBS_METRICS_MAX_RULES.
 * KBS_ERR_INVALID_ARGUMENT, KBS_ERR_ALLOC. Free with kbs_metrics_free.
 */
KBS_MUST_CHECK int kbs_metrics_new(
    const char *const *rule_ids, size_t n_rules, struct kbs_metrics **ret);

/* kbs_metrics_free frees m; NULL is a no-op. */
void kbs_metrics_free(struct kbs_metrics *m);

/*
 * A gauge read at each scrape. read returns 0 and sets *ret, or non-zero
 * to leave the gauge out of this scrape. It runs on the scraping thread
 * and must be thread-safe.
 */
struct kbs_metrics_gauge {
	const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]*, at most 64 bytes; copied */
	const char *help; /* printable ASCII without '\\', at most 200 bytes; copied */
	int (*read)(void *ctx, uint64_t *ret);
	void *ctx;
};

/*
 * kbs_metrics_add_gauge registers a gauge (e.g. the LMDB map's used and
 * total bytes). Call it before the server starts: it must not run
 * concurrently with kbs_metrics_render. KBS_ERR_INVALID_ARGUMENT for a bad
 * name or help, a name already used, or more than KBS_METRICS_MAX_GAUGES.
 */
KBS_MUST_CHECK int kbs_metrics_add_gauge(struct kbs_metrics *m, const struct kbs_metrics_gauge *g);

/*
 * kbs_metrics_add_counter registers g the same way, rendered as TYPE
 * counter: for a monotonic count kept by another module (read must never
 * go down). Same errors; counters and gauges share the limit and names.
 */
KBS_MUST_CHECK int kbs_metrics_add_counter(
    struct kbs_metrics *m, const struct kbs_metrics_gauge *g);

/*
 * kbs_metrics_request counts one answered request: route, HTTP status
 * (200, 201, 400, 401, 403, 404, 405, 413, 429, 500, 503 have their own
 * series; any other is "other") and its latency in nanoseconds (buckets
 * from 100 us to 10 s).
 */
void kbs_metrics_request(
    struct kbs_metrics *m, enum kbs_metrics_route route, unsigned status, uint64_t duration_ns);

/* kbs_metrics_decision counts one attestation by result. */
void kbs_metrics_decision(struct kbs_metrics *m, enum kbs_metrics_decision d);

/*
 * kbs_metrics_denied_rule counts one failed rule of a denial (call it once
 * per failed rule id, besides kbs_metrics_decision(DENIED)). An id not
 * given to kbs_metrics_new counts as "other".
 */
void kbs_metrics_denied_rule(struct kbs_metrics *m, const char *rule_id);

/*
 * kbs_metrics_refused_evidence counts evidence refused before policy by
 * its KBS_ERR_* code (label "reason", the kbs_err_name); a code without a
 * name counts as "other". Call it besides kbs_metrics_decision(REFUSED_EVIDENCE).
 */
void kbs_metrics_refused_evidence(struct kbs_metrics *m, int err);

/* kbs_metrics_verification counts one snp_verify_report by chain source. */
void kbs_metrics_verification(struct kbs_metrics *m, bool chain_cached);

void kbs_metrics_nonce_issued(struct kbs_metrics *m);
void kbs_metrics_nonce_consumed(struct kbs_metrics *m);
void kbs_metrics_audit_appended(struct kbs_metrics *m, uint64_t n);

/* kbs_metrics_deadline_closed counts one connection closed at request_deadline. */
void kbs_metrics_deadline_closed(struct kbs_metrics *m);

/* kbs_metrics_commit_batch records the number of requests one durable commit carried. */
void kbs_metrics_commit_batch(struct kbs_metrics *m, uint64_t size);

/* The broker's webhook events (label "kind"; docs/webhooks.md). */
enum kbs_metrics_webhook_kind {
	KBS_METRICS_WEBHOOK_RELEASE,             /* "release" */
	KBS_METRICS_WEBHOOK_DENIAL,              /* "denial" */
	KBS_METRICS_WEBHOOK_POLICY_CHANGE,       /* "policy_change" */
	KBS_METRICS_WEBHOOK_AUDIT_CHAIN_FAILURE, /* "audit_chain_failure" */
	KBS_METRICS_WEBHOOK_TOKEN_REVOKED,       /* "token_revoked" */
	KBS_METRICS_WEBHOOK_KIND_COUNT
};

/* The result of one delivery attempt (label "result"). */
enum kbs_metrics_webhook_result {
	KBS_METRICS_WEBHOOK_OK,            /* "ok": a 2xx answer */
	KBS_METRICS_WEBHOOK_HTTP_ERROR,    /* "http_error": any other status */
	KBS_METRICS_WEBHOOK_TIMEOUT,       /* "timeout" */
	KBS_METRICS_WEBHOOK_CONNECT_ERROR, /* "connect_error": refused, unreachable, DNS, TLS */
	KBS_METRICS_WEBHOOK_FAILED,        /* "error": anything else libcurl reports */
	KBS_METRICS_WEBHOOK_RESULT_COUNT
};

/* Why a delivery was given up (label "reason"). */
enum kbs_metrics_webhook_drop {
	KBS_METRICS_WEBHOOK_QUEUE_FULL, /* "queue_full": never queued */
	KBS_METRICS_WEBHOOK_RETRIES,    /* "retries": every attempt failed */
	KBS_METRICS_WEBHOOK_REJECTED,   /* "rejected": a 4xx other than 408 and 429 */
	KBS_METRICS_WEBHOOK_SHUTDOWN,   /* "shutdown": still queued when the drain ended */
	KBS_METRICS_WEBHOOK_DROP_COUNT
};

/*
 * kbs_metrics_webhook_kind_name is the label (and the configuration's and
 * the bodies' name) of kind; NULL out of range. kbs_metrics_webhook_kind_parse
 * reads one back: 0, or KBS_ERR_INVALID_ARGUMENT for an unknown name.
 */
const char *kbs_metrics_webhook_kind_name(enum kbs_metrics_webhook_kind kind);
KBS_MUST_CHECK int kbs_metrics_webhook_kind_parse(
    const char *name, enum kbs_metrics_webhook_kind *ret);

/* kbs_metrics_webhook_drop_name is the label of reason (for the log line); "other" out of range. */
const char *kbs_metrics_webhook_drop_name(enum kbs_metrics_webhook_drop reason);

/* kbs_metrics_webhook_event counts one event that at least one webhook subscribes to. */
void kbs_metrics_webhook_event(struct kbs_metrics *m, enum kbs_metrics_webhook_kind kind);

/* kbs_metrics_webhook_delivery counts one delivery attempt by result. */
void kbs_metrics_webhook_delivery(struct kbs_metrics *m, enum kbs_metrics_webhook_result result);

/* kbs_metrics_webhook_dropped counts one delivery given up, by reason. */
void kbs_metrics_webhook_dropped(struct kbs_metrics *m, enum kbs_metrics_webhook_drop reason);
/* The AMD KDS fetch results (label "result" of kbs_kds_fetches_total). */
enum kbs_metrics_kds_result {
	KBS_METRICS_KDS_OK,          /* "ok": fetched from KDS and stored */
	KBS_METRICS_KDS_CACHED,      /* "cached": found in the store or the cache directory */
	KBS_METRICS_KDS_HTTP_429,    /* "http_429": 429 or 503, backing off */
	KBS_METRICS_KDS_HTTP_ERROR,  /* "http_error": another status, or no connection */
	KBS_METRICS_KDS_TIMEOUT,     /* "timeout": kds_timeout passed */
	KBS_METRICS_KDS_BAD_CONTENT, /* "bad_content": content type, parse, or another chip's */
	KBS_METRICS_KDS_RESULT_COUNT
};

/*
 * kbs_metrics_kds_fetch counts one look-up of kind (0 vcek, 1 chain, 2 crl:
 * enum kbs_kds_item) by result. Out-of-range values are ignored.
 */
void kbs_metrics_kds_fetch(struct kbs_metrics *m, unsigned kind, enum kbs_metrics_kds_result res);

/* kbs_metrics_crl_stale counts one verification refused for a CRL past its grace. */
void kbs_metrics_crl_stale(struct kbs_metrics *m);

/*
 * kbs_metrics_crl_held records the thisUpdate (Unix seconds; 0: none) of
 * the CRL held for product (1..3, enum snp_product) and chain (0 VCEK, 1
 * VLEK); kbs_crl_age_seconds{product,chain} renders now minus it.
 */
void kbs_metrics_crl_held(
    struct kbs_metrics *m, unsigned product, unsigned chain, int64_t this_update);

/*
 * kbs_metrics_render writes the whole exposition into a malloc'd
 * NUL-terminated buffer (*ret, *ret_len without the NUL; free() it).
 * Thread-safe against observers. KBS_ERR_INVALID_ARGUMENT, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_metrics_render(const struct kbs_metrics *m, char **ret, size_t *ret_len);

#endif
