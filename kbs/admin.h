/*
 * admin.h: what the admin route files share: authorisation at the start
 * of each call, the actor recorded with every change, and the answers.
 */
#ifndef KBS_ADMIN_H
#define KBS_ADMIN_H

#include <cjson/cJSON.h>

#include "broker.h"
#include "http.h"
#include "keystore.h"
#include "routes.h"

struct kbs_admin_call {
	char token_id[KEYSTORE_NAME_MAX + 1];
	struct keystore_actor actor; /* points into the call and the request */
};

/*
 * kbs_admin_begin authorises req for role need and fills call; on refusal
 * it answers (401/403) and returns 0.
 */
int kbs_admin_begin(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp,
    enum keystore_token_role need, struct kbs_admin_call *call);

/* kbs_admin_audited counts the audit record a successful change wrote with it. */
void kbs_admin_audited(struct kbs_broker *b);

/* kbs_admin_json answers status with o (taken). */
void kbs_admin_json(struct kbs_resp *resp, unsigned status, cJSON *o);

/*
 * kbs_admin_ack answers 200 {"KEY": "VALUE", "FLAG": true}, the answer of
 * a removal (a secret deleted, a token revoked).
 */
void kbs_admin_ack(const struct kbs_req *req, struct kbs_resp *resp, const char *key,
    const char *value, const char *flag);

/* kbs_admin_fail answers the error code with its status. */
void kbs_admin_fail(const struct kbs_req *req, struct kbs_resp *resp, int code);

#endif
