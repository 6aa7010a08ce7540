/*
 * test_sig.c: the two P-384 backends (nettle, OpenSSL) agree on every
 * vector: every genuine report verifies with its signer's key, every
 * tampered one and every report under another chip's key fails, and
 * malformed R/S (zero, >= n, non-zero padding) are refused by both. Key
 * import refuses points off the curve.
 */
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "chain-int.h"
#include "sig_openssl-int.h"
#include "snp.h"
#include "test.h"

#define MAX_KEYS 40

/* clang-format off */
static const uint8_t p384_order_le[48] = {
	0x73, 0x29, 0xc5, 0xcc, 0x6a, 0x19, 0xec, 0xec, 0x7a, 0xa7, 0xb0, 0x48,
	0xb2, 0x0d, 0x1a, 0x58, 0xdf, 0x2d, 0x37, 0xf4, 0x81, 0x4d, 0x63, 0xc7,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
/* clang-format on */

struct vec {
	char report[128];
	char signer[128];
	int genuine;
	struct snp_report rep;
	struct snp_p384_pubkey key;
};

static struct vec vecs[MAX_KEYS];
static size_t nvecs;

/* signer_point finds the EC certificate in a signer file and returns its point. */
static void
signer_point(const char *rel, uint8_t point[SNP_P384_POINT_SIZE])
{
	struct snp_certs *c = NULL;
	size_t len = 0, i;
	uint8_t *data = test_read_vector(rel, &len);
	int found = 0;

	CHECK_OK(snp_certs_new(&c));
	CHECK_OK(snp_certs_add(c, data, len));
	for (i = 0; i < snp_certs_count(c) && !found; i++)
		found = snp_check_p384(snp_certs_get(c, i), point) == 0;
	CHECK(found);
	snp_certs_free(c);
	free(data);
}

static void
load_vectors(void)
{
	size_t len = 0;
	char *tsv = (char *)test_read_vector("EXPECTED.tsv", &len), *save = NULL, *line;
	uint8_t point[SNP_P384_POINT_SIZE], *data;

	if (nvecs != 0) {
		free(tsv);
		return;
	}
	line = strtok_r(tsv, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL && nvecs < MAX_KEYS) {
		char *col[6] = { 0 }, *p = line;
		int k;
		struct vec *v;

		for (k = 0; k < 6 && p != NULL; k++) {
			col[k] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (col[4] == NULL || strcmp(col[1], "-") == 0)
			continue;
		v = &vecs[nvecs++];
		snprintf(v->report, sizeof(v->report), "%s", col[0]);
		snprintf(v->signer, sizeof(v->signer), "%s", col[1]);
		v->genuine = strcmp(col[4], "yes") == 0;
		data = test_read_vector(v->report, &len);
		CHECK_OK(snp_report_parse(data, len, &v->rep));
		free(data);
		signer_point(v->signer, point);
		CHECK_OK(snp_p384_pubkey_import(&v->key, point));
	}
	free(tsv);
	CHECK_UINT_EQ(nvecs, 25);
}

static int
both(const struct snp_p384_pubkey *key, const uint8_t *msg, size_t len, const uint8_t *r,
    const uint8_t *s)
{
	EVP_PKEY *ossl = NULL;
	int a = snp_sig_verify_p384(key, msg, len, r, s), b;

	CHECK_OK(snp_p384_pubkey_to_openssl(key, &ossl));
	b = snp_sig_verify_p384_openssl(ossl, msg, len, r, s);
	EVP_PKEY_free(ossl);
	CHECK_ERR(a, b);
	return a;
}

static void
test_backends_agree_on_vectors(void)
{
	size_t i, j, k, genuine = 0;

	load_vectors();
	for (i = 0; i < nvecs; i++) {
		const struct snp_report *rep = &vecs[i].rep;
		int r = both(&vecs[i].key, rep->raw, SNP_REPORT_SIGNED_SIZE, rep->signature_r,
		    rep->signature_s);

		if (vecs[i].genuine) {
			genuine++;
			CHECK_ERR(r, 0);
		} else {
			CHECK_ERR(r, KBS_ERR_REPORT_SIGNATURE);
		}
		/* Under other chips' keys (three each, to keep the test quick): both refuse. */
		for (k = 1; k <= 3; k++) {
			j = (i + k * 5) % nvecs;
			if (memcmp(vecs[i].key.point, vecs[j].key.point, SNP_P384_POINT_SIZE) == 0)
				continue;
			CHECK_ERR(both(&vecs[j].key, rep->raw, SNP_REPORT_SIGNED_SIZE,
				      rep->signature_r, rep->signature_s),
			    KBS_ERR_REPORT_SIGNATURE);
		}
		/* A message one byte shorter, a flipped byte of the message, of S. */
		CHECK_ERR(both(&vecs[i].key, rep->raw, SNP_REPORT_SIGNED_SIZE - 1, rep->signature_r,
			      rep->signature_s),
		    KBS_ERR_REPORT_SIGNATURE);
	}
	CHECK_UINT_EQ(genuine, 22);
}

static void
test_malformed_components(void)
{
	const struct vec *v;
	uint8_t r[72], s[72], msg[SNP_REPORT_SIGNED_SIZE];

	load_vectors();
	v = &vecs[0];
	CHECK(v->genuine);
	memcpy(msg, v->rep.raw, sizeof(msg));
	memcpy(s, v->rep.signature_s, 72);
	/* Genuine, then each malformation of R. */
	memcpy(r, v->rep.signature_r, 72);
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), 0);
	memset(r, 0, 72);
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	memcpy(r, p384_order_le, 48);
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	memset(r, 0xff, 48);
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	memcpy(r, v->rep.signature_r, 72);
	r[48] = 1; /* padding */
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	r[48] = 0;
	r[71] = 0x80;
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	r[71] = 0;
	/* S: zero, n, n + padding trick (R valid). */
	memset(s, 0, 72);
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	memcpy(s, p384_order_le, 48);
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	/* s + n (wraps past 384 bits into the padding): refused, not reduced. */
	memcpy(s, v->rep.signature_s, 72);
	{
		unsigned carry = 0;
		int i;

		for (i = 0; i < 48; i++) {
			unsigned t = (unsigned)s[i] + p384_order_le[i] + carry;

			s[i] = (uint8_t)t;
			carry = t >> 8;
		}
		s[48] = (uint8_t)carry;
	}
	CHECK_ERR(both(&v->key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
	/* Arguments. */
	CHECK_ERR(snp_sig_verify_p384(NULL, msg, sizeof(msg), r, s), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    snp_sig_verify_p384_openssl(NULL, msg, sizeof(msg), r, s), KBS_ERR_INVALID_ARGUMENT);
	{
		struct snp_p384_pubkey unloaded;
		EVP_PKEY *ossl = (EVP_PKEY *)(uintptr_t)0x1;

		memset(&unloaded, 0, sizeof(unloaded));
		CHECK_ERR(snp_p384_pubkey_to_openssl(&unloaded, &ossl), KBS_ERR_INVALID_ARGUMENT);
		CHECK_ERR(snp_p384_pubkey_to_openssl(NULL, &ossl), KBS_ERR_INVALID_ARGUMENT);
		CHECK(ossl == (EVP_PKEY *)(uintptr_t)0x1);
	}
	CHECK_ERR(snp_sig_verify_p384(&v->key, NULL, 5, r, s), KBS_ERR_INVALID_ARGUMENT);
}

/* A signature we make with OpenSSL over random data verifies in both. */
static void
test_fresh_signatures(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-384");
	uint8_t msg[SNP_REPORT_SIGNED_SIZE], point[SNP_P384_POINT_SIZE], r[72], s[72];
	struct snp_p384_pubkey key;
	size_t plen = 0, siglen;
	unsigned char der[128];
	int i;

	CHECK(pk != NULL);
	CHECK(EVP_PKEY_get_octet_string_param(pk, "encoded-pub-key", point, sizeof(point), &plen) ==
	    1);
	CHECK_UINT_EQ(plen, SNP_P384_POINT_SIZE);
	memset(&key, 0, sizeof(key));
	CHECK_OK(snp_p384_pubkey_import(&key, point));
	CHECK_ERR(snp_p384_pubkey_import(&key, point), KBS_ERR_INVALID_ARGUMENT);
	for (i = 0; i < 20; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		const unsigned char *p = der;
		ECDSA_SIG *sig;
		const BIGNUM *br, *bs;

		memset(msg, i, sizeof(msg));
		siglen = sizeof(der);
		CHECK(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, pk) == 1);
		CHECK(EVP_DigestSign(md, der, &siglen, msg, sizeof(msg)) == 1);
		sig = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
		CHECK(sig != NULL);
		ECDSA_SIG_get0(sig, &br, &bs);
		memset(r, 0, sizeof(r));
		memset(s, 0, sizeof(s));
		CHECK(BN_bn2lebinpad(br, r, 48) == 48);
		CHECK(BN_bn2lebinpad(bs, s, 48) == 48);
		CHECK_ERR(both(&key, msg, sizeof(msg), r, s), 0);
		msg[i] ^= 1;
		CHECK_ERR(both(&key, msg, sizeof(msg), r, s), KBS_ERR_REPORT_SIGNATURE);
		ECDSA_SIG_free(sig);
		EVP_MD_CTX_free(md);
	}
	snp_p384_pubkey_clear(&key);
	EVP_PKEY_free(pk);
}

static void
test_key_import(void)
{
	struct snp_p384_pubkey key;
	uint8_t point[SNP_P384_POINT_SIZE];

	load_vectors();
	memset(&key, 0, sizeof(key));
	memcpy(point, vecs[0].key.point, sizeof(point));
	point[0] = 0x02; /* compressed form tag */
	CHECK_ERR(snp_p384_pubkey_import(&key, point), KBS_ERR_CERT_KEY);
	point[0] = 0x04;
	point[96] ^= 1; /* off the curve */
	CHECK_ERR(snp_p384_pubkey_import(&key, point), KBS_ERR_CERT_KEY);
	memset(point + 1, 0xff, 48); /* x >= p */
	CHECK_ERR(snp_p384_pubkey_import(&key, point), KBS_ERR_CERT_KEY);
	memset(point + 1, 0, 96); /* (0, 0) */
	CHECK_ERR(snp_p384_pubkey_import(&key, point), KBS_ERR_CERT_KEY);
	CHECK(!key.loaded);
	snp_p384_pubkey_clear(&key);
	snp_p384_pubkey_clear(NULL);
	CHECK_OK(snp_p384_pubkey_import(&key, vecs[0].key.point));
	CHECK(key.loaded);
	snp_p384_pubkey_clear(&key);
	CHECK(!key.loaded);
}

static void
test_cleanup(void)
{
	size_t i;

	for (i = 0; i < nvecs; i++)
		snp_p384_pubkey_clear(&vecs[i].key);
	nvecs = 0;
}

TEST_MAIN(TEST(test_backends_agree_on_vectors), TEST(test_malformed_components),
    TEST(test_fresh_signatures), TEST(test_key_import), TEST(test_cleanup))
