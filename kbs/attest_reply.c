/*
 * attest_reply.c: the answer to a released attestation (docs/protocol.md,
 * "Wrapping a secret", "The response signature", "The attestation token").
 *
 * One ephemeral X25519 pair per response; each secret gets a fresh AEAD
 * nonce and its name in the associated data. The plaintext values are
 * wiped as soon as they are sealed; the ephemeral private key and the
 * derived key at the end of the function.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "attest-int.h"
#include "keystore.h"
#include "kbs_proto.h"
#include "reply.h"
#include "token.h"

/* token_claims fills the EAR token's claims from the verified evidence. */
static void
token_claims(const struct kbs_attest *a, struct kbs_token_claims *c, struct kbs_token_secret *ts)
{
	const struct snp_report *rep = policy_verified_report(a->evidence);
	struct kbs_token_evidence *ev = &c->evidence;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->iat = a->req->now;
	c->exp = a->req->now + atomic_load(&a->broker->live.token_lifetime);
	c->jti = a->req->request_id;
	c->build = "kbs " KBS_VERSION;
	ev->product = snp_product_name(a->verify.product);
	ev->report_version = rep->version;
	memcpy(ev->measurement, rep->measurement, sizeof(ev->measurement));
	memcpy(ev->host_data, rep->host_data, sizeof(ev->host_data));
	ev->signer = a->verify.signer == SNP_SIGNING_KEY_VLEK ? KBS_TOKEN_SIGNER_VLEK
							      : KBS_TOKEN_SIGNER_VCEK;
	ev->chip_id_masked = (rep->key_info & SNP_KEY_INFO_MASK_CHIP_KEY) != 0;
	memcpy(ev->chip_id, rep->chip_id, sizeof(ev->chip_id));
	ev->csp_id = a->verify.csp_id;
	ev->reported_tcb = rep->reported_tcb;
	ev->committed_tcb = rep->committed_tcb;
	ev->launch_tcb = rep->launch_tcb;
	ev->vmpl = rep->vmpl;
	ev->guest_svn = rep->guest_svn;
	ev->policy = rep->policy;
	ev->extra_root = a->verify.extra_root != 0;
	memcpy(c->cnf_x25519, a->guest_key, 32);
	for (i = 0; i < a->n_secrets; i++) {
		const struct kbs_attest_secret *s = &a->secrets[i];

		snprintf(ts[i].name, sizeof(ts[i].name), "%s", s->name);
		snprintf(ts[i].policy, sizeof(ts[i].policy), "%s", s->secret->info.policy);
		ts[i].version = s->stored_policy->info.version;
		memcpy(ts[i].sha256, s->sha256, 32);
	}
	c->secret_count = a->n_secrets;
	c->secrets = ts;
}

int
kbs_attest_reply(struct kbs_attest *a, struct kbs_resp *resp)
{
	struct kbs_broker *b = a->broker;
	struct kbs_reply_secret out[KBS_ATTEST_MAX_SECRETS];
	struct kbs_token_secret ts[KBS_ATTEST_MAX_SECRETS];
	struct kbs_token_claims claims;
	struct kbs_reply reply;
	char *token = NULL;
	size_t i, token_len = 0;
	int r;

	token_claims(a, &claims, ts);
	if ((r = kbs_token_sign(&b->token_key, b->identity_sk, &claims, &token, &token_len)) != 0)
		return r;
	memset(&reply, 0, sizeof(reply));
	memcpy(reply.binding, a->nonce, 32);
	memcpy(reply.guest_key, a->guest_key, 32);
	reply.request_id = a->req->request_id;
	reply.token = token;
	reply.count = a->n_secrets;
	reply.secrets = out;
	reply.wrap_pk = a->wrap_pk;
	reply.wrap_key = a->wrap_key;
	for (i = 0; i < a->n_secrets; i++) {
		const struct kbs_attest_secret *s = &a->secrets[i];

		out[i].name = s->name;
		out[i].policy_name = s->secret->info.policy;
		out[i].policy_version = s->stored_policy->info.version;
		memcpy(out[i].policy_sha256, s->sha256, 32);
		out[i].value = s->secret->value;
		out[i].value_len = s->secret->value_len;
	}
	r = kbs_reply_build(b, &reply, resp);
	free(token);
	return r;
}
