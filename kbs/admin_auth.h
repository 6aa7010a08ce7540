/*
 * admin_auth.h: admin bearer tokens and roles (see admin_auth.c).
 */
#ifndef KBS_ADMIN_AUTH_H
#define KBS_ADMIN_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "keystore.h"

/* kbs_admin_token_new makes a fresh token string and its SHA-256. */
KBS_MUST_CHECK int kbs_admin_token_new(char *out, size_t size, uint8_t ret_hash[32]);

/*
 * kbs_admin_bootstrap, on first start only, registers a new admin token
 * under id "bootstrap" and writes it to DATA_DIR/admin.token (0600).
 */
KBS_MUST_CHECK int kbs_admin_bootstrap(struct kbs_broker *b, int first_start);

/*
 * kbs_admin_authorize checks req's bearer token for role need and gives
 * its id. KBS_ERR_UNAUTHORIZED (missing, unknown, revoked),
 * KBS_ERR_FORBIDDEN (an auditor asking for an admin call).
 */
KBS_MUST_CHECK int kbs_admin_authorize(struct kbs_broker *b, const struct kbs_req *req,
    enum keystore_token_role need, char *ret_id, size_t id_size);

#endif
