/*
 * kbs_webhook_sig.h: the signature of a webhook POST (docs/webhooks.md),
 * shared by the broker's sender (kbs/webhook.c) and `kbs-client watch`.
 *
 * signature = lower-case hex of HMAC-SHA256(key, decimal(timestamp) "." body)
 *
 * where timestamp is the Unix seconds of the KBS-Webhook-Timestamp header
 * and body the exact bytes sent. Every POST carries
 *
 *   KBS-Webhook-Id: 32 lower-case hex digits (128 random bits; the same on
 *                   every retry of one event, so a receiver can drop repeats)
 *   KBS-Webhook-Timestamp: decimal Unix seconds of this attempt
 *   KBS-Webhook-Signature: v1=<64 lower-case hex digits>
 *   Content-Type: application/json
 *
 * The key is 32 to 64 bytes from a file (kbs_webhook_key_load). The
 * timestamp is signed so that a receiver can refuse old deliveries
 * (replays of a recorded POST); the id is what it deduplicates on.
 */
#ifndef KBS_WEBHOOK_SIG_H
#define KBS_WEBHOOK_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

#define KBS_WEBHOOK_KEY_MIN 32
#define KBS_WEBHOOK_KEY_MAX 64
#define KBS_WEBHOOK_SIG_HEX_SIZE 65 /* 64 digits and a NUL */
#define KBS_WEBHOOK_ID_SIZE 33      /* 32 digits and a NUL */
#define KBS_WEBHOOK_SIG_PREFIX "v1="

/*
 * kbs_webhook_sign writes the signature of body[0..body_len) at timestamp
 * under key[0..key_len) (KBS_WEBHOOK_KEY_MIN..MAX bytes) into ret_hex as
 * 64 lower-case hex digits and a NUL. body may be NULL when body_len is 0.
 * KBS_ERR_INVALID_ARGUMENT for a key of another length; ret_hex is then
 * untouched.
 */
KBS_MUST_CHECK int kbs_webhook_sign(const uint8_t *key, size_t key_len, uint64_t timestamp,
    const uint8_t *body, size_t body_len, char ret_hex[65]);

/*
 * kbs_webhook_verify checks sig, the value of a KBS-Webhook-Signature
 * header ("v1=" and 64 hex digits, either case), against body at timestamp
 * in constant time. 0 when it matches; KBS_ERR_WEBHOOK_SIGNATURE when it
 * is malformed or does not match; KBS_ERR_INVALID_ARGUMENT for a bad key
 * length.
 */
KBS_MUST_CHECK int kbs_webhook_verify(const uint8_t *key, size_t key_len, uint64_t timestamp,
    const uint8_t *body, size_t body_len, const char *sig);

/*
 * kbs_webhook_key_load reads a webhook secret file: a regular file (not a
 * symlink) owned by the effective user with no group or other permission,
 * holding either 64 to 128 hex digits (an even number, one optional
 * trailing newline) or, if it is anything else, 32 to 64 raw bytes used as
 * they are. *ret_len gets the key length; ret_key must hold
 * KBS_WEBHOOK_KEY_MAX bytes and is set only on success (the caller wipes
 * it). KBS_ERR_SYSTEM (errno kept) when the file cannot be opened or read,
 * KBS_ERR_WEBHOOK_KEY_FILE for ownership, mode, type or length.
 */
KBS_MUST_CHECK int kbs_webhook_key_load(const char *path, uint8_t ret_key[64], size_t *ret_len);

/* kbs_webhook_new_id writes a fresh random event id (32 lower-case hex digits, NUL). */
void kbs_webhook_new_id(char ret_id[KBS_WEBHOOK_ID_SIZE]);

/*
 * The three signed header lines of one attempt, ready for an HTTP
 * client's header list ("Name: value", no CRLF).
 */
struct kbs_webhook_headers {
	char id[64];
	char timestamp[64];
	char signature[96];
};

/*
 * kbs_webhook_headers_make signs body at timestamp and fills h. id is an
 * event id of kbs_webhook_new_id. KBS_ERR_INVALID_ARGUMENT for a bad key
 * length or an id that is not 32 hex digits.
 */
KBS_MUST_CHECK int kbs_webhook_headers_make(const uint8_t *key, size_t key_len, const char *id,
    uint64_t timestamp, const uint8_t *body, size_t body_len, struct kbs_webhook_headers *h);

#endif
