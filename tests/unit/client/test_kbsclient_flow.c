/*
 * Unit tests for client/kbsclient.c: the whole exchange against an
 * in-process broker (a transport function that answers like the daemon,
 * with common/kbs_proto). Asserted: REPORT_DATA = key || nonce and the
 * request body; one re-challenge on nonce_other_replica and no more;
 * retries with growing backoff on 503, 429 and transport errors, and none
 * on a denial, an evidence refusal or a bad signature; attester failures;
 * fetch by token; the forms of the server key.
 */
#include <sodium.h>
#include <unistd.h>

#include "kbsclient-int.h"
#include "mock_broker.h"
#include "test.h"

#define RID "0123456789abcdef0123456789abcdef"
#define TOKEN "eyJhbGciOiJFZERTQSJ9.e30.c2ln"

enum act {
	ACT_OK = 0,
	ACT_TRANSPORT, /* no answer: connection refused */
	ACT_503,
	ACT_429,
	ACT_OTHER_REPLICA,
	ACT_DENY,
	ACT_EVIDENCE,
	ACT_BADSIG,
	ACT_TOKEN_INVALID,
};

struct fake {
	struct mock_broker b, other;
	enum act challenge_acts[8], attest_acts[8], fetch_acts[8];
	unsigned challenges, attests, fetches, calls;
	uint8_t last_nonce[32];
	uint8_t g_pk[32]; /* from the last report */
	size_t last_certs;
	int last_has_table;
	unsigned sleeps[16];
	unsigned nsleeps;
	uint8_t values[3][16];
};

static const char *const names2[] = { "disk-key", "tls/key" };

static void
fake_init(struct fake *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	mock_broker_init(&f->b, 7);
	mock_broker_init(&f->other, 9);
	for (i = 0; i < 3; i++)
		memset(f->values[i], (int)('A' + i), sizeof(f->values[i]));
}

static int
reply(struct kbsc_http_response *ret, long status, char *body)
{
	memset(ret, 0, sizeof(*ret));
	ret->status = status;
	ret->body = (uint8_t *)body;
	ret->len = strlen(body);
	snprintf(ret->request_id, sizeof(ret->request_id), "%s", RID);
	return 0;
}

static int
reply_act(struct kbsc_http_response *ret, enum act a)
{
	cJSON *d, *e, *rules;

	switch (a) {
	case ACT_TRANSPORT:
		memset(ret, 0, sizeof(*ret));
		snprintf(ret->transport, sizeof(ret->transport), "Connection refused");
		return KBS_ERR_CLIENT_UNREACHABLE;
	case ACT_503:
		return reply(ret, 503, mock_error("unavailable", "nothing was released", NULL));
	case ACT_429:
		return reply(ret, 429, mock_error("rate_limited", "too many", NULL));
	case ACT_OTHER_REPLICA:
		return reply(ret, 401, mock_error("nonce_other_replica", "challenge again", NULL));
	case ACT_EVIDENCE:
		return reply(
		    ret, 401, mock_error("evidence", "the evidence failed verification", NULL));
	case ACT_TOKEN_INVALID:
		return reply(ret, 401, mock_error("token_invalid", "bad token", NULL));
	case ACT_DENY:
		d = cJSON_CreateArray();
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "secret", "disk-key");
		cJSON_AddStringToObject(e, "policy", "prod");
		rules = cJSON_AddArrayToObject(e, "rules");
		cJSON_AddItemToArray(rules, cJSON_CreateString("measurement"));
		cJSON_AddItemToArray(d, e);
		return reply(ret, 403, mock_error("policy_denied", "a policy refused", d));
	default:
		return -1;
	}
}

/* The broker's side of /v1/attest: reads the request as the daemon would. */
static int
do_attest(struct fake *f, const uint8_t *body, size_t len, struct kbsc_http_response *ret)
{
	struct mock_secret s[32];
	cJSON *req = cJSON_ParseWithLength((const char *)body, len), *names, *it, *certs;
	const char *report_b64;
	uint8_t report[KBS_CLIENT_REPORT_SIZE], nonce[32];
	size_t n = 0, rlen = 0, i = 0;
	enum act a = f->attest_acts[f->attests++];

	if (a != ACT_OK && a != ACT_BADSIG) {
		cJSON_Delete(req);
		return reply_act(ret, a);
	}
	report_b64 = cJSON_GetObjectItemCaseSensitive(req, "report")->valuestring;
	CHECK_OK(kbs_b64_decode(report_b64, strlen(report_b64), report, sizeof(report), &rlen));
	CHECK_UINT_EQ(rlen, KBS_CLIENT_REPORT_SIZE);
	CHECK_OK(kbs_b64_decode(
	    cJSON_GetObjectItemCaseSensitive(req, "nonce")->valuestring, 44, nonce, 32, &n));
	/* REPORT_DATA = guest key || the nonce this broker issued. */
	CHECK_MEM_EQ(nonce, f->last_nonce, 32);
	CHECK_MEM_EQ(report + 0x50 + 32, f->last_nonce, 32);
	memcpy(f->g_pk, report + 0x50, 32);
	certs = cJSON_GetObjectItemCaseSensitive(req, "certs");
	f->last_certs = cJSON_IsArray(certs) ? (size_t)cJSON_GetArraySize(certs) : 0;
	f->last_has_table = cJSON_GetObjectItemCaseSensitive(req, "cert_table") != NULL;
	names = cJSON_GetObjectItemCaseSensitive(req, "secrets");
	cJSON_ArrayForEach(it, names)
	{
		s[i] = (struct mock_secret){ it->valuestring, "prod", 3, { 0x90 }, f->values[i % 3],
			16 };
		i++;
	}
	it = mock_answer(
	    a == ACT_BADSIG ? &f->other : &f->b, f->last_nonce, f->g_pk, s, i, RID, TOKEN);
	cJSON_Delete(req);
	return reply(ret, 200, mock_print(it));
}

static int
fake_transport(void *ctx, const char *method, const char *path, const char *bearer,
    const uint8_t *body, size_t body_len, struct kbsc_http_response *ret)
{
	struct fake *f = ctx;
	struct mock_secret s;
	uint8_t binding[32];
	cJSON *o;
	char *b64;
	enum act a;

	f->calls++;
	if (strcmp(path, "/v1/challenge") == 0) {
		CHECK_STR_EQ(method, "POST");
		if ((a = f->challenge_acts[f->challenges++]) != ACT_OK)
			return reply_act(ret, a);
		randombytes_buf(f->last_nonce, 32);
		o = cJSON_CreateObject();
		b64 = mock_b64(f->last_nonce, 32);
		cJSON_AddStringToObject(o, "nonce", b64);
		cJSON_AddNumberToObject(o, "expires_at", 1760000120);
		free(b64);
		return reply(ret, 200, mock_print(o));
	}
	if (strcmp(path, "/v1/attest") == 0) {
		CHECK_STR_EQ(method, "POST");
		CHECK(bearer == NULL);
		return do_attest(f, body, body_len, ret);
	}
	if (strcmp(path, "/v1/secrets/tls%2Fkey") == 0) {
		CHECK_STR_EQ(method, "GET");
		CHECK_STR_EQ(bearer, TOKEN);
		if ((a = f->fetch_acts[f->fetches++]) != ACT_OK)
			return reply_act(ret, a);
		crypto_hash_sha256(binding, (const uint8_t *)bearer, strlen(bearer));
		s = (struct mock_secret){ "tls/key", "prod", 4, { 0x91 }, f->values[2], 16 };
		return reply(
		    ret, 200, mock_print(mock_answer(&f->b, binding, f->g_pk, &s, 1, RID, NULL)));
	}
	if (strcmp(path, "/v1/keys") == 0)
		return reply(ret, 200, mock_jwks(&f->b));
	return reply(ret, 404, mock_error("not_found", "no route", NULL));
}

static void
fake_sleep(void *ctx, unsigned ms)
{
	struct fake *f = ctx;

	if (f->nsleeps < 16)
		f->sleeps[f->nsleeps++] = ms;
}

/* ---- Evidence sources ------------------------------------------------ */

struct source {
	int calls;
	int fail;       /* return this code */
	int wrong_data; /* put other REPORT_DATA in the report */
	size_t certs;   /* how many certificates to return */
	int table;
};

static int
source_get(void *ctx, const uint8_t report_data[64], struct kbs_client_evidence *ret)
{
	struct source *s = ctx;
	size_t i;

	s->calls++;
	if (s->fail != 0)
		return s->fail;
	ret->report[0] = 3;
	memcpy(ret->report + 0x50, report_data, 64);
	if (s->wrong_data)
		ret->report[0x50] ^= 1;
	for (i = 0; i < s->certs && i < KBS_CLIENT_MAX_CERTS; i++) {
		ret->certs[i] = malloc(4);
		memcpy(ret->certs[i], "\x30\x02\x05\x00", 4);
		ret->cert_lens[i] = 4;
	}
	ret->cert_count = s->certs;
	if (s->table) {
		ret->cert_table = calloc(1, 24);
		ret->cert_table_len = 24;
	}
	return 0;
}

static struct kbs_client *
client_new(struct fake *f, int pinned)
{
	struct kbs_client *c = NULL;

	CHECK_OK(kbs_client_new("http://broker.invalid:8080/", &c));
	if (c == NULL)
		exit(2);
	kbsc_set_transport(c, fake_transport, f);
	kbsc_set_sleep(c, fake_sleep, f);
	if (pinned)
		CHECK_OK(kbs_client_set_server_key(c, f->b.id_x));
	return c;
}

static void
test_released_and_fetch(void)
{
	struct fake f;
	struct source src = { 0 };
	struct kbs_client_evidence_source es = { &src, source_get };
	struct kbs_client_release *rel = NULL, *one = NULL;
	struct kbs_client_guest_key *key = NULL;
	struct kbs_client *c;
	uint8_t pk[32];

	fake_init(&f);
	c = client_new(&f, 1);
	CHECK_INT_EQ(kbs_client_has_server_key(c), 1);
	CHECK_OK(kbs_client_attest(c, &es, names2, 2, &rel, &key));
	CHECK_UINT_EQ(f.challenges, 1);
	CHECK_UINT_EQ(f.attests, 1);
	CHECK_INT_EQ(src.calls, 1);
	CHECK_UINT_EQ(f.nsleeps, 0);
	CHECK_UINT_EQ(f.last_certs, 0);
	CHECK_INT_EQ(f.last_has_table, 0);
	CHECK(rel != NULL && key != NULL);
	if (rel == NULL || key == NULL)
		return;
	CHECK_UINT_EQ(rel->count, 2);
	CHECK_STR_EQ(rel->secrets[0].name, "disk-key");
	CHECK_MEM_EQ(rel->secrets[0].value, f.values[0], 16);
	CHECK_STR_EQ(rel->secrets[1].name, "tls/key");
	CHECK_MEM_EQ(rel->secrets[1].value, f.values[1], 16);
	CHECK_STR_EQ(rel->token, TOKEN);
	CHECK_UINT_EQ(kbs_client_last_failure(c)->attempts, 1);
	/* The kept key is the REPORT_DATA key: the token's cnf. */
	kbs_client_guest_key_public(key, pk);
	CHECK_MEM_EQ(pk, f.g_pk, 32);
	/* Fetch by token: the name is escaped into one path segment. */
	CHECK_OK(kbs_client_fetch(c, key, rel->token, "tls/key", &one));
	if (one != NULL) {
		CHECK_UINT_EQ(one->count, 1);
		CHECK_UINT_EQ(one->secrets[0].policy_version, 4);
		CHECK_MEM_EQ(one->secrets[0].value, f.values[2], 16);
		CHECK_STR_EQ(one->token, "");
	}
	kbs_client_release_free(one);
	one = NULL;
	/* A refused token is not retried. */
	f.fetch_acts[1] = ACT_TOKEN_INVALID;
	CHECK_ERR(kbs_client_fetch(c, key, rel->token, "tls/key", &one), KBS_ERR_CLIENT_REFUSED);
	CHECK_STR_EQ(kbs_client_last_failure(c)->error, "token_invalid");
	CHECK_UINT_EQ(f.fetches, 2);
	/* 503 on a fetch is. */
	f.fetch_acts[2] = ACT_503;
	CHECK_OK(kbs_client_fetch(c, key, rel->token, "tls/key", &one));
	CHECK_UINT_EQ(f.fetches, 4);
	CHECK_UINT_EQ(f.nsleeps, 1);
	kbs_client_release_free(one);
	/* Bad arguments are refused before anything is sent. */
	CHECK_ERR(kbs_client_fetch(c, key, "a b", "tls/key", &one), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_fetch(c, key, rel->token, "bad name", &one), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_fetch(c, NULL, rel->token, "tls/key", &one), KBS_ERR_INVALID_ARGUMENT);
	CHECK_UINT_EQ(f.fetches, 4);
	kbs_client_guest_key_free(key);
	kbs_client_release_free(rel);
	kbs_client_free(c);
}

static void
test_certificates_sent(void)
{
	struct fake f;
	struct source src = { 0, 0, 0, 2, 1 };
	struct kbs_client_evidence_source es = { &src, source_get };
	struct kbs_client_release *rel = NULL;
	struct kbs_client *c;

	fake_init(&f);
	c = client_new(&f, 1);
	CHECK_OK(kbs_client_attest(c, &es, names2, 1, &rel, NULL));
	CHECK_UINT_EQ(f.last_certs, 2);
	CHECK_INT_EQ(f.last_has_table, 1);
	kbs_client_release_free(rel);
	kbs_client_free(c);
}

static void
test_other_replica(void)
{
	struct fake f;
	struct source src = { 0 };
	struct kbs_client_evidence_source es = { &src, source_get };
	struct kbs_client_release *rel = NULL;
	struct kbs_client *c;

	fake_init(&f);
	c = client_new(&f, 1);
	/* Once: challenge again at once, on the same context, no backoff. */
	f.attest_acts[0] = ACT_OTHER_REPLICA;
	CHECK_OK(kbs_client_attest(c, &es, names2, 2, &rel, NULL));
	CHECK_UINT_EQ(f.challenges, 2);
	CHECK_UINT_EQ(f.attests, 2);
	CHECK_INT_EQ(src.calls, 2);
	CHECK_UINT_EQ(f.nsleeps, 0);
	kbs_client_release_free(rel);
	rel = NULL;
	/* Twice in a row: the second is the answer. */
	f.attests = f.challenges = 0;
	f.attest_acts[0] = f.attest_acts[1] = ACT_OTHER_REPLICA;
	CHECK_ERR(kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_REFUSED);
	CHECK_STR_EQ(kbs_client_last_failure(c)->error, "nonce_other_replica");
	CHECK_UINT_EQ(f.attests, 2);
	CHECK_UINT_EQ(kbs_client_last_failure(c)->attempts, 2);
	CHECK(rel == NULL);
	kbs_client_free(c);
}

static void
test_retries(void)
{
	struct fake f;
	struct source src = { 0 };
	struct kbs_client_evidence_source es = { &src, source_get };
	struct kbs_client_release *rel = NULL;
	struct kbs_client *c;

	fake_init(&f);
	c = client_new(&f, 1);
	CHECK_OK(kbs_client_set_retries(c, 3, 250));
	/* 503 twice, then a release: each retry restarts from a new challenge. */
	f.attest_acts[0] = ACT_503;
	f.attest_acts[1] = ACT_429;
	CHECK_OK(kbs_client_attest(c, &es, names2, 2, &rel, NULL));
	CHECK_UINT_EQ(f.challenges, 3);
	CHECK_UINT_EQ(f.nsleeps, 2);
	CHECK(f.sleeps[0] >= 250 && f.sleeps[0] <= 250 + 62);
	CHECK(f.sleeps[1] >= 500 && f.sleeps[1] <= 500 + 125);
	kbs_client_release_free(rel);
	rel = NULL;
	/* A broker that stays down: unreachable after 1 + 2 attempts. */
	fake_init(&f);
	kbsc_set_transport(c, fake_transport, &f);
	kbsc_set_sleep(c, fake_sleep, &f);
	CHECK_OK(kbs_client_set_retries(c, 2, 100));
	src.calls = 0;
	f.challenge_acts[0] = f.challenge_acts[1] = f.challenge_acts[2] = ACT_TRANSPORT;
	CHECK_ERR(kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_UNREACHABLE);
	CHECK_UINT_EQ(f.challenges, 3);
	CHECK_UINT_EQ(f.nsleeps, 2);
	CHECK_INT_EQ(src.calls, 0);
	CHECK_UINT_EQ(kbs_client_last_failure(c)->attempts, 3);
	CHECK_STR_EQ(kbs_client_last_failure(c)->transport, "Connection refused");
	CHECK_INT_EQ(kbs_client_last_failure(c)->http_status, 0);
	/* No retries at all. */
	fake_init(&f);
	kbsc_set_transport(c, fake_transport, &f);
	kbsc_set_sleep(c, fake_sleep, &f);
	CHECK_OK(kbs_client_set_retries(c, 0, 100));
	f.attest_acts[0] = ACT_503;
	CHECK_ERR(kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_UNREACHABLE);
	CHECK_INT_EQ(kbs_client_last_failure(c)->http_status, 503);
	CHECK_STR_EQ(kbs_client_last_failure(c)->error, "unavailable");
	CHECK_UINT_EQ(f.nsleeps, 0);
	CHECK_ERR(kbs_client_set_retries(c, 11, 100), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_set_retries(c, 1, 0), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_set_timeouts(c, 1, 25u * 3600 * 1000), KBS_ERR_INVALID_ARGUMENT);
	CHECK_UINT_EQ(kbsc_backoff_ms(250, 1), 250);
	CHECK_UINT_EQ(kbsc_backoff_ms(250, 2), 500);
	CHECK_UINT_EQ(kbsc_backoff_ms(250, 5), 4000);
	CHECK_UINT_EQ(kbsc_backoff_ms(250, 10), 30000);
	CHECK_UINT_EQ(kbsc_backoff_ms(60000, 1), 30000);
	kbs_client_free(c);
}

/* Denials, refused evidence and bad signatures are answers: never retried. */
static void
test_no_retry(void)
{
	static const struct {
		enum act act;
		int want;
	} cases[] = {
		{ ACT_DENY, KBS_ERR_CLIENT_DENIED },
		{ ACT_EVIDENCE, KBS_ERR_CLIENT_EVIDENCE_REJECTED },
		{ ACT_BADSIG, KBS_ERR_RESPONSE_SIGNATURE },
	};
	struct source src = { 0 };
	struct kbs_client_evidence_source es = { &src, source_get };
	struct kbs_client_release *rel = NULL;
	struct kbs_client *c;
	struct fake f;
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		fake_init(&f);
		c = client_new(&f, 1);
		f.attest_acts[0] = cases[i].act;
		CHECK_ERR(kbs_client_attest(c, &es, names2, 2, &rel, NULL), cases[i].want);
		CHECK_UINT_EQ(f.attests, 1);
		CHECK_UINT_EQ(f.nsleeps, 0);
		CHECK_UINT_EQ(kbs_client_last_failure(c)->attempts, 1);
		CHECK_INT_EQ(kbs_client_last_failure(c)->code, cases[i].want);
		CHECK(rel == NULL);
		if (cases[i].act == ACT_DENY) {
			CHECK_UINT_EQ(kbs_client_last_failure(c)->denied_count, 1);
			CHECK_STR_EQ(kbs_client_last_failure(c)->denied[0].rules[0], "measurement");
			CHECK_STR_EQ(kbs_client_last_failure(c)->request_id,
			    "feedfacefeedfacefeedfacefeedface");
		}
		kbs_client_free(c);
	}
	/* Without a pinned key, another broker's answer is taken: that is what --server-key stops.
	 */
	fake_init(&f);
	c = client_new(&f, 0);
	CHECK_INT_EQ(kbs_client_has_server_key(c), 0);
	f.attest_acts[0] = ACT_BADSIG;
	CHECK_OK(kbs_client_attest(c, &es, names2, 2, &rel, NULL));
	kbs_client_release_free(rel);
	kbs_client_free(c);
}

static void
test_attester_failures(void)
{
	struct fake f;
	struct source src = { 0 };
	struct kbs_client_evidence_source es = { &src, source_get };
	struct kbs_client_release *rel = NULL;
	struct kbs_client *c;

	fake_init(&f);
	c = client_new(&f, 1);
	src.fail = KBS_ERR_SYSTEM;
	CHECK_ERR(kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_ATTESTER);
	CHECK_STR_EQ(kbs_client_last_failure(c)->detail, "system");
	CHECK_UINT_EQ(f.attests, 0);
	src.fail = KBS_ERR_CLIENT_ATTESTER_UNAVAILABLE;
	CHECK_ERR(
	    kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_ATTESTER_UNAVAILABLE);
	src.fail = 0;
	src.wrong_data = 1;
	CHECK_ERR(kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_ATTESTER);
	src.wrong_data = 0;
	src.certs = KBS_CLIENT_MAX_CERTS + 1;
	CHECK_ERR(kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_ATTESTER);
	CHECK_UINT_EQ(f.attests, 0);
	/* No challenge answer, no report asked for. */
	src.certs = 0;
	src.calls = 0;
	f.challenge_acts[f.challenges] = ACT_EVIDENCE;
	CHECK_ERR(
	    kbs_client_attest(c, &es, names2, 2, &rel, NULL), KBS_ERR_CLIENT_EVIDENCE_REJECTED);
	CHECK_INT_EQ(src.calls, 0);
	kbs_client_free(c);
}

static void
test_bad_names(void)
{
	static const char *const dup[] = { "a", "a" };
	static const char *const bad[] = { "a", "b c" };
	const char *many[KBS_CLIENT_MAX_SECRETS + 1];
	struct fake f;
	struct source src = { 0 };
	struct kbs_client_evidence_source es = { &src, source_get }, none = { NULL, NULL };
	struct kbs_client_release *rel = NULL;
	struct kbs_client *c;
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(many); i++)
		many[i] = "x";
	fake_init(&f);
	c = client_new(&f, 1);
	CHECK_ERR(kbs_client_attest(c, &es, dup, 2, &rel, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_attest(c, &es, bad, 2, &rel, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_attest(c, &es, names2, 0, &rel, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_attest(c, &es, many, KBS_ARRAY_SIZE(many), &rel, NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_client_attest(c, &none, names2, 2, &rel, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_UINT_EQ(f.calls, 0);
	kbs_client_free(c);
}

static void
test_urls(void)
{
	static const char *const good[] = { "http://127.0.0.1:8080", "https://kbs.example/",
		"https://kbs.example/prefix", "unix:/run/kbs/admin.sock", "unix:rel.sock" };
	static const char *const bad[] = { "", "ftp://x", "http://", "http:///x",
		"https://user:pw@kbs", "http://a b", "http://kbs/?q=1", "http://kbs/#f",
		"unix:", "kbs.example:8080", "http://kbs\n" };
	struct kbs_client *c = NULL;
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(good); i++) {
		CHECK_OK(kbs_client_new(good[i], &c));
		kbs_client_free(c);
		c = NULL;
	}
	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++)
		CHECK_ERR(kbs_client_new(bad[i], &c), KBS_ERR_CLIENT_URL);
	CHECK(c == NULL);
}

/* write_file puts text in a fresh temporary file; returns its path (static). */
static const char *
write_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/kbs-test-key-XXXXXX");
	if ((fd = mkstemp(path)) < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		exit(2);
	close(fd);
	return path;
}

static int
key_from_file(struct kbs_client *c, const char *text)
{
	const char *path = write_file(text);
	int r = kbs_client_set_server_key(c, path);

	unlink(path);
	return r;
}

static void
test_server_key_forms(void)
{
	struct fake f;
	struct kbs_client *c;
	char buf[1024], *jwks;
	uint8_t zero[32];
	char *zx;

	fake_init(&f);
	c = client_new(&f, 0);
	CHECK_OK(kbs_client_set_server_key(c, f.b.id_x));
	snprintf(buf, sizeof(buf), "  %s\n", f.b.id_x);
	CHECK_OK(key_from_file(c, buf));
	snprintf(
	    buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}\n", f.b.id_x);
	CHECK_OK(key_from_file(c, buf));
	jwks = mock_jwks(&f.b);
	CHECK_OK(key_from_file(c, jwks));
	free(jwks);
	/* Two Ed25519 keys: which one is the broker? Refused. */
	snprintf(buf, sizeof(buf),
	    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}]}",
	    f.b.id_x, f.other.id_x);
	CHECK_ERR(key_from_file(c, buf), KBS_ERR_CLIENT_SERVER_KEY);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\"}", f.b.id_x);
	CHECK_ERR(key_from_file(c, buf), KBS_ERR_CLIENT_SERVER_KEY);
	CHECK_ERR(key_from_file(c, "not a key\n"), KBS_ERR_CLIENT_SERVER_KEY);
	CHECK_ERR(key_from_file(c, ""), KBS_ERR_CLIENT_SERVER_KEY);
	/* A small-order point would accept forged signatures: refused. */
	memset(zero, 0, sizeof(zero));
	zx = mock_b64url(zero, 32);
	CHECK_ERR(kbs_client_set_server_key(c, zx), KBS_ERR_CLIENT_SERVER_KEY);
	free(zx);
	/* 43 characters but not canonical base64url (pad bits set). */
	snprintf(buf, sizeof(buf), "%s", f.b.id_x);
	buf[42] = buf[42] == 'B' ? 'C' : 'B';
	CHECK(kbs_client_set_server_key(c, buf) != 0);
	/* Anything else is a path. */
	CHECK_ERR(kbs_client_set_server_key(c, "/nonexistent/key"), KBS_ERR_SYSTEM);
	CHECK_ERR(kbs_client_set_server_key(c, NULL), KBS_ERR_INVALID_ARGUMENT);
	kbs_client_free(c);
}

static void
test_get_keys(void)
{
	struct fake f;
	struct kbs_client *c;
	char *jwks = NULL;

	fake_init(&f);
	c = client_new(&f, 0);
	CHECK_OK(kbs_client_get_keys(c, &jwks));
	CHECK(jwks != NULL && strstr(jwks, f.b.id_x) != NULL);
	free(jwks);
	kbs_client_free(c);
}

TEST_MAIN(TEST(test_released_and_fetch), TEST(test_certificates_sent), TEST(test_other_replica),
    TEST(test_retries), TEST(test_no_retry), TEST(test_attester_failures), TEST(test_bad_names),
    TEST(test_urls), TEST(test_server_key_forms), TEST(test_get_keys))
