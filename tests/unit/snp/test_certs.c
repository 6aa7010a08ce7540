/*
 * test_certs.c: snp_certs_new/add/count/free on DER, PEM, bundles, the
 * quirks of AMD certificates, and every rejection (exact code, set
 * unchanged).
 */
#include <openssl/evp.h>

#include "chain-int.h"
#include "snp.h"
#include "test.h"

static uint8_t *
cat2(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, size_t *ret_len)
{
	uint8_t *out = malloc(alen + blen + 1);

	CHECK(out != NULL);
	memcpy(out, a, alen);
	memcpy(out + alen, b, blen);
	*ret_len = alen + blen;
	return out;
}

/* add_fails asserts the exact error and that the set kept its count. */
static void
add_fails(struct snp_certs *c, const uint8_t *data, size_t len, int want)
{
	size_t before = snp_certs_count(c);

	CHECK_ERR(snp_certs_add(c, data, len), want);
	CHECK_UINT_EQ(snp_certs_count(c), before);
}

static void
test_der_single(void)
{
	struct snp_certs *c = NULL;
	size_t len = 0;
	uint8_t *der = test_read_vector("go-sev-guest/milan_vcek.der", &len);
	uint8_t digest[32];

	CHECK_OK(snp_certs_new(&c));
	CHECK_UINT_EQ(snp_certs_count(c), 0);
	CHECK(snp_certs_get(c, 0) == NULL);
	CHECK_OK(snp_certs_add(c, der, len));
	CHECK_UINT_EQ(snp_certs_count(c), 1);
	/* serialNumber 0 (every VCEK) is accepted. */
	CHECK(ASN1_INTEGER_get(X509_get0_serialNumber(snp_certs_get(c, 0))) == 0);
	CHECK(EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL) == 1);
	CHECK_MEM_EQ(snp_certs_digest(c, 0), digest, 32);
	CHECK(snp_certs_digest(c, 1) == NULL);
	snp_certs_free(c);
	free(der);
}

static void
test_pem_forms(void)
{
	static const struct {
		const char *file;
		size_t n;
	} cases[] = {
		{ "amd/cert_chain_milan.pem", 2 },
		{ "amd/cert_chain_turin.pem", 2 },      /* CRLF line ends */
		{ "amd/vlek_cert_chain_turin.pem", 2 }, /* CRLF and a trailing blank line */
		{ "routex-client-lua/genoa_v3_vcek_chain.pem",
		    3 }, /* "# name" lines before blocks */
		{ "trustee-azure/hcl_milan_vcek.pem", 3 },
		{ "trustee/milan_ask_ark_asvk.pem", 3 },
	};
	struct snp_certs *c = NULL;
	size_t i, len, total = 0;
	uint8_t *data;

	CHECK_OK(snp_certs_new(&c));
	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		data = test_read_vector(cases[i].file, &len);
		CHECK_OK(snp_certs_add(c, data, len));
		total += cases[i].n;
		if (snp_certs_count(c) != total)
			fprintf(stderr, "%s\n", cases[i].file);
		CHECK_UINT_EQ(snp_certs_count(c), total);
		free(data);
	}
	/* 15 so far: one more fits, a pair does not (refused whole, set unchanged). */
	CHECK_UINT_EQ(total, 15);
	data = test_read_vector("amd/cert_chain_genoa.pem", &len);
	add_fails(c, data, len, KBS_ERR_TOO_LARGE);
	free(data);
	data = test_read_vector("constellation/aws_milan_vlek.pem", &len);
	CHECK_OK(snp_certs_add(c, data, len));
	CHECK_UINT_EQ(snp_certs_count(c), 16);
	add_fails(c, data, len, KBS_ERR_TOO_LARGE);
	free(data);
	data = test_read_vector("amd/ark_genoa.der", &len);
	add_fails(c, data, len, KBS_ERR_TOO_LARGE);
	free(data);
	snp_certs_free(c);
}

static void
test_same_cert_der_and_pem(void)
{
	struct snp_certs *c = NULL;
	size_t dlen, plen;
	uint8_t *der = test_read_vector("amd/ask_milan.der", &dlen);
	uint8_t *pem = test_read_vector("amd/ask_milan.pem", &plen);

	CHECK_OK(snp_certs_new(&c));
	CHECK_OK(snp_certs_add(c, der, dlen));
	CHECK_OK(snp_certs_add(c, pem, plen));
	CHECK_MEM_EQ(snp_certs_digest(c, 0), snp_certs_digest(c, 1), 32);
	CHECK(X509_cmp(snp_certs_get(c, 0), snp_certs_get(c, 1)) == 0);
	snp_certs_free(c);
	free(der);
	free(pem);
}

static void
test_rejects(void)
{
	static const char crl_pem[] = "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n";
	static const char headers[] =
	    "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nMAA=\n-----END CERTIFICATE-----\n";
	static const char empty_block[] =
	    "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
	static const char not_pem[] = "hello, world\n";
	struct snp_certs *c = NULL;
	size_t dlen, plen, len;
	uint8_t *der = test_read_vector("go-sev-guest/milan_vcek.der", &dlen);
	uint8_t *pem = test_read_vector("amd/cert_chain_milan.pem", &plen);
	uint8_t *buf;
	char b64[4096];

	CHECK_OK(snp_certs_new(&c));
	CHECK_OK(snp_certs_add(c, der, dlen));
	/* Empty, NULL. */
	add_fails(c, der, 0, KBS_ERR_CERT_PARSE);
	CHECK_ERR(snp_certs_add(c, NULL, 5), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_certs_add(NULL, der, dlen), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_certs_new(NULL), KBS_ERR_INVALID_ARGUMENT);
	/* DER: truncated, trailing byte, one flipped length byte. */
	add_fails(c, der, dlen - 1, KBS_ERR_CERT_PARSE);
	add_fails(c, der, 1, KBS_ERR_CERT_PARSE);
	buf = cat2(der, dlen, (const uint8_t *)"\0", 1, &len);
	add_fails(c, buf, len, KBS_ERR_CERT_PARSE);
	buf[3] ^= 0x01;
	add_fails(c, buf, dlen, KBS_ERR_CERT_PARSE);
	free(buf);
	/* Two DER certificates back to back are not one DER certificate. */
	buf = cat2(der, dlen, der, dlen, &len);
	add_fails(c, buf, len, KBS_ERR_CERT_PARSE);
	free(buf);
	/* PEM: trailing garbage, a truncated block, other block types. */
	buf = cat2(pem, plen, (const uint8_t *)"junk\n", 5, &len);
	add_fails(c, buf, len, KBS_ERR_CERT_PARSE);
	free(buf);
	add_fails(c, pem, plen - 30, KBS_ERR_CERT_PARSE);
	add_fails(c, pem, plen / 2, KBS_ERR_CERT_PARSE);
	add_fails(c, (const uint8_t *)crl_pem, strlen(crl_pem), KBS_ERR_CERT_PARSE);
	add_fails(c, (const uint8_t *)headers, strlen(headers), KBS_ERR_CERT_PARSE);
	add_fails(c, (const uint8_t *)empty_block, strlen(empty_block), KBS_ERR_CERT_PARSE);
	add_fails(c, (const uint8_t *)not_pem, strlen(not_pem), KBS_ERR_CERT_PARSE);
	add_fails(c, (const uint8_t *)"\n\n  \n", 5, KBS_ERR_CERT_PARSE);
	/* A PEM block whose payload has a byte after the certificate. */
	buf = cat2(der, dlen, (const uint8_t *)"\0", 1, &len);
	CHECK_OK(kbs_b64_encode(buf, len, b64, sizeof(b64)));
	free(buf);
	{
		char pemtxt[8192];
		size_t i, o = 0, n = strlen(b64);

		o += (size_t)snprintf(
		    pemtxt + o, sizeof(pemtxt) - o, "-----BEGIN CERTIFICATE-----\n");
		for (i = 0; i < n; i += 64)
			o += (size_t)snprintf(pemtxt + o, sizeof(pemtxt) - o, "%.64s\n", b64 + i);
		o +=
		    (size_t)snprintf(pemtxt + o, sizeof(pemtxt) - o, "-----END CERTIFICATE-----\n");
		add_fails(c, (const uint8_t *)pemtxt, o, KBS_ERR_CERT_PARSE);
		/* The same without the extra byte parses: the check above is the byte. */
		CHECK_OK(kbs_b64_encode(der, dlen, b64, sizeof(b64)));
		n = strlen(b64);
		o = (size_t)snprintf(pemtxt, sizeof(pemtxt), "-----BEGIN CERTIFICATE-----\n");
		for (i = 0; i < n; i += 64)
			o += (size_t)snprintf(pemtxt + o, sizeof(pemtxt) - o, "%.64s\n", b64 + i);
		o +=
		    (size_t)snprintf(pemtxt + o, sizeof(pemtxt) - o, "-----END CERTIFICATE-----\n");
		CHECK_OK(snp_certs_add(c, (const uint8_t *)pemtxt, o));
	}
	/* A bundle whose second block is broken adds nothing. */
	buf = cat2(pem, plen, pem, plen / 2, &len);
	add_fails(c, buf, len, KBS_ERR_CERT_PARSE);
	free(buf);
	CHECK_UINT_EQ(snp_certs_count(c), 2);
	snp_certs_free(c);
	snp_certs_free(NULL);
	CHECK_UINT_EQ(snp_certs_count(NULL), 0);
	free(der);
	free(pem);
}

TEST_MAIN(TEST(test_der_single), TEST(test_pem_forms), TEST(test_same_cert_der_and_pem),
    TEST(test_rejects))
