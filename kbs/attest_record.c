/*
 * attest_record.c: what the audit log keeps of an attestation.
 *
 * Every decision on verified evidence gets a record in the same durable
 * commit that consumes the nonce: the decision, every rule's result for
 * every requested secret (expected and actual values: the log is for
 * auditors, who may see them; guests only get the rule ids), the policy
 * names, versions and SHA-256s, the measurement, chip id, reported TCB,
 * the secret names (never values), whether the chain ended at an extra
 * root (--trust-root), the request id and the client address.
 *
 * Refused evidence is counted and logged always, but audited only while
 * the client address has budget left (refused_audit_per_minute): the
 * caller is unauthenticated at that point, and the store must not grow
 * at an attacker's pace.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "attest-int.h"
#include "keystore.h"
#include "metrics.h"
#include "webhook.h"

/*
 * How much of each rule row a record keeps. The keystore takes at most
 * KEYSTORE_AUDIT_TEXT_MAX bytes of rules text, and 32 secrets under rich
 * policies with long names need more; a decision that cannot be recorded
 * is a 503 for a guest that did nothing wrong. So the record first says
 * each policy's rows once (secrets under the same policy bytes share one
 * evaluation: "rules_as" names the secret whose rows they are; policy_eval
 * is a pure function of evidence and policy), and if that is still too
 * long it drops, in this order, the values of rows that did not fail, the
 * rows that did not fail, and then every row, saying so in "detail".
 */
enum rules_detail {
	RULES_ALL,           /* every row with its expected and actual values */
	RULES_FAILED_VALUES, /* every row; values only for failed ones */
	RULES_FAILED_ROWS,   /* only failed rows, with their values */
	RULES_NONE,          /* decisions, policies and hashes only */
};

static const char *const detail_names[] = { "all", "failed_values", "failed_rows", "none" };

static int
add_rows(cJSON *o, const struct policy_result *res, enum rules_detail detail)
{
	cJSON *rows = cJSON_AddArrayToObject(o, "rules"), *row;
	size_t k;

	if (rows == NULL)
		return KBS_ERR_ALLOC;
	for (k = 0; k < res->count && detail != RULES_NONE; k++) {
		const struct policy_rule_result *rr = &res->rules[k];
		int failed = rr->outcome == POLICY_OUTCOME_FAIL;

		if (!failed && detail == RULES_FAILED_ROWS)
			continue;
		if ((row = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(rows, row) ||
		    cJSON_AddStringToObject(row, "rule", rr->rule) == NULL ||
		    cJSON_AddStringToObject(row, "result", policy_outcome_name(rr->outcome)) ==
			NULL)
			return KBS_ERR_ALLOC;
		if ((failed || detail == RULES_ALL) &&
		    (cJSON_AddStringToObject(row, "expected", rr->expected) == NULL ||
			cJSON_AddStringToObject(row, "actual", rr->actual) == NULL))
			return KBS_ERR_ALLOC;
	}
	return 0;
}

/* same_policy_before: the earlier secret evaluated under the same policy bytes, or NULL. */
static const struct kbs_attest_secret *
same_policy_before(const struct kbs_attest *a, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (a->secrets[j].stored_policy != NULL &&
		    memcmp(a->secrets[j].sha256, a->secrets[i].sha256, 32) == 0)
			return &a->secrets[j];
	return NULL;
}

/*
 * rules_json: {"trust":..., ["detail":...,] "secrets":[{name, decision,
 * policy, version, sha256, rules:[...] or rules_as}]}; NULL when out of memory.
 */
static char *
rules_json(const struct kbs_attest *a, enum rules_detail detail)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	char hex[65], *out = NULL;
	size_t i;

	if (root == NULL)
		return NULL;
	if (cJSON_AddStringToObject(root, "trust", a->verify.extra_root ? "extra_root" : "amd") ==
		NULL ||
	    (detail != RULES_ALL &&
		cJSON_AddStringToObject(root, "detail", detail_names[detail]) == NULL) ||
	    (arr = cJSON_AddArrayToObject(root, "secrets")) == NULL)
		goto out;
	for (i = 0; i < a->n_secrets; i++) {
		const struct kbs_attest_secret *s = &a->secrets[i], *same;

		if ((o = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, o) ||
		    cJSON_AddStringToObject(o, "name", s->name) == NULL ||
		    cJSON_AddStringToObject(
			o, "decision", s->denied == 0 ? "allow" : kbs_err_name(s->denied)) == NULL)
			goto out;
		if (s->stored_policy == NULL)
			continue;
		if (kbs_hex_encode(s->sha256, 32, hex, sizeof(hex)) != 0 ||
		    cJSON_AddStringToObject(o, "policy", s->secret->info.policy) == NULL ||
		    cJSON_AddNumberToObject(o, "version", s->stored_policy->info.version) == NULL ||
		    cJSON_AddStringToObject(o, "sha256", hex) == NULL)
			goto out;
		if ((same = same_policy_before(a, i)) != NULL) {
			if (cJSON_AddStringToObject(o, "rules_as", same->name) == NULL)
				goto out;
		} else if (add_rows(o, &s->result, detail) != 0) {
			goto out;
		}
	}
	out = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return out;
}

/* rules_fitting: the most detailed rules text the keystore takes, or NULL. */
static char *
rules_fitting(const struct kbs_attest *a)
{
	enum rules_detail d;
	char *text;

	for (d = RULES_ALL; d <= RULES_NONE; d++) {
		if ((text = rules_json(a, d)) == NULL)
			return NULL;
		if (strlen(text) < KEYSTORE_AUDIT_TEXT_MAX)
			return text;
		cJSON_free(text);
	}
	return NULL; /* 32 names and policies always fit without rows */
}

/*
 * attest_event hands the decision to the webhooks: what the audit record
 * says, minus expected and actual values (a receiver is told which rules
 * failed, as the guest is), and never a secret's value.
 */
static void
attest_event(const struct kbs_attest *a, uint64_t seq)
{
	enum kbs_metrics_webhook_kind kind =
	    a->decision ? KBS_METRICS_WEBHOOK_RELEASE : KBS_METRICS_WEBHOOK_DENIAL;
	const struct snp_report *rep;
	cJSON *o, *arr, *it, *failed;
	char hex[2 * sizeof(rep->measurement) + 1];
	size_t i, k;

	if (!kbs_webhooks_wanted(a->broker->webhooks, kind))
		return;
	rep = policy_verified_report(a->evidence);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "request_id", a->req->request_id) == NULL ||
	    cJSON_AddStringToObject(o, "client", a->req->client_addr) == NULL ||
	    cJSON_AddNumberToObject(o, "audit_seq", (double)seq) == NULL ||
	    cJSON_AddStringToObject(o, "trust", a->verify.extra_root ? "extra_root" : "amd") ==
		NULL ||
	    kbs_hex_encode(rep->measurement, sizeof(rep->measurement), hex, sizeof(hex)) != 0 ||
	    cJSON_AddStringToObject(o, "measurement", hex) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "secrets")) == NULL)
		goto fail;
	for (i = 0; i < a->n_secrets; i++) {
		const struct kbs_attest_secret *s = &a->secrets[i];

		if ((it = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, it) ||
		    cJSON_AddStringToObject(it, "name", s->name) == NULL ||
		    cJSON_AddStringToObject(
			it, "decision", s->denied == 0 ? "allow" : kbs_err_name(s->denied)) == NULL)
			goto fail;
		if (s->stored_policy == NULL)
			continue;
		if (kbs_hex_encode(s->sha256, 32, hex, sizeof(hex)) != 0 ||
		    cJSON_AddStringToObject(it, "policy", s->secret->info.policy) == NULL ||
		    cJSON_AddNumberToObject(it, "version", s->stored_policy->info.version) ==
			NULL ||
		    cJSON_AddStringToObject(it, "sha256", hex) == NULL ||
		    (failed = cJSON_AddArrayToObject(it, "failed_rules")) == NULL)
			goto fail;
		for (k = 0; k < s->result.count; k++)
			if (s->result.rules[k].outcome == POLICY_OUTCOME_FAIL &&
			    !cJSON_AddItemToArray(
				failed, cJSON_CreateString(s->result.rules[k].rule)))
				goto fail;
	}
	kbs_webhooks_emit(a->broker->webhooks, kind, a->req->now, o);
	return;
fail:
	cJSON_Delete(o);
	kbs_webhooks_emit(a->broker->webhooks, kind, a->req->now, NULL); /* counted as dropped */
}

/* fill_evidence copies what the verified report shows into rec. */
static void
fill_evidence(const struct kbs_attest *a, struct keystore_audit_record *rec)
{
	const struct snp_report *rep = policy_verified_report(a->evidence);

	memcpy(rec->measurement, rep->measurement, sizeof(rec->measurement));
	memcpy(rec->chip_id, rep->chip_id, sizeof(rec->chip_id));
	rec->tcb = rep->reported_tcb;
	rec->flags |=
	    KEYSTORE_AUDIT_HAS_MEASUREMENT | KEYSTORE_AUDIT_HAS_CHIP_ID | KEYSTORE_AUDIT_HAS_TCB;
}

int
kbs_attest_commit(struct kbs_attest *a)
{
	struct kbs_broker *b = a->broker;
	struct keystore_audit_record rec;
	const char *names[KBS_ATTEST_MAX_SECRETS];
	char *rules = NULL;
	uint64_t seq = 0;
	size_t i;
	int r;

	memset(&rec, 0, sizeof(rec));
	for (i = 0; i < a->n_secrets; i++)
		names[i] = a->secrets[i].name;
	if ((rules = rules_fitting(a)) == NULL)
		return KBS_ERR_UNAVAILABLE;
	rec.time = a->req->now;
	rec.event = "attest";
	rec.request_id = a->req->request_id;
	rec.decision = a->decision ? "release" : "deny";
	rec.rules = rules;
	rec.client_addr = a->req->client_addr;
	rec.secret_names = names;
	rec.n_secret_names = a->n_secrets;
	for (i = 0; i < a->n_secrets; i++)
		if (a->secrets[i].stored_policy !=
		    NULL) { /* the first bound policy names the record */
			rec.policy_name = a->secrets[i].secret->info.policy;
			memcpy(rec.policy_sha256, a->secrets[i].sha256, 32);
			rec.flags |= KEYSTORE_AUDIT_HAS_POLICY_HASH;
			break;
		}
	fill_evidence(a, &rec);
	r = keystore_attest_commit(b->ks, a->nonce, a->nonce_expires, &rec, &seq);
	cJSON_free(rules);
	/* A refusal here is counted once, by the caller's answer (attest.c, refuse). */
	if (r == KBS_ERR_STORE_NONCE_REUSED)
		return KBS_ERR_NONCE_REPLAYED;
	if (r != 0) {
		kbs_log(KBS_LOG_ERROR,
		    "{\"event\":\"audit_failed\",\"request_id\":\"%s\",\"error\":\"%s\"}",
		    a->req->request_id, kbs_err_name(r));
		return KBS_ERR_UNAVAILABLE;
	}
	kbs_metrics_nonce_consumed(b->metrics);
	kbs_metrics_audit_appended(b->metrics, 1);
	kbs_metrics_decision(b->metrics, a->decision ? KBS_METRICS_RELEASED : KBS_METRICS_DENIED);
	for (i = 0; !a->decision && i < a->n_secrets; i++) {
		size_t k;

		for (k = 0; k < a->secrets[i].result.count; k++)
			if (a->secrets[i].result.rules[k].outcome == POLICY_OUTCOME_FAIL)
				kbs_metrics_denied_rule(
				    b->metrics, a->secrets[i].result.rules[k].rule);
	}
	attest_event(a, seq);
	return 0;
}

void
kbs_attest_refused(struct kbs_attest *a, int err)
{
	struct kbs_broker *b = a->broker;
	const struct snp_check_result *c = &a->verify.checks[a->verify.failed_check];
	struct keystore_audit_record rec;
	const char *names[KBS_ATTEST_MAX_SECRETS];
	cJSON *o = NULL;
	char *rules = NULL;
	size_t i;
	int r;

	kbs_metrics_decision(b->metrics, KBS_METRICS_REFUSED_EVIDENCE);
	kbs_metrics_refused_evidence(b->metrics, err);
	kbs_log(KBS_LOG_INFO,
	    "{\"event\":\"evidence_refused\",\"request_id\":\"%s\",\"client\":\"%.64s\","
	    "\"check\":\"%s\",\"error\":\"%s\"}",
	    a->req->request_id, a->req->client_addr, snp_check_name(a->verify.failed_check),
	    kbs_err_name(err));
	if (!kbs_broker_refused_audit_ok(b, a->req->client_addr, a->req->now))
		return;
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "check", snp_check_name(a->verify.failed_check)) == NULL ||
	    cJSON_AddStringToObject(o, "error", kbs_err_name(err)) == NULL ||
	    cJSON_AddStringToObject(o, "detail", c->detail) == NULL ||
	    (rules = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	for (i = 0; i < a->n_secrets; i++)
		names[i] = a->secrets[i].name;
	memset(&rec, 0, sizeof(rec));
	rec.time = a->req->now;
	rec.event = "attest";
	rec.request_id = a->req->request_id;
	rec.decision = "refused";
	rec.rules = rules;
	rec.client_addr = a->req->client_addr;
	rec.secret_names = names;
	rec.n_secret_names = a->n_secrets;
	if ((r = keystore_audit_append(b->ks, &rec, NULL)) != 0)
		kbs_log(KBS_LOG_WARNING,
		    "{\"event\":\"audit_failed\",\"request_id\":\"%s\",\"error\":\"%s\"}",
		    a->req->request_id, kbs_err_name(r));
	else
		kbs_metrics_audit_appended(b->metrics, 1);
out:
	cJSON_free(rules);
	cJSON_Delete(o);
}

cJSON *
kbs_evidence_detail(const struct snp_verify_result *vr)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL &&
	    (cJSON_AddStringToObject(o, "check", snp_check_name(vr->failed_check)) == NULL ||
		cJSON_AddStringToObject(o, "cause", kbs_err_name(vr->err)) == NULL ||
		cJSON_AddStringToObject(o, "detail", vr->checks[vr->failed_check].detail) ==
		    NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}
