/*
 * kbsclient.c: the exchanges of protocol v1 (docs/protocol.md) as a
 * guest runs them: the context, challenge -> report -> attest, fetch by
 * token, the identity key's forms, retries.
 *
 * Retry rules: a transient failure (no connection, a timeout, 429, 5xx)
 * restarts the whole exchange with a new challenge, key pair and report,
 * since the old nonce may have been consumed; nothing else is retried. A
 * nonce of another replica is answered by one immediate new challenge (the
 * load balancer moved us). The guest's private key lives in sodium_malloc
 * memory and is wiped when the exchange ends, unless the caller keeps it
 * for kbs_client_fetch.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbsclient-int.h"

#define DEFAULT_CONNECT_MS 5000u
#define DEFAULT_TOTAL_MS 30000u
#define DEFAULT_RETRIES 3u
#define DEFAULT_BACKOFF_MS 250u
#define MAX_RETRIES 10u
#define MAX_BACKOFF_MS 30000u
#define MAX_TIMEOUT_MS (24u * 3600u * 1000u)
#define SERVER_KEY_FILE_MAX 65536
#define REPORT_DATA_OFFSET 0x50 /* in the SNP report (SEV-SNP ABI, Table 23) */

struct kbs_client_guest_key {
	uint8_t pk[KBS_PROTO_X25519_SIZE];
	uint8_t sk[KBS_PROTO_X25519_SIZE];
};

struct kbs_client {
	struct kbsc_http *http;
	kbsc_transport_fn transport;
	void *transport_ctx;
	void (*sleep_fn)(void *ctx, unsigned ms);
	void *sleep_ctx;
	unsigned retries, backoff_ms;
	int has_server_key;
	uint8_t server_pk[KBS_PROTO_ED25519_PK_SIZE];
	struct kbs_client_failure failure;
};

static int
http_transport(void *ctx, const char *method, const char *path, const char *bearer,
    const uint8_t *body, size_t body_len, struct kbsc_http_response *ret)
{
	return kbsc_http_request(ctx, method, path, bearer, body, body_len, ret);
}

static void
real_sleep(void *ctx, unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	(void)ctx;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
kbs_client_evidence_clear(struct kbs_client_evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < KBS_CLIENT_MAX_CERTS; i++)
		free(ev->certs[i]);
	free(ev->cert_table);
	memset(ev, 0, sizeof(*ev));
}

int
kbs_client_new(const char *url, struct kbs_client **ret)
{
	struct kbsc_http_options o = { url, DEFAULT_CONNECT_MS, DEFAULT_TOTAL_MS, NULL,
		KBS_CLIENT_MAX_BODY };
	struct kbs_client *c;
	int r;

	if ((r = kbs_crypto_init()) != 0)
		return r;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = kbsc_http_new(&o, &c->http)) != 0) {
		free(c);
		return r;
	}
	c->transport = http_transport;
	c->transport_ctx = c->http;
	c->sleep_fn = real_sleep;
	c->retries = DEFAULT_RETRIES;
	c->backoff_ms = DEFAULT_BACKOFF_MS;
	*ret = c;
	return 0;
}

void
kbs_client_free(struct kbs_client *c)
{
	if (c == NULL)
		return;
	kbsc_http_free(c->http);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

int
kbs_client_set_timeouts(struct kbs_client *c, unsigned connect_ms, unsigned total_ms)
{
	struct kbsc_http *h = c->http;
	int r;

	if (connect_ms > MAX_TIMEOUT_MS || total_ms > MAX_TIMEOUT_MS)
		return KBS_ERR_INVALID_ARGUMENT;
	r = kbsc_http_set_timeouts(h, connect_ms, total_ms);
	return r;
}

int
kbs_client_set_retries(struct kbs_client *c, unsigned retries, unsigned backoff_ms)
{
	if (retries > MAX_RETRIES || backoff_ms == 0 || backoff_ms > 60000)
		return KBS_ERR_INVALID_ARGUMENT;
	c->retries = retries;
	c->backoff_ms = backoff_ms;
	return 0;
}

int
kbs_client_set_ca_file(struct kbs_client *c, const char *path)
{
	return kbsc_http_set_ca_file(c->http, path);
}

int
kbs_client_set_server_key_raw(struct kbs_client *c, const uint8_t pk[32])
{
	/* A small-order or off-curve point would make every signature check meaningless. */
	if (!crypto_core_ed25519_is_valid_point(pk))
		return KBS_ERR_CLIENT_SERVER_KEY;
	memcpy(c->server_pk, pk, sizeof(c->server_pk));
	c->has_server_key = 1;
	return 0;
}

/* is_b64url_key: exactly the 43 characters of a base64url 32-byte value. */
static int
is_b64url_key(const char *s, size_t n)
{
	size_t i;

	if (n != 43)
		return 0;
	for (i = 0; i < n; i++) {
		if (!kbsc_is_b64url_char((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* key_from_json reads a JWK, or a JWK set holding exactly one Ed25519 key. */
static int
key_from_json(const char *text, size_t len, uint8_t ret_pk[32])
{
	const cJSON *keys, *k, *only = NULL;
	cJSON *root = NULL;
	size_t ed = 0;
	int r = KBS_ERR_CLIENT_SERVER_KEY;

	if (kbsc_json_parse((const uint8_t *)text, len, &root) != 0)
		return r;
	if ((keys = kbsc_member(root, "keys")) == NULL) {
		only = root;
	} else if (cJSON_IsArray(keys)) {
		cJSON_ArrayForEach(k, keys)
		{
			const cJSON *crv = kbsc_member(k, "crv");

			if (cJSON_IsString(crv) && strcmp(crv->valuestring, "Ed25519") == 0) {
				only = k;
				ed++;
			}
		}
		if (ed != 1)
			only = NULL;
	}
	if (only != NULL && kbsc_jwk_ed25519(only, ret_pk) == 0)
		r = 0;
	cJSON_Delete(root);
	return r;
}

int
kbs_client_set_server_key(struct kbs_client *c, const char *key_or_path)
{
	uint8_t pk[32], *data = NULL;
	size_t len = 0, start = 0, end = 0;
	int r;

	if (key_or_path == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (is_b64url_key(key_or_path, strlen(key_or_path))) {
		if (kbsc_b64url_decode(key_or_path, 43, pk, sizeof(pk)) != 0)
			return KBS_ERR_CLIENT_SERVER_KEY;
		return kbs_client_set_server_key_raw(c, pk);
	}
	if ((r = kbs_file_read(key_or_path, SERVER_KEY_FILE_MAX, &data, &len)) != 0)
		return r;
	kbsc_trim_space(data, len, &start, &end);
	r = KBS_ERR_CLIENT_SERVER_KEY;
	if (end > start && data[start] == '{')
		r = key_from_json((const char *)data + start, end - start, pk);
	else if (is_b64url_key((const char *)data + start, end - start))
		r = kbsc_b64url_decode((const char *)data + start, 43, pk, sizeof(pk)) == 0
		    ? 0
		    : KBS_ERR_CLIENT_SERVER_KEY;
	free(data);
	if (r != 0)
		return r;
	return kbs_client_set_server_key_raw(c, pk);
}

int
kbs_client_has_server_key(const struct kbs_client *c)
{
	return c->has_server_key;
}

const struct kbs_client_failure *
kbs_client_last_failure(const struct kbs_client *c)
{
	return &c->failure;
}

void
kbsc_set_transport(struct kbs_client *c, kbsc_transport_fn fn, void *ctx)
{
	c->transport = fn;
	c->transport_ctx = ctx;
}

void
kbsc_set_sleep(struct kbs_client *c, void (*fn)(void *ctx, unsigned ms), void *ctx)
{
	c->sleep_fn = fn;
	c->sleep_ctx = ctx;
}

unsigned
kbsc_backoff_ms(unsigned base_ms, unsigned attempt)
{
	unsigned ms = base_ms;

	while (attempt-- > 1 && ms < MAX_BACKOFF_MS)
		ms *= 2;
	return ms < MAX_BACKOFF_MS ? ms : MAX_BACKOFF_MS;
}

/* backoff sleeps before retry number attempt, with up to 25% jitter so guests spread out. */
static void
backoff(struct kbs_client *c, unsigned attempt)
{
	unsigned ms = kbsc_backoff_ms(c->backoff_ms, attempt);

	c->sleep_fn(c->sleep_ctx, ms + randombytes_uniform(ms / 4 + 1));
}

void
kbs_client_guest_key_public(const struct kbs_client_guest_key *key, uint8_t ret_pk[32])
{
	memcpy(ret_pk, key->pk, sizeof(key->pk));
}

void
kbs_client_guest_key_free(struct kbs_client_guest_key *key)
{
	if (key != NULL)
		sodium_free(key); /* wipes */
}

static int
guest_key_new(struct kbs_client_guest_key **ret)
{
	struct kbs_client_guest_key *k = sodium_malloc(sizeof(*k));

	if (k == NULL)
		return KBS_ERR_ALLOC;
	randombytes_buf(k->sk, sizeof(k->sk));
	if (crypto_scalarmult_base(k->pk, k->sk) != 0) {
		sodium_free(k);
		return KBS_ERR_INTERNAL;
	}
	*ret = k;
	return 0;
}

/*
 * call runs one request and sorts the answer: 0 with *ret for a 200,
 * otherwise the failure class, with c->failure filled.
 */
static int
call(struct kbs_client *c, const char *method, const char *path, const char *bearer,
    const uint8_t *body, size_t body_len, struct kbsc_http_response *ret)
{
	struct kbsc_http_response resp;
	int r;

	memset(&resp, 0, sizeof(resp));
	r = c->transport(c->transport_ctx, method, path, bearer, body, body_len, &resp);
	snprintf(c->failure.transport, sizeof(c->failure.transport), "%s", resp.transport);
	snprintf(c->failure.request_id, sizeof(c->failure.request_id), "%s", resp.request_id);
	if (r != 0) {
		c->failure.http_status = 0;
		kbsc_http_response_clear(&resp);
		return r;
	}
	if (resp.status == 200) {
		*ret = resp;
		return 0;
	}
	r = kbsc_parse_failure(resp.status, resp.body, resp.len, &c->failure);
	kbsc_http_response_clear(&resp);
	return r;
}

/* names_valid: 1..32 valid names, none repeated. */
static int
names_valid(const char *const *names, size_t count)
{
	size_t i, j;

	if (names == NULL || count == 0 || count > KBS_CLIENT_MAX_SECRETS)
		return 0;
	for (i = 0; i < count; i++) {
		if (!kbs_client_name_valid(names[i]))
			return 0;
		for (j = 0; j < i; j++) {
			if (strcmp(names[i], names[j]) == 0)
				return 0;
		}
	}
	return 1;
}

/* evidence_valid: the source kept its side of the contract. */
static int
evidence_valid(const struct kbs_client_evidence *ev, const uint8_t report_data[64])
{
	size_t i;

	if (ev->cert_count > KBS_CLIENT_MAX_CERTS ||
	    ev->cert_table_len > KBS_CLIENT_MAX_CERT_TABLE ||
	    (ev->cert_table == NULL) != (ev->cert_table_len == 0))
		return 0;
	for (i = 0; i < ev->cert_count; i++) {
		if (ev->certs[i] == NULL || ev->cert_lens[i] == 0 ||
		    ev->cert_lens[i] > KBS_CLIENT_MAX_CERT_SIZE)
			return 0;
	}
	/* A report for other REPORT_DATA would only be refused later, as someone else's. */
	return memcmp(ev->report + REPORT_DATA_OFFSET, report_data, KBS_CLIENT_REPORT_DATA_SIZE) ==
	    0;
}

/* add_b64 adds member key = base64(data) to obj; 0 or KBS_ERR_ALLOC. */
static int
add_b64(cJSON *obj, const char *key, const uint8_t *data, size_t len)
{
	size_t n = kbs_b64_encoded_len(len);
	char *text = malloc(n);
	int r = KBS_ERR_ALLOC;

	if (text == NULL)
		return r;
	if (kbs_b64_encode(data, len, text, n) == 0 &&
	    cJSON_AddItemToObject(obj, key, cJSON_CreateString(text)))
		r = 0;
	free(text);
	return r;
}

/* attest_body builds the JSON of POST /v1/attest (nothing secret in it). */
static int
attest_body(const uint8_t nonce[32], const struct kbs_client_evidence *ev, const char *const *names,
    size_t count, char **ret)
{
	cJSON *root = cJSON_CreateObject(), *certs = NULL, *arr = NULL, *s;
	char *text = NULL;
	size_t i;
	int r = KBS_ERR_ALLOC;

	if (root == NULL || add_b64(root, "nonce", nonce, 32) != 0 ||
	    add_b64(root, "report", ev->report, sizeof(ev->report)) != 0)
		goto out;
	if (ev->cert_count > 0) {
		if ((certs = cJSON_AddArrayToObject(root, "certs")) == NULL)
			goto out;
		for (i = 0; i < ev->cert_count; i++) {
			size_t n = kbs_b64_encoded_len(ev->cert_lens[i]);
			char *t = malloc(n);

			if (t == NULL ||
			    kbs_b64_encode(ev->certs[i], ev->cert_lens[i], t, n) != 0 ||
			    (s = cJSON_CreateString(t)) == NULL ||
			    !cJSON_AddItemToArray(certs, s)) {
				free(t);
				goto out;
			}
			free(t);
		}
	}
	if (ev->cert_table != NULL &&
	    add_b64(root, "cert_table", ev->cert_table, ev->cert_table_len) != 0)
		goto out;
	if ((arr = cJSON_AddArrayToObject(root, "secrets")) == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		if ((s = cJSON_CreateString(names[i])) == NULL || !cJSON_AddItemToArray(arr, s))
			goto out;
	}
	if ((text = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	*ret = text;
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

/* challenge asks for a nonce. */
static int
challenge(struct kbs_client *c, uint8_t ret_nonce[32])
{
	static const uint8_t empty[] = "{}";
	struct kbsc_http_response resp;
	int64_t expires = 0;
	int r;

	if ((r = call(c, "POST", "/v1/challenge", NULL, empty, 2, &resp)) != 0)
		return r;
	r = kbsc_parse_challenge(resp.body, resp.len, ret_nonce, &expires);
	kbsc_http_response_clear(&resp);
	return r;
}

/* get_evidence asks the source for a report over report_data and checks what it gave. */
static int
get_evidence(struct kbs_client *c, const struct kbs_client_evidence_source *src,
    const uint8_t report_data[64], struct kbs_client_evidence *ev)
{
	int r;

	memset(ev, 0, sizeof(*ev));
	r = src->get(src->ctx, report_data, ev);
	if (r == 0 && !evidence_valid(ev, report_data))
		r = KBS_ERR_CLIENT_ATTESTER;
	if (r != 0 && r != KBS_ERR_CLIENT_ATTESTER && r != KBS_ERR_CLIENT_ATTESTER_UNAVAILABLE &&
	    r != KBS_ERR_ALLOC) {
		/* Keep the source's own reason for the log, report the class. */
		snprintf(c->failure.detail, sizeof(c->failure.detail), "%s", kbs_err_name(r));
		r = KBS_ERR_CLIENT_ATTESTER;
	}
	return r;
}

/* exchange runs challenge -> report -> attest -> checks once. */
static int
exchange(struct kbs_client *c, const struct kbs_client_evidence_source *src,
    const char *const *names, size_t count, struct kbs_client_release **ret,
    struct kbs_client_guest_key **ret_key)
{
	struct kbs_client_guest_key *key = NULL;
	struct kbsc_http_response resp;
	struct kbs_client_evidence ev;
	struct kbsc_expect exp;
	uint8_t nonce[32], report_data[64];
	char *body = NULL;
	int r;

	memset(&ev, 0, sizeof(ev));
	memset(&resp, 0, sizeof(resp));
	if ((r = challenge(c, nonce)) != 0 || (r = guest_key_new(&key)) != 0)
		goto out;
	memcpy(report_data, key->pk, 32);
	memcpy(report_data + 32, nonce, 32);
	if ((r = get_evidence(c, src, report_data, &ev)) != 0 ||
	    (r = attest_body(nonce, &ev, names, count, &body)) != 0)
		goto out;
	if ((r = call(c, "POST", "/v1/attest", NULL, (const uint8_t *)body, strlen(body), &resp)) !=
	    0)
		goto out;
	memset(&exp, 0, sizeof(exp));
	exp.kind_attest = 1;
	memcpy(exp.binding, nonce, sizeof(exp.binding));
	exp.guest_pk = key->pk;
	exp.guest_sk = key->sk;
	exp.server_pk = c->has_server_key ? c->server_pk : NULL;
	exp.names = names;
	exp.count = count;
	if ((r = kbsc_open_response(resp.body, resp.len, &exp, ret)) != 0)
		goto out;
	if (ret_key != NULL) {
		*ret_key = key;
		key = NULL;
	}
	r = 0;
out:
	kbsc_http_response_clear(&resp);
	kbs_client_evidence_clear(&ev);
	free(body);
	kbs_client_guest_key_free(key);
	return r;
}

static void
failure_reset(struct kbs_client *c)
{
	memset(&c->failure, 0, sizeof(c->failure));
}

/* failure_next_attempt forgets what the previous attempt said, keeping the count. */
static void
failure_next_attempt(struct kbs_client *c)
{
	unsigned attempts = c->failure.attempts;

	failure_reset(c);
	c->failure.attempts = attempts + 1;
}

int
kbs_client_attest(struct kbs_client *c, const struct kbs_client_evidence_source *src,
    const char *const *names, size_t count, struct kbs_client_release **ret,
    struct kbs_client_guest_key **ret_key)
{
	unsigned retry = 0;
	int r, rechallenged = 0;

	failure_reset(c);
	if (src == NULL || src->get == NULL || !names_valid(names, count)) {
		c->failure.code = KBS_ERR_INVALID_ARGUMENT;
		return KBS_ERR_INVALID_ARGUMENT;
	}
	for (;;) {
		failure_next_attempt(c);
		r = exchange(c, src, names, count, ret, ret_key);
		if (r == KBS_ERR_CLIENT_REFUSED && !rechallenged &&
		    strcmp(c->failure.error, "nonce_other_replica") == 0) {
			rechallenged = 1;
			continue;
		}
		if (r != KBS_ERR_CLIENT_UNREACHABLE || retry >= c->retries)
			break;
		backoff(c, ++retry);
	}
	c->failure.code = r;
	return r;
}

static int
fetch_once(struct kbs_client *c, const struct kbs_client_guest_key *key, const char *token,
    const char *name, struct kbs_client_release **ret)
{
	struct kbsc_http_response resp;
	struct kbsc_expect exp;
	char path[16 + 3 * KBS_CLIENT_NAME_MAX + 1];
	const char *names[1] = { name };
	int r;

	memset(&resp, 0, sizeof(resp));
	if ((r = kbsc_http_path("/v1/secrets/", name, NULL, path, sizeof(path))) != 0 ||
	    (r = call(c, "GET", path, token, NULL, 0, &resp)) != 0)
		return r;
	memset(&exp, 0, sizeof(exp));
	crypto_hash_sha256(exp.binding, (const uint8_t *)token, strlen(token));
	exp.guest_pk = key->pk;
	exp.guest_sk = key->sk;
	exp.server_pk = c->has_server_key ? c->server_pk : NULL;
	exp.names = names;
	exp.count = 1;
	r = kbsc_open_response(resp.body, resp.len, &exp, ret);
	kbsc_http_response_clear(&resp);
	return r;
}

int
kbs_client_fetch(struct kbs_client *c, const struct kbs_client_guest_key *key, const char *token,
    const char *name, struct kbs_client_release **ret)
{
	unsigned retry = 0;
	size_t i, n;
	int r;

	failure_reset(c);
	r = KBS_ERR_INVALID_ARGUMENT;
	if (key == NULL || token == NULL || !kbs_client_name_valid(name) ||
	    (n = strlen(token)) == 0 || n > 16384)
		goto out;
	for (i = 0; i < n; i++) {
		if (!kbsc_is_b64url_char((unsigned char)token[i]) && token[i] != '.')
			goto out;
	}
	for (;;) {
		failure_next_attempt(c);
		r = fetch_once(c, key, token, name, ret);
		if (r != KBS_ERR_CLIENT_UNREACHABLE || retry >= c->retries)
			break;
		backoff(c, ++retry);
	}
out:
	c->failure.code = r;
	return r;
}

int
kbs_client_get_keys(struct kbs_client *c, char **ret_jwks)
{
	struct kbsc_http_response resp;
	unsigned retry = 0;
	char *copy = NULL;
	int r;

	failure_reset(c);
	memset(&resp, 0, sizeof(resp));
	for (;;) {
		failure_next_attempt(c);
		r = call(c, "GET", "/v1/keys", NULL, NULL, 0, &resp);
		if (r != KBS_ERR_CLIENT_UNREACHABLE || retry >= c->retries)
			break;
		backoff(c, ++retry);
	}
	if (r != 0)
		goto out;
	if ((r = kbsc_jwks_find((const char *)resp.body, resp.len, NULL, NULL)) != 0)
		goto out;
	if ((copy = strdup((const char *)resp.body)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	*ret_jwks = copy;
	r = 0;
out:
	kbsc_http_response_clear(&resp);
	c->failure.code = r;
	return r;
}

enum kbs_client_class
kbs_client_exit_class(int code)
{
	switch (code) {
	case 0:
		return KBS_CLIENT_RELEASED;
	case KBS_ERR_CLIENT_DENIED:
		return KBS_CLIENT_CLASS_DENIED;
	case KBS_ERR_CLIENT_UNREACHABLE:
		return KBS_CLIENT_CLASS_UNREACHABLE;
	case KBS_ERR_CLIENT_EVIDENCE_REJECTED:
	case KBS_ERR_CLIENT_ATTESTER:
	case KBS_ERR_CLIENT_ATTESTER_UNAVAILABLE:
		return KBS_CLIENT_CLASS_EVIDENCE;
	case KBS_ERR_RESPONSE_SIGNATURE:
	case KBS_ERR_CLIENT_TLS:
	case KBS_ERR_CLIENT_RESPONSE_MALFORMED:
	case KBS_ERR_CLIENT_RESPONSE_VERSION:
	case KBS_ERR_CLIENT_RESPONSE_BINDING:
	case KBS_ERR_CLIENT_SECRET_MISSING:
	case KBS_ERR_CLIENT_SECRET_UNEXPECTED:
	case KBS_ERR_CLIENT_HTTP_STATUS:
	case KBS_ERR_WRAP_WEAK_KEY:
	case KBS_ERR_WRAP_OPEN:
	case KBS_ERR_TOO_LARGE:
	case KBS_ERR_CLIENT_TOKEN_MALFORMED:
	case KBS_ERR_CLIENT_TOKEN_KID:
	case KBS_ERR_CLIENT_TOKEN_SIGNATURE:
	case KBS_ERR_CLIENT_TOKEN_EXPIRED:
	case KBS_ERR_CLIENT_TOKEN_CLAIMS:
	case KBS_ERR_CLIENT_JWKS:
		return KBS_CLIENT_CLASS_UNAUTHENTICATED;
	case KBS_ERR_CLIENT_REFUSED:
		return KBS_CLIENT_CLASS_REFUSED;
	default:
		return KBS_CLIENT_CLASS_USAGE;
	}
}
