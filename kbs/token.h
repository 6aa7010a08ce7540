/*
 * token.h: the attestation token (docs/protocol.md, "The attestation
 * token") and the broker's JWK Set (GET /v1/keys).
 *
 * The token is an EAR attestation result (draft-ietf-rats-ear) as a
 * compact JWT (RFC 7519) signed with EdDSA (Ed25519, RFC 8037) by the
 * broker's identity key: base64url(header) "." base64url(payload) "."
 * base64url(signature), unpadded. The header is exactly
 * {"alg":"EdDSA","typ":"JWT","kid":"<kid>"}, kid being the RFC 7638
 * thumbprint of the identity key. The payload carries the evidence the
 * verified report showed, the guest's X25519 key as an RFC 7800 cnf claim
 * and the released secrets with the policy that allowed each.
 *
 * kbs_token_verify is the parser for tokens presented back as a Bearer
 * credential (GET /v1/secrets/{name}); its input is untrusted. It accepts
 * only tokens this broker could have made: at most KBS_TOKEN_MAX_LEN
 * bytes, three canonical base64url parts, our header byte for byte (so
 * "alg":"none", another algorithm, a "crit" member or another kid are all
 * refused without parsing any JSON), the Ed25519 signature checked before
 * the payload is decoded as JSON, then the claims read into a fixed-size
 * struct with bounded counts and lengths.
 *
 * Nothing here keeps a pointer to its inputs; the secret key is used only
 * for the call.
 */
#ifndef KBS_TOKEN_H
#define KBS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

#define KBS_TOKEN_EAR_PROFILE "tag:github.com,2023:veraison/ear"
#define KBS_TOKEN_LIFETIME_DEFAULT 300 /* seconds */
/*
 * Verification allows an issue time up to this many seconds ahead of now
 * (another replica's clock); exp is never extended: a token is refused
 * from the second now >= exp.
 */
#define KBS_TOKEN_CLOCK_SKEW 5
/*
 * The longest token accepted, and made. The largest claims the limits
 * below allow (32 secrets with 255-byte secret and policy names) come to
 * about 30 KiB; a token with one or two secrets is under 2 KiB. An HTTP
 * server must accept an Authorization header of this size.
 */
#define KBS_TOKEN_MAX_LEN 32768
#define KBS_TOKEN_MAX_SECRETS 32
#define KBS_TOKEN_NAME_MAX 255    /* secret and policy names */
#define KBS_TOKEN_JTI_MAX 64      /* the request id */
#define KBS_TOKEN_BUILD_MAX 64    /* "kbs <version>" */
#define KBS_TOKEN_PRODUCT_MAX 15  /* "milan", "genoa", "turin" */
#define KBS_TOKEN_CSP_ID_MAX 127  /* as snp_verify_result.csp_id */
#define KBS_TOKEN_B64_KEY_SIZE 44 /* 43 base64url characters of a 32-byte value and NUL */

/* The public side of the identity key, computed once by kbs_token_key_init. */
struct kbs_token_key {
	uint8_t pk[32];                   /* Ed25519 public key */
	char x[KBS_TOKEN_B64_KEY_SIZE];   /* base64url(pk), the JWK "x" */
	char kid[KBS_TOKEN_B64_KEY_SIZE]; /* RFC 7638 thumbprint, base64url */
	char header_b64[128];             /* base64url of the JWT header */
	size_t header_b64_len;
};

/*
 * kbs_token_key_init fills *ret for the Ed25519 public key pk.
 * KBS_ERR_INVALID_ARGUMENT, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_token_key_init(const uint8_t pk[32], struct kbs_token_key *ret);

/*
 * kbs_token_jwks renders {"keys":[{"kty":"OKP","crv":"Ed25519","x","kid",
 * "use":"sig","alg":"EdDSA"}]} unformatted into a malloc'd NUL-terminated
 * string (*ret, *ret_len without the NUL; free() it). KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_token_jwks(const struct kbs_token_key *key, char **ret, size_t *ret_len);

/* One released secret and the policy version that allowed it. */
struct kbs_token_secret {
	char name[KBS_TOKEN_NAME_MAX + 1];
	char policy[KBS_TOKEN_NAME_MAX + 1]; /* the policy's name */
	uint32_t version;                    /* the policy's version */
	uint8_t sha256[32];                  /* SHA-256 of the policy file */
};

enum kbs_token_signer {
	KBS_TOKEN_SIGNER_VCEK = 0,
	KBS_TOKEN_SIGNER_VLEK = 1,
};

/* What the verified report showed ("kbs.evidence"). */
struct kbs_token_evidence {
	const char *product; /* snp_product_name(): 1..KBS_TOKEN_PRODUCT_MAX of [a-z0-9_-] */
	uint32_t report_version;
	uint8_t measurement[48];
	uint8_t host_data[32];
	enum kbs_token_signer signer;
	bool chip_id_masked; /* VCEK with MASK_CHIP_ID: "chip_id" is "" */
	uint8_t chip_id[64]; /* VCEK only */
	const char *csp_id;  /* VLEK only: 1..KBS_TOKEN_CSP_ID_MAX ASCII bytes (escaped) */
	uint64_t reported_tcb, committed_tcb, launch_tcb; /* raw TCB_VERSION */
	uint32_t vmpl;
	uint32_t guest_svn;
	uint64_t policy;
	bool extra_root; /* the chain ended at a --trust-root */
};

/*
 * The claims of a token to be made. Strings are borrowed. Secret and
 * policy names, jti and build are printable ASCII without '"' or '\\'
 * (names and jti also without spaces), so they need no escaping and the
 * token's size has the bound above.
 */
struct kbs_token_claims {
	int64_t iat;       /* issue time, 0..2^53 */
	int64_t exp;       /* > iat, normally iat + KBS_TOKEN_LIFETIME_DEFAULT */
	const char *jti;   /* the request id, 1..KBS_TOKEN_JTI_MAX */
	const char *build; /* "kbs <version>", 1..KBS_TOKEN_BUILD_MAX */
	struct kbs_token_evidence evidence;
	uint8_t cnf_x25519[32]; /* the REPORT_DATA key the secrets were wrapped to */
	size_t secret_count;    /* 1..KBS_TOKEN_MAX_SECRETS */
	const struct kbs_token_secret *secrets;
};

/*
 * kbs_token_sign makes the compact JWT for claims, signed with sk
 * (libsodium's 64-byte Ed25519 secret key, whose public half must be
 * key->pk), into a malloc'd NUL-terminated string (*ret, *ret_len without
 * the NUL; free() it). "ear.appraisal-policy-id" is the hex SHA-256 of the
 * first secret's policy. KBS_ERR_INVALID_ARGUMENT for claims outside the
 * limits above or a key mismatch; KBS_ERR_ALLOC; KBS_ERR_TOO_LARGE if the
 * result would exceed KBS_TOKEN_MAX_LEN (the limits make that impossible).
 */
KBS_MUST_CHECK int kbs_token_sign(const struct kbs_token_key *key, const uint8_t sk[64],
    const struct kbs_token_claims *claims, char **ret, size_t *ret_len);

/* What kbs_token_verify extracts from a valid token (a fixed size: no allocation). */
struct kbs_token_verified {
	int64_t iat, exp;
	char jti[KBS_TOKEN_JTI_MAX + 1];
	uint8_t cnf_x25519[32];
	bool extra_root;
	size_t secret_count;
	struct kbs_token_secret secrets[KBS_TOKEN_MAX_SECRETS];
};

/*
 * kbs_token_verify checks token[0..len) (untrusted; need not be
 * NUL-terminated) at time now against key and fills *ret on success.
 * Errors, in the order checked:
 *   KBS_ERR_TOKEN_MALFORMED  empty, longer than KBS_TOKEN_MAX_LEN, a byte
 *                            outside the base64url alphabet (padding '='
 *                            included), not exactly three non-empty parts,
 *                            a signature part that is not 64 bytes, or a
 *                            non-canonical base64url payload or signature;
 *   KBS_ERR_TOKEN_HEADER     the header is not exactly ours (alg none or
 *                            another alg, typ, kid, crit, any other member);
 *   KBS_ERR_TOKEN_SIGNATURE  the Ed25519 signature does not verify;
 *   KBS_ERR_TOKEN_CLAIMS     the signed payload is not the JSON object we
 *                            make: eat_profile, iat, exp > iat, jti,
 *                            submods.snp."ear.status" == "affirming",
 *                            kbs.evidence.extra_root, cnf.jwk (OKP,
 *                            X25519, canonical 32-byte x), kbs.secrets (1
 *                            to 32 entries, names within the limits,
 *                            version a u32, sha256 64 lower-case hex);
 *   KBS_ERR_TOKEN_EXPIRED    now >= exp, or iat > now + KBS_TOKEN_CLOCK_SKEW.
 * KBS_ERR_INVALID_ARGUMENT for a NULL key or ret, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_token_verify(const struct kbs_token_key *key, const char *token, size_t len,
    int64_t now, struct kbs_token_verified *ret);

/* kbs_token_find_secret returns the entry named name, or NULL. */
const struct kbs_token_secret *kbs_token_find_secret(
    const struct kbs_token_verified *v, const char *name);

#endif
