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

void
kbs_h_readyz(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	(void)req;
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
