/*
 * secret_fetch.c: GET /v1/secrets/{name} with an attestation token.
 *
 * The token (untrusted until kbs_token_verify says otherwise) must be
 * ours, unexpired, and name this secret, and a token made under an extra
 * root (--trust-root) is refused once the broker runs without one; the
 * secret must still be bound to the policy the token was granted, at the
 * same SHA-256: a policy tightened since the attestation ends the token's
 * reach. The value is
 * wrapped to the token's cnf key with binding = SHA-256(token), and the
 * release is audited before the answer, as on the attest path.
 */
#include <sodium.h>
#include <string.h>

#include "broker.h"
#include "keystore.h"
#include "metrics.h"
#include "reply.h"
#include "routes.h"
#include "status.h"
#include "token.h"

static int
audit_fetch(struct kbs_broker *b, const struct kbs_req *req, const char *name,
    const struct keystore_secret *s, const struct keystore_policy *p, const char *jti)
{
	struct keystore_audit_record rec;
	const char *names[1] = { name };
	char rules[160];

	snprintf(rules, sizeof(rules), "{\"token_jti\":\"%.64s\",\"policy_version\":%u}", jti,
	    (unsigned)p->info.version);
	memset(&rec, 0, sizeof(rec));
	rec.time = req->now;
	rec.event = "secret_fetch";
	rec.request_id = req->request_id;
	rec.decision = "release";
	rec.rules = rules;
	rec.policy_name = s->info.policy;
	memcpy(rec.policy_sha256, p->info.sha256, 32);
	rec.flags = KEYSTORE_AUDIT_HAS_POLICY_HASH;
	rec.client_addr = req->client_addr;
	rec.secret_names = names;
	rec.n_secret_names = 1;
	if (keystore_audit_append(b->ks, &rec, NULL) != 0)
		return KBS_ERR_UNAVAILABLE;
	kbs_metrics_audit_appended(b->metrics, 1);
	return 0;
}

/*
 * token_refused logs which check a bearer token failed. The caller gets
 * only token_invalid: which step failed would tell a forger how far a
 * token got (docs/protocol.md).
 */
static void
token_refused(const struct kbs_req *req, int err)
{
	kbs_log(KBS_LOG_INFO,
	    "{\"event\":\"token_refused\",\"request_id\":\"%s\",\"client\":\"%.64s\","
	    "\"step\":\"%s\"}",
	    req->request_id, req->client_addr, kbs_err_name(err));
}

void
kbs_h_secret_get(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp)
{
	struct kbs_token_verified tv;
	const struct kbs_token_secret *grant;
	struct keystore_secret *s = NULL;
	struct keystore_policy *p = NULL;
	struct kbs_reply_secret rs;
	struct kbs_reply reply;
	int r;

	r = KBS_ERR_TOKEN_MALFORMED;
	if (req->bearer != NULL)
		r = kbs_token_verify(
		    &b->token_key, req->bearer, strlen(req->bearer), req->now, &tv);
	if (r == 0 && (grant = kbs_token_find_secret(&tv, req->param)) == NULL)
		r = KBS_ERR_TOKEN_CLAIMS; /* a good token, for other secrets */
	if (r == 0 && tv.extra_root && b->cfg.trust_roots.n == 0)
		r = KBS_ERR_TOKEN_CLAIMS; /* made under a --trust-root this broker no longer has */
	if (r != 0) {
		token_refused(req, r);
		r = r == KBS_ERR_ALLOC ? r : KBS_ERR_TOKEN_INVALID;
		goto fail;
	}
	if ((r = keystore_secret_get(b->ks, req->param, &s)) != 0)
		goto fail;
	/* Still bound to the policy the token was granted, at the same version bytes. */
	if (strcmp(s->info.policy, grant->policy) != 0 ||
	    (r = keystore_policy_get(b->ks, s->info.policy, &p)) != 0 ||
	    sodium_memcmp(p->info.sha256, grant->sha256, 32) != 0) {
		r = r != 0 && r != KBS_ERR_NOT_FOUND ? r : KBS_ERR_POLICY_DENIED;
		goto fail;
	}
	if ((r = audit_fetch(b, req, req->param, s, p, tv.jti)) != 0)
		goto fail;
	memset(&reply, 0, sizeof(reply));
	crypto_hash_sha256(reply.binding, (const uint8_t *)req->bearer, strlen(req->bearer));
	memcpy(reply.guest_key, tv.cnf_x25519, 32);
	reply.request_id = req->request_id;
	reply.with_binding = 1;
	reply.count = 1;
	rs.name = req->param;
	rs.policy_name = s->info.policy;
	rs.policy_version = p->info.version;
	memcpy(rs.policy_sha256, p->info.sha256, 32);
	rs.value = s->value;
	rs.value_len = s->value_len;
	reply.secrets = &rs;
	if ((r = kbs_reply_build(b, &reply, resp)) != 0)
		goto fail;
	goto out;
fail:
	kbs_resp_error(resp, req, kbs_http_status_of(r), r, NULL);
out:
	keystore_secret_free(s);
	keystore_policy_free(p);
}
