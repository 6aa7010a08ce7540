/*
 * Unit tests for kbs/routes.c: what each listener serves. The public
 * listener has no route under /v1/admin/ for any method (404, never 405,
 * so it does not even tell that the path exists elsewhere); the admin
 * listener has no attest, challenge or secret fetch; a path that exists
 * with another method is 405; a trailing '*' matches a non-empty rest,
 * slashes included, and nothing else is a prefix match. Every admin route,
 * and no other, is refused from its head alone without a token
 * (kbs_route_admit), so no body is read for a caller who has none.
 */
#include "routes.h"
#include "test.h"

static const enum kbs_method methods[] = { KBS_GET, KBS_POST, KBS_PUT, KBS_DELETE };

/* want_route: (listener, method, path) has a route with id and param. */
static void
want_route(enum kbs_listener l, enum kbs_method m, const char *path, enum kbs_metrics_route id,
    const char *param)
{
	const struct kbs_route *r;
	const char *got = NULL;
	int mismatch = -1;

	r = kbs_route_find(l, m, path, &got, &mismatch);
	if (r == NULL) {
		fprintf(stderr, "no route for %d %d %s\n", (int)l, (int)m, path);
		CHECK(r != NULL);
		return;
	}
	CHECK_INT_EQ(kbs_route_id(r), id);
	CHECK(got != NULL && strcmp(got, param) == 0);
	(void)mismatch; /* only meaningful when no route is found */
}

/* want_none: no route; *mismatch says 405 (1) or 404 (0). */
static void
want_none(enum kbs_listener l, enum kbs_method m, const char *path, int want_mismatch)
{
	const char *param = NULL;
	int mismatch = -1;

	if (kbs_route_find(l, m, path, &param, &mismatch) != NULL)
		fprintf(stderr, "unexpected route for %d %d %s\n", (int)l, (int)m, path);
	CHECK(kbs_route_find(l, m, path, &param, &mismatch) == NULL);
	CHECK_INT_EQ(mismatch, want_mismatch);
}

static void
test_public(void)
{
	const enum kbs_listener P = KBS_LISTENER_PUBLIC;

	want_route(P, KBS_POST, "/v1/challenge", KBS_METRICS_ROUTE_CHALLENGE, "");
	want_route(P, KBS_POST, "/v1/attest", KBS_METRICS_ROUTE_ATTEST, "");
	want_route(P, KBS_GET, "/v1/secrets/disk-key", KBS_METRICS_ROUTE_SECRET, "disk-key");
	want_route(P, KBS_GET, "/v1/secrets/a/b/c", KBS_METRICS_ROUTE_SECRET, "a/b/c");
	want_route(P, KBS_GET, "/v1/keys", KBS_METRICS_ROUTE_KEYS, "");
	want_route(P, KBS_GET, "/healthz", KBS_METRICS_ROUTE_HEALTHZ, "");
	want_route(P, KBS_GET, "/readyz", KBS_METRICS_ROUTE_READYZ, "");
	want_route(P, KBS_GET, "/metrics", KBS_METRICS_ROUTE_METRICS, "");
	want_none(P, KBS_GET, "/v1/challenge", 1);
	want_none(P, KBS_DELETE, "/v1/attest", 1);
	want_none(P, KBS_POST, "/v1/secrets/disk-key", 1);
	want_none(P, 0, "/v1/attest", 1); /* HEAD, OPTIONS... */
	want_none(P, KBS_GET, "/v1/secrets/", 0);
	want_none(P, KBS_GET, "/v1/secrets", 0);
	want_none(P, KBS_POST, "/v1/attest/", 0);
	want_none(P, KBS_POST, "/v1/attestx", 0);
	want_none(P, KBS_POST, "//v1/attest", 0);
	want_none(P, KBS_GET, "", 0);
}

static void
test_public_has_no_admin(void)
{
	static const char *const paths[] = { "/v1/admin/secrets", "/v1/admin/secrets/x",
		"/v1/admin/policies", "/v1/admin/policies/p", "/v1/admin/tokens",
		"/v1/admin/tokens/bootstrap", "/v1/admin/audit", "/v1/admin/audit/verify",
		"/v1/admin/backup", "/v1/admin/", "/v1/admin" };
	size_t i, j;

	for (i = 0; i < KBS_ARRAY_SIZE(paths); i++)
		for (j = 0; j < KBS_ARRAY_SIZE(methods); j++)
			want_none(KBS_LISTENER_PUBLIC, methods[j], paths[i], 0);
}

static void
test_admin(void)
{
	const enum kbs_listener A = KBS_LISTENER_ADMIN;

	want_route(A, KBS_GET, "/v1/admin/secrets", KBS_METRICS_ROUTE_ADMIN_SECRETS, "");
	want_route(
	    A, KBS_PUT, "/v1/admin/secrets/db/key", KBS_METRICS_ROUTE_ADMIN_SECRETS, "db/key");
	want_route(A, KBS_GET, "/v1/admin/secrets/x", KBS_METRICS_ROUTE_ADMIN_SECRETS, "x");
	want_route(A, KBS_DELETE, "/v1/admin/secrets/x", KBS_METRICS_ROUTE_ADMIN_SECRETS, "x");
	want_route(A, KBS_POST, "/v1/admin/policies", KBS_METRICS_ROUTE_ADMIN_POLICIES, "");
	want_route(A, KBS_GET, "/v1/admin/policies/p", KBS_METRICS_ROUTE_ADMIN_POLICIES, "p");
	want_route(A, KBS_POST, "/v1/admin/tokens", KBS_METRICS_ROUTE_ADMIN_TOKENS, "");
	want_route(A, KBS_DELETE, "/v1/admin/tokens/t", KBS_METRICS_ROUTE_ADMIN_TOKENS, "t");
	want_route(A, KBS_GET, "/v1/admin/audit", KBS_METRICS_ROUTE_ADMIN_AUDIT, "");
	want_route(A, KBS_GET, "/v1/admin/audit/verify", KBS_METRICS_ROUTE_ADMIN_AUDIT, "");
	want_route(A, KBS_POST, "/v1/admin/backup", KBS_METRICS_ROUTE_ADMIN_BACKUP, "");
	want_route(A, KBS_GET, "/v1/keys", KBS_METRICS_ROUTE_KEYS, "");
	want_route(A, KBS_GET, "/metrics", KBS_METRICS_ROUTE_METRICS, "");
	want_none(A, KBS_POST, "/v1/attest", 0);
	want_none(A, KBS_POST, "/v1/challenge", 0);
	want_none(A, KBS_GET, "/v1/secrets/x", 0);
	want_none(A, KBS_PUT, "/v1/admin/secrets", 1);
	want_none(A, KBS_DELETE, "/v1/admin/tokens", 1);
	want_none(A, KBS_POST, "/v1/admin/audit/verify", 1);
	want_none(A, KBS_GET, "/v1/admin/tokens/", 0);
	want_none(A, KBS_GET, "/v1/admin/audit/x", 0);
}

static void
test_admit(void)
{
	static const char *const admin_paths[] = { "/v1/admin/secrets", "/v1/admin/secrets/x",
		"/v1/admin/policies", "/v1/admin/policies/p", "/v1/admin/tokens",
		"/v1/admin/tokens/t", "/v1/admin/audit", "/v1/admin/audit/verify",
		"/v1/admin/backup", "/v1/admin/certs/x" };
	static const char *const open_paths[] = { "/v1/challenge", "/v1/attest", "/v1/secrets/x",
		"/v1/keys", "/healthz", "/readyz", "/metrics" };
	struct kbs_req no_token, empty_token;
	const struct kbs_route *r;
	const char *param;
	size_t i, j, admin_routes = 0, open_routes = 0;
	int mismatch;

	memset(&no_token, 0, sizeof(no_token));
	empty_token = no_token;
	empty_token.bearer = "";
	/* Without a bearer the check is decided before the store is asked: no broker needed. */
	for (i = 0; i < KBS_ARRAY_SIZE(admin_paths); i++)
		for (j = 0; j < KBS_ARRAY_SIZE(methods); j++) {
			r = kbs_route_find(
			    KBS_LISTENER_ADMIN, methods[j], admin_paths[i], &param, &mismatch);
			if (r == NULL)
				continue;
			admin_routes++;
			CHECK_INT_EQ(kbs_route_admit(r, NULL, &no_token), KBS_ERR_UNAUTHORIZED);
			CHECK_INT_EQ(kbs_route_admit(r, NULL, &empty_token), KBS_ERR_UNAUTHORIZED);
		}
	CHECK_UINT_EQ(admin_routes, 14);
	for (i = 0; i < KBS_ARRAY_SIZE(open_paths); i++)
		for (j = 0; j < KBS_ARRAY_SIZE(methods); j++) {
			r = kbs_route_find(
			    KBS_LISTENER_PUBLIC, methods[j], open_paths[i], &param, &mismatch);
			if (r == NULL)
				continue;
			open_routes++;
			CHECK_INT_EQ(kbs_route_admit(r, NULL, &no_token), 0);
		}
	CHECK_UINT_EQ(open_routes, 7);
}

TEST_MAIN(TEST(test_public), TEST(test_public_has_no_admin), TEST(test_admin), TEST(test_admit))
