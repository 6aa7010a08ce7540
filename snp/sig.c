/*
 * sig.c: ECDSA P-384 / SHA-384 verification of the report signature.
 *
 * Format notes: the report stores R and S as little-endian integers, each
 * zero-padded to 72 bytes (SEV-SNP ABI, "ECDSA P-384 with SHA-384"
 * signature format). Only the low 48 bytes may be non-zero; each value
 * must lie in [1, n-1] for the P-384 group order n. Both backends (nettle
 * here, OpenSSL in sig_openssl.c for tests) apply these checks before any
 * curve arithmetic, so they agree on malformed input as well as on valid
 * and invalid signatures. The key is imported for nettle alone: the
 * OpenSSL key is built only where that backend runs.
 */
#include "sig-int.h"

#include <string.h>

#include <gmp.h>
#include <nettle/dsa.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecdsa.h>
#include <nettle/sha2.h>

#define P384_BYTES 48
#define SIG_COMPONENT 72

/* The order n of the P-384 group, big-endian (SEC 2 / FIPS 186-4). */
/* clang-format off */
static const uint8_t p384_order_be[P384_BYTES] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2,
	0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};
/* clang-format on */

/* snp_sig_component_ok: padding zero, 0 < v < n. v_le is public data (a signature). */
int
snp_sig_component_ok(const uint8_t v_le[SIG_COMPONENT])
{
	size_t i;
	int nonzero = 0;

	for (i = P384_BYTES; i < SIG_COMPONENT; i++) {
		if (v_le[i] != 0)
			return 0;
	}
	for (i = 0; i < P384_BYTES; i++)
		nonzero |= v_le[i];
	if (!nonzero)
		return 0;
	/* Compare big-endian: most significant byte is v_le[47]. */
	for (i = 0; i < P384_BYTES; i++) {
		uint8_t a = v_le[P384_BYTES - 1 - i], b = p384_order_be[i];

		if (a != b)
			return a < b;
	}
	return 0; /* equal to n */
}

void
snp_p384_pubkey_clear(struct snp_p384_pubkey *key)
{
	if (key == NULL)
		return;
	if (key->loaded)
		ecc_point_clear(&key->nettle);
	memset(key, 0, sizeof(*key));
}

int
snp_p384_pubkey_import(struct snp_p384_pubkey *key, const uint8_t point[SNP_P384_POINT_SIZE])
{
	mpz_t x, y;
	int r = KBS_ERR_CERT_KEY, point_init = 0;

	if (key == NULL || point == NULL || key->loaded)
		return KBS_ERR_INVALID_ARGUMENT;
	mpz_init(x);
	mpz_init(y);
	if (point[0] != 0x04)
		goto out;
	mpz_import(x, P384_BYTES, 1, 1, 0, 0, point + 1);
	mpz_import(y, P384_BYTES, 1, 1, 0, 0, point + 1 + P384_BYTES);
	ecc_point_init(&key->nettle, nettle_get_secp_384r1());
	point_init = 1;
	/* ecc_point_set rejects coordinates out of range and points off the curve. */
	if (ecc_point_set(&key->nettle, x, y) != 1)
		goto out;
	memcpy(key->point, point, SNP_P384_POINT_SIZE);
	key->loaded = 1;
	point_init = 0;
	r = 0;
out:
	if (point_init)
		ecc_point_clear(&key->nettle);
	mpz_clear(x);
	mpz_clear(y);
	return r;
}

int
snp_sig_verify_p384(const struct snp_p384_pubkey *key, const uint8_t *msg, size_t len,
    const uint8_t r_le[72], const uint8_t s_le[72])
{
	struct sha384_ctx sha;
	struct dsa_signature sig;
	uint8_t digest[SHA384_DIGEST_SIZE];
	int ok;

	if (key == NULL || !key->loaded || (msg == NULL && len != 0) || r_le == NULL ||
	    s_le == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (!snp_sig_component_ok(r_le) || !snp_sig_component_ok(s_le))
		return KBS_ERR_REPORT_SIGNATURE;
	sha384_init(&sha);
	sha384_update(&sha, len, msg);
	sha384_digest(&sha, sizeof(digest), digest);
	dsa_signature_init(&sig);
	mpz_import(sig.r, P384_BYTES, -1, 1, 0, 0, r_le);
	mpz_import(sig.s, P384_BYTES, -1, 1, 0, 0, s_le);
	ok = ecdsa_verify(&key->nettle, sizeof(digest), digest, &sig);
	dsa_signature_clear(&sig);
	return ok == 1 ? 0 : KBS_ERR_REPORT_SIGNATURE;
}
