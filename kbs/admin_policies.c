/*
 * admin_policies.c: /v1/admin/policies. A policy is stored only if it
 * parses and lint finds no error (warnings come back in the answer); its
 * identity is the SHA-256 of the exact bytes sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "policy.h"
#include "replica.h"
#include "status.h"
#include "webhook.h"

static void
hex32(const uint8_t h[32], char out[65])
{
	if (kbs_hex_encode(h, 32, out, 65) != 0)
		out[0] = '\0';
}

/* parse_error answers a policy that does not parse, with where and why. */
static void
parse_error(const struct kbs_req *req, struct kbs_resp *resp, const struct policy_error *pe)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL &&
	    (cJSON_AddStringToObject(o, "path", pe->path) == NULL ||
		cJSON_AddNumberToObject(o, "line", pe->line) == NULL ||
		cJSON_AddNumberToObject(o, "column", pe->column) == NULL ||
		cJSON_AddStringToObject(o, "detail", pe->message) == NULL)) {
		cJSON_Delete(o);
		o = NULL; /* the error itself still goes out, without where */
	}
	kbs_resp_error(resp, req, kbs_http_status_of(pe->code), pe->code, o);
}

/* policy_event tells the webhooks that name has a new current version. */
static void
policy_event(struct kbs_broker *b, const struct kbs_req *req, const struct kbs_admin_call *call,
    const char *name, uint32_t version, const char *sha256)
{
	cJSON *o;

	if (!kbs_webhooks_wanted(b->webhooks, KBS_METRICS_WEBHOOK_POLICY_CHANGE))
		return;
	if ((o = cJSON_CreateObject()) != NULL &&
	    (cJSON_AddStringToObject(o, "request_id", req->request_id) == NULL ||
		cJSON_AddStringToObject(o, "actor", call->token_id) == NULL ||
		cJSON_AddStringToObject(o, "change", "put") == NULL ||
		cJSON_AddStringToObject(o, "name", name) == NULL ||
		cJSON_AddNumberToObject(o, "version", version) == NULL ||
		cJSON_AddStringToObject(o, "sha256", sha256) == NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	kbs_webhooks_emit(b->webhooks, KBS_METRICS_WEBHOOK_POLICY_CHANGE, req->now, o);
}

void
kbs_h_admin_policy_put(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct policy_error pe;
	struct policy_lint_result lint;
	struct policy *p = NULL;
	struct keystore_policy *cur = NULL;
	uint32_t version = 0, old_version = 0;
	int64_t expect = -1, revision = 0;
	cJSON *o = NULL, *warn, *errs;
	size_t i;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_ADMIN, &call))
		return;
	if (b->replica != NULL && (r = kbs_replica_parse_if_match(req->if_match, &expect)) != 0) {
		kbs_admin_fail(req, resp, r);
		return;
	}
	memset(&pe, 0, sizeof(pe));
	if ((r = policy_parse(req->body, req->body_len, &p, &pe)) != 0) {
		parse_error(req, resp, &pe);
		return;
	}
	policy_lint(p, &lint);
	r = KBS_ERR_ALLOC;
	if ((o = cJSON_CreateObject()) == NULL || (warn = cJSON_CreateArray()) == NULL)
		goto fail;
	if (!cJSON_AddItemToObject(o, "warnings", warn))
		goto fail;
	for (i = 0; i < lint.count; i++)
		if (lint.findings[i].severity == POLICY_WARNING)
			cJSON_AddItemToArray(warn, cJSON_CreateString(lint.findings[i].message));
	if (lint.errors > 0) {
		if ((errs = cJSON_AddArrayToObject(o, "lint_errors")) == NULL)
			goto fail;
		for (i = 0; i < lint.count; i++)
			if (lint.findings[i].severity == POLICY_ERROR)
				cJSON_AddItemToArray(
				    errs, cJSON_CreateString(lint.findings[i].message));
		kbs_resp_error(resp, req, 400, KBS_ERR_POLICY_LINT, o); /* takes o */
		o = NULL;
		goto out;
	}
	/*
	 * The bytes of the current version again make no new version and no record. With etcd
	 * they still go to etcd, with a new number: this replica cannot tell whether every other
	 * one holds them (one may have refused an older value put back, or this one may be the
	 * one behind), and a re-push is how an operator puts etcd right (docs/operations.md).
	 */
	if (keystore_policy_get(b->ks, policy_name(p), &cur) == 0)
		old_version = cur->info.version;
	keystore_policy_free(cur);
	cur = NULL;
	if (b->replica != NULL) {
		if ((r = kbs_replica_policy_put(b->replica, policy_name(p), req->body,
			 req->body_len, expect, &call.actor, &revision)) != 0)
			goto fail;
		if (keystore_policy_get(b->ks, policy_name(p), &cur) == 0)
			version = cur->info.version;
		keystore_policy_free(cur);
	} else {
		if ((r = keystore_policy_put(b->ks, policy_name(p), req->body, req->body_len,
			 &call.actor, &version)) != 0)
			goto fail;
		if (version != old_version)
			kbs_admin_audited(b);
	}
	if (version != old_version)
		policy_event(b, req, &call, policy_name(p), version, policy_hash(p));
	/* With etcd: the revision this write made, as for secrets. */
	r = KBS_ERR_ALLOC;
	if ((b->replica != NULL &&
		cJSON_AddNumberToObject(o, "revision", (double)revision) == NULL) ||
	    cJSON_AddStringToObject(o, "name", policy_name(p)) == NULL ||
	    cJSON_AddNumberToObject(o, "version", version) == NULL ||
	    cJSON_AddStringToObject(o, "sha256", policy_hash(p)) == NULL)
		goto fail;
	kbs_admin_json(resp, 201, o);
	o = NULL;
	goto out;
fail:
	kbs_admin_fail(req, resp, r);
out:
	cJSON_Delete(o);
	policy_free(p);
}

void
kbs_h_admin_policy_list(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct keystore_policy_summary *items = NULL;
	cJSON *o = NULL, *arr, *it;
	char hex[65];
	size_t n = 0, i;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_AUDITOR, &call))
		return;
	if ((r = keystore_policy_list(b->ks, &items, &n)) != 0)
		goto fail;
	r = KBS_ERR_ALLOC;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "policies")) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		hex32(items[i].info.sha256, hex);
		if ((it = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, it) ||
		    cJSON_AddStringToObject(it, "name", items[i].name) == NULL ||
		    cJSON_AddNumberToObject(it, "version", items[i].info.version) == NULL ||
		    cJSON_AddStringToObject(it, "sha256", hex) == NULL ||
		    cJSON_AddNumberToObject(it, "since", (double)items[i].info.since) == NULL)
			goto fail;
	}
	kbs_admin_json(resp, 200, o);
	o = NULL;
	goto out;
fail:
	kbs_admin_fail(req, resp, r);
out:
	cJSON_Delete(o);
	free(items);
}

/* query_uint reads key=N from the query; 0 when absent, -1 when malformed. */
static long long
query_uint(const char *query, const char *key)
{
	size_t klen = strlen(key);
	const char *p = query;
	char *end = NULL;
	unsigned long long v;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			errno = 0;
			v = strtoull(p + klen + 1, &end, 10);
			if (errno != 0 || end == p + klen + 1 || (*end != '\0' && *end != '&') ||
			    v > UINT32_MAX)
				return -1;
			return (long long)v;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return 0;
}

static void
policy_history(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct keystore_policy_info *items = NULL;
	cJSON *o = NULL, *arr, *it;
	char hex[65];
	size_t n = 0, i;
	int r;

	if ((r = keystore_policy_history(b->ks, req->param, &items, &n)) != 0)
		goto fail;
	r = KBS_ERR_ALLOC;
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "name", req->param) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "history")) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		hex32(items[i].sha256, hex);
		if ((it = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, it) ||
		    cJSON_AddNumberToObject(it, "version", items[i].version) == NULL ||
		    cJSON_AddStringToObject(it, "sha256", hex) == NULL ||
		    cJSON_AddNumberToObject(it, "since", (double)items[i].since) == NULL)
			goto fail;
	}
	kbs_admin_json(resp, 200, o);
	o = NULL;
	goto out;
fail:
	kbs_admin_fail(req, resp, r);
out:
	cJSON_Delete(o);
	free(items);
}

void
kbs_h_admin_policy_show(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct keystore_policy *p = NULL;
	long long version = query_uint(req->query, "version");
	int64_t revision = 0;
	cJSON *o = NULL;
	char hex[65];
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_AUDITOR, &call))
		return;
	if (query_uint(req->query, "history") == 1) {
		policy_history(b, req, resp);
		return;
	}
	if (version < 0) {
		kbs_admin_fail(req, resp, KBS_ERR_BAD_REQUEST);
		return;
	}
	r = version == 0 ? keystore_policy_get(b->ks, req->param, &p)
			 : keystore_policy_get_version(b->ks, req->param, (uint32_t)version, &p);
	if (r != 0)
		goto fail;
	hex32(p->info.sha256, hex);
	r = KBS_ERR_ALLOC;
	/* The stored bytes were checked as UTF-8 JSON when they were put. */
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "name", req->param) == NULL ||
	    cJSON_AddNumberToObject(o, "version", p->info.version) == NULL ||
	    cJSON_AddStringToObject(o, "sha256", hex) == NULL ||
	    cJSON_AddNumberToObject(o, "since", (double)p->info.since) == NULL ||
	    cJSON_AddStringToObject(o, "policy", (const char *)p->data) == NULL)
		goto fail;
	if (b->replica != NULL &&
	    kbs_replica_object_revision(b->replica, KBS_REPLICA_POLICY, req->param, &revision) ==
		0 &&
	    cJSON_AddNumberToObject(o, "revision", (double)revision) == NULL)
		goto fail;
	kbs_admin_json(resp, 200, o);
	o = NULL;
	goto out;
fail:
	kbs_admin_fail(req, resp, r);
out:
	cJSON_Delete(o);
	keystore_policy_free(p);
}
