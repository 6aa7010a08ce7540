/*
 * kbsclient_parse.c: reading the broker's answers (docs/protocol.md).
 *
 * Everything here reads bytes that came from the network, possibly from
 * the host rather than the broker, and does no I/O, so the fuzz target
 * (tests/fuzz/fuzz_client_response.c) drives it directly. Rules:
 *   - one JSON object, nothing but whitespace after it; an object we read
 *     has at most MAX_MEMBERS members and repeats none of its names
 *     (a second "wrap_key" could mean something else to another parser);
 *   - unknown members are ignored (answers may grow, protocol.md), but a
 *     member we use has exactly its type and length: canonical base64 of
 *     the exact byte count, lower-case hex, integers in range, names in
 *     their character set;
 *   - on a 200 answer nothing is decrypted before the signature over the
 *     transcript (kbs_proto_signed_bytes) verifies against the pinned key;
 *   - error answers are not signed: what we keep of them (codes, rule ids,
 *     a sentence) is only printable ASCII of bounded length, for display,
 *     and never decides anything but the failure class.
 */
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kbsclient-int.h"

#define MAX_MEMBERS 64    /* per object we read; protocol objects have fewer than 12 */
#define REQUEST_ID_LEN 32 /* hex digits */
#define TOKEN_MAX 16384   /* bytes of a JWT */
#define POLICY_NAME_MAX 255

int
kbsc_is_name_char(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '.' || ch == '_' || ch == ':' || ch == '/' || ch == '@' || ch == '+' || ch == '-';
}

int
kbsc_is_hex_lower(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

int
kbsc_is_code_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
	    ch == '-';
}

int
kbsc_is_printable(int ch)
{
	return ch >= 0x20 && ch <= 0x7e;
}

int
kbsc_is_b64url_char(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '_' || ch == '-';
}

static int
is_jwt_char(int ch)
{
	return kbsc_is_b64url_char(ch) || ch == '.';
}

void
kbsc_trim_space(const uint8_t *data, size_t len, size_t *ret_start, size_t *ret_end)
{
	size_t start = 0, end = len;

	while (start < end &&
	    (data[start] == ' ' || data[start] == '\t' || data[start] == '\n' ||
		data[start] == '\r'))
		start++;
	while (end > start &&
	    (data[end - 1] == ' ' || data[end - 1] == '\t' || data[end - 1] == '\n' ||
		data[end - 1] == '\r'))
		end--;
	*ret_start = start;
	*ret_end = end;
}

/* all_chars: s[0..n) passes ok. */
static int
all_chars(const char *s, size_t n, int (*ok)(int ch))
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ok((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
kbs_client_name_valid(const char *name)
{
	size_t n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	return n >= 1 && n <= KBS_CLIENT_NAME_MAX && all_chars(name, n, kbsc_is_name_char);
}

/* members_ok: obj has at most MAX_MEMBERS members, none named twice. */
static int
members_ok(const cJSON *obj)
{
	const cJSON *a, *b;
	size_t n = 0;

	for (a = obj->child; a != NULL; a = a->next) {
		if (++n > MAX_MEMBERS || a->string == NULL)
			return 0;
		for (b = obj->child; b != a; b = b->next) {
			if (strcmp(a->string, b->string) == 0)
				return 0;
		}
	}
	return 1;
}

int
kbsc_json_parse(const uint8_t *body, size_t len, cJSON **ret)
{
	const char *end = NULL, *p;
	cJSON *root;

	if (body == NULL || len == 0)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	root = cJSON_ParseWithLengthOpts((const char *)body, len, &end, 0);
	if (root == NULL)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	for (p = end; p < (const char *)body + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			cJSON_Delete(root);
			return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
		}
	}
	if (!cJSON_IsObject(root) || !members_ok(root)) {
		cJSON_Delete(root);
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	}
	*ret = root;
	return 0;
}

const cJSON *
kbsc_member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* get_string: member key is a string; its length in *ret_len. */
static const char *
get_string(const cJSON *obj, const char *key, size_t *ret_len)
{
	const cJSON *it = kbsc_member(obj, key);

	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return NULL;
	*ret_len = strlen(it->valuestring);
	return it->valuestring;
}

int
kbsc_get_b64(const cJSON *obj, const char *key, uint8_t *out, size_t n)
{
	size_t slen = 0, got = 0;
	const char *s = get_string(obj, key, &slen);

	if (s == NULL || slen != (n + 2) / 3 * 4)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	if (kbs_b64_decode(s, slen, out, n, &got) != 0 || got != n)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	return 0;
}

/* get_b64_alloc decodes a base64 member of min..max bytes into a fresh buffer. */
static int
get_b64_alloc(
    const cJSON *obj, const char *key, size_t min, size_t max, uint8_t **ret, size_t *ret_len)
{
	size_t slen = 0, cap, got = 0;
	const char *s = get_string(obj, key, &slen);
	uint8_t *buf;

	if (s == NULL || slen % 4 != 0 || slen / 4 * 3 > max + 2)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	cap = slen / 4 * 3;
	if ((buf = malloc(cap > 0 ? cap : 1)) == NULL)
		return KBS_ERR_ALLOC;
	if (kbs_b64_decode(s, slen, buf, cap, &got) != 0 || got < min || got > max) {
		free(buf);
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	}
	*ret = buf;
	*ret_len = got;
	return 0;
}

int
kbsc_get_str(
    const cJSON *obj, const char *key, size_t min, size_t max, int (*ok)(int ch), char *out)
{
	size_t n = 0;
	const char *s = get_string(obj, key, &n);

	if (s == NULL || n < min || n > max || !all_chars(s, n, ok))
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int
kbsc_get_uint(const cJSON *obj, const char *key, uint64_t max, uint64_t *ret)
{
	const cJSON *it = kbsc_member(obj, key);
	double v;

	/* Doubles hold every integer up to 2^53 exactly; no field needs more. */
	if (!cJSON_IsNumber(it) || max > (1ULL << 53))
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	v = it->valuedouble;
	if (!(v >= 0) || v > (double)max || floor(v) != v)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	*ret = (uint64_t)v;
	return 0;
}

/* get_hex decodes a lower-case hex member of exactly n bytes. */
static int
get_hex(const cJSON *obj, const char *key, uint8_t *out, size_t n)
{
	char text[2 * 64 + 1];

	if (n > 64 || kbsc_get_str(obj, key, 2 * n, 2 * n, kbsc_is_hex_lower, text) != 0 ||
	    kbs_hex_decode_exact(text, 2 * n, out, n) != 0)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	return 0;
}

/* copy_printable keeps the printable ASCII of s, truncated to out_size - 1 bytes. */
static void
copy_printable(const char *s, char *out, size_t out_size)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < out_size; s++) {
		if (kbsc_is_printable((unsigned char)*s))
			out[o++] = *s;
	}
	out[o] = '\0';
}

/* ---- /v1/challenge --------------------------------------------------- */

int
kbsc_parse_challenge(const uint8_t *body, size_t len, uint8_t ret_nonce[KBS_PROTO_BINDING_SIZE],
    int64_t *ret_expires_at)
{
	cJSON *root = NULL;
	uint8_t nonce[KBS_PROTO_BINDING_SIZE];
	uint64_t exp = 0;
	int r;

	if ((r = kbsc_json_parse(body, len, &root)) != 0)
		return r;
	if ((r = kbsc_get_b64(root, "nonce", nonce, sizeof(nonce))) != 0 ||
	    (r = kbsc_get_uint(root, "expires_at", (uint64_t)INT64_MAX >> 10, &exp)) != 0)
		goto out;
	memcpy(ret_nonce, nonce, sizeof(nonce));
	*ret_expires_at = (int64_t)exp;
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

/* ---- 200 answers of /v1/attest and /v1/secrets ----------------------- */

/* One entry of "secrets" as read, before anything is decrypted. */
struct wire_secret {
	char name[KBS_CLIENT_NAME_MAX + 1];
	char policy[POLICY_NAME_MAX + 1];
	uint32_t version;
	uint8_t sha256[32];
	uint8_t aead_nonce[KBS_PROTO_AEAD_NONCE_SIZE];
	uint8_t *ct;
	size_t ct_len;
};

/* The members of a 200 answer that the checks use. */
struct wire_answer {
	char request_id[REQUEST_ID_LEN + 1];
	uint8_t echoed[KBS_PROTO_BINDING_SIZE]; /* "nonce" (attest) or "binding" (secrets) */
	uint8_t wrap_key[KBS_PROTO_X25519_SIZE];
	uint8_t sig[KBS_PROTO_SIG_SIZE];
	const char *token; /* borrowed from the tree; "" for /v1/secrets */
	size_t count;
	struct wire_secret s[KBS_CLIENT_MAX_SECRETS];
};

static void
wire_answer_clear(struct wire_answer *w)
{
	size_t i;

	for (i = 0; i < w->count; i++)
		free(w->s[i].ct);
	w->count = 0;
}

static int
parse_wire_secret(const cJSON *it, struct wire_secret *s)
{
	const cJSON *pol = kbsc_member(it, "policy");
	uint64_t version = 0;
	int r;

	if (!cJSON_IsObject(it) || !members_ok(it) || !cJSON_IsObject(pol) || !members_ok(pol))
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	if ((r = kbsc_get_str(it, "name", 1, KBS_CLIENT_NAME_MAX, kbsc_is_name_char, s->name)) !=
		0 ||
	    (r = kbsc_get_b64(it, "aead_nonce", s->aead_nonce, sizeof(s->aead_nonce))) != 0 ||
	    (r = kbsc_get_str(pol, "name", 1, POLICY_NAME_MAX, kbsc_is_name_char, s->policy)) !=
		0 ||
	    (r = kbsc_get_uint(pol, "version", UINT32_MAX, &version)) != 0 ||
	    (r = get_hex(pol, "sha256", s->sha256, sizeof(s->sha256))) != 0)
		return r;
	s->version = (uint32_t)version;
	return get_b64_alloc(
	    it, "ciphertext", KBS_PROTO_TAG_SIZE, KBS_CLIENT_MAX_BODY, &s->ct, &s->ct_len);
}

/* parse_wire reads the structure; no check against the exchange yet. */
static int
parse_wire(const cJSON *root, int kind_attest, struct wire_answer *w)
{
	const cJSON *arr = kbsc_member(root, "secrets"), *it, *ver = kbsc_member(root, "version");
	uint64_t version = 0;
	size_t tlen = 0;
	int r;

	if ((r = kbsc_get_str(root, "request_id", REQUEST_ID_LEN, REQUEST_ID_LEN, kbsc_is_hex_lower,
		 w->request_id)) != 0 ||
	    (r = kbsc_get_b64(root, "wrap_key", w->wrap_key, sizeof(w->wrap_key))) != 0 ||
	    (r = kbsc_get_b64(root, "signature", w->sig, sizeof(w->sig))) != 0 ||
	    (r = kbsc_get_b64(
		 root, kind_attest ? "nonce" : "binding", w->echoed, sizeof(w->echoed))) != 0)
		return r;
	/* /v1/attest must say its version; /v1/secrets answers may omit it. */
	if (kind_attest || ver != NULL) {
		if ((r = kbsc_get_uint(root, "version", UINT32_MAX, &version)) != 0)
			return r;
		if (version != KBS_PROTO_VERSION)
			return KBS_ERR_CLIENT_RESPONSE_VERSION;
	}
	w->token = "";
	if (kind_attest) {
		w->token = get_string(root, "token", &tlen);
		if (w->token == NULL || tlen == 0 || tlen > TOKEN_MAX ||
		    !all_chars(w->token, tlen, is_jwt_char))
			return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	}
	if (!cJSON_IsArray(arr))
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	cJSON_ArrayForEach(it, arr)
	{
		if (w->count == KBS_CLIENT_MAX_SECRETS)
			return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
		if ((r = parse_wire_secret(it, &w->s[w->count])) != 0) {
			free(w->s[w->count].ct);
			w->s[w->count].ct = NULL;
			return r;
		}
		w->count++;
	}
	return 0;
}

/* check_signature verifies the transcript of w as this exchange saw it. */
static int
check_signature(const struct wire_answer *w, const struct kbsc_expect *exp)
{
	struct kbs_proto_secret ps[KBS_CLIENT_MAX_SECRETS];
	struct kbs_proto_response resp;
	size_t i;

	memset(&resp, 0, sizeof(resp));
	memset(ps, 0, sizeof(ps));
	/* Our own binding and key, not the echoed ones: the broker must have seen ours. */
	memcpy(resp.binding, exp->binding, sizeof(resp.binding));
	memcpy(resp.guest_key, exp->guest_pk, sizeof(resp.guest_key));
	memcpy(resp.wrap_key, w->wrap_key, sizeof(resp.wrap_key));
	resp.request_id = w->request_id;
	resp.count = w->count;
	resp.secrets = ps;
	resp.token = w->token;
	for (i = 0; i < w->count; i++) {
		ps[i].name = w->s[i].name;
		ps[i].policy_name = w->s[i].policy;
		ps[i].policy_version = w->s[i].version;
		memcpy(ps[i].policy_sha256, w->s[i].sha256, sizeof(ps[i].policy_sha256));
		memcpy(ps[i].aead_nonce, w->s[i].aead_nonce, sizeof(ps[i].aead_nonce));
		ps[i].ciphertext = w->s[i].ct;
		ps[i].ciphertext_len = w->s[i].ct_len;
	}
	return kbs_proto_verify(&resp, exp->server_pk, w->sig);
}

/*
 * match_names maps each requested name to its entry in w (order[i]), or
 * fails: an entry not asked for, or asked for twice, is unexpected; a name
 * without an entry is missing.
 */
static int
match_names(const struct wire_answer *w, const struct kbsc_expect *exp, size_t *order)
{
	int seen[KBS_CLIENT_MAX_SECRETS];
	size_t i, j;

	memset(seen, 0, sizeof(seen));
	for (j = 0; j < w->count; j++) {
		for (i = 0; i < exp->count; i++) {
			if (strcmp(w->s[j].name, exp->names[i]) == 0)
				break;
		}
		if (i == exp->count || seen[i])
			return KBS_ERR_CLIENT_SECRET_UNEXPECTED;
		seen[i] = 1;
		order[i] = j;
	}
	for (i = 0; i < exp->count; i++) {
		if (!seen[i])
			return KBS_ERR_CLIENT_SECRET_MISSING;
	}
	return 0;
}

void
kbs_client_release_free(struct kbs_client_release *rel)
{
	size_t i;

	if (rel == NULL)
		return;
	for (i = 0; rel->secrets != NULL && i < rel->count; i++) {
		if (rel->secrets[i].value != NULL)
			sodium_free(rel->secrets[i].value);
	}
	free(rel->secrets);
	if (rel->token != NULL) {
		sodium_memzero(rel->token, strlen(rel->token));
		free(rel->token);
	}
	free(rel);
}

/* unwrap opens every entry in request order into a fresh release. */
static int
unwrap(const struct wire_answer *w, const struct kbsc_expect *exp, const size_t *order,
    struct kbs_client_release **ret)
{
	uint8_t key[KBS_PROTO_KEY_SIZE];
	struct kbs_client_release *rel = NULL;
	size_t i;
	int r = KBS_ERR_ALLOC;

	if ((rel = calloc(1, sizeof(*rel))) == NULL ||
	    (rel->secrets = calloc(exp->count, sizeof(*rel->secrets))) == NULL ||
	    (rel->token = strdup(w->token)) == NULL)
		goto out;
	rel->count = exp->count;
	memcpy(rel->request_id, w->request_id, sizeof(w->request_id));
	if ((r = kbs_wrap_key_guest(exp->guest_sk, exp->guest_pk, w->wrap_key, key)) != 0)
		goto out;
	for (i = 0; i < exp->count; i++) {
		const struct wire_secret *ws = &w->s[order[i]];
		struct kbs_client_secret *s = &rel->secrets[i];
		size_t cap = ws->ct_len - KBS_PROTO_TAG_SIZE;

		memcpy(s->name, ws->name, sizeof(s->name));
		memcpy(s->policy_name, ws->policy, sizeof(s->policy_name));
		s->policy_version = ws->version;
		memcpy(s->policy_sha256, ws->sha256, sizeof(s->policy_sha256));
		/* sodium_malloc: guard pages, mlock, and sodium_free wipes. */
		if ((s->value = sodium_malloc(cap > 0 ? cap : 1)) == NULL) {
			r = KBS_ERR_ALLOC;
			goto out;
		}
		if ((r = kbs_wrap_open(key, ws->aead_nonce, ws->name, strlen(ws->name),
			 exp->binding, ws->ct, ws->ct_len, s->value, cap, &s->len)) != 0)
			goto out;
	}
	*ret = rel;
	rel = NULL;
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	kbs_client_release_free(rel);
	return r;
}

int
kbsc_open_response(
    const uint8_t *body, size_t len, const struct kbsc_expect *exp, struct kbs_client_release **ret)
{
	struct wire_answer *w = NULL;
	size_t order[KBS_CLIENT_MAX_SECRETS];
	cJSON *root = NULL;
	int r;

	if (exp->count == 0 || exp->count > KBS_CLIENT_MAX_SECRETS)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = kbsc_json_parse(body, len, &root)) != 0)
		return r;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	if ((r = parse_wire(root, exp->kind_attest, w)) != 0)
		goto out;
	/* Public values, but compared in constant time anyway: it costs nothing. */
	if (sodium_memcmp(w->echoed, exp->binding, sizeof(w->echoed)) != 0) {
		r = KBS_ERR_CLIENT_RESPONSE_BINDING;
		goto out;
	}
	if (exp->server_pk != NULL && (r = check_signature(w, exp)) != 0)
		goto out;
	if ((r = match_names(w, exp, order)) != 0)
		goto out;
	r = unwrap(w, exp, order, ret);
out:
	if (w != NULL)
		wire_answer_clear(w);
	free(w);
	cJSON_Delete(root);
	return r;
}

/* ---- Error answers --------------------------------------------------- */

static int
parse_denied_entry(const cJSON *it, struct kbs_client_denied *d)
{
	const cJSON *rules = kbsc_member(it, "rules"), *rule;
	size_t n;

	if (!cJSON_IsObject(it) || !members_ok(it) || !cJSON_IsArray(rules))
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	if (kbsc_get_str(it, "secret", 1, KBS_CLIENT_NAME_MAX, kbsc_is_name_char, d->secret) != 0 ||
	    kbsc_get_str(it, "policy", 1, KBS_CLIENT_NAME_MAX, kbsc_is_name_char, d->policy) != 0)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	d->rule_count = 0;
	cJSON_ArrayForEach(rule, rules)
	{
		if (d->rule_count == KBS_CLIENT_MAX_RULES || !cJSON_IsString(rule))
			return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
		n = strlen(rule->valuestring);
		if (n == 0 || n > KBS_CLIENT_RULE_MAX ||
		    !all_chars(rule->valuestring, n, kbsc_is_code_char))
			return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
		memcpy(d->rules[d->rule_count++], rule->valuestring, n + 1);
	}
	return 0;
}

static int
parse_denied(const cJSON *root, struct kbs_client_failure *f)
{
	const cJSON *arr = kbsc_member(root, "denied"), *it;
	int r;

	f->denied_count = 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
	cJSON_ArrayForEach(it, arr)
	{
		if (f->denied_count == KBS_CLIENT_MAX_SECRETS)
			return KBS_ERR_CLIENT_RESPONSE_MALFORMED;
		if ((r = parse_denied_entry(it, &f->denied[f->denied_count])) != 0)
			return r;
		f->denied_count++;
	}
	return 0;
}

/* evidence_error: the broker's error names that say the evidence was refused. */
static int
evidence_error(const char *e)
{
	return strcmp(e, "evidence") == 0 || strcmp(e, "report_data_nonce") == 0 ||
	    strncmp(e, "report_", 7) == 0;
}

int
kbsc_parse_failure(long status, const uint8_t *body, size_t len, struct kbs_client_failure *f)
{
	cJSON *root = NULL;
	const cJSON *it;
	int r;

	f->http_status = status;
	f->error[0] = f->check[0] = f->detail[0] = f->message[0] = '\0';
	f->denied_count = 0;
	if (status < 400 || status > 599)
		return KBS_ERR_CLIENT_HTTP_STATUS;
	/* A proxy's HTML page is not an error object: keep only the status then. */
	if (kbsc_json_parse(body, len, &root) == 0) {
		/* Each reader leaves its output alone when the member is absent or malformed. */
		if (kbsc_get_str(
			root, "error", 1, sizeof(f->error) - 1, kbsc_is_code_char, f->error) != 0)
			f->error[0] = '\0';
		if (kbsc_get_str(
			root, "check", 1, sizeof(f->check) - 1, kbsc_is_code_char, f->check) != 0)
			f->check[0] = '\0';
		if (kbsc_get_str(root, "request_id", 1, sizeof(f->request_id) - 1,
			kbsc_is_hex_lower, f->request_id) != 0) {
			/* keep the X-Request-Id header's value */
		}
		if (cJSON_IsString(it = kbsc_member(root, "message")))
			copy_printable(it->valuestring, f->message, sizeof(f->message));
		if (cJSON_IsString(it = kbsc_member(root, "detail")))
			copy_printable(it->valuestring, f->detail, sizeof(f->detail));
	}
	if (kbsc_http_transient(status)) {
		r = KBS_ERR_CLIENT_UNREACHABLE;
	} else if (status == 403 && strcmp(f->error, "policy_denied") == 0) {
		r = parse_denied(root, f) == 0 ? KBS_ERR_CLIENT_DENIED
					       : KBS_ERR_CLIENT_RESPONSE_MALFORMED;
		if (r != KBS_ERR_CLIENT_DENIED)
			f->denied_count = 0;
	} else if (evidence_error(f->error)) {
		r = KBS_ERR_CLIENT_EVIDENCE_REJECTED;
	} else {
		r = KBS_ERR_CLIENT_REFUSED;
	}
	cJSON_Delete(root);
	return r;
}
