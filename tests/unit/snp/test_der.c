/*
 * test_der.c: the shared DER/PEM reader (snp/der.c): the TLV walk on
 * hand-made inputs, and BER copies of real AMD certificates and of the
 * real Milan CRL, made here by re-encoding one element's length in a
 * longer form (or the indefinite form, or a BOOLEAN true as 0x01) and
 * recomputing every enclosing length. OpenSSL accepts each copy as the
 * same object; kbs refuses each with the exact "not DER" code, whichever
 * way it arrives (DER, PEM, certificate table), and leaves the set as it
 * was.
 */
#include "certtable-int.h"
#include "chain-int.h"
#include "crl-int.h"
#include "der-int.h"
#include "snp.h"
#include "test.h"

#include <openssl/x509.h>

#define PE KBS_ERR_CERT_PARSE
#define ND KBS_ERR_CERT_NOT_DER

static int
check(const char *hex)
{
	uint8_t buf[256];
	size_t n = strlen(hex) / 2;

	CHECK(n <= sizeof(buf));
	CHECK_OK(kbs_hex_decode_exact(hex, strlen(hex), buf, n));
	return snp_der_check(buf, n, PE, ND);
}

static void
test_walk(void)
{
	char deep[4 * (SNP_DER_MAX_DEPTH + 1) + 1], big[2 * 131 + 1];
	int i;

	CHECK_OK(check("3000"));
	CHECK_OK(check("3003020100"));
	CHECK_OK(check("30050403010203")); /* primitive contents are not walked */
	/* The long form where it is needed: 128 bytes of contents. */
	snprintf(big, sizeof(big),
	    "308180"
	    "047e");
	for (i = 0; i < 126; i++)
		snprintf(big + 10 + 2 * i, sizeof(big) - 10 - 2 * (size_t)i, "00");
	CHECK_OK(check(big));
	/* BER that is not DER. */
	CHECK_ERR(check("30800000"), ND);         /* indefinite length */
	CHECK_ERR(check("308100"), ND);           /* long form where the short one fits */
	CHECK_ERR(check("3082000100"), ND);       /* leading zero octet */
	CHECK_ERR(check("3006028200017f00"), ND); /* ... inside */
	CHECK_ERR(check("300430800000"), ND);     /* indefinite inside */
	CHECK_ERR(check("1f0100"), ND);           /* high tag number form */
	CHECK_ERR(check("30021f00"), ND);         /* ... inside */
	/* Not a TLV tree at all. */
	CHECK_ERR(check("30030201"), PE);               /* contents run out */
	CHECK_ERR(check("300302020000"), PE);           /* an inner element overruns its parent */
	CHECK_ERR(check("3003028200"), PE);             /* length octets run out */
	CHECK_ERR(check("300000"), PE);                 /* trailing byte */
	CHECK_ERR(check("30"), PE);                     /* no length */
	CHECK_ERR(check(""), PE);                       /* nothing */
	CHECK_ERR(check("3089010000000000000000"), PE); /* more length octets than OpenSSL reads */
	CHECK_ERR(snp_der_check(NULL, 3, PE, ND), KBS_ERR_INVALID_ARGUMENT);
	/* Nesting: SNP_DER_MAX_DEPTH constructed levels are fine, one more is not. */
	for (i = 0; i < SNP_DER_MAX_DEPTH; i++)
		snprintf(deep + 4 * i, sizeof(deep) - 4 * (size_t)i, "30%02x",
		    2 * (SNP_DER_MAX_DEPTH - 1 - i));
	CHECK_OK(check(deep));
	for (i = 0; i <= SNP_DER_MAX_DEPTH; i++)
		snprintf(deep + 4 * i, sizeof(deep) - 4 * (size_t)i, "30%02x",
		    2 * (SNP_DER_MAX_DEPTH - i));
	CHECK_ERR(check(deep), ND);
}

/* ---- BER copies of real objects ---- */

enum ber_mode {
	BER_LEADING_ZERO, /* the length with one extra 0x00 octet */
	BER_LONG_SHORT,   /* a length below 128 in the long form (0x81 n) */
	BER_INDEFINITE,   /* 0x80, the contents, then 00 00 */
	BER_BOOL_ONE,     /* a BOOLEAN true written as 0x01 */
	BER_BITS_UNUSED,  /* a BIT STRING whose last bit is declared unused but set */
};

struct ber {
	size_t which; /* element to change, pre-order, 0 = outermost */
	enum ber_mode mode;
	size_t seen;
	int done;
};

static size_t
put_len(uint8_t *out, size_t len, int longer)
{
	uint8_t be[sizeof(size_t)];
	size_t n = 0, i, o = 0, v = len;

	if (!longer && len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	do {
		be[n++] = (uint8_t)(v & 0xff);
		v >>= 8;
	} while (v != 0);
	if (longer && len >= 0x80)
		be[n++] = 0; /* leading zero */
	out[o++] = (uint8_t)(0x80 | n);
	for (i = n; i > 0; i--)
		out[o++] = be[i - 1];
	return o;
}

/* reencode writes the elements of der[0..len) to out, applying b's change; returns the length. */
static size_t
reencode(const uint8_t *der, size_t len, struct ber *b, uint8_t *out)
{
	size_t off = 0, o = 0;

	while (off < len) {
		uint8_t tag = der[off++], first = der[off++];
		size_t clen = first, k, me = b->seen++, inner;
		uint8_t *tmp;

		if (first & 0x80) {
			clen = 0;
			for (k = 0; k < (size_t)(first & 0x7f); k++)
				clen = (clen << 8) | der[off++];
		}
		out[o++] = tag;
		tmp = malloc(clen + 4096);
		CHECK(tmp != NULL);
		if (tag & 0x20) {
			inner = reencode(der + off, clen, b, tmp);
		} else {
			memcpy(tmp, der + off, clen);
			inner = clen;
		}
		if (me == b->which && b->mode == BER_BITS_UNUSED) {
			CHECK(tag == 0x03 && clen > 1 && tmp[0] == 0);
			tmp[0] = 1;
			tmp[inner - 1] |= 1;
			b->done = 1;
		}
		if (me == b->which && b->mode == BER_BOOL_ONE) {
			CHECK(tag == 0x01 && clen == 1 && tmp[0] == 0xff);
			tmp[0] = 0x01;
			b->done = 1;
		}
		if (me == b->which && b->mode == BER_INDEFINITE) {
			CHECK(tag & 0x20);
			out[o++] = 0x80;
			memcpy(out + o, tmp, inner);
			o += inner;
			out[o++] = 0;
			out[o++] = 0;
			b->done = 1;
		} else {
			int longer = me == b->which &&
			    (b->mode == BER_LEADING_ZERO ||
				(b->mode == BER_LONG_SHORT && inner < 0x80));

			if (longer)
				b->done = 1;
			o += put_len(out + o, inner, longer);
			memcpy(out + o, tmp, inner);
			o += inner;
		}
		free(tmp);
		off += clen;
	}
	return o;
}

static uint8_t *
ber_copy(const uint8_t *der, size_t len, size_t which, enum ber_mode mode, size_t *ret_len)
{
	struct ber b = { .which = which, .mode = mode };
	uint8_t *out = malloc(len + 4096);

	CHECK(out != NULL);
	*ret_len = reencode(der, len, &b, out);
	CHECK(b.done || which == SIZE_MAX);
	return out;
}

/* index_of returns the pre-order index of the nth element with tag (0-based), or SIZE_MAX. */
static size_t
index_of_rec(const uint8_t *der, size_t len, uint8_t want, size_t *nth, size_t *seen)
{
	size_t off = 0;

	while (off < len) {
		uint8_t tag = der[off++], first = der[off++];
		size_t clen = first, k, me = (*seen)++, r;

		if (first & 0x80) {
			clen = 0;
			for (k = 0; k < (size_t)(first & 0x7f); k++)
				clen = (clen << 8) | der[off++];
		}
		if (tag == want && (*nth)-- == 0)
			return me;
		if ((tag & 0x20) &&
		    (r = index_of_rec(der + off, clen, want, nth, seen)) != SIZE_MAX)
			return r;
		off += clen;
	}
	return SIZE_MAX;
}

static size_t
index_of(const uint8_t *der, size_t len, uint8_t tag, size_t nth)
{
	size_t seen = 0;

	return index_of_rec(der, len, tag, &nth, &seen);
}

/*
 * openssl_accepts_cert: OpenSSL reads the BER copy whole, as the same
 * certificate (names, serial, key), though its bytes, and so their
 * SHA-256 (the certificate's identity in the chain cache), differ: the
 * second byte form that DER-only input rules out.
 */
static void
openssl_accepts_cert(const uint8_t *ber, size_t blen, const uint8_t *der, size_t dlen)
{
	const unsigned char *p = ber, *q = der;
	X509 *a = d2i_X509(NULL, &p, (long)blen), *b = d2i_X509(NULL, &q, (long)dlen);

	CHECK(a != NULL && b != NULL);
	CHECK((size_t)(p - ber) == blen);
	if (a != NULL && b != NULL) {
		CHECK(X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) == 0);
		CHECK(X509_NAME_cmp(X509_get_issuer_name(a), X509_get_issuer_name(b)) == 0);
		CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)) == 0);
		CHECK(EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1);
	}
	X509_free(a);
	X509_free(b);
}

static char *
to_pem(const uint8_t *der, size_t len, const char *label, size_t *ret_len)
{
	size_t b64len = kbs_b64_encoded_len(len), cap = b64len * 2 + 256, o, i, n;
	char *b64 = malloc(b64len), *out = malloc(cap);

	CHECK(b64 != NULL && out != NULL);
	CHECK_OK(kbs_b64_encode(der, len, b64, b64len));
	n = strlen(b64);
	o = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
	for (i = 0; i < n; i += 64)
		o += (size_t)snprintf(out + o, cap - o, "%.64s\n", b64 + i);
	o += (size_t)snprintf(out + o, cap - o, "-----END %s-----\n", label);
	free(b64);
	*ret_len = o;
	return out;
}

static void
cert_refused(struct snp_certs *c, const uint8_t *der, size_t len, size_t which, enum ber_mode mode)
{
	size_t blen = 0, plen = 0, before = snp_certs_count(c);
	uint8_t *ber = ber_copy(der, len, which, mode, &blen);
	char *pem = to_pem(ber, blen, "CERTIFICATE", &plen);

	CHECK(blen != len || memcmp(ber, der, len) != 0);
	openssl_accepts_cert(ber, blen, der, len);
	CHECK_ERR(snp_certs_add(c, ber, blen), KBS_ERR_CERT_NOT_DER);
	CHECK_ERR(snp_certs_add(c, (const uint8_t *)pem, plen), KBS_ERR_CERT_NOT_DER);
	CHECK_UINT_EQ(snp_certs_count(c), before);
	free(pem);
	free(ber);
}

static void
test_ber_certificates(void)
{
	static const char *const files[] = { "go-sev-guest/milan_vcek.der", "amd/ark_milan.der",
		"amd/asvk_genoa.der", "oak/turin_oc_vcek.der" };
	struct snp_certs *c = NULL;
	size_t i, len = 0, set;
	uint8_t *der;

	CHECK_OK(snp_certs_new(&c));
	for (i = 0; i < KBS_ARRAY_SIZE(files); i++) {
		der = test_read_vector(files[i], &len);
		/* The real bytes are DER, and a copy re-encoded unchanged is the same bytes. */
		{
			size_t clen = 0;
			uint8_t *same = ber_copy(der, len, SIZE_MAX, BER_LEADING_ZERO, &clen);

			CHECK_UINT_EQ(clen, len);
			CHECK_MEM_EQ(same, der, len);
			free(same);
		}
		CHECK_OK(snp_der_check(der, len, PE, ND));
		cert_refused(c, der, len, 0, BER_LEADING_ZERO); /* the outer length */
		cert_refused(c, der, len, 0, BER_INDEFINITE);
		cert_refused(c, der, len, 1, BER_LEADING_ZERO); /* the signed part */
		cert_refused(c, der, len, 1, BER_INDEFINITE);
		/* A short length inside the issuer name (cached by OpenSSL, seen by the walk). */
		set = index_of(der, len, 0x31, 0);
		CHECK(set != SIZE_MAX);
		cert_refused(c, der, len, set, BER_LONG_SHORT);
		cert_refused(c, der, len, set, BER_INDEFINITE);
		CHECK_OK(snp_certs_add(c, der, len));
		free(der);
	}
	/* A BOOLEAN true as 0x01 (an extension's critical flag): OpenSSL keeps the byte, the walk
	 * refuses it. */
	der = test_read_vector("amd/ark_milan.der", &len);
	set = index_of(der, len, 0x01, 0);
	CHECK(set != SIZE_MAX);
	{
		size_t blen = 0;
		uint8_t *ber = ber_copy(der, len, set, BER_BOOL_ONE, &blen);

		CHECK_UINT_EQ(blen, len);
		CHECK_ERR(snp_der_check(ber, blen, PE, ND), ND);
		openssl_accepts_cert(ber, blen, der, len);
		CHECK_ERR(snp_certs_add(c, ber, blen), KBS_ERR_CERT_NOT_DER);
		free(ber);
	}
	/*
	 * The signature BIT STRING (the last element) with one unused bit that
	 * is set: the walk does not look inside, the fresh encoding (OpenSSL
	 * clears unused bits) differs.
	 */
	{
		size_t blen = 0, last = 0, nth;
		uint8_t *ber;

		for (nth = 0; index_of(der, len, 0x03, nth) != SIZE_MAX; nth++)
			last = index_of(der, len, 0x03, nth);
		ber = ber_copy(der, len, last, BER_BITS_UNUSED, &blen);
		CHECK_UINT_EQ(blen, len);
		CHECK_OK(snp_der_check(ber, blen, PE, ND));
		CHECK_ERR(snp_certs_add(c, ber, blen), KBS_ERR_CERT_NOT_DER);
		free(ber);
	}
	free(der);
	CHECK_UINT_EQ(snp_certs_count(c), KBS_ARRAY_SIZE(files));
	snp_certs_free(c);
}

/* A certificate table carrying a BER certificate adds nothing. */
static void
test_ber_in_certtable(void)
{
	static const uint8_t vcek_guid[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad,
		0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
	struct snp_certs *c = NULL;
	size_t len = 0, blen = 0, tlen;
	uint8_t *der = test_read_vector("virtee-sev/milan_vcek.der", &len);
	uint8_t *ber = ber_copy(der, len, 0, BER_LEADING_ZERO, &blen);
	uint8_t *table = calloc(1, 48 + blen);

	CHECK(table != NULL);
	memcpy(table, vcek_guid, 16);
	table[16] = 48; /* offset, u32 LE */
	table[20] = (uint8_t)(blen & 0xff);
	table[21] = (uint8_t)(blen >> 8);
	memcpy(table + 48, ber, blen);
	tlen = 48 + blen;
	CHECK_OK(snp_certs_new(&c));
	CHECK_ERR(snp_certtable_parse(table, tlen, c), KBS_ERR_CERT_NOT_DER);
	CHECK_UINT_EQ(snp_certs_count(c), 0);
	/* The same table with the DER bytes is accepted. */
	memcpy(table + 48, der, len);
	table[20] = (uint8_t)(len & 0xff);
	table[21] = (uint8_t)(len >> 8);
	CHECK_OK(snp_certtable_parse(table, 48 + len, c));
	CHECK_UINT_EQ(snp_certs_count(c), 1);
	snp_certs_free(c);
	free(table);
	free(ber);
	free(der);
}

static void
crl_refused(const uint8_t *der, size_t len, size_t which, enum ber_mode mode)
{
	struct snp_crl *crl = (struct snp_crl *)(uintptr_t)0x1;
	size_t blen = 0, plen = 0;
	uint8_t *ber = ber_copy(der, len, which, mode, &blen);
	char *pem = to_pem(ber, blen, "X509 CRL", &plen);
	const unsigned char *p = ber;
	X509_CRL *x = d2i_X509_CRL(NULL, &p, (long)blen);

	CHECK(x != NULL && (size_t)(p - ber) == blen); /* OpenSSL takes it */
	X509_CRL_free(x);
	CHECK_ERR(snp_crl_load(ber, blen, &crl), KBS_ERR_CRL_NOT_DER);
	CHECK_ERR(snp_crl_load((const uint8_t *)pem, plen, &crl), KBS_ERR_CRL_NOT_DER);
	CHECK(crl == (struct snp_crl *)(uintptr_t)0x1);
	free(pem);
	free(ber);
}

static void
test_ber_crl(void)
{
	size_t len = 0, set;
	uint8_t *der = test_read_vector("amd/crl_milan.der", &len);
	struct snp_crl *crl = NULL;

	CHECK_OK(snp_der_check(der, len, PE, ND));
	CHECK_OK(snp_crl_load(der, len, &crl));
	snp_crl_free(crl);
	crl_refused(der, len, 0, BER_LEADING_ZERO);
	crl_refused(der, len, 0, BER_INDEFINITE);
	crl_refused(der, len, 1, BER_LEADING_ZERO);
	crl_refused(der, len, 1, BER_INDEFINITE);
	set = index_of(der, len, 0x31, 0);
	CHECK(set != SIZE_MAX);
	crl_refused(der, len, set, BER_LONG_SHORT);
	free(der);
}

TEST_MAIN(
    TEST(test_walk), TEST(test_ber_certificates), TEST(test_ber_in_certtable), TEST(test_ber_crl))
