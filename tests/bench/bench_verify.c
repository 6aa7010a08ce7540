/*
 * bench_verify.c: what one attestation's evidence check costs.
 *
 * Prints microseconds per operation for: parsing a report; the report
 * signature alone through the nettle backend (the one the verifier uses)
 * and through OpenSSL 3 (for comparison); snp_verify_report with a cold
 * verifier (RSA chain checks included) and with a warm per-VCEK cache
 * (the per-request cost). A benchmark, not a test: it asserts nothing but
 * that each operation succeeds.
 *
 * usage: bench_verify [ITERATIONS]   (run from the source root, or set KBS_VECTORS)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_openssl-int.h"
#include "snp.h"

#include <openssl/x509.h>

static const char *
vec(const char *rel)
{
	static char path[4096];
	const char *base = getenv("KBS_VECTORS");

	snprintf(path, sizeof(path), "%s/%s", base != NULL ? base : "tests/vectors/snp", rel);
	return path;
}

static uint8_t *
slurp(const char *rel, size_t *len)
{
	uint8_t *d = NULL;

	if (kbs_file_read(vec(rel), 1 << 20, &d, len) != 0) {
		fprintf(stderr, "cannot read %s\n", vec(rel));
		exit(2);
	}
	return d;
}

static double
per_op_us(uint64_t t0, uint64_t t1, long n)
{
	return (double)(t1 - t0) / 1000.0 / (double)n;
}

static int
load_pubkey(const uint8_t *der, size_t len, struct snp_p384_pubkey *key)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *pk;
	uint8_t point[SNP_P384_POINT_SIZE];
	size_t plen = sizeof(point);
	int r = -1;

	if (x == NULL || (pk = X509_get0_pubkey(x)) == NULL)
		goto out;
	if (EVP_PKEY_get_octet_string_param(pk, "encoded-pub-key", point, sizeof(point), &plen) !=
		1 ||
	    plen != sizeof(point))
		goto out;
	r = snp_p384_pubkey_import(key, point);
out:
	X509_free(x);
	return r;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000, i;
	uint8_t *rep_bytes, *vcek_bytes;
	size_t rep_len, vcek_len;
	struct snp_report rep;
	struct snp_certs *certs = NULL;
	struct snp_verifier *v = NULL;
	struct snp_verify_result res;
	struct snp_verify_options opts = { 0 };
	struct snp_p384_pubkey key;
	EVP_PKEY *ossl_key = NULL;
	uint64_t t0, t1;
	long cold_n = n / 20 > 10 ? n / 20 : 10;

	if (n <= 0 || kbs_crypto_init() != 0)
		return 2;
	memset(&key, 0, sizeof(key));
	rep_bytes = slurp("virtee-sev/milan_report.bin", &rep_len);
	vcek_bytes = slurp("virtee-sev/milan_vcek.der", &vcek_len);
	if (kbs_time_parse_rfc3339("2026-07-01T00:00:00Z", &opts.at) != 0 ||
	    snp_certs_new(&certs) != 0 || snp_certs_add(certs, vcek_bytes, vcek_len) != 0 ||
	    load_pubkey(vcek_bytes, vcek_len, &key) != 0 ||
	    snp_p384_pubkey_to_openssl(&key, &ossl_key) != 0) {
		fprintf(stderr, "setup failed\n");
		return 2;
	}

	t0 = kbs_time_monotonic_ns();
	for (i = 0; i < n; i++) {
		if (snp_report_parse(rep_bytes, rep_len, &rep) != 0)
			return 1;
	}
	t1 = kbs_time_monotonic_ns();
	printf("report parse                      %9.2f us\n", per_op_us(t0, t1, n));

	t0 = kbs_time_monotonic_ns();
	for (i = 0; i < n; i++) {
		if (snp_sig_verify_p384(&key, rep.raw, SNP_REPORT_SIGNED_SIZE, rep.signature_r,
			rep.signature_s) != 0)
			return 1;
	}
	t1 = kbs_time_monotonic_ns();
	printf("P-384 verify, nettle              %9.2f us\n", per_op_us(t0, t1, n));

	t0 = kbs_time_monotonic_ns();
	for (i = 0; i < n; i++) {
		if (snp_sig_verify_p384_openssl(ossl_key, rep.raw, SNP_REPORT_SIGNED_SIZE,
			rep.signature_r, rep.signature_s) != 0)
			return 1;
	}
	t1 = kbs_time_monotonic_ns();
	printf("P-384 verify, OpenSSL 3           %9.2f us\n", per_op_us(t0, t1, n));

	t0 = kbs_time_monotonic_ns();
	for (i = 0; i < cold_n; i++) {
		if (snp_verifier_new(&v) != 0 ||
		    snp_verify_report(v, &rep, certs, &opts, &res) != 0)
			return 1;
		snp_verifier_free(v);
		v = NULL;
	}
	t1 = kbs_time_monotonic_ns();
	printf("verify report, cold (new verifier) %8.2f us\n", per_op_us(t0, t1, cold_n));

	if (snp_verifier_new(&v) != 0 || snp_verify_report(v, &rep, certs, &opts, &res) != 0)
		return 1;
	t0 = kbs_time_monotonic_ns();
	for (i = 0; i < n; i++) {
		if (snp_verify_report(v, &rep, certs, &opts, &res) != 0 || !res.chain_cached)
			return 1;
	}
	t1 = kbs_time_monotonic_ns();
	printf("verify report, warm (cached chain) %8.2f us\n", per_op_us(t0, t1, n));

	snp_verifier_free(v);
	EVP_PKEY_free(ossl_key);
	snp_p384_pubkey_clear(&key);
	snp_certs_free(certs);
	free(rep_bytes);
	free(vcek_bytes);
	return 0;
}
