/*
 * Unit tests for snp/certcache.c: snp_verifier_certs_add, snp_certs_add
 * through the verifier's parse cache. A DER certificate seen before is not
 * parsed again and yields the very same certificate and identity digest;
 * everything else (PEM, truncated or trailing bytes, a full set, no
 * verifier) gets exactly snp_certs_add's code with the set unchanged, and
 * is never cached; a report still verifies on certificates from the cache;
 * threads share it; an evicted certificate stays whole in the sets holding it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "verify-int.h"
#include "test.h"

static void
stats(struct snp_verifier *v, size_t want_hits, size_t want_misses)
{
	size_t hits = 0, misses = 0;

	snp_certcache_stats(v->certcache, &hits, &misses);
	CHECK_UINT_EQ(hits, want_hits);
	CHECK_UINT_EQ(misses, want_misses);
}

static void
test_hit_is_the_same_certificate(void)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *a = NULL, *b = NULL, *plain = NULL;
	size_t len = 0;
	uint8_t *der = test_read_vector("virtee-sev/milan_vcek.der", &len);

	CHECK_OK(snp_verifier_new(&v));
	CHECK_OK(snp_certs_new(&a));
	CHECK_OK(snp_certs_new(&b));
	CHECK_OK(snp_certs_new(&plain));
	CHECK_OK(snp_verifier_certs_add(v, a, der, len));
	stats(v, 0, 1);
	CHECK_OK(snp_verifier_certs_add(v, b, der, len));
	stats(v, 1, 1);
	CHECK_OK(snp_certs_add(plain, der, len));
	CHECK_UINT_EQ(snp_certs_count(b), 1);
	CHECK(snp_certs_get(a, 0) == snp_certs_get(b, 0));
	CHECK_MEM_EQ(snp_certs_digest(b, 0), snp_certs_digest(plain, 0), 32);
	CHECK_MEM_EQ(snp_certs_digest(a, 0), snp_certs_digest(plain, 0), 32);
	/* The cache's reference outlives the sets. */
	snp_certs_free(a);
	snp_certs_free(b);
	CHECK_OK(snp_certs_new(&b));
	CHECK_OK(snp_verifier_certs_add(v, b, der, len));
	stats(v, 2, 1);
	CHECK_MEM_EQ(snp_certs_digest(b, 0), snp_certs_digest(plain, 0), 32);
	snp_certs_free(b);
	snp_certs_free(plain);
	snp_verifier_free(v);
	free(der);
}

/* refused_like_plain: the cached path returns what snp_certs_add returns, and changes nothing. */
static void
refused_like_plain(struct snp_verifier *v, const uint8_t *data, size_t len)
{
	struct snp_certs *s = NULL, *p = NULL;
	int want;

	CHECK_OK(snp_certs_new(&s));
	CHECK_OK(snp_certs_new(&p));
	want = snp_certs_add(p, data, len);
	CHECK(want != 0);
	CHECK_ERR(snp_verifier_certs_add(v, s, data, len), want);
	CHECK_UINT_EQ(snp_certs_count(s), 0);
	/* Not cached: the second try is refused the same way. */
	CHECK_ERR(snp_verifier_certs_add(v, s, data, len), want);
	CHECK_UINT_EQ(snp_certs_count(s), 0);
	snp_certs_free(s);
	snp_certs_free(p);
}

static void
test_refusals_unchanged(void)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *s = NULL;
	size_t len = 0, i;
	uint8_t *der = test_read_vector("virtee-sev/milan_vcek.der", &len);
	uint8_t *longer = malloc(len + 1);

	CHECK_OK(snp_verifier_new(&v));
	CHECK(longer != NULL);
	memcpy(longer, der, len);
	longer[len] = 0;
	refused_like_plain(v, der, len / 2);     /* truncated */
	refused_like_plain(v, longer, len + 1);  /* a trailing byte */
	refused_like_plain(v, der + 1, len - 1); /* not DER at all: tried as PEM */
	CHECK_ERR(snp_verifier_certs_add(NULL, s, der, len), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_verifier_certs_add(v, NULL, der, len), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_verifier_certs_add(v, s, der, 0), KBS_ERR_INVALID_ARGUMENT); /* s NULL */
	/* A full set: TOO_LARGE from the cache as from a parse. */
	CHECK_OK(snp_certs_new(&s));
	for (i = 0; i < SNP_CERTS_MAX; i++)
		CHECK_OK(snp_verifier_certs_add(v, s, der, len));
	CHECK_ERR(snp_verifier_certs_add(v, s, der, len), KBS_ERR_TOO_LARGE);
	CHECK_UINT_EQ(snp_certs_count(s), SNP_CERTS_MAX);
	CHECK_ERR(snp_verifier_certs_add(v, s, der, 0), KBS_ERR_CERT_PARSE);
	snp_certs_free(s);
	snp_verifier_free(v);
	free(longer);
	free(der);
}

static void
test_pem_not_cached(void)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *s = NULL;
	size_t len = 0;
	uint8_t *pem = test_read_vector("amd/cert_chain_milan.pem", &len);

	CHECK_OK(snp_verifier_new(&v));
	CHECK_OK(snp_certs_new(&s));
	CHECK_OK(snp_verifier_certs_add(v, s, pem, len));
	CHECK_OK(snp_verifier_certs_add(v, s, pem, len));
	CHECK_UINT_EQ(snp_certs_count(s), 4);
	stats(v, 0, 0);
	snp_certs_free(s);
	snp_verifier_free(v);
	free(pem);
}

static void
test_report_verifies_from_cache(void)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *s = NULL;
	struct snp_verify_options opts;
	struct snp_verify_result res;
	struct snp_report rep;
	size_t len = 0, rlen = 0, k;
	uint8_t *der = test_read_vector("virtee-sev/milan_vcek.der", &len);
	uint8_t *raw = test_read_vector("virtee-sev/milan_report.bin", &rlen);

	memset(&opts, 0, sizeof(opts));
	CHECK_OK(kbs_time_parse_rfc3339("2026-07-01T00:00:00Z", &opts.at));
	CHECK_OK(snp_report_parse(raw, rlen, &rep));
	CHECK_OK(snp_verifier_new(&v));
	for (k = 0; k < 3; k++) {
		CHECK_OK(snp_certs_new(&s));
		CHECK_OK(snp_verifier_certs_add(v, s, der, len));
		CHECK_OK(snp_verify_report(v, &rep, s, &opts, &res));
		CHECK_INT_EQ(res.chain_cached, k > 0);
		snp_certs_free(s);
	}
	stats(v, 2, 1);
	snp_verifier_free(v);
	free(der);
	free(raw);
}

struct worker {
	struct snp_verifier *v;
	const uint8_t *der;
	size_t len;
	X509 *seen;
	int ok;
};

static void *
worker_main(void *p)
{
	struct worker *w = p;
	int i;

	w->ok = 1;
	for (i = 0; i < 200; i++) {
		struct snp_certs *s = NULL;

		if (snp_certs_new(&s) != 0 ||
		    snp_verifier_certs_add(w->v, s, w->der, w->len) != 0) {
			w->ok = 0;
			snp_certs_free(s);
			break;
		}
		if (i == 199)
			w->seen = snp_certs_get(s, 0); /* still referenced by the cache */
		snp_certs_free(s);
	}
	return NULL;
}

static void
test_threads(void)
{
	struct snp_verifier *v = NULL;
	struct worker w[4];
	pthread_t th[4];
	size_t len = 0, i, hits = 0, misses = 0;
	uint8_t *der = test_read_vector("virtee-sev/milan_vcek.der", &len);

	CHECK_OK(snp_verifier_new(&v));
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ v, der, len, NULL, 0 };
		CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 4; i++) {
		CHECK(w[i].ok);
		CHECK(w[i].seen == w[0].seen);
	}
	snp_certcache_stats(v->certcache, &hits, &misses);
	CHECK_UINT_EQ(hits + misses, 800);
	CHECK(misses >= 1 && misses <= 4); /* threads that raced the first parse */
	snp_verifier_free(v);
	free(der);
}

/*
 * A newcomer in a slot drops only the cache's reference: a set that holds
 * the evicted certificate keeps a whole one (ASan would see a use after
 * free), and the evicted bytes miss again.
 */
static void
test_eviction_keeps_holders(void)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *a = NULL, *b = NULL;
	uint8_t key[32], want[32], *out = NULL;
	unsigned int mdlen = 0;
	size_t len = 0, i;
	uint8_t *der = test_read_vector("virtee-sev/milan_vcek.der", &len);
	uint8_t *other = malloc(len);
	int outlen;

	CHECK(other != NULL && len > 2);
	CHECK(EVP_Digest(der, len, want, &mdlen, EVP_sha256(), NULL) == 1);
	/* The last bytes are the signature's: any value still parses. Find one in the same slot. */
	memcpy(other, der, len);
	for (i = 0; i < 65536; i++) {
		other[len - 1] = (uint8_t)i;
		other[len - 2] = (uint8_t)(i >> 8);
		CHECK(EVP_Digest(other, len, key, &mdlen, EVP_sha256(), NULL) == 1);
		if (memcmp(key, want, 32) != 0 &&
		    ((size_t)key[0] | (size_t)key[1] << 8) % SNP_CERTCACHE_SLOTS ==
			((size_t)want[0] | (size_t)want[1] << 8) % SNP_CERTCACHE_SLOTS)
			break;
	}
	CHECK(i < 65536);
	CHECK_OK(snp_verifier_new(&v));
	CHECK_OK(snp_certs_new(&a));
	CHECK_OK(snp_certs_new(&b));
	CHECK_OK(snp_verifier_certs_add(v, a, der, len));
	CHECK_OK(snp_verifier_certs_add(v, b, other, len));
	stats(v, 0, 2);
	CHECK(snp_certs_get(a, 0) != snp_certs_get(b, 0));
	outlen = i2d_X509(snp_certs_get(a, 0), &out);
	CHECK(outlen > 0 && (size_t)outlen == len && memcmp(out, der, len) == 0);
	OPENSSL_free(out);
	snp_certs_free(a);
	CHECK_OK(snp_certs_new(&a));
	CHECK_OK(snp_verifier_certs_add(v, a, der, len));
	stats(v, 0, 3);
	snp_certs_free(a);
	snp_certs_free(b);
	snp_verifier_free(v);
	free(other);
	free(der);
}

TEST_MAIN(TEST(test_hit_is_the_same_certificate), TEST(test_refusals_unchanged),
    TEST(test_pem_not_cached), TEST(test_report_verifies_from_cache), TEST(test_threads),
    TEST(test_eviction_keeps_holders))
