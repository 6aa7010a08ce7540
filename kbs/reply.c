/*
 * reply.c: wrapping, signing and rendering an answer (see reply.h).
 */
#include "reply.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "kbs_proto.h"

static int
add_b64(cJSON *o, const char *key, const uint8_t *data, size_t len)
{
	size_t n = kbs_b64_encoded_len(len);
	char *s = malloc(n);
	int r = KBS_ERR_ALLOC;

	if (s == NULL)
		return r;
	if (kbs_b64_encode(data, len, s, n) == 0 && cJSON_AddStringToObject(o, key, s) != NULL)
		r = 0;
	free(s);
	return r;
}

static int
render(const struct kbs_reply *reply, const struct kbs_proto_response *pr,
    const uint8_t sig[KBS_PROTO_SIG_SIZE], struct kbs_resp *resp)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o, *pol;
	char hex[65], *json = NULL;
	size_t i;
	int r = KBS_ERR_ALLOC;

	if (root == NULL)
		return r;
	if (cJSON_AddNumberToObject(root, "version", KBS_PROTO_VERSION) == NULL ||
	    cJSON_AddStringToObject(root, "request_id", reply->request_id) == NULL ||
	    (reply->with_binding ? add_b64(root, "binding", pr->binding, 32)
				 : add_b64(root, "nonce", pr->binding, 32)) != 0 ||
	    add_b64(root, "wrap_key", pr->wrap_key, 32) != 0 ||
	    (arr = cJSON_AddArrayToObject(root, "secrets")) == NULL)
		goto out;
	for (i = 0; i < pr->count; i++) {
		const struct kbs_proto_secret *s = &pr->secrets[i];

		if ((o = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, o) ||
		    cJSON_AddStringToObject(o, "name", s->name) == NULL ||
		    add_b64(o, "aead_nonce", s->aead_nonce, sizeof(s->aead_nonce)) != 0 ||
		    add_b64(o, "ciphertext", s->ciphertext, s->ciphertext_len) != 0 ||
		    (pol = cJSON_AddObjectToObject(o, "policy")) == NULL ||
		    cJSON_AddStringToObject(pol, "name", s->policy_name) == NULL ||
		    cJSON_AddNumberToObject(pol, "version", s->policy_version) == NULL ||
		    kbs_hex_encode(s->policy_sha256, 32, hex, sizeof(hex)) != 0 ||
		    cJSON_AddStringToObject(pol, "sha256", hex) == NULL)
			goto out;
	}
	if (reply->token != NULL && reply->token[0] != '\0' &&
	    cJSON_AddStringToObject(root, "token", reply->token) == NULL)
		goto out;
	if (add_b64(root, "signature", sig, KBS_PROTO_SIG_SIZE) != 0)
		goto out;
	if ((json = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	kbs_resp_json(resp, 200, json);
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

int
kbs_reply_build(struct kbs_broker *b, const struct kbs_reply *reply, struct kbs_resp *resp)
{
	struct kbs_proto_secret ps[32];
	struct kbs_proto_response pr;
	uint8_t e_sk[32], key[32], sig[KBS_PROTO_SIG_SIZE], *cts[32];
	size_t i;
	int r;

	if (reply->count > KBS_ARRAY_SIZE(ps))
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&pr, 0, sizeof(pr));
	memset(ps, 0, sizeof(ps));
	memset(cts, 0, sizeof(cts));
	memcpy(pr.binding, reply->binding, 32);
	memcpy(pr.guest_key, reply->guest_key, 32);
	pr.request_id = reply->request_id;
	pr.token = reply->token != NULL ? reply->token : "";
	pr.count = reply->count;
	pr.secrets = ps;
	if (reply->wrap_pk != NULL && reply->wrap_key != NULL) {
		memcpy(pr.wrap_key, reply->wrap_pk, 32);
		memcpy(key, reply->wrap_key, 32);
	} else {
		crypto_box_keypair(pr.wrap_key, e_sk); /* X25519 pair */
		if ((r = kbs_wrap_key_broker(e_sk, pr.wrap_key, reply->guest_key, key)) != 0)
			goto out;
	}
	for (i = 0; i < reply->count; i++) {
		const struct kbs_reply_secret *s = &reply->secrets[i];
		uint8_t *ct;

		r = KBS_ERR_ALLOC;
		if ((ct = cts[i] = malloc(s->value_len + KBS_PROTO_TAG_SIZE)) == NULL)
			goto out;
		ps[i].name = s->name;
		ps[i].policy_name = s->policy_name;
		ps[i].policy_version = s->policy_version;
		memcpy(ps[i].policy_sha256, s->policy_sha256, 32);
		randombytes_buf(ps[i].aead_nonce, sizeof(ps[i].aead_nonce));
		ps[i].ciphertext = ct;
		ps[i].ciphertext_len = s->value_len + KBS_PROTO_TAG_SIZE;
		if ((r = kbs_wrap_seal(key, ps[i].aead_nonce, s->name, strlen(s->name),
			 reply->binding, s->value, s->value_len, ct, ps[i].ciphertext_len)) != 0)
			goto out;
	}
	if ((r = kbs_proto_sign(&pr, b->identity_sk, sig)) != 0)
		goto out;
	r = render(reply, &pr, sig, resp);
out:
	for (i = 0; i < reply->count; i++)
		free(cts[i]);
	sodium_memzero(e_sk, sizeof(e_sk));
	sodium_memzero(key, sizeof(key));
	return r;
}
