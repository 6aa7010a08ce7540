/*
 * kbsclient_token.c: offline verification of the broker's attestation
 * token (docs/protocol.md, "The attestation token"): an EAR result as a
 * JWT (RFC 7519) signed with EdDSA over Ed25519 (RFC 8037), checked
 * against a JWK set (RFC 7517) or one pinned key.
 *
 * Format and limits: three unpadded base64url parts, at most TOKEN_MAX
 * bytes in all. The header must say "alg":"EdDSA" (so "none" and every
 * algorithm confusion are refused), carry a kid, and have no "crit"
 * (we understand no extension). The payload is decoded and parsed only
 * after the signature over "header.payload" verifies. Every claim the
 * caller gets is type- and length-checked; a token the broker would never
 * issue (status other than "affirming", no secrets) is refused too, so a
 * relying party cannot mistake one for a release.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kbsclient-int.h"

#define TOKEN_MAX 16384
#define JWKS_MAX_KEYS 16
#define IAT_SKEW 60 /* seconds a token's iat may lie ahead of our clock */
#define EAR_PROFILE "tag:github.com,2023:veraison/ear"

int
kbsc_b64url_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t got = 0;
	const char *end = NULL;

	if (n > SIZE_MAX / 4 || len != (4 * n + 2) / 3)
		return KBS_ERR_BAD_BASE64;
	if (sodium_base642bin(
		out, n, s, len, NULL, &got, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got != n || end != s + len)
		return KBS_ERR_BAD_BASE64;
	return 0;
}

/* b64url_alloc decodes one JWT part into a fresh NUL-terminated buffer. */
static int
b64url_alloc(const char *s, size_t len, char **ret, size_t *ret_len)
{
	size_t cap = len / 4 * 3 + 3, got = 0;
	const char *end = NULL;
	char *buf;

	if (len == 0 || len % 4 == 1)
		return KBS_ERR_CLIENT_TOKEN_MALFORMED;
	if ((buf = malloc(cap + 1)) == NULL)
		return KBS_ERR_ALLOC;
	if (sodium_base642bin((unsigned char *)buf, cap, s, len, NULL, &got, &end,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != s + len) {
		free(buf);
		return KBS_ERR_CLIENT_TOKEN_MALFORMED;
	}
	buf[got] = '\0';
	*ret = buf;
	*ret_len = got;
	return 0;
}

/* str_is: member key of obj is exactly the string want. */
static int
str_is(const cJSON *obj, const char *key, const char *want)
{
	const cJSON *it = kbsc_member(obj, key);

	return cJSON_IsString(it) && strcmp(it->valuestring, want) == 0;
}

int
kbsc_jwk_ed25519(const cJSON *jwk, uint8_t ret_pk[32])
{
	const cJSON *x = kbsc_member(jwk, "x");
	uint8_t pk[32];

	if (!cJSON_IsObject(jwk) || !str_is(jwk, "kty", "OKP") || !str_is(jwk, "crv", "Ed25519") ||
	    !cJSON_IsString(x))
		return KBS_ERR_CLIENT_JWKS;
	if ((kbsc_member(jwk, "alg") != NULL && !str_is(jwk, "alg", "EdDSA")) ||
	    (kbsc_member(jwk, "use") != NULL && !str_is(jwk, "use", "sig")))
		return KBS_ERR_CLIENT_JWKS;
	/* libsodium refuses small-order keys when verifying; refuse them as keys, too. */
	if (kbsc_b64url_decode(x->valuestring, strlen(x->valuestring), pk, sizeof(pk)) != 0 ||
	    !crypto_core_ed25519_is_valid_point(pk))
		return KBS_ERR_CLIENT_JWKS;
	memcpy(ret_pk, pk, sizeof(pk));
	return 0;
}

/* The parts of a token, split and decoded up to the signature. */
struct jwt {
	const char *signing_input; /* header "." payload */
	size_t signing_len;
	const char *payload_b64;
	size_t payload_b64_len;
	uint8_t sig[64];
	char kid[128];
};

/* jwt_split checks the shape and the header; nothing is trusted yet. */
static int
jwt_split(const char *token, size_t len, struct jwt *j)
{
	const char *dot1, *dot2;
	char *header = NULL;
	size_t hlen = 0, i;
	cJSON *h = NULL;
	int r = KBS_ERR_CLIENT_TOKEN_MALFORMED;

	if (token == NULL || len == 0 || len > TOKEN_MAX)
		return r;
	for (i = 0; i < len; i++) {
		if (!kbsc_is_b64url_char((unsigned char)token[i]) && token[i] != '.')
			return r;
	}
	if ((dot1 = memchr(token, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return r;
	if (kbsc_b64url_decode(
		dot2 + 1, len - (size_t)(dot2 + 1 - token), j->sig, sizeof(j->sig)) != 0)
		return r;
	j->signing_input = token;
	j->signing_len = (size_t)(dot2 - token);
	j->payload_b64 = dot1 + 1;
	j->payload_b64_len = (size_t)(dot2 - dot1 - 1);
	if ((r = b64url_alloc(token, (size_t)(dot1 - token), &header, &hlen)) != 0)
		goto out;
	r = KBS_ERR_CLIENT_TOKEN_MALFORMED;
	if (kbsc_json_parse((const uint8_t *)header, hlen, &h) != 0)
		goto out;
	if (!str_is(h, "alg", "EdDSA") || kbsc_member(h, "crit") != NULL ||
	    (kbsc_member(h, "typ") != NULL && !str_is(h, "typ", "JWT")) ||
	    kbsc_get_str(h, "kid", 1, sizeof(j->kid) - 1, kbsc_is_printable, j->kid) != 0)
		goto out;
	r = 0;
out:
	cJSON_Delete(h);
	free(header);
	return r;
}

int
kbsc_jwks_find(const char *jwks, size_t jwks_len, const char *kid, uint8_t ret_pk[32])
{
	const cJSON *keys, *k, *kid_it;
	cJSON *root = NULL;
	size_t n = 0, ed = 0;
	uint8_t pk[32];
	int r = KBS_ERR_CLIENT_JWKS, found = 0;

	if (kbsc_json_parse((const uint8_t *)jwks, jwks_len, &root) != 0)
		return r;
	keys = kbsc_member(root, "keys");
	if (!cJSON_IsArray(keys))
		goto out;
	cJSON_ArrayForEach(k, keys)
	{
		if (++n > JWKS_MAX_KEYS || !cJSON_IsObject(k))
			goto out;
		if (!str_is(k, "kty", "OKP") || !str_is(k, "crv", "Ed25519"))
			continue;
		ed++;
		if (kbsc_jwk_ed25519(k, pk) != 0)
			goto out;
		kid_it = kbsc_member(k, "kid");
		if (kid != NULL && !found && cJSON_IsString(kid_it) &&
		    strcmp(kid_it->valuestring, kid) == 0) {
			memcpy(ret_pk, pk, sizeof(pk));
			found = 1;
		}
	}
	if (ed == 0)
		goto out;
	r = found || kid == NULL ? 0 : KBS_ERR_CLIENT_TOKEN_KID;
out:
	cJSON_Delete(root);
	return r;
}

/* ---- Claims ---------------------------------------------------------- */

static int
claim_str(const cJSON *obj, const char *key, size_t min, size_t max, int (*ok)(int), char *out)
{
	return kbsc_get_str(obj, key, min, max, ok, out) == 0 ? 0 : KBS_ERR_CLIENT_TOKEN_CLAIMS;
}

static int
claim_uint(const cJSON *obj, const char *key, uint64_t max, uint64_t *ret)
{
	return kbsc_get_uint(obj, key, max, ret) == 0 ? 0 : KBS_ERR_CLIENT_TOKEN_CLAIMS;
}

static int
is_lower_alpha(int ch)
{
	return ch >= 'a' && ch <= 'z';
}

static int
parse_token_secrets(const cJSON *arr, struct kbs_client_token_claims *c)
{
	const cJSON *it;
	uint64_t v = 0;
	char hex[65];

	if (!cJSON_IsArray(arr))
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	cJSON_ArrayForEach(it, arr)
	{
		struct kbs_client_token_secret *s = &c->secrets[c->secret_count];

		if (c->secret_count == KBS_CLIENT_MAX_SECRETS || !cJSON_IsObject(it) ||
		    claim_str(it, "name", 1, KBS_CLIENT_NAME_MAX, kbsc_is_name_char, s->name) !=
			0 ||
		    claim_str(it, "policy", 1, KBS_CLIENT_NAME_MAX, kbsc_is_name_char, s->policy) !=
			0 ||
		    claim_uint(it, "version", UINT32_MAX, &v) != 0 ||
		    claim_str(it, "sha256", 64, 64, kbsc_is_hex_lower, hex) != 0 ||
		    kbs_hex_decode_exact(hex, 64, s->sha256, sizeof(s->sha256)) != 0)
			return KBS_ERR_CLIENT_TOKEN_CLAIMS;
		s->version = (uint32_t)v;
		c->secret_count++;
	}
	return c->secret_count > 0 ? 0 : KBS_ERR_CLIENT_TOKEN_CLAIMS;
}

static int
parse_evidence(const cJSON *ev, struct kbs_client_token_claims *c)
{
	const cJSON *extra = kbsc_member(ev, "extra_root");
	uint64_t v = 0;

	if (!cJSON_IsObject(ev) || !cJSON_IsBool(extra) ||
	    claim_str(ev, "product", 1, sizeof(c->product) - 1, is_lower_alpha, c->product) != 0 ||
	    claim_uint(ev, "report_version", UINT32_MAX, &v) != 0)
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	c->report_version = (uint32_t)v;
	c->extra_root = cJSON_IsTrue(extra);
	if (claim_str(ev, "measurement", 96, 96, kbsc_is_hex_lower, c->measurement) != 0 ||
	    claim_str(ev, "host_data", 64, 64, kbsc_is_hex_lower, c->host_data) != 0 ||
	    claim_str(ev, "reported_tcb", 16, 16, kbsc_is_hex_lower, c->reported_tcb) != 0 ||
	    claim_str(ev, "committed_tcb", 16, 16, kbsc_is_hex_lower, c->committed_tcb) != 0 ||
	    claim_str(ev, "launch_tcb", 16, 16, kbsc_is_hex_lower, c->launch_tcb) != 0 ||
	    claim_str(ev, "policy", 16, 16, kbsc_is_hex_lower, c->guest_policy) != 0 ||
	    claim_uint(ev, "vmpl", 3, &v) != 0)
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	c->vmpl = (uint32_t)v;
	if (claim_uint(ev, "guest_svn", UINT32_MAX, &v) != 0)
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	c->guest_svn = (uint32_t)v;
	if (str_is(ev, "signer", "vcek")) {
		snprintf(c->signer, sizeof(c->signer), "vcek");
		/* Empty when the host masked the chip id. */
		return claim_str(ev, "chip_id", 0, 128, kbsc_is_hex_lower, c->chip_id) != 0 ||
			(c->chip_id[0] != '\0' && strlen(c->chip_id) != 128)
		    ? KBS_ERR_CLIENT_TOKEN_CLAIMS
		    : 0;
	}
	if (str_is(ev, "signer", "vlek")) {
		snprintf(c->signer, sizeof(c->signer), "vlek");
		return claim_str(
		    ev, "csp_id", 1, sizeof(c->csp_id) - 1, kbsc_is_printable, c->csp_id);
	}
	return KBS_ERR_CLIENT_TOKEN_CLAIMS;
}

static int
parse_cnf(const cJSON *cnf, struct kbs_client_token_claims *c)
{
	const cJSON *jwk = kbsc_member(cnf, "jwk"), *x = kbsc_member(jwk, "x");

	if (!cJSON_IsObject(cnf) || !cJSON_IsObject(jwk) || !str_is(jwk, "kty", "OKP") ||
	    !str_is(jwk, "crv", "X25519") || !cJSON_IsString(x) ||
	    kbsc_b64url_decode(
		x->valuestring, strlen(x->valuestring), c->cnf_x25519, sizeof(c->cnf_x25519)) != 0)
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	return 0;
}

static int
parse_claims(const cJSON *p, int64_t now, struct kbs_client_token_claims *c)
{
	const cJSON *vid = kbsc_member(p, "ear.verifier-id"), *sub = kbsc_member(p, "submods"),
		    *snp = kbsc_member(sub, "snp");
	uint64_t iat = 0, exp = 0;
	int r;

	/* Expiry first: an expired token says so whatever else it holds. */
	if (claim_uint(p, "exp", (uint64_t)INT64_MAX >> 10, &exp) != 0 ||
	    claim_uint(p, "iat", (uint64_t)INT64_MAX >> 10, &iat) != 0)
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	c->iat = (int64_t)iat;
	c->exp = (int64_t)exp;
	if (c->exp <= now)
		return KBS_ERR_CLIENT_TOKEN_EXPIRED;
	if (c->iat > now + IAT_SKEW || c->iat > c->exp)
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	if (!str_is(p, "eat_profile", EAR_PROFILE) || !cJSON_IsObject(vid) ||
	    !cJSON_IsObject(sub) || !cJSON_IsObject(snp) ||
	    !cJSON_IsObject(kbsc_member(snp, "ear.trustworthiness-vector")))
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	if ((r = claim_str(p, "jti", 1, sizeof(c->jti) - 1, kbsc_is_hex_lower, c->jti)) != 0 ||
	    (r = claim_str(vid, "build", 1, sizeof(c->verifier_build) - 1, kbsc_is_printable,
		 c->verifier_build)) != 0 ||
	    (r = claim_str(
		 snp, "ear.status", 1, sizeof(c->status) - 1, kbsc_is_code_char, c->status)) != 0 ||
	    (r = claim_str(snp, "ear.appraisal-policy-id", 64, 64, kbsc_is_hex_lower,
		 c->appraisal_policy_id)) != 0)
		return r;
	if (strcmp(c->status, "affirming") != 0)
		return KBS_ERR_CLIENT_TOKEN_CLAIMS;
	if ((r = parse_cnf(kbsc_member(p, "cnf"), c)) != 0 ||
	    (r = parse_token_secrets(kbsc_member(p, "kbs.secrets"), c)) != 0)
		return r;
	return parse_evidence(kbsc_member(snp, "kbs.evidence"), c);
}

/* verify_with checks the signature with pk, then the claims. */
static int
verify_with(
    const struct jwt *j, const uint8_t pk[32], int64_t now, struct kbs_client_token_claims *ret)
{
	struct kbs_client_token_claims *c = NULL;
	char *payload = NULL;
	size_t plen = 0;
	cJSON *p = NULL;
	int r;

	if (crypto_sign_verify_detached(
		j->sig, (const unsigned char *)j->signing_input, j->signing_len, pk) != 0)
		return KBS_ERR_CLIENT_TOKEN_SIGNATURE;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = b64url_alloc(j->payload_b64, j->payload_b64_len, &payload, &plen)) != 0)
		goto out;
	if (kbsc_json_parse((const uint8_t *)payload, plen, &p) != 0) {
		r = KBS_ERR_CLIENT_TOKEN_MALFORMED;
		goto out;
	}
	snprintf(c->kid, sizeof(c->kid), "%s", j->kid);
	if ((r = parse_claims(p, now, c)) != 0)
		goto out;
	*ret = *c;
	r = 0;
out:
	cJSON_Delete(p);
	free(payload);
	free(c);
	return r;
}

int
kbs_client_token_verify(const char *token, size_t len, const char *jwks, size_t jwks_len,
    int64_t now, struct kbs_client_token_claims *ret)
{
	struct jwt j;
	uint8_t pk[32];
	int r;

	memset(&j, 0, sizeof(j));
	if ((r = jwt_split(token, len, &j)) != 0)
		return r;
	if (jwks == NULL || (r = kbsc_jwks_find(jwks, jwks_len, j.kid, pk)) != 0)
		return jwks == NULL ? KBS_ERR_CLIENT_JWKS : r;
	return verify_with(&j, pk, now, ret);
}

int
kbs_client_token_verify_key(const char *token, size_t len, const uint8_t pk[32], int64_t now,
    struct kbs_client_token_claims *ret)
{
	struct jwt j;
	int r;

	memset(&j, 0, sizeof(j));
	if ((r = jwt_split(token, len, &j)) != 0)
		return r;
	return verify_with(&j, pk, now, ret);
}
