/*
 * kbs_proto.h: the cryptographic constructions of protocol v1, shared by
 * the broker (kbs/) and the guest library (client/), so both sides compute
 * the same bytes from one piece of code. docs/protocol.md ("Wrapping a
 * secret", "The response signature") specifies every byte; the test
 * vectors in tests/vectors/proto/ are checked against this code.
 *
 * Wrapping: the broker's ephemeral X25519 pair (e, E) and the guest's
 * REPORT_DATA key G give key = BLAKE2b-256("kbs-wrap-v1" || X25519(e, G)
 * || E || G); each secret is XChaCha20-Poly1305 under key with
 * ad = "kbs-wrap-v1" || u8(len name) || name || binding (32 bytes: the
 * challenge nonce, or SHA-256 of the token).
 *
 * Signature: Ed25519 over kbs_proto_signed_bytes(), a length-prefixed
 * transcript of the response that includes the binding and G.
 *
 * Keys passed in are never copied beyond the call; derived keys land in
 * caller-owned buffers that the caller wipes (sodium_memzero).
 */
#ifndef KBS_PROTO_H
#define KBS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

#define KBS_PROTO_VERSION 1
#define KBS_PROTO_X25519_SIZE 32  /* public and private keys, shared secret */
#define KBS_PROTO_KEY_SIZE 32     /* the derived wrapping key */
#define KBS_PROTO_BINDING_SIZE 32 /* nonce or token hash */
#define KBS_PROTO_AEAD_NONCE_SIZE 24
#define KBS_PROTO_TAG_SIZE 16
#define KBS_PROTO_NAME_MAX 255 /* secret names, one length byte in the AD */
#define KBS_PROTO_ED25519_PK_SIZE 32
#define KBS_PROTO_ED25519_SK_SIZE 64
#define KBS_PROTO_SIG_SIZE 64

/*
 * kbs_wrap_key_broker derives the wrapping key on the broker's side from
 * its ephemeral private key e_sk, its public key e_pk (E) and the guest's
 * public key g_pk (G). kbs_wrap_key_guest derives the same key on the
 * guest's side from g_sk, g_pk and e_pk. Both return 0, or
 * KBS_ERR_WRAP_WEAK_KEY when X25519 gives the all-zero value (a
 * small-order public key). ret_key is written only on success.
 */
KBS_MUST_CHECK int kbs_wrap_key_broker(const uint8_t e_sk[KBS_PROTO_X25519_SIZE],
    const uint8_t e_pk[KBS_PROTO_X25519_SIZE], const uint8_t g_pk[KBS_PROTO_X25519_SIZE],
    uint8_t ret_key[KBS_PROTO_KEY_SIZE]);
KBS_MUST_CHECK int kbs_wrap_key_guest(const uint8_t g_sk[KBS_PROTO_X25519_SIZE],
    const uint8_t g_pk[KBS_PROTO_X25519_SIZE], const uint8_t e_pk[KBS_PROTO_X25519_SIZE],
    uint8_t ret_key[KBS_PROTO_KEY_SIZE]);

/*
 * kbs_wrap_ad_len returns the associated-data length for a name of
 * name_len bytes; kbs_wrap_ad writes it into out (kbs_wrap_ad_len bytes).
 * Exposed for the test vectors; seal and open build it themselves.
 */
size_t kbs_wrap_ad_len(size_t name_len);
KBS_MUST_CHECK int kbs_wrap_ad(const char *name, size_t name_len,
    const uint8_t binding[KBS_PROTO_BINDING_SIZE], uint8_t *out, size_t out_size);

/*
 * kbs_wrap_seal encrypts value[0..len) into out, which must hold
 * len + KBS_PROTO_TAG_SIZE bytes. KBS_ERR_INVALID_ARGUMENT for a name of 0
 * or more than KBS_PROTO_NAME_MAX bytes; KBS_ERR_BUFFER_TOO_SMALL.
 */
KBS_MUST_CHECK int kbs_wrap_seal(const uint8_t key[KBS_PROTO_KEY_SIZE],
    const uint8_t aead_nonce[KBS_PROTO_AEAD_NONCE_SIZE], const char *name, size_t name_len,
    const uint8_t binding[KBS_PROTO_BINDING_SIZE], const uint8_t *value, size_t len, uint8_t *out,
    size_t out_size);

/*
 * kbs_wrap_open decrypts ct[0..ct_len) into out (ct_len - 16 bytes) and
 * sets *ret_len. KBS_ERR_WRAP_OPEN when the tag does not verify (wrong key,
 * name, binding or a changed byte; out is wiped then), KBS_ERR_TRUNCATED
 * for ct_len < 16, KBS_ERR_BUFFER_TOO_SMALL, KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int kbs_wrap_open(const uint8_t key[KBS_PROTO_KEY_SIZE],
    const uint8_t aead_nonce[KBS_PROTO_AEAD_NONCE_SIZE], const char *name, size_t name_len,
    const uint8_t binding[KBS_PROTO_BINDING_SIZE], const uint8_t *ct, size_t ct_len, uint8_t *out,
    size_t out_size, size_t *ret_len);

/* One released secret, as it appears in a response (all fields borrowed). */
struct kbs_proto_secret {
	const char *name;
	const char *policy_name;
	uint32_t policy_version;
	uint8_t policy_sha256[32];
	uint8_t aead_nonce[KBS_PROTO_AEAD_NONCE_SIZE];
	const uint8_t *ciphertext;
	size_t ciphertext_len;
};

/* A response to be signed or checked (all fields borrowed). */
struct kbs_proto_response {
	uint8_t binding[KBS_PROTO_BINDING_SIZE];
	uint8_t guest_key[KBS_PROTO_X25519_SIZE];
	uint8_t wrap_key[KBS_PROTO_X25519_SIZE];
	const char *request_id;
	size_t count;
	const struct kbs_proto_secret *secrets;
	const char *token; /* "" when none */
};

/*
 * kbs_proto_signed_bytes builds the transcript of docs/protocol.md into a
 * malloc'd buffer (*ret, *ret_len; free() it). KBS_ERR_INVALID_ARGUMENT
 * when a string is longer than 65535 bytes or a count exceeds 2^32-1;
 * KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_proto_signed_bytes(
    const struct kbs_proto_response *resp, uint8_t **ret, size_t *ret_len);

/* kbs_proto_sign signs the transcript with an Ed25519 secret key (libsodium's 64-byte form). */
KBS_MUST_CHECK int kbs_proto_sign(const struct kbs_proto_response *resp,
    const uint8_t sk[KBS_PROTO_ED25519_SK_SIZE], uint8_t ret_sig[KBS_PROTO_SIG_SIZE]);

/*
 * kbs_proto_verify checks sig over the transcript with the broker's
 * public key. 0, or KBS_ERR_RESPONSE_SIGNATURE.
 */
KBS_MUST_CHECK int kbs_proto_verify(const struct kbs_proto_response *resp,
    const uint8_t pk[KBS_PROTO_ED25519_PK_SIZE], const uint8_t sig[KBS_PROTO_SIG_SIZE]);

#endif
