/*
 * routes.h: the route table. Dispatch is one table of (listener, method,
 * path or path prefix, handler), so what each listener serves can be read
 * in one place; admin routes exist only on the admin listener, so the
 * public port answers 404 under /v1/admin/.
 */
#ifndef KBS_ROUTES_H
#define KBS_ROUTES_H

#include "http.h"

struct kbs_route;

typedef void kbs_handler_fn(struct kbs_broker *b, const struct kbs_req *req, struct kbs_resp *resp);

/*
 * kbs_route_find returns the route for (listener, method, path), with
 * *ret_param pointing into path at what a trailing '*' matched ("" when
 * the route has none), or NULL; *ret_method_mismatch is 1 when the path
 * exists on this listener with another method (405, not 404).
 */
const struct kbs_route *kbs_route_find(enum kbs_listener listener, enum kbs_method method,
    const char *path, const char **ret_param, int *ret_method_mismatch);

enum kbs_metrics_route kbs_route_id(const struct kbs_route *route);

/*
 * kbs_route_admit decides what the head alone can decide, before any body
 * is read: for the admin routes, that req carries a valid admin or
 * auditor token (KBS_ERR_UNAUTHORIZED otherwise, or the store's error),
 * so no one without a token can make the broker hold a body of up to
 * admin_max_body per connection. 0 for every other route. The handler
 * still checks the token and the role it needs when it runs.
 */
KBS_MUST_CHECK int kbs_route_admit(
    const struct kbs_route *route, struct kbs_broker *b, const struct kbs_req *req);

void kbs_route_call(const struct kbs_route *route, struct kbs_broker *b, const struct kbs_req *req,
    struct kbs_resp *resp);

/* The handlers, one file per group. */
kbs_handler_fn kbs_h_challenge, kbs_h_attest, kbs_h_secret_get, kbs_h_keys, kbs_h_healthz,
    kbs_h_readyz, kbs_h_metrics;
kbs_handler_fn kbs_h_admin_secret_put, kbs_h_admin_secret_list, kbs_h_admin_secret_show,
    kbs_h_admin_secret_delete, kbs_h_admin_policy_put, kbs_h_admin_policy_list,
    kbs_h_admin_policy_show, kbs_h_admin_token_create, kbs_h_admin_token_list,
    kbs_h_admin_token_revoke, kbs_h_admin_audit_export, kbs_h_admin_audit_verify,
    kbs_h_admin_backup, kbs_h_admin_cert_put;

#endif
