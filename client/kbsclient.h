/*
 * kbsclient.h: libkbsclient, the guest and relying-party side of protocol
 * v1 (docs/protocol.md), for kbs-client and for other C programs (an MPC
 * coordinator, a boot helper).
 *
 * What it does:
 *   - kbs_client_attest: challenge, a fresh X25519 key pair, a report with
 *     REPORT_DATA = public key || nonce from an evidence source, POST
 *     /v1/attest, a strict parse of the answer, the broker's Ed25519
 *     signature checked BEFORE anything is decrypted, the echoed nonce
 *     and the set of secrets checked, every secret unwrapped; the private
 *     key and derived keys are wiped (or kept for later fetches, when
 *     asked);
 *   - kbs_client_fetch: GET /v1/secrets/{name} with a token from an
 *     earlier attest, checked and unwrapped the same way;
 *   - kbs_client_token_verify*: offline verification of an attestation token (an
 *     EAR JWT) against a JWK set or a pinned key, returning its claims.
 *
 * Every function returns 0 or a negative KBS_ERR_* (kbs_err.h): the ones
 * a caller branches on are
 *   KBS_ERR_CLIENT_DENIED            a policy denied (kbs_client_last_failure
 *                                    lists the failed rule ids);
 *   KBS_ERR_CLIENT_EVIDENCE_REJECTED the broker refused the evidence;
 *   KBS_ERR_CLIENT_ATTESTER(_UNAVAILABLE) the evidence source failed;
 *   KBS_ERR_CLIENT_REFUSED           any other refusal (nonce, name, ...);
 *   KBS_ERR_CLIENT_UNREACHABLE       connection, timeout, 429 or 5xx after
 *                                    the configured retries;
 *   KBS_ERR_RESPONSE_SIGNATURE, KBS_ERR_CLIENT_TLS: the broker is not
 *                                    authenticated;
 *   KBS_ERR_CLIENT_RESPONSE_*, KBS_ERR_CLIENT_SECRET_*, KBS_ERR_WRAP_*,
 *   KBS_ERR_TOO_LARGE, KBS_ERR_CLIENT_HTTP_STATUS: a protocol violation.
 * kbs_client_exit_class() sorts every code into these classes.
 *
 * Threads: a struct kbs_client is used by one thread at a time; separate
 * contexts are independent. Call curl_global_init() once before the first
 * context, as libcurl requires; kbs_client_new initialises libsodium.
 * The caps below keep an attest request under the broker's 256 KiB body
 * limit: 8 certificates and a table, base64-encoded, stay under 140 KiB.
 */
#ifndef KBS_CLIENT_H
#define KBS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

#define KBS_CLIENT_REPORT_SIZE 1184     /* an SNP attestation report */
#define KBS_CLIENT_REPORT_DATA_SIZE 64  /* public key (32) || nonce (32) */
#define KBS_CLIENT_MAX_SECRETS 32       /* names per request (protocol.md) */
#define KBS_CLIENT_NAME_MAX 255         /* bytes of a secret name */
#define KBS_CLIENT_MAX_CERTS 8          /* DER certificates per report */
#define KBS_CLIENT_MAX_CERT_SIZE 8192   /* bytes per certificate (a VCEK is ~1.3 KiB) */
#define KBS_CLIENT_MAX_CERT_TABLE 32768 /* bytes of a certificate table */
#define KBS_CLIENT_MAX_BODY (1u << 20)  /* response body cap, 1 MiB */
#define KBS_CLIENT_MAX_RULES 64         /* rule ids per denied secret */
#define KBS_CLIENT_RULE_MAX 63          /* bytes of a rule id */

struct kbs_client;
struct kbs_client_guest_key;

/* ---- Evidence sources ------------------------------------------------ */

/*
 * What an evidence source returns for one REPORT_DATA: the report and,
 * optionally, certificates (VCEK/VLEK and chain, DER) or the extended
 * report's certificate table. The source malloc()s certs[i] and
 * cert_table; the library frees them with kbs_client_evidence_clear().
 */
struct kbs_client_evidence {
	uint8_t report[KBS_CLIENT_REPORT_SIZE];
	size_t cert_count;
	uint8_t *certs[KBS_CLIENT_MAX_CERTS];
	size_t cert_lens[KBS_CLIENT_MAX_CERTS];
	uint8_t *cert_table; /* NULL when none */
	size_t cert_table_len;
};

/*
 * An evidence source: get() fills *ret (zeroed by the caller) with a
 * fresh report whose REPORT_DATA is report_data, and returns 0 or a
 * negative KBS_ERR_* (KBS_ERR_CLIENT_ATTESTER when the device failed).
 * The attesters of client/attester.h are glued to this type.
 */
struct kbs_client_evidence_source {
	void *ctx;
	int (*get)(void *ctx, const uint8_t report_data[KBS_CLIENT_REPORT_DATA_SIZE],
	    struct kbs_client_evidence *ret);
};

/* kbs_client_evidence_clear frees what a source allocated and zeroes ev (NULL ok). */
void kbs_client_evidence_clear(struct kbs_client_evidence *ev);

/* ---- The context ----------------------------------------------------- */

/*
 * kbs_client_new makes a context for the broker at url: http://HOST[:PORT],
 * https://HOST[:PORT] (an optional path prefix is kept; a trailing '/' is
 * dropped) or unix:PATH (plain HTTP over a unix socket). Defaults:
 * connect timeout 5 s, total timeout per request 30 s, 3 retries starting
 * at 250 ms backoff, the system CA bundle, no pinned server key.
 * KBS_ERR_CLIENT_URL, KBS_ERR_ALLOC, KBS_ERR_CRYPTO_INIT, KBS_ERR_INTERNAL (libcurl).
 */
KBS_MUST_CHECK int kbs_client_new(const char *url, struct kbs_client **ret);

/* kbs_client_free releases the context (NULL ok). */
void kbs_client_free(struct kbs_client *c);

/*
 * kbs_client_set_timeouts: connect_ms for the TCP/TLS connection, total_ms
 * for one whole request (each retry gets its own). 0 keeps the current
 * value. KBS_ERR_INVALID_ARGUMENT past 24 hours.
 */
KBS_MUST_CHECK int kbs_client_set_timeouts(
    struct kbs_client *c, unsigned connect_ms, unsigned total_ms);

/*
 * kbs_client_set_retries: retries after the first attempt (0..10) on
 * connection errors, timeouts, 429 and 5xx, with a backoff that starts at
 * backoff_ms (1..60000), doubles each time, gets up to 25% random jitter
 * and stops growing at 30 s. Denials, refusals and bad signatures are
 * never retried. KBS_ERR_INVALID_ARGUMENT out of range.
 */
KBS_MUST_CHECK int kbs_client_set_retries(
    struct kbs_client *c, unsigned retries, unsigned backoff_ms);

/*
 * kbs_client_set_ca_file pins the CA certificates (PEM file) that an
 * https:// broker's certificate must chain to, instead of the system
 * bundle. Verification is always on. KBS_ERR_INVALID_ARGUMENT for NULL.
 */
KBS_MUST_CHECK int kbs_client_set_ca_file(struct kbs_client *c, const char *path);

/*
 * kbs_client_set_server_key pins the broker's identity key, as given on a
 * command line: exactly 43 base64url characters are the key (the `x` of
 * the broker's JWK); anything else names a file holding either that text
 * (surrounding whitespace allowed), a JWK, or a JWK set with exactly one
 * Ed25519 key. KBS_ERR_CLIENT_SERVER_KEY, or the file's KBS_ERR_SYSTEM /
 * KBS_ERR_TOO_LARGE. Without a pinned key the broker is NOT authenticated:
 * anyone on the path can hand the guest secrets of its choosing.
 */
KBS_MUST_CHECK int kbs_client_set_server_key(struct kbs_client *c, const char *key_or_path);

/* kbs_client_set_server_key_raw pins a raw 32-byte Ed25519 public key. */
KBS_MUST_CHECK int kbs_client_set_server_key_raw(struct kbs_client *c, const uint8_t pk[32]);

/* kbs_client_has_server_key returns 1 when a key is pinned, else 0. */
int kbs_client_has_server_key(const struct kbs_client *c);

/* ---- Results ---------------------------------------------------------- */

/* One released secret. value lives in sodium_malloc memory. */
struct kbs_client_secret {
	char name[KBS_CLIENT_NAME_MAX + 1];
	char policy_name[KBS_CLIENT_NAME_MAX + 1];
	uint32_t policy_version;
	uint8_t policy_sha256[32];
	uint8_t *value;
	size_t len;
};

/* What a successful attest or fetch released, secrets in request order. */
struct kbs_client_release {
	char request_id[65];
	char *token; /* the attestation token (NUL-terminated); "" after a fetch */
	size_t count;
	struct kbs_client_secret *secrets;
};

/* kbs_client_release_free wipes every value and frees the release (NULL ok). */
void kbs_client_release_free(struct kbs_client_release *rel);

/* One denied secret of a 403 answer, and the rules that failed. */
struct kbs_client_denied {
	char secret[KBS_CLIENT_NAME_MAX + 1];
	char policy[KBS_CLIENT_NAME_MAX + 1];
	size_t rule_count;
	char rules[KBS_CLIENT_MAX_RULES][KBS_CLIENT_RULE_MAX + 1];
};

/*
 * Why the last call on a context failed. The strings come from the
 * network: the library keeps only printable ASCII of bounded length, so
 * they are safe to print. None is authenticated (a host on the path can
 * forge a refusal; it can always drop the connection anyway).
 */
struct kbs_client_failure {
	int code;          /* what the call returned */
	long http_status;  /* 0 when no HTTP answer arrived */
	char error[64];    /* the broker's error code name, e.g. "nonce_expired" */
	char check[32];    /* for "evidence": the failed step */
	char detail[128];  /* for "evidence": which certificate or field */
	char message[200]; /* the broker's sentence */
	char request_id[65];
	char transport[256]; /* libcurl's description of a transport error */
	unsigned attempts;   /* exchanges tried, retries included */
	size_t denied_count;
	struct kbs_client_denied denied[KBS_CLIENT_MAX_SECRETS];
};

/* kbs_client_last_failure: details of the last failed call (valid until the next call). */
const struct kbs_client_failure *kbs_client_last_failure(const struct kbs_client *c);

/*
 * kbs_client_name_valid: 1 when name is a valid secret name (1..255 bytes
 * of [A-Za-z0-9._:/@+-], docs/admin-api.md), else 0.
 */
int kbs_client_name_valid(const char *name);

/* ---- The protocol ----------------------------------------------------- */

/*
 * kbs_client_attest runs one exchange of docs/protocol.md for names[0..count)
 * (1..32 names of 1..255 bytes of [A-Za-z0-9._:/@+-], no repeats):
 * challenge, key pair, src->get(), attest, checks, unwrap. A nonce that
 * belongs to another replica is answered by one new challenge; transient
 * failures restart the whole exchange (a new nonce, key pair and report)
 * up to the retry limit. Without a pinned server key the signature is not
 * checked (the caller must say so loudly).
 * On success *ret holds every secret; with ret_key non-NULL the guest key
 * pair is handed over for kbs_client_fetch (free it with
 * kbs_client_guest_key_free), otherwise it is wiped. Codes: see the top of this
 * file; KBS_ERR_INVALID_ARGUMENT for bad names.
 */
KBS_MUST_CHECK int kbs_client_attest(struct kbs_client *c,
    const struct kbs_client_evidence_source *src, const char *const *names, size_t count,
    struct kbs_client_release **ret, struct kbs_client_guest_key **ret_key);

/*
 * kbs_client_fetch fetches one secret with a token from an earlier attest
 * (GET /v1/secrets/{name}), wrapped to key (the token's cnf key), and
 * checks and unwraps it like an attest; the binding is SHA-256 of token.
 */
KBS_MUST_CHECK int kbs_client_fetch(struct kbs_client *c, const struct kbs_client_guest_key *key,
    const char *token, const char *name, struct kbs_client_release **ret);

/* kbs_client_guest_key_public copies the guest's X25519 public key (the token's cnf). */
void kbs_client_guest_key_public(const struct kbs_client_guest_key *key, uint8_t ret_pk[32]);

/* kbs_client_guest_key_free wipes and frees a key pair (NULL ok). */
void kbs_client_guest_key_free(struct kbs_client_guest_key *key);

/*
 * kbs_client_get_keys fetches GET /v1/keys into a malloc'd NUL-terminated
 * string (free it) after checking that it parses as a JWK set with at
 * least one Ed25519 key. Not authenticated by itself: compare the keys
 * with one distributed out of band.
 */
KBS_MUST_CHECK int kbs_client_get_keys(struct kbs_client *c, char **ret_jwks);

/* ---- Tokens ----------------------------------------------------------- */

/* A released secret as the token lists it. */
struct kbs_client_token_secret {
	char name[KBS_CLIENT_NAME_MAX + 1];
	char policy[KBS_CLIENT_NAME_MAX + 1];
	uint32_t version;
	uint8_t sha256[32];
};

/* The claims of a verified token (docs/protocol.md, "The attestation token"). */
struct kbs_client_token_claims {
	char kid[128];
	int64_t iat, exp;
	char jti[65];
	char verifier_build[128]; /* ear.verifier-id.build */
	char status[32];          /* ear.status: always "affirming" once verified */
	char appraisal_policy_id[65];
	uint8_t cnf_x25519[32]; /* the guest key the token is bound to */
	size_t secret_count;
	struct kbs_client_token_secret secrets[KBS_CLIENT_MAX_SECRETS];
	/* kbs.evidence: what the verified report showed */
	char product[16];  /* "milan", "genoa", "turin" */
	char signer[8];    /* "vcek" or "vlek" */
	char chip_id[129]; /* hex; "" when masked or VLEK */
	char csp_id[128];  /* VLEK only */
	char measurement[97];
	char host_data[65];
	uint32_t report_version;
	/* TCB_VERSIONs and the guest policy as the token writes them: 16 hex digits */
	char reported_tcb[17], committed_tcb[17], launch_tcb[17], guest_policy[17];
	uint32_t vmpl, guest_svn;
	int extra_root; /* 1: the chain ended at a --trust-root, not an AMD root */
};

/*
 * kbs_client_token_verify checks token (a JWT, len bytes) against a JWK set
 * (jwks, jwks_len bytes, e.g. from kbs_client_get_keys) at time now (Unix
 * seconds): header alg EdDSA with a kid found in the set, the Ed25519
 * signature, then exp > now, iat <= now + 60, the EAR profile, status
 * "affirming" and every claim's type and length. The payload is parsed
 * only after the signature verifies. *ret is set only on success.
 * KBS_ERR_CLIENT_TOKEN_MALFORMED, _KID, _SIGNATURE, _EXPIRED, _CLAIMS,
 * KBS_ERR_CLIENT_JWKS, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_client_token_verify(const char *token, size_t len, const char *jwks,
    size_t jwks_len, int64_t now, struct kbs_client_token_claims *ret);

/*
 * kbs_client_token_verify_key is kbs_client_token_verify with one pinned Ed25519 key
 * instead of a set; the header's kid is required but not compared.
 */
KBS_MUST_CHECK int kbs_client_token_verify_key(const char *token, size_t len, const uint8_t pk[32],
    int64_t now, struct kbs_client_token_claims *ret);

/* ---- Outcome classes -------------------------------------------------- */

enum kbs_client_class {
	KBS_CLIENT_RELEASED = 0,
	KBS_CLIENT_CLASS_DENIED,          /* a policy said no */
	KBS_CLIENT_CLASS_USAGE,           /* a bad argument, a local I/O error */
	KBS_CLIENT_CLASS_UNREACHABLE,     /* try again later */
	KBS_CLIENT_CLASS_EVIDENCE,        /* bad evidence or attester */
	KBS_CLIENT_CLASS_UNAUTHENTICATED, /* bad signature, TLS, protocol violation */
	KBS_CLIENT_CLASS_REFUSED,         /* any other refusal by the broker */
};

/* kbs_client_exit_class sorts a return code into a class (kbs-client's exit code). */
enum kbs_client_class kbs_client_exit_class(int code);

#endif
