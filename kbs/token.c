/*
 * token.c: the EAR attestation token as an EdDSA JWT, its verification,
 * and the JWK Set; the format is in token.h and docs/protocol.md.
 *
 * Making: the payload is one cJSON tree printed unformatted; the header is
 * fixed per key, so its base64url form is computed once in
 * kbs_token_key_init and reused for every token and every verification.
 *
 * Verifying (untrusted input, in this order, each refusal with its code):
 *  1. shape: 1..KBS_TOKEN_MAX_LEN bytes, only base64url characters and
 *     exactly two dots, three non-empty parts;
 *  2. header: the first part equals our header_b64 byte for byte. No
 *     algorithm is ever read from the token, so "alg":"none" or an
 *     algorithm confusion cannot arise, and no header JSON is parsed;
 *  3. signature part: 86 characters, canonical, 64 bytes; payload part:
 *     canonical base64url (no non-zero pad bits, no length of 1 mod 4);
 *  4. Ed25519 over "header.payload" as sent;
 *  5. only now is the payload parsed as JSON, and the claims read into a
 *     fixed-size struct with every count and length bounded;
 *  6. iat and exp against now.
 * The payload reaching step 5 was signed by our key, so the parser's job
 * is to refuse what we would never make, not to resist an attacker; it is
 * strict anyway, and fuzzed (tests/fuzz/fuzz_kbs_token.c) with payloads
 * signed by a test key.
 */
#include "token.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_common.h"

#define SIG_B64_LEN 86                   /* 64 bytes, unpadded */
#define INT_EXACT_MAX 9007199254740992.0 /* 2^53: integers a JSON double holds exactly */

/* ---- base64url and strings ------------------------------------------ */

/*
 * A plain (not constant-time) base64url codec: everything it handles is
 * public (the token an attacker sends us, our public keys), and
 * libsodium's constant-time codec costs about ten times as much, 10 us or
 * more for one token on the project's machines. kbs_codec.h keeps the
 * constant-time one for secrets.
 */
static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* b64url_encoded_len is the number of characters for len bytes, unpadded. */
static size_t
b64url_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 != 0 ? len % 3 + 1 : 0);
}

/* b64url_encode writes the unpadded encoding of in[0..len) and a NUL. */
static int
b64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
	size_t i, o = 0;

	if (len > SIZE_MAX / 2 || out_size < b64url_encoded_len(len) + 1)
		return KBS_ERR_BUFFER_TOO_SMALL;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64url_alphabet[v >> 18];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		out[o++] = b64url_alphabet[in[i] >> 2];
		out[o++] = b64url_alphabet[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = b64url_alphabet[v >> 10];
		out[o++] = b64url_alphabet[(v >> 4) & 63];
		out[o++] = b64url_alphabet[(v << 2) & 63];
	}
	out[o] = '\0';
	return 0;
}

/* b64url_decoded_len is the byte count of len canonical characters. */
static size_t
b64url_decoded_len(size_t len)
{
	return len / 4 * 3 + (len % 4 != 0 ? len % 4 - 1 : 0);
}

/*
 * b64url_decode decodes exactly in[0..len), canonical and unpadded, into
 * out; KBS_ERR_TOKEN_MALFORMED for any other character (padding
 * included), a length of 1 mod 4, or non-zero bits in the last
 * character's unused low bits (the two ways one value could have several
 * encodings).
 */
static int
b64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *ret_len)
{
	uint32_t acc = 0;
	size_t i, o = 0, bits = 0;
	int v;

	if (len % 4 == 1 || b64url_decoded_len(len) > out_size)
		return KBS_ERR_TOKEN_MALFORMED;
	for (i = 0; i < len; i++) {
		if ((v = b64url_value(in[i])) < 0)
			return KBS_ERR_TOKEN_MALFORMED;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return KBS_ERR_TOKEN_MALFORMED;
	*ret_len = o;
	return 0;
}

static bool
is_b64url_char(char c)
{
	return b64url_value(c) >= 0;
}

/*
 * string_ok: 1..max bytes, each accepted by char_ok. The classes below
 * keep every string the token repeats (names, jti, build) free of
 * anything JSON must escape, so the token's size bound is exact.
 */
static bool
string_ok(const char *s, size_t max, bool (*char_ok)(unsigned char c))
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || !char_ok((unsigned char)s[i]))
			return false;
	}
	return i > 0;
}

/* Printable ASCII without '"' or '\\'. */
static bool
text_char(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

/* As text_char, without the space: names and the request id. */
static bool
name_char(unsigned char c)
{
	return text_char(c) && c != ' ';
}

static bool
product_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Any ASCII but NUL: cJSON escapes what needs it (the csp_id of a VLEK). */
static bool
ascii_char(unsigned char c)
{
	return c <= 0x7f;
}

/* ---- the key ---------------------------------------------------------- */

int
kbs_token_key_init(const uint8_t pk[32], struct kbs_token_key *ret)
{
	struct kbs_token_key k;
	char thumb_in[96];
	uint8_t thumb[crypto_hash_sha256_BYTES];
	cJSON *h = NULL;
	char *hjson = NULL;
	int n, r = KBS_ERR_INTERNAL;

	if (pk == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&k, 0, sizeof(k));
	memcpy(k.pk, pk, sizeof(k.pk));
	if ((r = b64url_encode(pk, 32, k.x, sizeof(k.x))) != 0)
		goto out;
	/*
	 * RFC 7638: the required members of an OKP key (RFC 8037 section 2)
	 * in lexicographic order, no whitespace. x is base64url, so the
	 * template needs no escaping.
	 */
	n = snprintf(
	    thumb_in, sizeof(thumb_in), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", k.x);
	if (n < 0 || (size_t)n >= sizeof(thumb_in)) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	crypto_hash_sha256(thumb, (const uint8_t *)thumb_in, (size_t)n);
	if ((r = b64url_encode(thumb, sizeof(thumb), k.kid, sizeof(k.kid))) != 0)
		goto out;
	r = KBS_ERR_ALLOC;
	if ((h = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(h, "alg", "EdDSA") == NULL ||
	    cJSON_AddStringToObject(h, "typ", "JWT") == NULL ||
	    cJSON_AddStringToObject(h, "kid", k.kid) == NULL ||
	    (hjson = cJSON_PrintUnformatted(h)) == NULL)
		goto out;
	if ((r = b64url_encode(
		 (const uint8_t *)hjson, strlen(hjson), k.header_b64, sizeof(k.header_b64))) != 0)
		goto out;
	k.header_b64_len = strlen(k.header_b64);
	*ret = k;
	r = 0;
out:
	cJSON_free(hjson);
	cJSON_Delete(h);
	return r;
}

/* cjson_to_malloc copies a cJSON-printed string into malloc memory (the caller frees with free()).
 */
static int
cjson_to_malloc(char *printed, char **ret, size_t *ret_len)
{
	size_t len;
	char *s;

	if (printed == NULL)
		return KBS_ERR_ALLOC;
	len = strlen(printed);
	if ((s = malloc(len + 1)) == NULL) {
		cJSON_free(printed);
		return KBS_ERR_ALLOC;
	}
	memcpy(s, printed, len + 1);
	cJSON_free(printed);
	*ret = s;
	*ret_len = len;
	return 0;
}

int
kbs_token_jwks(const struct kbs_token_key *key, char **ret, size_t *ret_len)
{
	cJSON *root = NULL, *keys, *k;
	int r = KBS_ERR_ALLOC;

	if (key == NULL || ret == NULL || ret_len == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((root = cJSON_CreateObject()) == NULL ||
	    (keys = cJSON_AddArrayToObject(root, "keys")) == NULL ||
	    (k = cJSON_CreateObject()) == NULL)
		goto out;
	if (!cJSON_AddItemToArray(keys, k)) {
		cJSON_Delete(k);
		goto out;
	}
	if (cJSON_AddStringToObject(k, "kty", "OKP") == NULL ||
	    cJSON_AddStringToObject(k, "crv", "Ed25519") == NULL ||
	    cJSON_AddStringToObject(k, "x", key->x) == NULL ||
	    cJSON_AddStringToObject(k, "kid", key->kid) == NULL ||
	    cJSON_AddStringToObject(k, "use", "sig") == NULL ||
	    cJSON_AddStringToObject(k, "alg", "EdDSA") == NULL)
		goto out;
	r = cjson_to_malloc(cJSON_PrintUnformatted(root), ret, ret_len);
out:
	cJSON_Delete(root);
	return r;
}

/* ---- making a token ---------------------------------------------------- */

static cJSON *
add_hex(cJSON *o, const char *name, const uint8_t *b, size_t n)
{
	char hex[129]; /* the longest: a 64-byte chip id */

	if (kbs_hex_encode(b, n, hex, sizeof(hex)) != 0)
		return NULL;
	return cJSON_AddStringToObject(o, name, hex);
}

/* add_u64_hex writes a 64-bit value as 16 hex digits, most significant first. */
static cJSON *
add_u64_hex(cJSON *o, const char *name, uint64_t v)
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016" PRIx64, v);
	return cJSON_AddStringToObject(o, name, hex);
}

static int
claims_check(const struct kbs_token_claims *c)
{
	const struct kbs_token_evidence *e = &c->evidence;
	size_t i;

	if (c->iat < 0 || (double)c->iat > INT_EXACT_MAX || c->exp <= c->iat ||
	    (double)c->exp > INT_EXACT_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	if (!string_ok(c->jti, KBS_TOKEN_JTI_MAX, name_char) ||
	    !string_ok(c->build, KBS_TOKEN_BUILD_MAX, text_char) ||
	    !string_ok(e->product, KBS_TOKEN_PRODUCT_MAX, product_char))
		return KBS_ERR_INVALID_ARGUMENT;
	if (e->signer == KBS_TOKEN_SIGNER_VLEK) {
		if (!string_ok(e->csp_id, KBS_TOKEN_CSP_ID_MAX, ascii_char))
			return KBS_ERR_INVALID_ARGUMENT;
	} else if (e->signer != KBS_TOKEN_SIGNER_VCEK) {
		return KBS_ERR_INVALID_ARGUMENT;
	}
	if (c->secrets == NULL || c->secret_count == 0 || c->secret_count > KBS_TOKEN_MAX_SECRETS)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < c->secret_count; i++) {
		if (!string_ok(c->secrets[i].name, KBS_TOKEN_NAME_MAX, name_char) ||
		    !string_ok(c->secrets[i].policy, KBS_TOKEN_NAME_MAX, name_char))
			return KBS_ERR_INVALID_ARGUMENT;
	}
	return 0;
}

/* build_evidence adds "kbs.evidence" to the snp submod. */
static int
build_evidence(cJSON *snp, const struct kbs_token_evidence *e)
{
	cJSON *ev;

	if ((ev = cJSON_AddObjectToObject(snp, "kbs.evidence")) == NULL ||
	    cJSON_AddStringToObject(ev, "product", e->product) == NULL ||
	    cJSON_AddNumberToObject(ev, "report_version", e->report_version) == NULL ||
	    add_hex(ev, "measurement", e->measurement, sizeof(e->measurement)) == NULL ||
	    add_hex(ev, "host_data", e->host_data, sizeof(e->host_data)) == NULL)
		return KBS_ERR_ALLOC;
	if (e->signer == KBS_TOKEN_SIGNER_VLEK) {
		if (cJSON_AddStringToObject(ev, "signer", "vlek") == NULL ||
		    cJSON_AddStringToObject(ev, "csp_id", e->csp_id) == NULL)
			return KBS_ERR_ALLOC;
	} else if (cJSON_AddStringToObject(ev, "signer", "vcek") == NULL ||
	    (e->chip_id_masked ? cJSON_AddStringToObject(ev, "chip_id", "")
			       : add_hex(ev, "chip_id", e->chip_id, sizeof(e->chip_id))) == NULL) {
		return KBS_ERR_ALLOC;
	}
	if (add_u64_hex(ev, "reported_tcb", e->reported_tcb) == NULL ||
	    add_u64_hex(ev, "committed_tcb", e->committed_tcb) == NULL ||
	    add_u64_hex(ev, "launch_tcb", e->launch_tcb) == NULL ||
	    cJSON_AddNumberToObject(ev, "vmpl", e->vmpl) == NULL ||
	    cJSON_AddNumberToObject(ev, "guest_svn", e->guest_svn) == NULL ||
	    add_u64_hex(ev, "policy", e->policy) == NULL ||
	    cJSON_AddBoolToObject(ev, "extra_root", e->extra_root) == NULL)
		return KBS_ERR_ALLOC;
	return 0;
}

/* build_submods adds "submods": {"snp": {...}}. */
static int
build_submods(cJSON *root, const struct kbs_token_claims *c)
{
	static const char *const vector[] = { "instance-identity", "executables", "hardware",
		"configuration" };
	cJSON *sub, *snp, *tv;
	size_t i;

	if ((sub = cJSON_AddObjectToObject(root, "submods")) == NULL ||
	    (snp = cJSON_AddObjectToObject(sub, "snp")) == NULL ||
	    cJSON_AddStringToObject(snp, "ear.status", "affirming") == NULL ||
	    (tv = cJSON_AddObjectToObject(snp, "ear.trustworthiness-vector")) == NULL)
		return KBS_ERR_ALLOC;
	/* 2: the affirming value of each claim (draft-ietf-rats-ar4si). */
	for (i = 0; i < KBS_ARRAY_SIZE(vector); i++) {
		if (cJSON_AddNumberToObject(tv, vector[i], 2) == NULL)
			return KBS_ERR_ALLOC;
	}
	if (add_hex(snp, "ear.appraisal-policy-id", c->secrets[0].sha256, 32) == NULL)
		return KBS_ERR_ALLOC;
	return build_evidence(snp, &c->evidence);
}

static int
build_payload(const struct kbs_token_claims *c, char **ret)
{
	cJSON *root = NULL, *o, *cnf, *arr, *s;
	char x[KBS_TOKEN_B64_KEY_SIZE];
	size_t i;
	int r = KBS_ERR_ALLOC;

	if ((r = b64url_encode(c->cnf_x25519, 32, x, sizeof(x))) != 0)
		return r;
	r = KBS_ERR_ALLOC;
	if ((root = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(root, "eat_profile", KBS_TOKEN_EAR_PROFILE) == NULL ||
	    cJSON_AddNumberToObject(root, "iat", (double)c->iat) == NULL ||
	    cJSON_AddNumberToObject(root, "exp", (double)c->exp) == NULL ||
	    cJSON_AddStringToObject(root, "jti", c->jti) == NULL ||
	    (o = cJSON_AddObjectToObject(root, "ear.verifier-id")) == NULL ||
	    cJSON_AddStringToObject(o, "developer", "kbs") == NULL ||
	    cJSON_AddStringToObject(o, "build", c->build) == NULL)
		goto out;
	if ((r = build_submods(root, c)) != 0)
		goto out;
	r = KBS_ERR_ALLOC;
	if ((cnf = cJSON_AddObjectToObject(root, "cnf")) == NULL ||
	    (o = cJSON_AddObjectToObject(cnf, "jwk")) == NULL ||
	    cJSON_AddStringToObject(o, "kty", "OKP") == NULL ||
	    cJSON_AddStringToObject(o, "crv", "X25519") == NULL ||
	    cJSON_AddStringToObject(o, "x", x) == NULL ||
	    (arr = cJSON_AddArrayToObject(root, "kbs.secrets")) == NULL)
		goto out;
	for (i = 0; i < c->secret_count; i++) {
		const struct kbs_token_secret *ts = &c->secrets[i];

		if ((s = cJSON_CreateObject()) == NULL)
			goto out;
		if (!cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			goto out;
		}
		if (cJSON_AddStringToObject(s, "name", ts->name) == NULL ||
		    cJSON_AddStringToObject(s, "policy", ts->policy) == NULL ||
		    cJSON_AddNumberToObject(s, "version", ts->version) == NULL ||
		    add_hex(s, "sha256", ts->sha256, sizeof(ts->sha256)) == NULL)
			goto out;
	}
	if ((*ret = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

int
kbs_token_sign(const struct kbs_token_key *key, const uint8_t sk[64],
    const struct kbs_token_claims *claims, char **ret, size_t *ret_len)
{
	char *payload = NULL, *jwt = NULL;
	uint8_t sig[crypto_sign_BYTES];
	size_t plen, penc, signed_len, total;
	int r = KBS_ERR_INTERNAL;

	if (key == NULL || sk == NULL || claims == NULL || ret == NULL || ret_len == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	/* libsodium's secret key is seed || public key. */
	if (memcmp(sk + 32, key->pk, 32) != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = claims_check(claims)) != 0)
		return r;
	if ((r = build_payload(claims, &payload)) != 0)
		goto out;
	plen = strlen(payload);
	penc = b64url_encoded_len(plen);
	signed_len = key->header_b64_len + 1 + penc;
	total = signed_len + 1 + SIG_B64_LEN;
	if (plen > KBS_TOKEN_MAX_LEN || total > KBS_TOKEN_MAX_LEN) {
		r = KBS_ERR_TOO_LARGE;
		goto out;
	}
	if ((jwt = malloc(total + 1)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	memcpy(jwt, key->header_b64, key->header_b64_len);
	jwt[key->header_b64_len] = '.';
	if ((r = b64url_encode((const uint8_t *)payload, plen, jwt + key->header_b64_len + 1,
		 total + 1 - key->header_b64_len - 1)) != 0)
		goto out;
	if (crypto_sign_detached(sig, NULL, (const uint8_t *)jwt, signed_len, sk) != 0) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	jwt[signed_len] = '.';
	if ((r = b64url_encode(
		 sig, sizeof(sig), jwt + signed_len + 1, total + 1 - signed_len - 1)) != 0)
		goto out;
	*ret = jwt;
	*ret_len = total;
	jwt = NULL;
	r = 0;
out:
	free(jwt);
	cJSON_free(payload);
	return r;
}

/* ---- verifying a token ------------------------------------------------- */

static const cJSON *
member(const cJSON *o, const char *name)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
}

static bool
string_is(const cJSON *it, const char *want)
{
	return cJSON_IsString(it) && strcmp(it->valuestring, want) == 0;
}

/* get_int reads an integral number within lo..hi. */
static int
get_int(const cJSON *it, double lo, double hi, int64_t *ret)
{
	double d;

	if (!cJSON_IsNumber(it))
		return KBS_ERR_TOKEN_CLAIMS;
	d = it->valuedouble;
	if (!(d >= lo && d <= hi) || d != (double)(int64_t)d)
		return KBS_ERR_TOKEN_CLAIMS;
	*ret = (int64_t)d;
	return 0;
}

/* get_name copies a string of 1..max name_char bytes into out (max + 1 bytes). */
static int
get_name(const cJSON *it, char *out, size_t max)
{
	size_t len;

	if (!cJSON_IsString(it) || !string_ok(it->valuestring, max, name_char))
		return KBS_ERR_TOKEN_CLAIMS;
	len = strlen(it->valuestring);
	memcpy(out, it->valuestring, len + 1);
	return 0;
}

static int
get_lower_hex(const cJSON *it, uint8_t *out, size_t n)
{
	const char *s;
	size_t i;

	if (!cJSON_IsString(it))
		return KBS_ERR_TOKEN_CLAIMS;
	s = it->valuestring;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= 'A' && s[i] <= 'F')
			return KBS_ERR_TOKEN_CLAIMS;
	}
	if (kbs_hex_decode_exact(s, i, out, n) != 0)
		return KBS_ERR_TOKEN_CLAIMS;
	return 0;
}

static int
parse_secret(const cJSON *it, struct kbs_token_secret *ret)
{
	int64_t version = 0;
	int r;

	if (!cJSON_IsObject(it))
		return KBS_ERR_TOKEN_CLAIMS;
	if ((r = get_name(member(it, "name"), ret->name, KBS_TOKEN_NAME_MAX)) != 0 ||
	    (r = get_name(member(it, "policy"), ret->policy, KBS_TOKEN_NAME_MAX)) != 0 ||
	    (r = get_int(member(it, "version"), 0, (double)UINT32_MAX, &version)) != 0 ||
	    (r = get_lower_hex(member(it, "sha256"), ret->sha256, sizeof(ret->sha256))) != 0)
		return r;
	ret->version = (uint32_t)version;
	return 0;
}

static int
parse_cnf(const cJSON *root, uint8_t ret[32])
{
	const cJSON *jwk = member(member(root, "cnf"), "jwk"), *x = member(jwk, "x");
	size_t n = 0;

	if (!string_is(member(jwk, "kty"), "OKP") || !string_is(member(jwk, "crv"), "X25519") ||
	    !cJSON_IsString(x) || strlen(x->valuestring) != KBS_TOKEN_B64_KEY_SIZE - 1 ||
	    b64url_decode(x->valuestring, KBS_TOKEN_B64_KEY_SIZE - 1, ret, 32, &n) != 0 || n != 32)
		return KBS_ERR_TOKEN_CLAIMS;
	return 0;
}

static int
parse_claims(const cJSON *root, struct kbs_token_verified *v)
{
	const cJSON *snp = member(member(root, "submods"), "snp"), *ev, *extra, *arr, *it;
	size_t n = 0;
	int r;

	if (!cJSON_IsObject(root) || !string_is(member(root, "eat_profile"), KBS_TOKEN_EAR_PROFILE))
		return KBS_ERR_TOKEN_CLAIMS;
	if ((r = get_int(member(root, "iat"), 0, INT_EXACT_MAX, &v->iat)) != 0 ||
	    (r = get_int(member(root, "exp"), 0, INT_EXACT_MAX, &v->exp)) != 0)
		return r;
	if (v->exp <= v->iat)
		return KBS_ERR_TOKEN_CLAIMS;
	if ((r = get_name(member(root, "jti"), v->jti, KBS_TOKEN_JTI_MAX)) != 0)
		return r;
	/* We issue tokens only on release: anything but affirming is not ours. */
	if (!string_is(member(snp, "ear.status"), "affirming"))
		return KBS_ERR_TOKEN_CLAIMS;
	ev = member(snp, "kbs.evidence");
	extra = member(ev, "extra_root");
	if (!cJSON_IsBool(extra))
		return KBS_ERR_TOKEN_CLAIMS;
	v->extra_root = cJSON_IsTrue(extra);
	if ((r = parse_cnf(root, v->cnf_x25519)) != 0)
		return r;
	arr = member(root, "kbs.secrets");
	if (!cJSON_IsArray(arr))
		return KBS_ERR_TOKEN_CLAIMS;
	cJSON_ArrayForEach(it, arr)
	{
		if (n == KBS_TOKEN_MAX_SECRETS)
			return KBS_ERR_TOKEN_CLAIMS;
		if ((r = parse_secret(it, &v->secrets[n])) != 0)
			return r;
		n++;
	}
	if (n == 0)
		return KBS_ERR_TOKEN_CLAIMS;
	v->secret_count = n;
	return 0;
}

/*
 * split finds the two dots of a token made only of base64url characters
 * and dots: KBS_ERR_TOKEN_MALFORMED unless there are exactly two and no
 * part is empty.
 */
static int
split(const char *t, size_t len, size_t *ret_d1, size_t *ret_d2)
{
	size_t i, dots = 0, d[2] = { 0, 0 };

	for (i = 0; i < len; i++) {
		if (t[i] == '.') {
			if (dots == 2)
				return KBS_ERR_TOKEN_MALFORMED;
			d[dots++] = i;
		} else if (!is_b64url_char(t[i])) {
			return KBS_ERR_TOKEN_MALFORMED;
		}
	}
	if (dots != 2 || d[0] == 0 || d[1] == d[0] + 1 || d[1] == len - 1)
		return KBS_ERR_TOKEN_MALFORMED;
	*ret_d1 = d[0];
	*ret_d2 = d[1];
	return 0;
}

int
kbs_token_verify(const struct kbs_token_key *key, const char *token, size_t len, int64_t now,
    struct kbs_token_verified *ret)
{
	struct kbs_token_verified *v = NULL;
	uint8_t sig[crypto_sign_BYTES], *payload = NULL;
	size_t d1 = 0, d2 = 0, plen = 0, n = 0;
	cJSON *root = NULL;
	const char *end = NULL;
	int r = KBS_ERR_INTERNAL;

	if (key == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (token == NULL || len == 0 || len > KBS_TOKEN_MAX_LEN)
		return KBS_ERR_TOKEN_MALFORMED;
	if ((r = split(token, len, &d1, &d2)) != 0)
		return r;
	if (d1 != key->header_b64_len || memcmp(token, key->header_b64, d1) != 0)
		return KBS_ERR_TOKEN_HEADER;
	if (len - d2 - 1 != SIG_B64_LEN ||
	    (r = b64url_decode(token + d2 + 1, SIG_B64_LEN, sig, sizeof(sig), &n)) != 0 ||
	    n != sizeof(sig))
		return KBS_ERR_TOKEN_MALFORMED;
	/* +1: room for the NUL cJSON's parser is given as its end. */
	if ((payload = malloc(b64url_decoded_len(d2 - d1 - 1) + 1)) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = b64url_decode(token + d1 + 1, d2 - d1 - 1, payload,
		 b64url_decoded_len(d2 - d1 - 1), &plen)) != 0)
		goto out;
	if (crypto_sign_verify_detached(sig, (const uint8_t *)token, d2, key->pk) != 0) {
		r = KBS_ERR_TOKEN_SIGNATURE;
		goto out;
	}
	payload[plen] = '\0';
	root = cJSON_ParseWithLengthOpts((const char *)payload, plen, &end, 0);
	if (root == NULL || end != (const char *)payload + plen) {
		r = KBS_ERR_TOKEN_CLAIMS;
		goto out;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	if ((r = parse_claims(root, v)) != 0)
		goto out;
	if (now >= v->exp || v->iat - KBS_TOKEN_CLOCK_SKEW > now) {
		r = KBS_ERR_TOKEN_EXPIRED;
		goto out;
	}
	memcpy(ret, v, sizeof(*v));
	r = 0;
out:
	free(v);
	cJSON_Delete(root);
	free(payload);
	return r;
}

const struct kbs_token_secret *
kbs_token_find_secret(const struct kbs_token_verified *v, const char *name)
{
	size_t i;

	if (v == NULL || name == NULL)
		return NULL;
	for (i = 0; i < v->secret_count && i < KBS_TOKEN_MAX_SECRETS; i++) {
		if (strcmp(v->secrets[i].name, name) == 0)
			return &v->secrets[i];
	}
	return NULL;
}
