/*
 * admin_auth.c: admin bearer tokens.
 *
 * A token is "kbs-admin-v1." followed by 64 hex digits of random bytes.
 * The keystore keeps only SHA-256 of the whole string with an id and a
 * role, so neither a stolen store nor a backup reveals a usable token. A
 * lookup hashes the presented token and asks the keystore; the hash is
 * what is compared, so no comparison of the token itself can leak timing.
 * Roles are ordered: admin may do everything an auditor may.
 */
#include "admin_auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "keystore.h"
#include "state.h"

#define TOKEN_PREFIX "kbs-admin-v1."

int
kbs_admin_token_new(char *out, size_t size, uint8_t ret_hash[32])
{
	uint8_t raw[32];
	char hex[65];
	int r;

	if (size < sizeof(TOKEN_PREFIX) + 64)
		return KBS_ERR_BUFFER_TOO_SMALL;
	randombytes_buf(raw, sizeof(raw));
	r = kbs_hex_encode(raw, sizeof(raw), hex, sizeof(hex));
	sodium_memzero(raw, sizeof(raw));
	if (r != 0)
		return r;
	snprintf(out, size, "%s%s", TOKEN_PREFIX, hex);
	sodium_memzero(hex, sizeof(hex));
	crypto_hash_sha256(ret_hash, (const uint8_t *)out, strlen(out));
	return 0;
}

int
kbs_admin_bootstrap(struct kbs_broker *b, int first_start)
{
	struct keystore_actor actor = { "kbs", "", "local" };
	char token[128], line[160];
	uint8_t hash[32];
	int r;

	if (!first_start)
		return 0;
	if ((r = kbs_admin_token_new(token, sizeof(token), hash)) != 0)
		return r;
	snprintf(line, sizeof(line), "%s\n", token);
	/* Register first: a token file whose hash is unknown would be useless. */
	if ((r = keystore_token_create(b->ks, "bootstrap", KEYSTORE_ROLE_ADMIN, hash, &actor)) == 0)
		r = kbs_state_write_new(b->data_dir, "admin.token", line);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(line, sizeof(line));
	return r;
}

int
kbs_admin_authorize(struct kbs_broker *b, const struct kbs_req *req, enum keystore_token_role need,
    char *ret_id, size_t id_size)
{
	struct keystore_token_info info;
	uint8_t hash[32];
	int r;

	if (req->bearer == NULL || req->bearer[0] == '\0')
		return KBS_ERR_UNAUTHORIZED;
	crypto_hash_sha256(hash, (const uint8_t *)req->bearer, strlen(req->bearer));
	r = keystore_token_lookup(b->ks, hash, &info);
	if (r == KBS_ERR_NOT_FOUND || r == KBS_ERR_STORE_TOKEN_REVOKED)
		return KBS_ERR_UNAUTHORIZED;
	if (r != 0)
		return r;
	if (need == KEYSTORE_ROLE_ADMIN && info.role != KEYSTORE_ROLE_ADMIN)
		return KBS_ERR_FORBIDDEN;
	snprintf(ret_id, id_size, "%s", info.id);
	return 0;
}
