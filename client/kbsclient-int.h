/*
 * kbsclient-int.h (private to client/ and kbs-admin): the HTTP layer, the
 * response parsers and the seams the unit tests drive.
 *
 * Layers: http.c moves bytes (libcurl, bounded, no redirects);
 * kbsclient_parse.c turns answer bytes into checked values without any
 * I/O (the fuzz target calls it); kbsclient.c sequences the exchange.
 */
#ifndef KBS_CLIENT_INT_H
#define KBS_CLIENT_INT_H

#include <cjson/cJSON.h>

#include "kbs_common.h"
#include "kbs_proto.h"
#include "kbsclient.h"

/* ---- HTTP (http.c) ---------------------------------------------------- */

struct kbsc_http;

struct kbsc_http_options {
	const char *url; /* http://, https:// or unix:PATH */
	unsigned connect_ms;
	unsigned total_ms;
	const char *ca_file; /* NULL: the system bundle */
	size_t max_body;     /* answers past this are KBS_ERR_TOO_LARGE */
};

/* One answer; body is NUL-terminated one past len, and wiped when freed. */
struct kbsc_http_response {
	long status;
	uint8_t *body;
	size_t len;
	char request_id[65]; /* X-Request-Id, sanitised; "" when absent */
	char transport[256]; /* libcurl's error text on a transport error */
};

/*
 * kbsc_http_url_check validates a broker URL; KBS_ERR_CLIENT_URL when it is
 * neither http://, https:// nor unix:PATH, or holds control characters,
 * spaces, a query or a fragment.
 */
KBS_MUST_CHECK int kbsc_http_url_check(const char *url);

/*
 * kbsc_http_path writes prefix, then segment percent-encoded (every byte
 * but A-Z a-z 0-9 - . _, so a '/' in a secret name stays inside one path
 * segment as %2F), then query (NULL: none, else copied as is) into out.
 * KBS_ERR_BUFFER_TOO_SMALL.
 */
KBS_MUST_CHECK int kbsc_http_path(
    const char *prefix, const char *segment, const char *query, char *out, size_t out_size);

/* kbsc_http_new copies the options. KBS_ERR_CLIENT_URL, KBS_ERR_ALLOC, KBS_ERR_INTERNAL. */
KBS_MUST_CHECK int kbsc_http_new(const struct kbsc_http_options *opts, struct kbsc_http **ret);
void kbsc_http_free(struct kbsc_http *h);
KBS_MUST_CHECK int kbsc_http_set_timeouts(
    struct kbsc_http *h, unsigned connect_ms, unsigned total_ms);
KBS_MUST_CHECK int kbsc_http_set_ca_file(struct kbsc_http *h, const char *path);
/* kbsc_http_set_max_body changes the answer cap for the next requests. */
void kbsc_http_set_max_body(struct kbsc_http *h, size_t max_body);

/*
 * kbsc_http_set_if_match sends "If-Match: \"REVISION\"" with the next
 * requests (a replicated broker's expected revision, docs/admin-api.md);
 * NULL stops it. KBS_ERR_INVALID_ARGUMENT unless 1..19 decimal digits.
 */
KBS_MUST_CHECK int kbsc_http_set_if_match(struct kbsc_http *h, const char *revision);

/*
 * kbsc_http_request sends METHOD base-url+path (path starts with '/'),
 * with body[0..body_len) as application/json when body is not NULL and
 * with "Authorization: Bearer <bearer>" when bearer is not NULL. It
 * returns 0 whenever an HTTP answer arrived, whatever its status, with
 * *ret filled (free with kbsc_http_response_clear); otherwise
 * KBS_ERR_CLIENT_UNREACHABLE (connect, DNS, timeout, reset),
 * KBS_ERR_CLIENT_TLS (certificate verification), KBS_ERR_TOO_LARGE (the
 * answer passed max_body) or KBS_ERR_ALLOC, with ret->transport set.
 * Redirects are never followed (a 3xx is just an answer).
 */
KBS_MUST_CHECK int kbsc_http_request(struct kbsc_http *h, const char *method, const char *path,
    const char *bearer, const uint8_t *body, size_t body_len, struct kbsc_http_response *ret);

/* kbsc_http_response_clear wipes and frees the body (NULL ok). */
void kbsc_http_response_clear(struct kbsc_http_response *r);

/*
 * kbsc_http_transient says whether an answer status is worth a retry:
 * 429 and every 5xx but 501 and 505.
 */
int kbsc_http_transient(long status);

/* ---- Strict readers for answer members (kbsclient_parse.c) ----------- */

/*
 * kbsc_json_parse parses exactly one JSON object from body[0..len)
 * (whitespace after it allowed) that repeats none of its top-level
 * member names. KBS_ERR_CLIENT_RESPONSE_MALFORMED otherwise.
 */
KBS_MUST_CHECK int kbsc_json_parse(const uint8_t *body, size_t len, cJSON **ret);

/* kbsc_member returns obj's member key (case-sensitive) or NULL. */
const cJSON *kbsc_member(const cJSON *obj, const char *key);

/*
 * kbsc_get_b64 decodes member key of obj (a canonical base64 string) into
 * exactly n bytes of out. KBS_ERR_CLIENT_RESPONSE_MALFORMED otherwise.
 */
KBS_MUST_CHECK int kbsc_get_b64(const cJSON *obj, const char *key, uint8_t *out, size_t n);

/*
 * kbsc_get_str copies member key (a string of min..max bytes, each in the
 * charset given as a predicate) into out (max + 1 bytes).
 */
KBS_MUST_CHECK int kbsc_get_str(
    const cJSON *obj, const char *key, size_t min, size_t max, int (*ok)(int ch), char *out);

/* kbsc_get_uint reads member key: an integer 0..max. */
KBS_MUST_CHECK int kbsc_get_uint(const cJSON *obj, const char *key, uint64_t max, uint64_t *ret);

/* Character classes. */
int kbsc_is_name_char(int ch);   /* secret names: [A-Za-z0-9._:/@+-] */
int kbsc_is_hex_lower(int ch);   /* [0-9a-f] */
int kbsc_is_code_char(int ch);   /* error and rule ids: [a-z0-9._-] */
int kbsc_is_printable(int ch);   /* ASCII 0x20..0x7e */
int kbsc_is_b64url_char(int ch); /* [A-Za-z0-9_-] */

/* kbsc_trim_space finds data[*ret_start..*ret_end) without surrounding spaces, tabs and newlines.
 */
void kbsc_trim_space(const uint8_t *data, size_t len, size_t *ret_start, size_t *ret_end);

/* ---- Answers (kbsclient_parse.c) ------------------------------------ */

/* kbsc_parse_challenge reads a 200 answer of /v1/challenge. */
KBS_MUST_CHECK int kbsc_parse_challenge(const uint8_t *body, size_t len,
    uint8_t ret_nonce[KBS_PROTO_BINDING_SIZE], int64_t *ret_expires_at);

/*
 * What an answer must match: the binding (the challenge nonce, or
 * SHA-256 of the token), the guest key pair, the pinned broker key (NULL:
 * not checked), and the names asked for. kind_attest: the answer of
 * /v1/attest (version, nonce and token required) rather than of
 * /v1/secrets (binding required, no token).
 */
struct kbsc_expect {
	int kind_attest;
	uint8_t binding[KBS_PROTO_BINDING_SIZE];
	const uint8_t *guest_pk;  /* 32 bytes */
	const uint8_t *guest_sk;  /* 32 bytes, secret */
	const uint8_t *server_pk; /* 32 bytes or NULL */
	const char *const *names;
	size_t count;
};

/*
 * kbsc_open_response checks a 200 answer and unwraps its secrets, in this
 * order: strict structure (every used member present, of the right type
 * and length; unknown members ignored), version (attest), echoed nonce
 * or binding, the signature over kbs_proto_signed_bytes (when server_pk is
 * set), the set of names (each asked for exactly once), then the key
 * agreement and every AEAD open. All or nothing: on failure nothing is
 * returned and every plaintext is wiped.
 * KBS_ERR_CLIENT_RESPONSE_MALFORMED, KBS_ERR_CLIENT_RESPONSE_VERSION,
 * KBS_ERR_CLIENT_RESPONSE_BINDING, KBS_ERR_RESPONSE_SIGNATURE,
 * KBS_ERR_CLIENT_SECRET_MISSING, KBS_ERR_CLIENT_SECRET_UNEXPECTED,
 * KBS_ERR_WRAP_WEAK_KEY, KBS_ERR_WRAP_OPEN, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbsc_open_response(const uint8_t *body, size_t len,
    const struct kbsc_expect *exp, struct kbs_client_release **ret);

/*
 * kbsc_parse_failure reads a non-200 answer into f (code left alone;
 * error, message, check, detail, request_id and the denied list filled
 * from the body when it is a well-formed error object) and returns the
 * code the call fails with: KBS_ERR_CLIENT_DENIED (403 policy_denied with
 * a well-formed denied list), KBS_ERR_CLIENT_EVIDENCE_REJECTED (evidence,
 * report_*, report_data_nonce), KBS_ERR_CLIENT_UNREACHABLE (429, 5xx:
 * transient), KBS_ERR_CLIENT_HTTP_STATUS (1xx, 2xx, 3xx),
 * KBS_ERR_CLIENT_RESPONSE_MALFORMED (a 403 policy_denied whose denied
 * list is malformed), else KBS_ERR_CLIENT_REFUSED.
 */
int kbsc_parse_failure(long status, const uint8_t *body, size_t len, struct kbs_client_failure *f);

/* ---- JWK (kbsclient_token.c) ---------------------------------------- */

/*
 * kbsc_jwk_ed25519 reads an OKP Ed25519 JWK object (kty, crv, x; alg "EdDSA"
 * and use "sig" when present). KBS_ERR_CLIENT_JWKS otherwise.
 */
KBS_MUST_CHECK int kbsc_jwk_ed25519(const cJSON *jwk, uint8_t ret_pk[32]);

/*
 * kbsc_jwks_find looks kid up in a JWK set and copies its key. Keys of
 * other types are skipped (a set may hold several); a malformed Ed25519
 * entry, or a set with no Ed25519 key, is KBS_ERR_CLIENT_JWKS; a kid not
 * found is KBS_ERR_CLIENT_TOKEN_KID. With kid NULL it only checks the set.
 */
KBS_MUST_CHECK int kbsc_jwks_find(
    const char *jwks, size_t jwks_len, const char *kid, uint8_t ret_pk[32]);

/* kbsc_b64url_decode decodes unpadded base64url into exactly n bytes. */
KBS_MUST_CHECK int kbsc_b64url_decode(const char *s, size_t len, uint8_t *out, size_t n);

/* ---- Private files (kbsclient_file.c) -------------------------------- */

/* A file written beside its destination and renamed into place on commit. */
struct kbsc_staged {
	char tmp[4096];
	char dest[4096];
	int staged;
};

/*
 * kbsc_stage_file writes data[0..len) to a new 0600 file beside dest and
 * fsyncs it. KBS_ERR_INVALID_ARGUMENT for a path too long, KBS_ERR_SYSTEM
 * (errno kept). Call kbsc_stage_abort afterwards in every case.
 */
KBS_MUST_CHECK int kbsc_stage_file(
    struct kbsc_staged *s, const char *dest, const uint8_t *data, size_t len);
/* kbsc_stage_commit renames the staged file over its destination; KBS_ERR_SYSTEM. */
KBS_MUST_CHECK int kbsc_stage_commit(struct kbsc_staged *s);
/* kbsc_stage_abort removes a file still staged (errno preserved). */
void kbsc_stage_abort(struct kbsc_staged *s);
/* kbsc_write_private_file stages and commits one file. */
KBS_MUST_CHECK int kbsc_write_private_file(const char *path, const uint8_t *data, size_t len);
/* kbsc_write_fd writes everything, retrying short writes; KBS_ERR_SYSTEM. */
KBS_MUST_CHECK int kbsc_write_fd(int fd, const uint8_t *data, size_t len);

/* ---- Seams for tests (kbsclient.c) ---------------------------------- */

/*
 * A transport: the unit tests replace HTTP with a function that answers
 * from memory, so the whole exchange (retries, re-challenge, checks) runs
 * without a network. Same contract as kbsc_http_request.
 */
typedef int (*kbsc_transport_fn)(void *ctx, const char *method, const char *path,
    const char *bearer, const uint8_t *body, size_t body_len, struct kbsc_http_response *ret);

void kbsc_set_transport(struct kbs_client *c, kbsc_transport_fn fn, void *ctx);

/* kbsc_set_sleep replaces the backoff sleep (milliseconds). */
void kbsc_set_sleep(struct kbs_client *c, void (*fn)(void *ctx, unsigned ms), void *ctx);

/* kbsc_backoff_ms: the delay before retry number attempt (1-based), jitter excluded. */
unsigned kbsc_backoff_ms(unsigned base_ms, unsigned attempt);

#endif
