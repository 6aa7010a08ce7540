/*
 * sig_openssl.c: the OpenSSL backend of the ECDSA P-384 report signature
 * check, for tests and benchmarks (sig_openssl-int.h). Same format rules
 * as sig.c: R and S little-endian, zero-padded to 72 bytes, each checked
 * by snp_sig_component_ok before any curve arithmetic; OpenSSL then gets
 * them as a DER ECDSA-Sig-Value.
 */
#include "sig_openssl-int.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#define P384_BYTES 48

int
snp_p384_pubkey_to_openssl(const struct snp_p384_pubkey *key, EVP_PKEY **ret)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int r = KBS_ERR_CERT_KEY;

	if (key == NULL || !key->loaded || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(
		bld, OSSL_PKEY_PARAM_PUB_KEY, key->point, SNP_P384_POINT_SIZE) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	*ret = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return r;
}

static void
le_to_be(const uint8_t *le, uint8_t be[P384_BYTES])
{
	size_t i;

	for (i = 0; i < P384_BYTES; i++)
		be[i] = le[P384_BYTES - 1 - i];
}

int
snp_sig_verify_p384_openssl(
    EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t r_le[72], const uint8_t s_le[72])
{
	uint8_t rb[P384_BYTES], sb[P384_BYTES];
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	int derlen, ret = KBS_ERR_REPORT_SIGNATURE;

	if (key == NULL || (msg == NULL && len != 0) || r_le == NULL || s_le == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (!snp_sig_component_ok(r_le) || !snp_sig_component_ok(s_le))
		return KBS_ERR_REPORT_SIGNATURE;
	le_to_be(r_le, rb);
	le_to_be(s_le, sb);
	if ((sig = ECDSA_SIG_new()) == NULL || (r = BN_bin2bn(rb, P384_BYTES, NULL)) == NULL ||
	    (s = BN_bin2bn(sb, P384_BYTES, NULL)) == NULL) {
		ret = KBS_ERR_ALLOC;
		goto out;
	}
	if (ECDSA_SIG_set0(sig, r, s) != 1) {
		ret = KBS_ERR_INTERNAL;
		goto out;
	}
	r = s = NULL;
	if ((derlen = i2d_ECDSA_SIG(sig, &der)) <= 0) {
		ret = KBS_ERR_INTERNAL;
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL) {
		ret = KBS_ERR_ALLOC;
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) != 1) {
		ret = KBS_ERR_INTERNAL;
		goto out;
	}
	if (EVP_DigestVerify(md, der, (size_t)derlen, msg, len) == 1)
		ret = 0;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return ret;
}
