/*
 * admin.c: the shared start and end of every admin call.
 */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

#include "admin_auth.h"
#include "metrics.h"
#include "status.h"

int
kbs_admin_begin(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp,
    enum keystore_token_role need, struct kbs_admin_call *call)
{
	int r;

	memset(call, 0, sizeof(*call));
	if ((r = kbs_admin_authorize(b, req, need, call->token_id, sizeof(call->token_id))) != 0) {
		kbs_admin_fail(req, resp, r);
		return 0;
	}
	call->actor.token_id = call->token_id;
	call->actor.request_id = req->request_id;
	call->actor.client_addr = req->client_addr;
	return 1;
}

void
kbs_admin_audited(struct kbs_broker *b)
{
	kbs_metrics_audit_appended(b->metrics, 1);
}

void
kbs_admin_json(struct kbs_resp *resp, unsigned status, cJSON *o)
{
	char *json = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (json == NULL) {
		resp->status = 500;
		return;
	}
	kbs_resp_json(resp, status, json);
}

void
kbs_admin_fail(const struct kbs_req *req, struct kbs_resp *resp, int code)
{
	kbs_resp_error(resp, req, kbs_http_status_of(code), code, NULL);
}

void
kbs_admin_ack(const struct kbs_req *req, struct kbs_resp *resp, const char *key, const char *value,
    const char *flag)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL || cJSON_AddStringToObject(o, key, value) == NULL ||
	    cJSON_AddBoolToObject(o, flag, 1) == NULL) {
		cJSON_Delete(o);
		kbs_admin_fail(req, resp, KBS_ERR_ALLOC);
		return;
	}
	kbs_admin_json(resp, 200, o);
}
