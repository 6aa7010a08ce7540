/*
 * admin_certs.c: PUT /v1/admin/certs/{path} (docs/admin-api.md), one file
 * of a pre-loaded certificate directory: the body is the file's bytes,
 * {path} its path in the directory (the broker's layout or Trustee's,
 * kds.h). `kbs-admin certs import DIR` sends every file of DIR this way
 * and reports each answer. The file is validated and stored in the
 * store's certificate cache (kbs_kds_import); nothing stored is trusted:
 * every use verifies it against the pinned roots.
 */
#include <cjson/cJSON.h>

#include "admin.h"
#include "kds.h"

void
kbs_h_admin_cert_put(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_admin_call call;
	char key[KBS_KDS_PATH_MAX];
	cJSON *o = NULL;
	int r;

	if (!kbs_admin_begin(b, req, resp, KEYSTORE_ROLE_ADMIN, &call))
		return;
	if (req->body_len == 0) {
		kbs_admin_fail(req, resp, KBS_ERR_BAD_REQUEST);
		return;
	}
	if ((r = kbs_kds_import(b->kds, req->param, req->body, req->body_len, key, sizeof(key))) !=
	    0) {
		/* A CRL no trusted ARK signed is the sender's fault, as kds_layout is. */
		if (r == KBS_ERR_CRL_SIGNATURE || r == KBS_ERR_CRL_ISSUER)
			kbs_resp_error(resp, req, 400, r, NULL);
		else
			kbs_admin_fail(req, resp, r);
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "path", req->param) == NULL ||
	    cJSON_AddStringToObject(o, "key", key) == NULL ||
	    cJSON_AddBoolToObject(o, "stored", 1) == NULL) {
		cJSON_Delete(o);
		kbs_admin_fail(req, resp, KBS_ERR_ALLOC);
		return;
	}
	kbs_admin_json(resp, 200, o);
}
