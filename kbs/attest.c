/*
 * attest.c: POST /v1/attest, the one path that releases secrets.
 *
 * The steps run in this order and each fails closed (docs/protocol.md):
 *   1. strict body: known members only, canonical base64, sizes bounded;
 *   2. report parse (shape only: nothing in it is trusted yet);
 *   3. nonce: MAC, replica, age; REPORT_DATA[32..64) == nonce; a key in
 *      REPORT_DATA[0..32) that secrets can be wrapped to;
 *   4. verification through the one pipeline (policy/), which parses the
 *      signed bytes again and returns the only evidence policy_eval takes;
 *   5. per requested secret: the current version of its bound policy,
 *      parsed once per version (policy cache), evaluated on that evidence;
 *   6. one durable commit: the nonce consumed and the decision's audit
 *      record (a replay loses here; a store that cannot record answers 503
 *      and nothing is released) — attest_record.c;
 *   7. only when every secret is allowed: wrap, token, signature, reply —
 *      attest_reply.c.
 * Evidence that fails verification is refused, counted and logged, and
 * audited only within a per-address budget (attest_record.c).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest-int.h"
#include <cjson/cJSON.h>

#include "kds.h"
#include "keystore.h"
#include "metrics.h"
#include "kbs_proto.h"
#include "nonce.h"
#include "policy_cache.h"
#include "request.h"
#include "routes.h"
#include "status.h"

#define MAX_CERT_SIZE (16u << 10)
#define MAX_CERT_TABLE_SIZE (64u << 10)

enum { F_NONCE, F_REPORT, F_CERTS, F_CERT_TABLE, F_SECRETS, F_COUNT };

static const struct kbs_field attest_fields[F_COUNT] = {
	[F_NONCE] = { "nonce", KBS_FIELD_STRING, 1, 0 },
	[F_REPORT] = { "report", KBS_FIELD_STRING, 1, 0 },
	[F_CERTS] = { "certs", KBS_FIELD_STRING_ARRAY, 0, KBS_ATTEST_MAX_CERTS },
	[F_CERT_TABLE] = { "cert_table", KBS_FIELD_STRING, 0, 0 },
	[F_SECRETS] = { "secrets", KBS_FIELD_STRING_ARRAY, 1, KBS_ATTEST_MAX_SECRETS },
};

void
kbs_attest_free(struct kbs_attest *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n_certs; i++)
		free(a->certs[i].data);
	free(a->cert_table);
	free(a->kds_vcek.data);
	free(a->kds_chain.data);
	if (a->held_crl != NULL) /* only once verified, so a->broker is set */
		kbs_kds_crl_put(a->broker->kds, a->held_crl);
	for (i = 0; i < a->n_secrets; i++) {
		struct kbs_attest_secret *s = &a->secrets[i];

		keystore_secret_free(s->secret);
		keystore_policy_free(s->stored_policy);
		if (s->policy != NULL) /* only once evaluated, so a->broker is set */
			kbs_policy_cache_put(a->broker->policies, s->sha256, s->policy);
		if (s->ciphertext != NULL)
			free(s->ciphertext);
	}
	if (a->secrets != NULL) {
		sodium_memzero(a->secrets, a->secrets_cap * sizeof(*a->secrets));
		free(a->secrets);
	}
	policy_verified_free(a->evidence);
	pj_free(a->root);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

static int
decode_blob(const struct pj_node *n, size_t max, struct kbs_blob *b)
{
	if ((b->data = malloc(max)) == NULL)
		return KBS_ERR_ALLOC;
	return kbs_request_b64(n, b->data, max, &b->len);
}

/* kbs_attest_decode: step 1 (attest-int.h). */
int
kbs_attest_decode(struct kbs_attest *a, const char **ret_reason)
{
	const struct pj_node *nodes[F_COUNT], *e;
	struct kbs_blob table = { NULL, 0 };
	size_t len = 0, j;
	int r;

	if ((r = kbs_request_parse(a->req->body, a->req->body_len, attest_fields, F_COUNT, &a->root,
		 nodes, ret_reason)) != 0)
		return r;
	if ((r = kbs_request_b64(nodes[F_NONCE], a->nonce, sizeof(a->nonce), &len)) != 0)
		return r;
	if (len != sizeof(a->nonce))
		return KBS_ERR_NONCE_MALFORMED;
	/* report_raw has one spare byte, so a longer report is told apart. */
	if (nodes[F_REPORT]->str_len > 4 * ((sizeof(a->report_raw) + 2) / 3))
		return KBS_ERR_REPORT_LENGTH;
	if ((r = kbs_request_b64(
		 nodes[F_REPORT], a->report_raw, sizeof(a->report_raw), &a->report_len)) != 0)
		return r;
	if (nodes[F_CERTS] != NULL)
		for (e = nodes[F_CERTS]->child; e != NULL; e = e->next)
			if ((r = decode_blob(e, MAX_CERT_SIZE, &a->certs[a->n_certs++])) != 0)
				return r;
	if (nodes[F_CERT_TABLE] != NULL) {
		r = decode_blob(nodes[F_CERT_TABLE], MAX_CERT_TABLE_SIZE, &table);
		a->cert_table = table.data;
		a->cert_table_len = table.len;
		if (r != 0)
			return r;
	}
	/* kbs_request_parse bounded the array to 1..KBS_ATTEST_MAX_SECRETS entries. */
	if ((a->secrets = calloc(nodes[F_SECRETS]->count, sizeof(*a->secrets))) == NULL)
		return KBS_ERR_ALLOC;
	a->secrets_cap = nodes[F_SECRETS]->count;
	for (e = nodes[F_SECRETS]->child; e != NULL; e = e->next) {
		if (e->str_len == 0 || e->str_len > KBS_PROTO_NAME_MAX ||
		    strlen(e->str) != e->str_len) {
			*ret_reason = "secret names are 1 to 255 bytes";
			return KBS_ERR_BAD_REQUEST;
		}
		for (j = 0; j < a->n_secrets; j++)
			if (strcmp(a->secrets[j].name, e->str) == 0) {
				*ret_reason = "a secret is named twice";
				return KBS_ERR_BAD_REQUEST;
			}
		a->secrets[a->n_secrets++].name = e->str;
	}
	return 0;
}

/*
 * check_guest_key refuses a REPORT_DATA key that no secret can be wrapped
 * to (a small-order point: the X25519 result is all zero). Found only when
 * wrapping, it would come after the commit: a nonce consumed and a
 * "release" audited for an answer that releases nothing. The agreement
 * that checks it is the reply's own: its ephemeral public key and the
 * wrapping key are kept in a for kbs_attest_reply (only the ephemeral
 * private key is dropped here), so an attestation runs one X25519 key
 * pair and one agreement, not two of each.
 */
static int
check_guest_key(struct kbs_attest *a)
{
	uint8_t e_sk[32];
	int r;

	crypto_box_keypair(a->wrap_pk, e_sk);
	r = kbs_wrap_key_broker(e_sk, a->wrap_pk, a->guest_key, a->wrap_key);
	sodium_memzero(e_sk, sizeof(e_sk));
	return r;
}

/* check_nonce: step 3, on the shape-checked report; then the REPORT_DATA key. */
static int
check_nonce(struct kbs_attest *a)
{
	int r;

	if ((r = kbs_nonce_check(a->broker->nonces, a->nonce, sizeof(a->nonce), a->req->now,
		 &a->nonce_issued, &a->nonce_expires)) != 0)
		return r;
	if (sodium_memcmp(a->report.report_data + 32, a->nonce, 32) != 0)
		return KBS_ERR_REPORT_DATA_NONCE;
	memcpy(a->guest_key, a->report.report_data, 32);
	return check_guest_key(a);
}

/* crl_for picks the configured list of this chain and product, if any. */
static const struct snp_crl *
crl_for(const struct kbs_broker *b, enum snp_signing_key signer, enum snp_product product)
{
	size_t i;

	for (i = 0; i < b->n_crls; i++)
		if (snp_crl_signer(b->crls[i]) == signer && b->crl_products[i] == (int)product)
			return b->crls[i];
	return NULL;
}

/*
 * verify_once: step 4, the one pipeline. Certificates from the request
 * come first, then those the KDS fetcher found, then the configured
 * files. The CRL is the configured list for the report's product (from
 * CPUID; v2 reports name none) and chain, else the one the fetcher holds
 * (kds.h): past its nextUpdate it is verified as stale within crl_grace,
 * past the grace nothing is verified (KBS_ERR_CRL_EXPIRED, a->kds_failed).
 */
static int
verify_once(struct kbs_attest *a)
{
	struct kbs_broker *b = a->broker;
	struct policy_blob blobs[POLICY_INPUT_CERT_BLOBS_MAX];
	struct policy_input_error where;
	struct policy_input in;
	enum snp_product product = SNP_PRODUCT_UNKNOWN;
	const struct kbs_blob *kds[2] = { &a->kds_vcek, &a->kds_chain };
	size_t i, n = 0;
	int r, stale = 0;

	for (i = 0; i < a->n_certs && n < KBS_ARRAY_SIZE(blobs); i++)
		blobs[n++] = (struct policy_blob){ a->certs[i].data, a->certs[i].len };
	for (i = 0; i < 2 && n < KBS_ARRAY_SIZE(blobs); i++)
		if (kds[i]->data != NULL)
			blobs[n++] = (struct policy_blob){ kds[i]->data, kds[i]->len };
	for (i = 0; i < b->n_cert_files && n < KBS_ARRAY_SIZE(blobs); i++)
		blobs[n++] = (struct policy_blob){ b->cert_files[i].data, b->cert_files[i].len };
	if (snp_report_cpuid_claim(&a->report, &product) != 0)
		product = SNP_PRODUCT_UNKNOWN; /* v2: no CRL is chosen, the rule says so */
	memset(&in, 0, sizeof(in));
	in.report = a->report_raw;
	in.report_len = a->report_len;
	in.certs = blobs;
	in.cert_count = n;
	in.certtable = a->cert_table;
	in.certtable_len = a->cert_table_len;
	in.vcek_crl.parsed = crl_for(b, SNP_SIGNING_KEY_VCEK, product);
	in.vlek_crl.parsed = crl_for(b, SNP_SIGNING_KEY_VLEK, product);
	in.at = a->req->now;
	in.allow_stale_crl = atomic_load(&b->live.allow_stale_crl);
	if ((a->report.signing_key == SNP_SIGNING_KEY_VCEK ? in.vcek_crl.parsed
							   : in.vlek_crl.parsed) == NULL) {
		kbs_kds_crl_put(b->kds, a->held_crl);
		a->held_crl = NULL;
		if ((r = kbs_kds_crl_get(b->kds, product, a->report.signing_key, a->req->now,
			 &a->held_crl, &stale)) != 0) {
			a->kds_failed = 1;
			a->retry_after = 60;
			return r;
		}
		if (a->report.signing_key == SNP_SIGNING_KEY_VCEK)
			in.vcek_crl.parsed = kbs_kds_crl_list(a->held_crl);
		else
			in.vlek_crl.parsed = kbs_kds_crl_list(a->held_crl);
		in.allow_stale_crl |= stale;
	}
	policy_verified_free(a->evidence);
	a->evidence = NULL;
	a->input_refused = 0;
	r = policy_verify(b->verifier, &in, &a->evidence, &where);
	if (a->evidence != NULL)
		a->verify = *policy_verified_result(a->evidence);
	else
		a->input_refused = 1; /* an input did not parse: no check ran */
	return r;
}

/*
 * verify_evidence: step 4. Evidence without a VCEK (the verifier says
 * cert_missing at its first check) has it found by the KDS fetcher and
 * is verified again, in full, with it; the fetcher's refusals (503 with
 * a retry hint while KDS limits or is down) are not verdicts on the
 * evidence and set a->kds_failed.
 */
static int
verify_evidence(struct kbs_attest *a)
{
	char client[KBS_ADDR_SIZE];
	int r = verify_once(a);

	if (r != KBS_ERR_CERT_MISSING || a->evidence == NULL ||
	    a->verify.failed_check != SNP_CHECK_PRODUCT)
		return r;
	kbs_broker_rate_key(a->req->client_addr, client);
	if ((r = kbs_kds_signer(a->broker->kds, &a->report, client, &a->kds_vcek.data,
		 &a->kds_vcek.len, &a->kds_chain.data, &a->kds_chain.len, &a->retry_after)) != 0) {
		a->kds_failed = 1;
		return r;
	}
	/* Only a VCEK a report verified under is worth its place in the store (kbs_kds_keep). */
	if ((r = verify_once(a)) == 0)
		kbs_kds_keep(a->broker->kds, &a->report, a->kds_vcek.data, a->kds_vcek.len);
	return r;
}

/* evaluate_secret: step 5 for one secret; s->denied says why it may not go. */
static int
evaluate_secret(struct kbs_attest *a, struct kbs_attest_secret *s)
{
	struct kbs_broker *b = a->broker;
	int r;

	r = keystore_secret_get(b->ks, s->name, &s->secret);
	/* A name the store cannot hold (INVALID_ARGUMENT) is as unknown as a missing one. */
	if (r == KBS_ERR_NOT_FOUND || r == KBS_ERR_INVALID_ARGUMENT) {
		s->denied = KBS_ERR_NOT_FOUND;
		return 0;
	}
	if (r != 0)
		return r;
	if (s->secret->info.policy[0] == '\0') {
		s->denied = KBS_ERR_NO_POLICY;
		return 0;
	}
	r = keystore_policy_get(b->ks, s->secret->info.policy, &s->stored_policy);
	if (r == KBS_ERR_NOT_FOUND) {
		s->denied = KBS_ERR_NO_POLICY;
		return 0;
	}
	if (r != 0)
		return r;
	memcpy(s->sha256, s->stored_policy->info.sha256, 32);
	if ((r = kbs_policy_cache_get(b->policies, s->sha256, s->stored_policy->data,
		 s->stored_policy->len, &s->policy)) != 0)
		return r;
	if ((r = policy_eval(a->evidence, s->policy, &s->result)) != 0)
		return r;
	if (s->result.decision != POLICY_ALLOW)
		s->denied = KBS_ERR_POLICY_DENIED;
	return 0;
}

/*
 * denial_answer is the 403/404 body: per refused secret the ids of the
 * rules that failed, never their expected values (the audit record has
 * those, found by request id).
 */
static void
denial_answer(const struct kbs_attest *a, struct kbs_resp *resp)
{
	cJSON *extra = cJSON_CreateObject(), *arr, *o, *rules;
	int code = KBS_ERR_POLICY_DENIED;
	size_t i, k;

	arr = extra != NULL ? cJSON_AddArrayToObject(extra, "denied") : NULL;
	for (i = 0; arr != NULL && i < a->n_secrets; i++) {
		const struct kbs_attest_secret *s = &a->secrets[i];

		if (s->denied == 0)
			continue;
		if (s->denied == KBS_ERR_NOT_FOUND)
			code = KBS_ERR_NOT_FOUND; /* an unknown name is not a policy decision */
		if ((o = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, o) ||
		    cJSON_AddStringToObject(o, "secret", s->name) == NULL ||
		    cJSON_AddStringToObject(
			o, "policy", s->secret != NULL ? s->secret->info.policy : "") == NULL ||
		    (rules = cJSON_AddArrayToObject(o, "rules")) == NULL)
			break;
		if (s->denied != KBS_ERR_POLICY_DENIED)
			cJSON_AddItemToArray(rules, cJSON_CreateString(kbs_err_name(s->denied)));
		for (k = 0; k < s->result.count && s->denied == KBS_ERR_POLICY_DENIED; k++)
			if (s->result.rules[k].outcome == POLICY_OUTCOME_FAIL)
				cJSON_AddItemToArray(
				    rules, cJSON_CreateString(s->result.rules[k].rule));
	}
	kbs_resp_error(resp, a->req, kbs_http_status_of(code), code, extra);
}

static void
refuse(const struct kbs_attest *a, struct kbs_resp *resp, int err, const char *reason)
{
	kbs_log(KBS_LOG_INFO,
	    "{\"event\":\"attest_refused\",\"request_id\":\"%s\",\"client\":\"%.64s\","
	    "\"error\":\"%s\",\"reason\":\"%s\"}",
	    a->req->request_id, a->req->client_addr, kbs_err_name(err), reason);
	if (kbs_http_status_of(err) >= 500) {
		kbs_metrics_decision(a->broker->metrics, KBS_METRICS_ERROR);
	} else {
		kbs_metrics_decision(a->broker->metrics, KBS_METRICS_REFUSED_EVIDENCE);
		kbs_metrics_refused_evidence(a->broker->metrics, err);
	}
	/* A VCEK or CRL that could not be had: when to try again, in the header and the body. */
	if (a->kds_failed && kbs_http_status_of(err) == 503) {
		unsigned wait = a->retry_after > 0 ? a->retry_after : 1;
		cJSON *extra = cJSON_CreateObject();

		if (extra != NULL && cJSON_AddNumberToObject(extra, "retry_after", wait) == NULL) {
			cJSON_Delete(extra);
			extra = NULL;
		}
		kbs_resp_error(resp, a->req, 503, err, extra);
		resp->retry_after = wait;
		return;
	}
	kbs_resp_error(resp, a->req, kbs_http_status_of(err), err, NULL);
}

void
kbs_h_attest(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_attest *a;
	const char *reason = "";
	size_t i;
	int r, denied = 0;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		kbs_resp_error(resp, req, 500, KBS_ERR_ALLOC, NULL);
		return;
	}
	a->broker = b;
	a->req = req;
	if ((r = kbs_attest_decode(a, &reason)) != 0 ||
	    (r = snp_report_parse(a->report_raw, a->report_len, &a->report)) != 0 ||
	    (r = check_nonce(a)) != 0) {
		refuse(a, resp, r, reason);
		goto out;
	}
	r = verify_evidence(a);
	if (r != 0 && a->kds_failed) {
		refuse(a, resp, r, "the VCEK or CRL could not be obtained");
		goto out;
	}
	if (r != 0 && a->input_refused) { /* a certificate or table that does not parse */
		/* Too many certificates in all is a malformed request, not a body over the cap. */
		refuse(a, resp, r == KBS_ERR_TOO_LARGE ? KBS_ERR_BAD_REQUEST : r,
		    r == KBS_ERR_TOO_LARGE ? "more than 16 certificates in all"
					   : "evidence input refused");
		goto out;
	}
	kbs_metrics_verification(b->metrics, a->verify.chain_cached != 0);
	/* AMD's lists speak for AMD's chains only: a test root's product is not tracked. */
	if (r == 0 && a->verify.extra_root == 0)
		kbs_kds_seen(b->kds, a->verify.product, a->verify.signer);
	if (r != 0) {
		kbs_attest_refused(a, r);
		kbs_resp_error(resp, req, 401, KBS_ERR_EVIDENCE, kbs_evidence_detail(&a->verify));
		goto out;
	}
	for (i = 0; i < a->n_secrets; i++) {
		if ((r = evaluate_secret(a, &a->secrets[i])) != 0) {
			refuse(a, resp, r, "store or policy cache failure");
			goto out;
		}
		if (a->secrets[i].denied != 0)
			denied = 1;
	}
	a->decision = !denied;
	/* The nonce was checked on arrival; its consumption must not outlive the purge margin. */
	if ((int64_t)time(NULL) > a->nonce_expires + KBS_NONCE_COMMIT_GRACE) {
		refuse(a, resp, KBS_ERR_NONCE_EXPIRED, "the nonce expired while the request ran");
		goto out;
	}
	if ((r = kbs_attest_commit(a)) != 0) {
		refuse(a, resp, r,
		    r == KBS_ERR_NONCE_REPLAYED ? "an earlier request consumed the nonce"
						: "the decision could not be recorded");
		goto out;
	}
	if (denied) {
		denial_answer(a, resp);
		goto out;
	}
	if ((r = kbs_attest_reply(a, resp)) != 0)
		refuse(a, resp, r, "the reply could not be built");
out:
	kbs_attest_free(a);
}
