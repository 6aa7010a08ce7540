/*
 * routes_public.c: the small public routes: challenge, keys, health,
 * readiness, metrics. None reads the request body or writes anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "metrics.h"
#include "nonce.h"
#include "replica.h"
#include "routes.h"

void
kbs_h_challenge(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	uint8_t nonce[32];
	char b64[64], *body;
	int64_t expires = 0;
	int n;

	/* The body is ignored beyond its size: {} or nothing. */
	if (kbs_nonce_issue(b->nonces, req->now, nonce, &expires) != 0 ||
	    kbs_b64_encode(nonce, sizeof(nonce), b64, sizeof(b64)) != 0) {
		kbs_resp_error(resp, req, 500, KBS_ERR_INTERNAL, NULL);
		return;
	}
	n = snprintf(NULL, 0, "{\"nonce\":\"%s\",\"expires_at\":%lld}", b64, (long long)expires);
	if (n < 0 || (body = malloc((size_t)n + 1)) == NULL) {
		kbs_resp_error(resp, req, 500, KBS_ERR_ALLOC, NULL);
		return;
	}
	snprintf(
	    body, (size_t)n + 1, "{\"nonce\":\"%s\",\"expires_at\":%lld}", b64, (long long)expires);
	kbs_metrics_nonce_issued(b->metrics);
	kbs_resp_json(resp, 200, body);
}

void
kbs_h_keys(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	(void)req;
	kbs_resp_text(resp, 200, "application/jwk-set+json", b->jwks);
}

void
kbs_h_healthz(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	(void)b;
	(void)req;
	kbs_resp_text(resp, 200, "text/plain", "ok\n");
}

/*
 * readyz_replica answers a replica's readiness as JSON: how far its store
 * is behind etcd. Not ready until a first full read was applied (now or
 * before a restart) or while more than max_lag revisions behind; etcd
 * being down does not make it unready: guests are served from the store.
 */
static void
readyz_replica(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_replica_status st;
	int started = atomic_load(&b->ready);
	cJSON *o;
	char *json;

	kbs_replica_status(b->replica, &st);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddBoolToObject(o, "ready", started && st.ready) == NULL ||
	    cJSON_AddStringToObject(o, "replication", "etcd") == NULL ||
	    cJSON_AddNumberToObject(o, "applied_revision", (double)st.applied) == NULL ||
	    cJSON_AddNumberToObject(o, "etcd_revision", (double)st.seen) == NULL ||
	    cJSON_AddNumberToObject(o, "behind", (double)st.behind) == NULL ||
	    cJSON_AddNumberToObject(o, "max_lag", (double)st.max_lag) == NULL ||
	    cJSON_AddBoolToObject(o, "synced", st.synced) == NULL ||
	    cJSON_AddBoolToObject(o, "etcd_up", st.up) == NULL ||
	    cJSON_AddBoolToObject(o, "watching", st.watching) == NULL ||
	    (json = cJSON_PrintUnformatted(o)) == NULL) {
		cJSON_Delete(o);
		kbs_resp_error(resp, req, 500, KBS_ERR_ALLOC, NULL);
		return;
	}
	cJSON_Delete(o);
	kbs_resp_json(resp, started && st.ready ? 200 : 503, json);
}

void
kbs_h_readyz(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	if (b->replica != NULL) {
		readyz_replica(b, req, resp);
		return;
	}
	if (atomic_load(&b->ready))
		kbs_resp_text(resp, 200, "text/plain", "ready\n");
	else
		kbs_resp_text(resp, 503, "text/plain", "starting\n");
}

void
kbs_h_metrics(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	char *text = NULL;
	size_t len = 0;

	if (kbs_metrics_render(b->metrics, &text, &len) != 0) {
		kbs_resp_error(resp, req, 500, KBS_ERR_ALLOC, NULL);
		return;
	}
	resp->status = 200;
	resp->content_type = KBS_METRICS_CONTENT_TYPE;
	resp->body = text;
	resp->len = len;
}
