/*
 * fuzz_keystore_records.c: the decoders of stored keystore records
 * (keystore/records.c) over arbitrary bytes, since anyone who can write
 * the data directory controls them.
 *
 * The first input byte picks the decoder (modulo 9: secret, policy, cert,
 * nonce, head, check value, audit, token, audit index), the rest is the
 * stored value. Properties checked besides "no crash": a value that
 * decodes re-encodes to exactly the same bytes (one encoding per record),
 * and a decoded secret record never opens, and a decoded policy or token
 * record never passes its MAC, under a fixed key (a forged record can
 * only fail, with INTEGRITY or MASTER_KEY, never be served).
 */
#include <stdlib.h>
#include <string.h>

#include "keystore-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_or_abort(struct ks_enc e, const uint8_t *p, size_t len)
{
	uint8_t *out = NULL;
	size_t olen = 0;

	if (ks_encode_alloc(e, &out, &olen) != 0)
		abort();
	if (olen != len || memcmp(out, p, len) != 0)
		abort();
	free(out);
}

static struct ks_keys *
fuzz_keys(void)
{
	static struct ks_keys *keys;
	uint8_t master[32];

	if (keys == NULL) {
		memset(master, 0x5c, sizeof(master));
		if (kbs_crypto_init() != 0 || ks_keys_from_bytes(master, &keys) != 0)
			abort();
	}
	return keys;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t len;
	union {
		struct ks_secret_rec secret;
		struct ks_policy_rec policy;
		struct ks_cert_rec cert;
		struct ks_head_rec head;
		struct ks_check_rec check;
		struct keystore_audit_record audit;
		struct ks_token_rec token;
		struct ks_index_rec index;
	} u;
	const char **names = NULL;
	int64_t expires;
	uint8_t *plain;

	if (size < 1)
		return 0;
	len = size - 1;
	switch (data[0] % 9) {
	case 0:
		if (ks_secret_rec_decode(p, len, &u.secret) == 0) {
			int r;

			same_or_abort(ks_enc_secret(&u.secret), p, len);
			if ((plain = malloc(u.secret.ct_len)) == NULL)
				abort();
			r = ks_open_secret(fuzz_keys(), "fuzz", &u.secret, plain);
			if (r != KBS_ERR_STORE_INTEGRITY && r != KBS_ERR_STORE_MASTER_KEY)
				abort();
			free(plain);
		}
		break;
	case 1:
		if (ks_policy_rec_decode(p, len, &u.policy) == 0) {
			int r = ks_policy_check(fuzz_keys(), "fuzz", 4, &u.policy);

			same_or_abort(ks_enc_policy(&u.policy), p, len);
			if (r != KBS_ERR_STORE_INTEGRITY && r != KBS_ERR_STORE_MASTER_KEY)
				abort();
		}
		break;
	case 2:
		if (ks_cert_rec_decode(p, len, &u.cert) == 0)
			same_or_abort(ks_enc_cert(&u.cert), p, len);
		break;
	case 3:
		if (ks_nonce_rec_decode(p, len, &expires) == 0) {
			uint8_t b[16];
			struct ks_w w = { b, sizeof(b), 0 };

			ks_nonce_rec_encode(&w, expires);
			if (w.len != len || memcmp(b, p, len) != 0)
				abort();
		}
		break;
	case 4:
		if (ks_head_rec_decode(p, len, &u.head) == 0)
			same_or_abort(ks_enc_head(&u.head), p, len);
		break;
	case 5:
		if (ks_check_rec_decode(p, len, &u.check) == 0) {
			same_or_abort(ks_enc_check(&u.check), p, len);
			if (ks_check_verify(fuzz_keys(), &u.check) != KBS_ERR_STORE_MASTER_KEY)
				abort();
		}
		break;
	case 6:
		if (ks_audit_rec_decode(p, len, &u.audit, &names) == 0) {
			if (ks_audit_rec_check(&u.audit) != 0)
				abort();
			same_or_abort(ks_enc_audit(&u.audit), p, len);
			free(names);
		}
		break;
	case 7:
		if (ks_token_rec_decode(p, len, &u.token) == 0) {
			int r = ks_token_check(fuzz_keys(), "fuzz", 4, &u.token);

			same_or_abort(ks_enc_token(&u.token), p, len);
			if (r != KBS_ERR_STORE_INTEGRITY && r != KBS_ERR_STORE_MASTER_KEY)
				abort();
		}
		break;
	default:
		if (ks_index_rec_decode(p, len, &u.index) == 0)
			same_or_abort(ks_enc_index(&u.index), p, len);
		break;
	}
	return 0;
}
