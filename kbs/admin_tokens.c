/*
 * admin_tokens.c: /v1/admin/tokens. A new token is shown once, in the
 * answer to its creation; the store keeps its SHA-256 only.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_auth.h"
#include "request.h"
#include "webhook.h"

enum { F_ROLE, F_COUNT };

static const struct kbs_field create_fields[F_COUNT] = {
	[F_ROLE] = { "role", KBS_FIELD_STRING, 1, 0 },
};

/*
 * answer_created prints o, which holds the new token by reference, into one
 * buffer of size bytes that the answer owns (wiped when sent): cJSON never
 * copies the token, and printing into a preallocated buffer makes no
 * intermediate copy that would be freed unwiped. 0 or KBS_ERR_ALLOC.
 */
static int
answer_created(struct kbs_resp *resp, cJSON *o, size_t size)
{
	char *body;

	if ((body = malloc(size)) == NULL)
		return KBS_ERR_ALLOC;
	if (!cJSON_PrintPreallocated(o, body, (int)size, 0)) {
		sodium_memzero(body, size);
		free(body);
		return KBS_ERR_ALLOC;
	}
	kbs_resp_json(resp, 201, body);
	return 0;
}

void
kbs_h_admin_token_create(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	const struct pj_node *nodes[F_COUNT];
	struct pj_node *root = NULL;
	enum keystore_token_role role;
	const char *reason = "";
	char token[128], id[40];
	uint8_t hash[32], rnd[8];
	cJSON *o = NULL;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_ADMIN, &call))
		return;
	if ((r = kbs_request_parse(
		 req->body, req->body_len, create_fields, F_COUNT, &root, nodes, &reason)) != 0)
		goto fail;
	if (strcmp(nodes[F_ROLE]->str, "admin") == 0) {
		role = KEYSTORE_ROLE_ADMIN;
	} else if (strcmp(nodes[F_ROLE]->str, "auditor") == 0) {
		role = KEYSTORE_ROLE_AUDITOR;
	} else {
		r = KBS_ERR_BAD_REQUEST;
		goto fail;
	}
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(id, "tok-", 4);
	if ((r = kbs_hex_encode(rnd, sizeof(rnd), id + 4, sizeof(id) - 4)) != 0 ||
	    (r = kbs_admin_token_new(token, sizeof(token), hash)) != 0 ||
	    (r = keystore_token_create(b->ks, id, role, hash, &call.actor)) != 0)
		goto fail;
	kbs_admin_audited(b);
	r = KBS_ERR_ALLOC;
	if ((o = cJSON_CreateObject()) == NULL || cJSON_AddStringToObject(o, "id", id) == NULL ||
	    cJSON_AddStringToObject(o, "role", keystore_token_role_name(role)) == NULL ||
	    !cJSON_AddItemToObject(o, "token", cJSON_CreateStringReference(token)))
		goto fail;
	if ((r = answer_created(resp, o, strlen(id) + strlen(token) + 64)) != 0)
		goto fail;
	goto out;
fail:
	kbs_admin_fail(req, resp, r);
out:
	sodium_memzero(token, sizeof(token));
	cJSON_Delete(o);
	pj_free(root);
}

void
kbs_h_admin_token_list(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct keystore_token_info *items = NULL;
	cJSON *o = NULL, *arr, *it;
	size_t n = 0, i;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_AUDITOR, &call))
		return;
	if ((r = keystore_token_list(b->ks, &items, &n)) != 0)
		goto fail;
	r = KBS_ERR_ALLOC;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "tokens")) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((it = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, it) ||
		    cJSON_AddStringToObject(it, "id", items[i].id) == NULL ||
		    cJSON_AddStringToObject(it, "role", keystore_token_role_name(items[i].role)) ==
			NULL ||
		    cJSON_AddNumberToObject(it, "created", (double)items[i].created) == NULL ||
		    cJSON_AddBoolToObject(it, "revoked", items[i].revoked != 0) == NULL)
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
kbs_h_admin_token_revoke(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_ADMIN, &call))
		return;
	if ((r = keystore_token_revoke(b->ks, req->param, &call.actor)) != 0) {
		kbs_admin_fail(req, resp, r);
		return;
	}
	kbs_admin_audited(b);
	if (kbs_webhooks_wanted(b->webhooks, KBS_METRICS_WEBHOOK_TOKEN_REVOKED)) {
		cJSON *o = cJSON_CreateObject();

		if (o != NULL &&
		    (cJSON_AddStringToObject(o, "request_id", req->request_id) == NULL ||
			cJSON_AddStringToObject(o, "actor", call.token_id) == NULL ||
			cJSON_AddStringToObject(o, "token_id", req->param) == NULL)) {
			cJSON_Delete(o);
			o = NULL;
		}
		kbs_webhooks_emit(b->webhooks, KBS_METRICS_WEBHOOK_TOKEN_REVOKED, req->now, o);
	}
	kbs_admin_ack(req, resp, "id", req->param, "revoked");
}
