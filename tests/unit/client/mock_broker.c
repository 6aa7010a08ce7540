/*
 * mock_broker.c: see mock_broker.h. Wraps with kbs_wrap_seal and signs
 * with kbs_proto_sign, exactly as docs/protocol.md says the broker does.
 */
#include "mock_broker.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_common.h"
#include "kbs_proto.h"

static void
die(const char *what)
{
	fprintf(stderr, "mock_broker: %s\n", what);
	exit(2);
}

char *
mock_b64(const uint8_t *data, size_t len)
{
	size_t n = kbs_b64_encoded_len(len);
	char *s = malloc(n);

	if (s == NULL || kbs_b64_encode(data, len, s, n) != 0)
		die("b64");
	return s;
}

char *
mock_b64url(const uint8_t *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(n);

	if (s == NULL)
		die("alloc");
	sodium_bin2base64(s, n, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

void
mock_broker_init(struct mock_broker *b, uint8_t seed)
{
	uint8_t s[32];
	char *x, tp[128], *kid;
	uint8_t h[32];

	memset(b, 0, sizeof(*b));
	memset(s, seed, sizeof(s));
	if (crypto_sign_seed_keypair(b->id_pk, b->id_sk, s) != 0)
		die("keypair");
	memset(b->eph_sk, (uint8_t)(seed + 1), sizeof(b->eph_sk));
	if (crypto_scalarmult_base(b->eph_pk, b->eph_sk) != 0)
		die("x25519");
	x = mock_b64url(b->id_pk, 32);
	snprintf(b->id_x, sizeof(b->id_x), "%s", x);
	/* RFC 7638 thumbprint: SHA-256 of the required members in lexical order. */
	snprintf(tp, sizeof(tp), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	crypto_hash_sha256(h, (const uint8_t *)tp, strlen(tp));
	kid = mock_b64url(h, 32);
	snprintf(b->kid, sizeof(b->kid), "%s", kid);
	free(kid);
	free(x);
}

static void
add_b64(cJSON *o, const char *key, const uint8_t *data, size_t len)
{
	char *s = mock_b64(data, len);

	cJSON_AddStringToObject(o, key, s);
	free(s);
}

cJSON *
mock_answer(const struct mock_broker *b, const uint8_t binding[32], const uint8_t g_pk[32],
    const struct mock_secret *s, size_t n, const char *request_id, const char *token)
{
	struct kbs_proto_secret ps[32];
	struct kbs_proto_response resp;
	uint8_t key[32], sig[64], *ct[32];
	char hex[65];
	cJSON *root = cJSON_CreateObject(), *arr, *e, *pol;
	size_t i;

	if (n > 32)
		die("too many secrets");
	if (kbs_wrap_key_broker(b->eph_sk, b->eph_pk, g_pk, key) != 0)
		die("wrap key");
	memset(&resp, 0, sizeof(resp));
	memset(ps, 0, sizeof(ps));
	memcpy(resp.binding, binding, 32);
	memcpy(resp.guest_key, g_pk, 32);
	memcpy(resp.wrap_key, b->eph_pk, 32);
	resp.request_id = request_id;
	resp.count = n;
	resp.secrets = ps;
	resp.token = token != NULL ? token : "";
	for (i = 0; i < n; i++) {
		ps[i].name = s[i].name;
		ps[i].policy_name = s[i].policy;
		ps[i].policy_version = s[i].version;
		memcpy(ps[i].policy_sha256, s[i].sha256, 32);
		memset(ps[i].aead_nonce, (int)(0x30 + i), sizeof(ps[i].aead_nonce));
		if ((ct[i] = malloc(s[i].len + 16)) == NULL ||
		    kbs_wrap_seal(key, ps[i].aead_nonce, s[i].name, strlen(s[i].name), binding,
			s[i].value, s[i].len, ct[i], s[i].len + 16) != 0)
			die("seal");
		ps[i].ciphertext = ct[i];
		ps[i].ciphertext_len = s[i].len + 16;
	}
	if (kbs_proto_sign(&resp, b->id_sk, sig) != 0)
		die("sign");
	if (token != NULL)
		cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "request_id", request_id);
	add_b64(root, token != NULL ? "nonce" : "binding", binding, 32);
	add_b64(root, "wrap_key", b->eph_pk, 32);
	arr = cJSON_AddArrayToObject(root, "secrets");
	for (i = 0; i < n; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", s[i].name);
		add_b64(e, "aead_nonce", ps[i].aead_nonce, 24);
		add_b64(e, "ciphertext", ct[i], ps[i].ciphertext_len);
		pol = cJSON_AddObjectToObject(e, "policy");
		cJSON_AddStringToObject(pol, "name", s[i].policy);
		cJSON_AddNumberToObject(pol, "version", s[i].version);
		if (kbs_hex_encode(s[i].sha256, 32, hex, sizeof(hex)) != 0)
			die("hex");
		cJSON_AddStringToObject(pol, "sha256", hex);
		cJSON_AddItemToArray(arr, e);
		free(ct[i]);
	}
	if (token != NULL)
		cJSON_AddStringToObject(root, "token", token);
	add_b64(root, "signature", sig, 64);
	sodium_memzero(key, sizeof(key));
	return root;
}

char *
mock_print(cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);

	if (s == NULL)
		die("print");
	cJSON_Delete(root);
	return s;
}

cJSON *
mock_claims(int64_t iat, int64_t exp, const uint8_t g_pk[32], const struct mock_secret *s, size_t n)
{
	cJSON *c = cJSON_CreateObject(), *vid, *sub, *snp, *tv, *ev, *cnf, *jwk, *arr, *e;
	char hex[65], *x;
	size_t i;

	cJSON_AddStringToObject(c, "eat_profile", "tag:github.com,2023:veraison/ear");
	cJSON_AddNumberToObject(c, "iat", (double)iat);
	cJSON_AddNumberToObject(c, "exp", (double)exp);
	cJSON_AddStringToObject(c, "jti", "0123456789abcdef0123456789abcdef");
	vid = cJSON_AddObjectToObject(c, "ear.verifier-id");
	cJSON_AddStringToObject(vid, "developer", "kbs");
	cJSON_AddStringToObject(vid, "build", "kbs 0.1.0");
	sub = cJSON_AddObjectToObject(c, "submods");
	snp = cJSON_AddObjectToObject(sub, "snp");
	cJSON_AddStringToObject(snp, "ear.status", "affirming");
	tv = cJSON_AddObjectToObject(snp, "ear.trustworthiness-vector");
	cJSON_AddNumberToObject(tv, "instance-identity", 2);
	cJSON_AddNumberToObject(tv, "executables", 2);
	cJSON_AddNumberToObject(tv, "hardware", 2);
	cJSON_AddNumberToObject(tv, "configuration", 2);
	if (kbs_hex_encode(s[0].sha256, 32, hex, sizeof(hex)) != 0)
		die("hex");
	cJSON_AddStringToObject(snp, "ear.appraisal-policy-id", hex);
	ev = cJSON_AddObjectToObject(snp, "kbs.evidence");
	cJSON_AddStringToObject(ev, "product", "genoa");
	cJSON_AddNumberToObject(ev, "report_version", 3);
	cJSON_AddStringToObject(ev, "measurement",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f");
	cJSON_AddStringToObject(
	    ev, "host_data", "0000000000000000000000000000000000000000000000000000000000000000");
	cJSON_AddStringToObject(ev, "signer", "vcek");
	cJSON_AddStringToObject(ev, "chip_id",
	    "aa00000000000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000000000000000000000000000000000000000000bb");
	cJSON_AddStringToObject(ev, "reported_tcb", "1b00000000000715");
	cJSON_AddStringToObject(ev, "committed_tcb", "1b00000000000715");
	cJSON_AddStringToObject(ev, "launch_tcb", "1b00000000000715");
	cJSON_AddNumberToObject(ev, "vmpl", 0);
	cJSON_AddNumberToObject(ev, "guest_svn", 7);
	cJSON_AddStringToObject(ev, "policy", "0000000000030000");
	cJSON_AddBoolToObject(ev, "extra_root", 1);
	cnf = cJSON_AddObjectToObject(c, "cnf");
	jwk = cJSON_AddObjectToObject(cnf, "jwk");
	cJSON_AddStringToObject(jwk, "kty", "OKP");
	cJSON_AddStringToObject(jwk, "crv", "X25519");
	x = mock_b64url(g_pk, 32);
	cJSON_AddStringToObject(jwk, "x", x);
	free(x);
	arr = cJSON_AddArrayToObject(c, "kbs.secrets");
	for (i = 0; i < n; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", s[i].name);
		cJSON_AddStringToObject(e, "policy", s[i].policy);
		cJSON_AddNumberToObject(e, "version", s[i].version);
		if (kbs_hex_encode(s[i].sha256, 32, hex, sizeof(hex)) != 0)
			die("hex");
		cJSON_AddStringToObject(e, "sha256", hex);
		cJSON_AddItemToArray(arr, e);
	}
	return c;
}

cJSON *
mock_jwt_header(const char *kid)
{
	cJSON *h = cJSON_CreateObject();

	cJSON_AddStringToObject(h, "alg", "EdDSA");
	cJSON_AddStringToObject(h, "typ", "JWT");
	cJSON_AddStringToObject(h, "kid", kid);
	return h;
}

char *
mock_jwt(cJSON *header, cJSON *claims, const uint8_t sk[64])
{
	char *h = mock_print(header), *p = mock_print(claims);
	char *hb = mock_b64url((const uint8_t *)h, strlen(h)),
	     *pb = mock_b64url((const uint8_t *)p, strlen(p));
	uint8_t sig[64];
	char *sb, *out;
	size_t n;

	n = strlen(hb) + 1 + strlen(pb);
	if ((out = malloc(n + 1 + 87)) == NULL)
		die("alloc");
	snprintf(out, n + 1, "%s.%s", hb, pb);
	if (crypto_sign_detached(sig, NULL, (const uint8_t *)out, n, sk) != 0)
		die("sign");
	sb = mock_b64url(sig, 64);
	snprintf(out + n, 1 + 87, ".%s", sb);
	free(sb);
	free(h);
	free(p);
	free(hb);
	free(pb);
	return out;
}

char *
mock_jwks(const struct mock_broker *b)
{
	cJSON *root = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(root, "keys"),
	      *k = cJSON_CreateObject();

	cJSON_AddStringToObject(k, "kty", "OKP");
	cJSON_AddStringToObject(k, "crv", "Ed25519");
	cJSON_AddStringToObject(k, "x", b->id_x);
	cJSON_AddStringToObject(k, "kid", b->kid);
	cJSON_AddStringToObject(k, "use", "sig");
	cJSON_AddStringToObject(k, "alg", "EdDSA");
	cJSON_AddItemToArray(keys, k);
	return mock_print(root);
}

char *
mock_error(const char *error, const char *message, cJSON *denied)
{
	cJSON *root = cJSON_CreateObject();

	cJSON_AddStringToObject(root, "error", error);
	cJSON_AddStringToObject(root, "message", message);
	cJSON_AddStringToObject(root, "request_id", "feedfacefeedfacefeedfacefeedface");
	if (denied != NULL)
		cJSON_AddItemToObject(root, "denied", denied);
	return mock_print(root);
}
