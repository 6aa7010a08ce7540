/*
 * mock_broker.h: the broker's side of protocol v1, made from
 * common/kbs_proto (the same code the daemon uses) with fixed keys, so
 * the client's tests can build signed answers, tamper with them, and mint
 * tokens. Test code only: errors exit(2).
 */
#ifndef KBS_TEST_MOCK_BROKER_H
#define KBS_TEST_MOCK_BROKER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct mock_secret {
	const char *name;
	const char *policy;
	uint32_t version;
	uint8_t sha256[32];
	const uint8_t *value;
	size_t len;
};

struct mock_broker {
	uint8_t id_pk[32], id_sk[64];
	char id_x[44]; /* id_pk as base64url */
	char kid[44];
	uint8_t eph_sk[32], eph_pk[32]; /* fixed: answers are reproducible */
};

/* mock_broker_init derives every key from seed (identity) and seed+1 (ephemeral). */
void mock_broker_init(struct mock_broker *b, uint8_t seed);

/*
 * mock_answer builds the 200 answer as a cJSON tree, signed over
 * binding and guest key g_pk: with token non-NULL an /v1/attest answer
 * (version, nonce = binding, token), else a /v1/secrets one (binding).
 */
cJSON *mock_answer(const struct mock_broker *b, const uint8_t binding[32], const uint8_t g_pk[32],
    const struct mock_secret *s, size_t n, const char *request_id, const char *token);

/* mock_print prints and deletes a tree; the caller frees the text. */
char *mock_print(cJSON *root);

/* mock_b64 returns base64 (standard, padded) of data, malloc'd. */
char *mock_b64(const uint8_t *data, size_t len);

/* mock_b64url returns unpadded base64url, malloc'd. */
char *mock_b64url(const uint8_t *data, size_t len);

/* mock_claims builds the claims of a token per docs/protocol.md. */
cJSON *mock_claims(
    int64_t iat, int64_t exp, const uint8_t g_pk[32], const struct mock_secret *s, size_t n);

/* mock_jwt signs header and claims (deleted) with sk into a malloc'd JWT. */
char *mock_jwt(cJSON *header, cJSON *claims, const uint8_t sk[64]);

/* mock_jwt_header: {"alg":"EdDSA","typ":"JWT","kid":kid}. */
cJSON *mock_jwt_header(const char *kid);

/* mock_jwks: {"keys":[{OKP Ed25519 x, kid, use sig, alg EdDSA}]}, malloc'd text. */
char *mock_jwks(const struct mock_broker *b);

/* mock_error builds an error body; denied (may be NULL) is added as is. */
char *mock_error(const char *error, const char *message, cJSON *denied);

#endif
