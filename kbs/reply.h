/*
 * reply.h: a signed answer carrying wrapped secrets, shared by
 * POST /v1/attest and GET /v1/secrets/{name} (docs/protocol.md).
 */
#ifndef KBS_REPLY_H
#define KBS_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

struct kbs_broker;

struct kbs_reply_secret {
	const char *name;
	const char *policy_name;
	uint32_t policy_version;
	uint8_t policy_sha256[32];
	const uint8_t *value; /* plaintext, borrowed; never copied except into the AEAD */
	size_t value_len;
};

struct kbs_reply {
	uint8_t binding[32];   /* the challenge nonce, or SHA-256 of the token */
	uint8_t guest_key[32]; /* X25519 key the secrets are wrapped to */
	const char *request_id;
	const char *token; /* "" or NULL for none */
	int with_binding;  /* 1: the answer carries "binding" (GET /v1/secrets) */
	size_t count;
	const struct kbs_reply_secret *secrets;
	/*
	 * NULL: kbs_reply_build makes a fresh ephemeral X25519 pair and derives
	 * the wrapping key itself. Otherwise the caller made them for this
	 * reply alone (kbs_wrap_key_broker over guest_key, which also checks
	 * it is not of small order): wrap_pk is sent as "wrap_key" and
	 * wrap_key seals the secrets; the caller wipes both.
	 */
	const uint8_t *wrap_pk;  /* 32 bytes */
	const uint8_t *wrap_key; /* 32 bytes, secret */
};

/*
 * kbs_reply_build wraps every secret to reply->guest_key under one fresh
 * ephemeral key (or the caller's, see wrap_pk), signs the transcript with the identity key and sets
 * a 200 JSON answer in resp. KBS_ERR_WRAP_WEAK_KEY for a small-order guest key, KBS_ERR_ALLOC.
 * Every intermediate key is wiped.
 */
KBS_MUST_CHECK int kbs_reply_build(
    struct kbs_broker *b, const struct kbs_reply *reply, struct kbs_resp *resp);

#endif
