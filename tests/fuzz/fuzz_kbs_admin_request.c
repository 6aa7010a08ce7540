/*
 * fuzz_kbs_admin_request.c: the admin API's request bodies and queries,
 * through the real handlers on a real broker (kbs_broker_open on a
 * scratch data directory, no listeners), authorized with the bootstrap
 * admin token, as an admin client's bytes reach them after the HTTP layer.
 *
 * Input: one selector byte, then the request:
 *   'p'  POST /v1/admin/policies, the rest is the body
 *   's'  PUT /v1/admin/secrets/NAME: NAME up to the first '\n', then the body
 *   't'  POST /v1/admin/tokens, the rest is the body
 *   'a'  GET /v1/admin/audit?QUERY, the rest is the query
 *   'v'  GET /v1/admin/audit/verify?QUERY
 *   'P'  GET /v1/admin/policies/NAME?QUERY: NAME up to the first '\n', then the query
 *   'S'  GET /v1/admin/secrets/NAME, 'D' DELETE /v1/admin/secrets/NAME
 *   'R'  DELETE /v1/admin/tokens/ID (except "bootstrap", the harness's own)
 * POST /v1/admin/backup is left out on purpose: its body is one string
 * member read by the same kbs_request_parse as the token body, and a
 * fuzzed "dest" would write copies of the store anywhere the fuzzer can.
 *
 * The broker is opened once per process under $TMPDIR (/dev/shm when it
 * exists: commits fsync) and removed at exit; the store keeps what the
 * fuzzer puts, as a long-running broker does.
 *
 * Invariants (abort on violation): every answer has a status in 200..599
 * and a JSON object body; an error answer names its code in "error"; a
 * 2xx secret put is readable back with the named policy; a 2xx policy put
 * is a body that policy_parse accepts; a 2xx token creation answers a
 * token that authorizes.
 */
#define _GNU_SOURCE /* nftw */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "config.h"
#include "keystore.h"
#include "policy.h"
#include "routes.h"
#include "test_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POLICY_NAME "fz"
#define NOW 1800000000

static struct kbs_broker *broker;
static char root_dir[128], bearer[160];

static const char seed_policy[] = "{\"kbs_policy\":1,\"name\":\"" POLICY_NAME "\","
				  "\"rules\":{\"product\":[\"milan\"]}}";

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_kbs_admin_request: %s\n", what);
	abort();
}

static void
cleanup(void)
{
	kbs_broker_close(broker);
	broker = NULL;
	if (root_dir[0] != '\0')
		test_rm_rf(root_dir);
}

static void
call(kbs_handler_fn *fn, enum kbs_method m, const char *path, const char *param, const char *query,
    const uint8_t *body, size_t len, const char *auth, struct kbs_resp *resp)
{
	struct kbs_req req;

	memset(&req, 0, sizeof(req));
	memset(resp, 0, sizeof(*resp));
	req.listener = KBS_LISTENER_ADMIN;
	req.method = m;
	req.path = path;
	req.param = param;
	req.query = query;
	req.body = body;
	req.body_len = len;
	req.bearer = auth;
	req.now = NOW;
	snprintf(req.client_addr, sizeof(req.client_addr), "127.0.0.1");
	snprintf(req.request_id, sizeof(req.request_id), "%032x", 0);
	fn(broker, &req, resp);
}

static void
resp_free(struct kbs_resp *resp)
{
	if (resp->body != NULL)
		sodium_memzero(resp->body, resp->len);
	free(resp->body);
	resp->body = NULL;
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct kbs_config cfg;
	struct kbs_resp resp;
	char dir[192], path[256], msg[512];
	uint8_t *tok = NULL;
	size_t len = 0;
	int first = 0;

	if (broker != NULL)
		return;
	if (tmp == NULL || tmp[0] == '\0')
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(root_dir, sizeof(root_dir), "%s/kbs-fuzz-admin-XXXXXX", tmp);
	if (mkdtemp(root_dir) == NULL)
		fail("mkdtemp");
	atexit(cleanup);
	snprintf(dir, sizeof(dir), "%s/data", root_dir);
	kbs_config_defaults(&cfg);
	if (kbs_broker_open(&cfg, dir, &broker, &first, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "kbs_broker_open: %s\n", msg);
		fail("no broker");
	}
	snprintf(path, sizeof(path), "%s/admin.token", dir);
	if (kbs_file_read(path, sizeof(bearer) - 1, &tok, &len) != 0 || len < 2)
		fail("no bootstrap token");
	memcpy(bearer, tok, len - 1); /* without its newline */
	sodium_memzero(tok, len);
	free(tok);
	call(kbs_h_admin_policy_put, KBS_POST, "/v1/admin/policies", "", "",
	    (const uint8_t *)seed_policy, strlen(seed_policy), bearer, &resp);
	if (resp.status != 201 && resp.status != 200)
		fail("the seed policy was refused");
	resp_free(&resp);
}

/* check_answer: a status, a JSON object body, "error" on an error answer. */
static cJSON *
check_answer(const struct kbs_resp *resp)
{
	const cJSON *e;
	cJSON *o;

	if (resp->status < 200 || resp->status > 599 || resp->body == NULL)
		fail("no answer");
	if ((o = cJSON_ParseWithLength(resp->body, resp->len)) == NULL || !cJSON_IsObject(o))
		fail("an answer that is not a JSON object");
	e = cJSON_GetObjectItemCaseSensitive(o, "error");
	if ((resp->status >= 400) != (e != NULL && cJSON_IsString(e)))
		fail("an error answer without its code, or a success with one");
	return o;
}

/* split: NAME up to the first '\n' (1..299 bytes, no NUL) into name; the rest after it. */
static int
split(const uint8_t *data, size_t size, char name[300], const uint8_t **ret_rest,
    size_t *ret_rest_len)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n;

	if (nl == NULL || (n = (size_t)(nl - data)) == 0 || n >= 300 ||
	    memchr(data, '\0', n) != NULL)
		return 0;
	memcpy(name, data, n);
	name[n] = '\0';
	*ret_rest = nl + 1;
	*ret_rest_len = size - n - 1;
	return 1;
}

static void
secret_put(const uint8_t *data, size_t size)
{
	struct keystore_secret_info info;
	struct kbs_resp resp;
	const uint8_t *body;
	char name[300];
	size_t len;
	cJSON *o;

	if (!split(data, size, name, &body, &len))
		return;
	call(kbs_h_admin_secret_put, KBS_PUT, "/v1/admin/secrets/x", name, "", body, len, bearer,
	    &resp);
	o = check_answer(&resp);
	if (resp.status < 300 &&
	    (keystore_secret_info(broker->ks, name, &info) != 0 || info.version == 0))
		fail("a stored secret that does not read back");
	cJSON_Delete(o);
	resp_free(&resp);
}

/* by_name: a GET or DELETE of one named object; 'P' takes a query after the name. */
static void
by_name(int sel, const uint8_t *data, size_t size)
{
	struct kbs_resp resp;
	const uint8_t *rest;
	char name[300], query[256];
	size_t len;

	if (!split(data, size, name, &rest, &len) || len >= sizeof(query) ||
	    memchr(rest, '\0', len) != NULL)
		return;
	memcpy(query, rest, len);
	query[len] = '\0';
	switch (sel) {
	case 'P':
		call(kbs_h_admin_policy_show, KBS_GET, "/v1/admin/policies/x", name, query, NULL, 0,
		    bearer, &resp);
		break;
	case 'S':
		call(kbs_h_admin_secret_show, KBS_GET, "/v1/admin/secrets/x", name, "", NULL, 0,
		    bearer, &resp);
		break;
	case 'D':
		call(kbs_h_admin_secret_delete, KBS_DELETE, "/v1/admin/secrets/x", name, "", NULL,
		    0, bearer, &resp);
		break;
	default:
		if (strcmp(name, "bootstrap") == 0)
			return;
		call(kbs_h_admin_token_revoke, KBS_DELETE, "/v1/admin/tokens/x", name, "", NULL, 0,
		    bearer, &resp);
		break;
	}
	cJSON_Delete(check_answer(&resp));
	resp_free(&resp);
}

static void
policy_put(const uint8_t *data, size_t size)
{
	struct kbs_resp resp;
	struct policy *p = NULL;
	cJSON *o;

	call(kbs_h_admin_policy_put, KBS_POST, "/v1/admin/policies", "", "", data, size, bearer,
	    &resp);
	o = check_answer(&resp);
	if (resp.status < 300) {
		if (policy_parse(data, size, &p, NULL) != 0)
			fail("a stored policy that does not parse");
		policy_free(p);
	}
	cJSON_Delete(o);
	resp_free(&resp);
}

static void
token_create(const uint8_t *data, size_t size)
{
	struct kbs_resp resp, list;
	const cJSON *t;
	cJSON *o, *lo;

	call(kbs_h_admin_token_create, KBS_POST, "/v1/admin/tokens", "", "", data, size, bearer,
	    &resp);
	o = check_answer(&resp);
	if (resp.status < 300) {
		t = cJSON_GetObjectItemCaseSensitive(o, "token");
		if (!cJSON_IsString(t))
			fail("a token creation without a token");
		call(kbs_h_admin_token_list, KBS_GET, "/v1/admin/tokens", "", "", NULL, 0,
		    t->valuestring, &list);
		lo = check_answer(&list);
		if (list.status != 200)
			fail("a new token that does not authorize");
		cJSON_Delete(lo);
		resp_free(&list);
	}
	cJSON_Delete(o);
	resp_free(&resp);
}

static void
audit(kbs_handler_fn *fn, const char *path, const uint8_t *data, size_t size)
{
	struct kbs_resp resp;
	char query[256];

	if (size >= sizeof(query) || memchr(data, '\0', size) != NULL)
		return;
	memcpy(query, data, size);
	query[size] = '\0';
	call(fn, KBS_GET, path, "", query, NULL, 0, bearer, &resp);
	/* The export is JSON lines, not one object: only its status is checked. */
	if (fn == kbs_h_admin_audit_export) {
		if (resp.status != 200 && resp.status != 400)
			fail("an export neither answered nor refused");
	} else {
		cJSON_Delete(check_answer(&resp));
	}
	resp_free(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (256u << 10)) /* the broker's body cap */
		return 0;
	setup();
	switch (data[0]) {
	case 'p':
		policy_put(data + 1, size - 1);
		break;
	case 's':
		secret_put(data + 1, size - 1);
		break;
	case 't':
		token_create(data + 1, size - 1);
		break;
	case 'a':
		audit(kbs_h_admin_audit_export, "/v1/admin/audit", data + 1, size - 1);
		break;
	case 'v':
		audit(kbs_h_admin_audit_verify, "/v1/admin/audit/verify", data + 1, size - 1);
		break;
	case 'P':
	case 'S':
	case 'D':
	case 'R':
		by_name(data[0], data + 1, size - 1);
		break;
	default:
		break;
	}
	return 0;
}
