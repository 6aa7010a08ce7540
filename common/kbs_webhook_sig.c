/*
 * kbs_webhook_sig.c: HMAC-SHA256 webhook signatures (see the header).
 *
 * The MAC runs over a multi-part libsodium state, timestamp text, ".",
 * then the body, so the body is never copied next to its prefix.
 * Verification decodes the header's digits with the constant-time hex
 * decoder and compares the two MACs with crypto_verify_32, so a receiver
 * built on it leaks nothing of the expected MAC through timing.
 */
#include "kbs_webhook_sig.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_codec.h"
#include "kbs_file.h"

/* A hex file of a 64-byte key: 128 digits, a newline, and one byte to tell a longer file apart. */
#define KEY_FILE_READ_MAX (2 * KBS_WEBHOOK_KEY_MAX + 2)

static int
mac(const uint8_t *key, size_t key_len, uint64_t timestamp, const uint8_t *body, size_t body_len,
    uint8_t out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	char ts[24];
	int n;

	if (key == NULL || key_len < KBS_WEBHOOK_KEY_MIN || key_len > KBS_WEBHOOK_KEY_MAX ||
	    (body == NULL && body_len > 0))
		return KBS_ERR_INVALID_ARGUMENT;
	n = snprintf(ts, sizeof(ts), "%llu", (unsigned long long)timestamp);
	if (n <= 0 || (size_t)n >= sizeof(ts))
		return KBS_ERR_INTERNAL;
	/* libsodium's HMAC init and updates only fail for lengths past any size_t here. */
	if (crypto_auth_hmacsha256_init(&st, key, key_len) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, (size_t)n) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1) != 0 ||
	    (body_len > 0 && crypto_auth_hmacsha256_update(&st, body, body_len) != 0) ||
	    crypto_auth_hmacsha256_final(&st, out) != 0) {
		sodium_memzero(&st, sizeof(st));
		return KBS_ERR_INTERNAL;
	}
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int
kbs_webhook_sign(const uint8_t *key, size_t key_len, uint64_t timestamp, const uint8_t *body,
    size_t body_len, char ret_hex[65])
{
	uint8_t m[crypto_auth_hmacsha256_BYTES];
	int r;

	if ((r = mac(key, key_len, timestamp, body, body_len, m)) == 0)
		r = kbs_hex_encode(m, sizeof(m), ret_hex, KBS_WEBHOOK_SIG_HEX_SIZE);
	sodium_memzero(m, sizeof(m));
	return r;
}

int
kbs_webhook_verify(const uint8_t *key, size_t key_len, uint64_t timestamp, const uint8_t *body,
    size_t body_len, const char *sig)
{
	const size_t plen = sizeof(KBS_WEBHOOK_SIG_PREFIX) - 1;
	uint8_t want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	int r;

	if ((r = mac(key, key_len, timestamp, body, body_len, want)) != 0)
		goto out;
	r = KBS_ERR_WEBHOOK_SIGNATURE;
	if (sig == NULL || strncmp(sig, KBS_WEBHOOK_SIG_PREFIX, plen) != 0 ||
	    strlen(sig + plen) != 2 * sizeof(got) ||
	    kbs_hex_decode_exact(sig + plen, 2 * sizeof(got), got, sizeof(got)) != 0)
		goto out;
	if (crypto_verify_32(want, got) != 0)
		goto out;
	r = 0;
out:
	sodium_memzero(want, sizeof(want));
	sodium_memzero(got, sizeof(got));
	return r;
}

/* all_hex: every byte of s[0..n) is a hex digit (the key's digits: read in constant time). */
static int
all_hex(const uint8_t *s, size_t n)
{
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned c = s[i];

		/* | 0x20 folds A-F onto a-f and maps no other byte there. */
		bad |= (unsigned)((c - '0') > 9u && ((c | 0x20) - 'a') > 5u);
	}
	return bad == 0;
}

int
kbs_webhook_key_load(const char *path, uint8_t ret_key[64], size_t *ret_len)
{
	uint8_t *buf = NULL;
	size_t len = 0, text_len;
	int r;

	if (path == NULL || ret_key == NULL || ret_len == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	r = kbs_file_read_private(path, KEY_FILE_READ_MAX, KBS_ERR_WEBHOOK_KEY_FILE, &buf, &len);
	if (r != 0) /* longer than any key's text: not a key file */
		return r == KBS_ERR_TOO_LARGE ? KBS_ERR_WEBHOOK_KEY_FILE : r;
	r = KBS_ERR_WEBHOOK_KEY_FILE;
	text_len = len > 0 && buf[len - 1] == '\n' ? len - 1 : len;
	if (text_len % 2 == 0 && text_len >= 2 * KBS_WEBHOOK_KEY_MIN &&
	    text_len <= 2 * KBS_WEBHOOK_KEY_MAX && all_hex(buf, text_len)) {
		if (kbs_hex_decode_exact((const char *)buf, text_len, ret_key, text_len / 2) != 0)
			goto out;
		*ret_len = text_len / 2;
	} else if (len >= KBS_WEBHOOK_KEY_MIN && len <= KBS_WEBHOOK_KEY_MAX) {
		memcpy(ret_key, buf, len);
		*ret_len = len;
	} else {
		goto out;
	}
	r = 0;
out:
	sodium_memzero(buf, len);
	free(buf);
	return r;
}

void
kbs_webhook_new_id(char ret_id[KBS_WEBHOOK_ID_SIZE])
{
	uint8_t rnd[16];

	randombytes_buf(rnd, sizeof(rnd));
	/* 16 bytes always fit 33: the encoder cannot fail here. */
	if (kbs_hex_encode(rnd, sizeof(rnd), ret_id, KBS_WEBHOOK_ID_SIZE) != 0)
		ret_id[0] = '\0';
}

/* id_ok: exactly 32 lower-case hex digits (an id is public; no constant time needed). */
static int
id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (i >= 32 || !((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return i == 32;
}

int
kbs_webhook_headers_make(const uint8_t *key, size_t key_len, const char *id, uint64_t timestamp,
    const uint8_t *body, size_t body_len, struct kbs_webhook_headers *h)
{
	char hex[KBS_WEBHOOK_SIG_HEX_SIZE];
	int r;

	if (id == NULL || h == NULL || !id_ok(id))
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = kbs_webhook_sign(key, key_len, timestamp, body, body_len, hex)) != 0)
		return r;
	snprintf(h->id, sizeof(h->id), "KBS-Webhook-Id: %s", id);
	snprintf(h->timestamp, sizeof(h->timestamp), "KBS-Webhook-Timestamp: %llu",
	    (unsigned long long)timestamp);
	snprintf(h->signature, sizeof(h->signature),
	    "KBS-Webhook-Signature: " KBS_WEBHOOK_SIG_PREFIX "%s", hex);
	return 0;
}
