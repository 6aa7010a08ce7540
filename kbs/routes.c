/*
 * routes.c: every route the broker serves, in one table (see routes.h).
 * A pattern ending in '*' matches any non-empty remainder: a secret or
 * policy name, which may itself contain '/' (clients may percent-encode
 * it; MHD decodes the path before matching). The handler validates the
 * name with the keystore's rules.
 */
#include "routes.h"

#include <stdbool.h>
#include <string.h>

#include "admin_auth.h"

struct kbs_route {
	unsigned listeners; /* KBS_LISTENER_* bits */
	enum kbs_method method;
	const char *pattern;
	enum kbs_metrics_route id;
	kbs_handler_fn *fn;
	bool token; /* TOKEN: a valid admin or auditor token is checked before the body is read */
};

#define PUB KBS_LISTENER_PUBLIC
#define ADM KBS_LISTENER_ADMIN
#define TOKEN true
#define OPEN false

static const struct kbs_route routes[] = {
	{ PUB, KBS_POST, "/v1/challenge", KBS_METRICS_ROUTE_CHALLENGE, kbs_h_challenge, OPEN },
	{ PUB, KBS_POST, "/v1/attest", KBS_METRICS_ROUTE_ATTEST, kbs_h_attest, OPEN },
	{ PUB, KBS_GET, "/v1/secrets/*", KBS_METRICS_ROUTE_SECRET, kbs_h_secret_get, OPEN },
	{ PUB | ADM, KBS_GET, "/v1/keys", KBS_METRICS_ROUTE_KEYS, kbs_h_keys, OPEN },
	{ PUB | ADM, KBS_GET, "/healthz", KBS_METRICS_ROUTE_HEALTHZ, kbs_h_healthz, OPEN },
	{ PUB | ADM, KBS_GET, "/readyz", KBS_METRICS_ROUTE_READYZ, kbs_h_readyz, OPEN },
	{ PUB | ADM, KBS_GET, "/metrics", KBS_METRICS_ROUTE_METRICS, kbs_h_metrics, OPEN },

	{ ADM, KBS_GET, "/v1/admin/secrets", KBS_METRICS_ROUTE_ADMIN_SECRETS,
	    kbs_h_admin_secret_list, TOKEN },
	{ ADM, KBS_PUT, "/v1/admin/secrets/*", KBS_METRICS_ROUTE_ADMIN_SECRETS,
	    kbs_h_admin_secret_put, TOKEN },
	{ ADM, KBS_GET, "/v1/admin/secrets/*", KBS_METRICS_ROUTE_ADMIN_SECRETS,
	    kbs_h_admin_secret_show, TOKEN },
	{ ADM, KBS_DELETE, "/v1/admin/secrets/*", KBS_METRICS_ROUTE_ADMIN_SECRETS,
	    kbs_h_admin_secret_delete, TOKEN },
	{ ADM, KBS_POST, "/v1/admin/policies", KBS_METRICS_ROUTE_ADMIN_POLICIES,
	    kbs_h_admin_policy_put, TOKEN },
	{ ADM, KBS_GET, "/v1/admin/policies", KBS_METRICS_ROUTE_ADMIN_POLICIES,
	    kbs_h_admin_policy_list, TOKEN },
	{ ADM, KBS_GET, "/v1/admin/policies/*", KBS_METRICS_ROUTE_ADMIN_POLICIES,
	    kbs_h_admin_policy_show, TOKEN },
	{ ADM, KBS_POST, "/v1/admin/tokens", KBS_METRICS_ROUTE_ADMIN_TOKENS,
	    kbs_h_admin_token_create, TOKEN },
	{ ADM, KBS_GET, "/v1/admin/tokens", KBS_METRICS_ROUTE_ADMIN_TOKENS, kbs_h_admin_token_list,
	    TOKEN },
	{ ADM, KBS_DELETE, "/v1/admin/tokens/*", KBS_METRICS_ROUTE_ADMIN_TOKENS,
	    kbs_h_admin_token_revoke, TOKEN },
	{ ADM, KBS_GET, "/v1/admin/audit", KBS_METRICS_ROUTE_ADMIN_AUDIT, kbs_h_admin_audit_export,
	    TOKEN },
	{ ADM, KBS_GET, "/v1/admin/audit/verify", KBS_METRICS_ROUTE_ADMIN_AUDIT,
	    kbs_h_admin_audit_verify, TOKEN },
	{ ADM, KBS_POST, "/v1/admin/backup", KBS_METRICS_ROUTE_ADMIN_BACKUP, kbs_h_admin_backup,
	    TOKEN },
	{ ADM, KBS_PUT, "/v1/admin/certs/*", KBS_METRICS_ROUTE_ADMIN_CERTS, kbs_h_admin_cert_put,
	    TOKEN },
};

/* match returns 1 when path fits pattern; *ret_param is what '*' matched. */
static int
match(const char *pattern, const char *path, const char **ret_param)
{
	size_t plen = strlen(pattern);

	if (plen > 0 && pattern[plen - 1] == '*') {
		const char *rest = path + plen - 1;

		if (strncmp(pattern, path, plen - 1) != 0 || *rest == '\0')
			return 0;
		*ret_param = rest;
		return 1;
	}
	if (strcmp(pattern, path) != 0)
		return 0;
	*ret_param = "";
	return 1;
}

const struct kbs_route *
kbs_route_find(enum kbs_listener listener, enum kbs_method method, const char *path,
    const char **ret_param, int *ret_method_mismatch)
{
	const char *param = "";
	size_t i;

	*ret_method_mismatch = 0;
	for (i = 0; i < KBS_ARRAY_SIZE(routes); i++) {
		if ((routes[i].listeners & (unsigned)listener) == 0 ||
		    !match(routes[i].pattern, path, &param))
			continue;
		if (routes[i].method != method) {
			*ret_method_mismatch = 1;
			continue;
		}
		*ret_param = param;
		return &routes[i];
	}
	return NULL;
}

enum kbs_metrics_route
kbs_route_id(const struct kbs_route *route)
{
	return route->id;
}

int
kbs_route_admit(const struct kbs_route *route, struct kbs_broker *b, const struct kbs_req *req)
{
	char id[KEYSTORE_NAME_MAX + 1];

	if (!route->token)
		return 0;
	/* Any valid token: the handler checks the role it needs (auditor or admin). */
	return kbs_admin_authorize(b, req, KEYSTORE_ROLE_AUDITOR, id, sizeof(id));
}

void
kbs_route_call(const struct kbs_route *route, struct kbs_broker *b, const struct kbs_req *req,
    struct kbs_resp *resp)
{
	route->fn(b, req, resp);
}
