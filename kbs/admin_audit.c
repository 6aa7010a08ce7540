/*
 * admin_audit.c: /v1/admin/audit (export, verify) and /v1/admin/backup.
 *
 * The export is the keystore's JSON lines, read in short transactions. An
 * answer is built in memory, so it holds one page: records up to about
 * admin_max_body bytes (the listener's bound on a request, here on its
 * answer), and its last line names the head and, when records are left,
 * "next", the seq the caller asks for with ?since=SEQ. So an export costs
 * the broker at most a page of memory, however long the log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "request.h"
#include "routes.h"
#include "webhook.h"

static uint64_t
query_since(const char *query, int *ok)
{
	const char *p = strstr(query, "since=");
	char *end = NULL;
	unsigned long long v;

	*ok = 1;
	if (p == NULL || (p != query && p[-1] != '&'))
		return 0;
	errno = 0;
	v = strtoull(p + 6, &end, 10);
	if (errno != 0 || end == p + 6 || (*end != '\0' && *end != '&'))
		*ok = 0;
	return v;
}

/*
 * head_line ends a page with the head, so it can be recorded elsewhere
 * (--expect-head), and with where the next page starts when there is one.
 */
static int
head_line(FILE *f, const struct keystore_audit_head *head, uint64_t next)
{
	char hex[65], more[40] = "";

	if (kbs_hex_encode(head->sha256, 32, hex, sizeof(hex)) != 0)
		return KBS_ERR_INTERNAL;
	if (next != 0)
		snprintf(more, sizeof(more), ",\"next\":%llu", (unsigned long long)next);
	return fprintf(f, "{\"head\":{\"seq\":%llu,\"sha256\":\"%s\"}%s}\n",
		   (unsigned long long)head->seq, hex, more) < 0
	    ? KBS_ERR_IO
	    : 0;
}

void
kbs_h_admin_audit_export(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct keystore_audit_head head;
	char *text = NULL;
	size_t len = 0;
	uint64_t since, next = 0;
	FILE *f;
	int ok, r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_AUDITOR, &call))
		return;
	since = query_since(req->query, &ok);
	if (!ok) {
		kbs_admin_fail(req, resp, KBS_ERR_BAD_REQUEST);
		return;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		kbs_admin_fail(req, resp, KBS_ERR_ALLOC);
		return;
	}
	r = keystore_audit_export_page(b->ks, f, since, b->cfg.admin_max_body, &next, &head);
	if (r == 0 && head_line(f, &head, next) != 0)
		r = KBS_ERR_IO;
	if (fclose(f) != 0 && r == 0)
		r = KBS_ERR_ALLOC;
	if (r != 0) {
		free(text);
		kbs_admin_fail(req, resp, r);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/x-ndjson";
	resp->body = text;
	resp->len = len;
}

void
kbs_h_admin_audit_verify(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct keystore_audit_head head;
	uint64_t count = 0, bad = 0;
	char hex[65] = "";
	cJSON *o, *h;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_AUDITOR, &call))
		return;
	memset(&head, 0, sizeof(head));
	r = keystore_audit_verify(b->ks, &count, &bad, &head);
	if (r != 0 && r != KBS_ERR_STORE_AUDIT_CHAIN) {
		kbs_admin_fail(req, resp, r);
		return;
	}
	if (r == KBS_ERR_STORE_AUDIT_CHAIN &&
	    kbs_webhooks_wanted(b->webhooks, KBS_METRICS_WEBHOOK_AUDIT_CHAIN_FAILURE)) {
		o = cJSON_CreateObject();
		if (o != NULL &&
		    (cJSON_AddStringToObject(o, "found_by", "audit_verify") == NULL ||
			cJSON_AddStringToObject(o, "request_id", req->request_id) == NULL ||
			cJSON_AddStringToObject(o, "actor", call.token_id) == NULL ||
			cJSON_AddNumberToObject(o, "first_bad_seq", (double)bad) == NULL)) {
			cJSON_Delete(o);
			o = NULL;
		}
		kbs_webhooks_emit(
		    b->webhooks, KBS_METRICS_WEBHOOK_AUDIT_CHAIN_FAILURE, req->now, o);
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddBoolToObject(o, "intact", r == 0) == NULL ||
	    (r == 0 ? cJSON_AddNumberToObject(o, "records", (double)count)
		    : cJSON_AddNumberToObject(o, "first_bad_seq", (double)bad)) == NULL ||
	    (r == 0 &&
		((h = cJSON_AddObjectToObject(o, "head")) == NULL ||
		    cJSON_AddNumberToObject(h, "seq", (double)head.seq) == NULL ||
		    kbs_hex_encode(head.sha256, 32, hex, sizeof(hex)) != 0 ||
		    cJSON_AddStringToObject(h, "sha256", hex) == NULL))) {
		cJSON_Delete(o);
		kbs_admin_fail(req, resp, KBS_ERR_ALLOC);
		return;
	}
	kbs_admin_json(resp, 200, o);
}

enum { F_DEST, F_COUNT };

static const struct kbs_field backup_fields[F_COUNT] = {
	[F_DEST] = { "dest", KBS_FIELD_STRING, 1, 0 },
};

void
kbs_h_admin_backup(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	const struct pj_node *nodes[F_COUNT];
	struct pj_node *root = NULL;
	const char *reason = "";
	cJSON *o;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_ADMIN, &call))
		return;
	if ((r = kbs_request_parse(
		 req->body, req->body_len, backup_fields, F_COUNT, &root, nodes, &reason)) != 0 ||
	    (nodes[F_DEST]->str[0] != '/' && (r = KBS_ERR_BAD_REQUEST) != 0) ||
	    (r = keystore_backup(b->ks, nodes[F_DEST]->str)) != 0) {
		kbs_admin_fail(req, resp, r);
		pj_free(root);
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "dest", nodes[F_DEST]->str) == NULL) {
		cJSON_Delete(o);
		kbs_admin_fail(req, resp, KBS_ERR_ALLOC);
	} else {
		kbs_admin_json(resp, 201, o);
	}
	pj_free(root);
}
