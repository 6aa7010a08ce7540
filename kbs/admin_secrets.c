/*
 * admin_secrets.c: /v1/admin/secrets (docs/admin-api.md). Values go in,
 * never out: list and show return metadata only, for every role.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "keystore.h"
#include "replica.h"
#include "request.h"

enum { F_POLICY, F_VALUE, F_COUNT };

static const struct kbs_field put_fields[F_COUNT] = {
	[F_POLICY] = { "policy", KBS_FIELD_STRING, 1, 0 },
	[F_VALUE] = { "value", KBS_FIELD_STRING, 1, 0 },
};

/* secret_item is a secret's metadata; with etcd, its mod_revision too (for If-Match). */
static cJSON *
secret_item(struct kbs_broker *b, const struct keystore_secret_info *s)
{
	cJSON *o = cJSON_CreateObject();
	int64_t rev = 0;

	if (o == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "name", s->name) == NULL ||
	    cJSON_AddStringToObject(o, "policy", s->policy) == NULL ||
	    cJSON_AddNumberToObject(o, "version", s->version) == NULL ||
	    cJSON_AddNumberToObject(o, "created", (double)s->created) == NULL ||
	    cJSON_AddNumberToObject(o, "updated", (double)s->updated) == NULL ||
	    (b->replica != NULL &&
		kbs_replica_object_revision(b->replica, KBS_REPLICA_SECRET, s->name, &rev) == 0 &&
		cJSON_AddNumberToObject(o, "revision", (double)rev) == NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void
kbs_h_admin_secret_put(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	const struct pj_node *nodes[F_COUNT] = { NULL };
	struct pj_node *root = NULL;
	struct keystore_policy *pol = NULL;
	const char *reason = "";
	uint8_t *value = NULL;
	size_t len = 0, cap = KEYSTORE_SECRET_MAX;
	uint32_t version = 0;
	int64_t expect = -1, revision = 0;
	cJSON *o = NULL;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_ADMIN, &call))
		return;
	if (b->replica != NULL && (r = kbs_replica_parse_if_match(req->if_match, &expect)) != 0)
		goto fail;
	if ((r = kbs_request_parse(
		 req->body, req->body_len, put_fields, F_COUNT, &root, nodes, &reason)) != 0)
		goto fail;
	/*
	 * The bound policy must exist: a secret no policy covers could never be
	 * released. With etcd, in etcd (as this replica has applied it), so the
	 * other replicas have it too.
	 */
	if (b->replica != NULL)
		r = kbs_replica_object_revision(
		    b->replica, KBS_REPLICA_POLICY, nodes[F_POLICY]->str, &revision);
	else
		r = keystore_policy_get(b->ks, nodes[F_POLICY]->str, &pol);
	if (r != 0)
		goto fail;
	r = KBS_ERR_ALLOC;
	if ((value = sodium_malloc(cap)) == NULL)
		goto fail;
	if ((r = kbs_request_b64(nodes[F_VALUE], value, cap, &len)) != 0)
		goto fail;
	if (len == 0) {
		r = KBS_ERR_BAD_REQUEST;
		goto fail;
	}
	if (b->replica != NULL) {
		struct keystore_secret_info info;

		/* Through etcd; the watcher applies it here as on every replica (and audits it). */
		if ((r = kbs_replica_secret_put(b->replica, req->param, value, len,
			 nodes[F_POLICY]->str, expect, &call.actor, &revision)) != 0)
			goto fail;
		if (keystore_secret_info(b->ks, req->param, &info) == 0)
			version = info.version;
	} else {
		if ((r = keystore_secret_put(b->ks, req->param, value, len, nodes[F_POLICY]->str,
			 &call.actor, &version)) != 0)
			goto fail;
		kbs_admin_audited(b);
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "name", req->param) == NULL ||
	    cJSON_AddNumberToObject(o, "version", version) == NULL ||
	    cJSON_AddStringToObject(o, "policy", nodes[F_POLICY]->str) == NULL ||
	    (b->replica != NULL &&
		cJSON_AddNumberToObject(o, "revision", (double)revision) == NULL)) {
		r = KBS_ERR_ALLOC;
		goto fail;
	}
	kbs_admin_json(resp, 201, o);
	o = NULL;
	goto out;
fail:
	kbs_admin_fail(req, resp, r);
out:
	cJSON_Delete(o);
	if (value != NULL)
		sodium_free(value); /* sodium_free wipes */
	keystore_policy_free(pol);
	/* pj_free does not wipe: the base64 of the value goes first. */
	if (root != NULL && nodes[F_VALUE] != NULL)
		sodium_memzero(nodes[F_VALUE]->str, nodes[F_VALUE]->str_len);
	pj_free(root);
}

void
kbs_h_admin_secret_list(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct keystore_secret_info *items = NULL;
	cJSON *o = NULL, *arr, *it;
	size_t n = 0, i;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_AUDITOR, &call))
		return;
	if ((r = keystore_secret_list(b->ks, &items, &n)) != 0)
		goto fail;
	r = KBS_ERR_ALLOC;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "secrets")) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if ((it = secret_item(b, &items[i])) == NULL || !cJSON_AddItemToArray(arr, it))
			goto fail;
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
kbs_h_admin_secret_show(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	struct keystore_secret_info info;
	cJSON *o;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_AUDITOR, &call))
		return;
	if ((r = keystore_secret_info(b->ks, req->param, &info)) != 0) {
		kbs_admin_fail(req, resp, r);
		return;
	}
	if ((o = secret_item(b, &info)) == NULL) {
		kbs_admin_fail(req, resp, KBS_ERR_ALLOC);
		return;
	}
	kbs_admin_json(resp, 200, o);
}

void
kbs_h_admin_secret_delete(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	int64_t expect = -1, revision = 0;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_ADMIN, &call))
		return;
	if (b->replica != NULL) {
		if ((r = kbs_replica_parse_if_match(req->if_match, &expect)) != 0 ||
		    (r = kbs_replica_secret_delete(
			 b->replica, req->param, expect, &call.actor, &revision)) != 0) {
			kbs_admin_fail(req, resp, r);
			return;
		}
	} else {
		if ((r = keystore_secret_delete(b->ks, req->param, &call.actor)) != 0) {
			kbs_admin_fail(req, resp, r);
			return;
		}
		kbs_admin_audited(b);
	}
	kbs_admin_ack(req, resp, "name", req->param, "deleted");
}
