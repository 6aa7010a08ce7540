/*
 * test_verify.c: snp_verify_report end to end on the genuine vectors.
 *
 * Every report marked "yes" in tests/vectors/snp/EXPECTED.tsv (read at run
 * time) verifies at its verify_at time, once with its chain file supplied
 * and once with the compiled-in ASK/ASVK; the tampered reports, forged
 * VCEKs, expired VLEKs, other chips' VCEKs and wrong-product chains fail
 * at the exact check with the exact code; the chain cache is used on the
 * second report and never bypasses validity times or the CRL.
 */
#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "snp.h"
#include "test.h"
#include "crl-int.h"
#include "verify-int.h"

#define MAX_ROWS 64
#define MAX_COLS 40

struct row {
	char *col[MAX_COLS];
	size_t ncol;
};

static char *tsv_data;
static struct row rows[MAX_ROWS];
static size_t nrows;

/* load_expected splits EXPECTED.tsv into rows (header skipped). */
static void
load_expected(void)
{
	size_t len = 0, i;
	char *line, *save = NULL, *p;

	if (tsv_data != NULL)
		return;
	tsv_data = (char *)test_read_vector("EXPECTED.tsv", &len);
	line = strtok_r(tsv_data, "\n", &save); /* header */
	CHECK(line != NULL &&
	    strncmp(line, "report\tsigner\tchain\tproduct\texpect_valid\t", 41) == 0);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL && nrows < MAX_ROWS) {
		struct row *r = &rows[nrows++];

		r->ncol = 0;
		for (p = line; r->ncol < MAX_COLS;) {
			r->col[r->ncol++] = p;
			if ((p = strchr(p, '\t')) == NULL)
				break;
			*p++ = '\0';
		}
		CHECK(r->ncol >= 8);
	}
	for (i = 0; i < nrows; i++)
		CHECK(rows[i].ncol == rows[0].ncol);
	CHECK(nrows >= 25);
}

static void
load_report(const char *rel, struct snp_report *rep)
{
	size_t len = 0;
	uint8_t *data = test_read_vector(rel, &len);

	CHECK_OK(snp_report_parse(data, len, rep));
	free(data);
}

static void
add_file(struct snp_certs *certs, const char *rel)
{
	size_t len = 0;
	uint8_t *data = test_read_vector(rel, &len);

	CHECK_OK(snp_certs_add(certs, data, len));
	free(data);
}

static int64_t
at_time(const char *s)
{
	int64_t t = 0;

	CHECK_OK(kbs_time_parse_rfc3339(s, &t));
	return t;
}

/*
 * verify runs one verification with a fresh or given verifier; chain may
 * be NULL. Returns the code; *res holds the result.
 */
static int
verify(struct snp_verifier *v, const char *report, const char *signer, const char *chain,
    const char *at, const struct snp_crl *crl, struct snp_verify_result *res)
{
	struct snp_verifier *own = NULL;
	struct snp_report rep;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;
	int r;

	load_report(report, &rep);
	CHECK_OK(snp_certs_new(&certs));
	if (signer != NULL)
		add_file(certs, signer);
	if (chain != NULL)
		add_file(certs, chain);
	if (v == NULL) {
		CHECK_OK(snp_verifier_new(&own));
		v = own;
	}
	memset(&opts, 0, sizeof(opts));
	opts.at = at_time(at);
	opts.crl = crl;
	r = snp_verify_report(v, &rep, certs, &opts, res);
	snp_certs_free(certs);
	snp_verifier_free(own);
	return r;
}

/* check_failed_at asserts the failing check, its code, and the outcomes around it. */
static void
check_failed_at(const struct snp_verify_result *res, enum snp_check check, int err)
{
	int i;

	CHECK_ERR(res->err, err);
	CHECK_INT_EQ(res->failed_check, check);
	CHECK_INT_EQ(res->checks[check].outcome, SNP_OUTCOME_FAIL);
	CHECK_ERR(res->checks[check].err, err);
	CHECK(res->checks[check].detail[0] != '\0');
	for (i = 0; i < (int)check; i++)
		CHECK(res->checks[i].outcome == SNP_OUTCOME_PASS ||
		    res->checks[i].outcome == SNP_OUTCOME_SKIPPED);
	for (i = (int)check + 1; i < SNP_CHECK_COUNT; i++)
		CHECK_INT_EQ(res->checks[i].outcome, SNP_OUTCOME_NOT_RUN);
}

static void
check_genuine(const struct snp_verify_result *res, const struct row *r, const char *how)
{
	enum snp_product want_product = SNP_PRODUCT_UNKNOWN;
	int vlek = strcmp(r->col[14], "VLEK") == 0, i;
	struct snp_tcb tcb;
	uint64_t raw;

	if (res->err != 0)
		fprintf(stderr, "%s (%s): failed %s: %s\n", r->col[0], how,
		    snp_check_name(res->failed_check), res->checks[res->failed_check].detail);
	CHECK_ERR(res->err, 0);
	CHECK_OK(snp_product_from_name(r->col[3], &want_product));
	CHECK_INT_EQ(res->product, want_product);
	CHECK_INT_EQ(res->signer, vlek ? SNP_SIGNING_KEY_VLEK : SNP_SIGNING_KEY_VCEK);
	for (i = 0; i < SNP_CHECK_COUNT; i++) {
		enum snp_outcome want = SNP_OUTCOME_PASS;

		if (i == SNP_CHECK_CRL || (i == SNP_CHECK_CHIP_ID && vlek))
			want = SNP_OUTCOME_SKIPPED;
		CHECK_INT_EQ(res->checks[i].outcome, want);
		CHECK(res->checks[i].detail[0] != '\0');
	}
	raw = strtoull(r->col[17], NULL, 16);
	CHECK_OK(snp_tcb_decode(raw, want_product, &tcb));
	CHECK_MEM_EQ(&res->reported_tcb, &tcb, sizeof(tcb));
	if (vlek)
		CHECK(strncmp(res->csp_id, "CN=cc-", 6) == 0 &&
		    strstr(res->csp_id, ".amazonaws.com") != NULL);
	else
		CHECK_STR_EQ(res->csp_id, "");
}

/* ---- every genuine report ---------------------------------------------- */

static void
test_expected_genuine(void)
{
	struct snp_verify_result res;
	size_t i, yes = 0;

	load_expected();
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		if (strcmp(r->col[4], "yes") != 0)
			continue;
		yes++;
		/* Chain file supplied. */
		CHECK_OK(verify(NULL, r->col[0], r->col[1], r->col[2], r->col[7], NULL, &res));
		check_genuine(&res, r, "chain supplied");
		CHECK_INT_EQ(res.chain_cached, 0);
		/* Signer file alone: ASK/ASVK compiled in. */
		CHECK_OK(verify(NULL, r->col[0], r->col[1], NULL, r->col[7], NULL, &res));
		check_genuine(&res, r, "compiled-in chain");
	}
	CHECK_INT_EQ(yes, 22);
}

static void
test_parse_only_has_no_vcek(void)
{
	struct snp_verify_result res;
	size_t i, found = 0;

	load_expected();
	for (i = 0; i < nrows; i++) {
		if (strcmp(rows[i].col[4], "parse-only") != 0)
			continue;
		found++;
		CHECK_STR_EQ(rows[i].col[1], "-");
		CHECK_ERR(verify(NULL, rows[i].col[0], NULL, NULL, "2025-01-01", NULL, &res),
		    KBS_ERR_CERT_MISSING);
		check_failed_at(&res, SNP_CHECK_PRODUCT, KBS_ERR_CERT_MISSING);
	}
	CHECK_INT_EQ(found, 1);
}

/* ---- negative vectors --------------------------------------------------- */

static void
test_tampered(void)
{
	struct snp_verify_result res;
	size_t i, n = 0;

	load_expected();
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		if (strncmp(r->col[4], "no(", 3) != 0)
			continue;
		n++;
		CHECK_ERR(verify(NULL, r->col[0], r->col[1], r->col[2], r->col[7], NULL, &res),
		    KBS_ERR_REPORT_SIGNATURE);
		check_failed_at(&res, SNP_CHECK_REPORT_SIGNATURE, KBS_ERR_REPORT_SIGNATURE);
		CHECK_STR_EQ(snp_check_name(res.failed_check), "report_signature");
	}
	CHECK_INT_EQ(n, 3);
}

static void
test_forged_vceks(void)
{
	static const char *const forged[] = {
		"trustee/neg_vcek_bad_hwid_legacy.der",
		"trustee/neg_vcek_bad_hwid_new.der",
	};
	struct snp_verify_result res;
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(forged); i++) {
		CHECK_ERR(verify(NULL, "trustee/milan_vcek_report.bin", forged[i],
			      "amd/cert_chain_milan.pem", "2024-01-01T00:00:00Z", NULL, &res),
		    KBS_ERR_CERT_VCEK_SIGNATURE);
		check_failed_at(&res, SNP_CHECK_SIGNER_CERT, KBS_ERR_CERT_VCEK_SIGNATURE);
	}
}

static void
test_vlek_expired_today(void)
{
	struct snp_verify_result res;
	char now[KBS_TIME_RFC3339_LEN];
	size_t i, n = 0;

	load_expected();
	CHECK_OK(kbs_time_format_rfc3339(kbs_time_now(), now, sizeof(now)));
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		if (strcmp(r->col[4], "yes") != 0 || strcmp(r->col[14], "VLEK") != 0)
			continue;
		n++;
		CHECK_ERR(verify(NULL, r->col[0], r->col[1], r->col[2], now, NULL, &res),
		    KBS_ERR_CERT_EXPIRED);
		check_failed_at(&res, SNP_CHECK_VALIDITY, KBS_ERR_CERT_EXPIRED);
		CHECK(strstr(res.checks[SNP_CHECK_VALIDITY].detail, "VLEK expired at") != NULL);
	}
	CHECK_INT_EQ(n, 3);
}

static void
test_other_chips_vcek(void)
{
	struct snp_verify_result res;

	/* Both Milan VCEKs are valid in 2024; the report is from another chip. */
	CHECK_ERR(verify(NULL, "virtee-sev/milan_report.bin", "go-sev-guest/milan_vcek.der",
		      "amd/cert_chain_milan.pem", "2024-01-01", NULL, &res),
	    KBS_ERR_REPORT_SIGNATURE);
	check_failed_at(&res, SNP_CHECK_REPORT_SIGNATURE, KBS_ERR_REPORT_SIGNATURE);
	CHECK_STR_EQ(snp_check_name(res.failed_check), "report_signature");
	/* The same with a v5 report (CPUID Milan) and a v3 Milan VCEK. */
	CHECK_ERR(verify(NULL, "atakit-gcp/milan_report.bin", "oak/milan_cb_vcek.der", NULL,
		      "2026-06-30", NULL, &res),
	    KBS_ERR_REPORT_SIGNATURE);
	check_failed_at(&res, SNP_CHECK_REPORT_SIGNATURE, KBS_ERR_REPORT_SIGNATURE);
}

static void
test_wrong_product(void)
{
	struct snp_verify_result res;
	struct snp_verifier *v = NULL;
	struct snp_report rep;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;

	/* Milan report and VCEK with the Genoa ARK and ASK. */
	CHECK_ERR(verify(NULL, "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der",
		      "amd/cert_chain_genoa.pem", "2022-10-24", NULL, &res),
	    KBS_ERR_PRODUCT_MISMATCH);
	check_failed_at(&res, SNP_CHECK_ARK, KBS_ERR_PRODUCT_MISMATCH);
	/* A v3 Milan report (CPUID says Milan) with a Genoa VCEK. */
	CHECK_ERR(verify(NULL, "trustee-azure/v0_milan_report.bin", "oak/genoa_oc_vcek.der",
		      "amd/cert_chain_genoa.pem", "2025-09-06", NULL, &res),
	    KBS_ERR_PRODUCT_MISMATCH);
	check_failed_at(&res, SNP_CHECK_PRODUCT, KBS_ERR_PRODUCT_MISMATCH);
	/* A v2 Milan report (no CPUID) with a whole Genoa chain: the chain is fine, the
	 * report was not signed by that key. */
	CHECK_ERR(verify(NULL, "go-sev-guest/milan_report.bin", "oak/genoa_oc_vcek.der",
		      "amd/cert_chain_genoa.pem", "2025-09-06", NULL, &res),
	    KBS_ERR_REPORT_SIGNATURE);
	check_failed_at(&res, SNP_CHECK_REPORT_SIGNATURE, KBS_ERR_REPORT_SIGNATURE);
	CHECK_INT_EQ(res.product, SNP_PRODUCT_GENOA);
	/* An explicit product option that contradicts the certificate. */
	load_report("go-sev-guest/milan_report.bin", &rep);
	CHECK_OK(snp_certs_new(&certs));
	add_file(certs, "go-sev-guest/milan_vcek.der");
	CHECK_OK(snp_verifier_new(&v));
	memset(&opts, 0, sizeof(opts));
	opts.at = at_time("2022-10-24");
	opts.product = SNP_PRODUCT_GENOA;
	CHECK_ERR(snp_verify_report(v, &rep, certs, &opts, &res), KBS_ERR_PRODUCT_MISMATCH);
	check_failed_at(&res, SNP_CHECK_PRODUCT, KBS_ERR_PRODUCT_MISMATCH);
	opts.product = SNP_PRODUCT_MILAN;
	CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
	opts.product = (enum snp_product)SNP_PRODUCT_COUNT;
	CHECK_ERR(snp_verify_report(v, &rep, certs, &opts, &res), KBS_ERR_INVALID_ARGUMENT);
	snp_certs_free(certs);
	snp_verifier_free(v);
}

static void
test_signer_kind(void)
{
	struct snp_verify_result res;

	/* VLEK-signed report, VCEK given. */
	CHECK_ERR(verify(NULL, "trustee/milan_vlek_report.bin", "trustee/milan_vcek.der", NULL,
		      "2025-01-09", NULL, &res),
	    KBS_ERR_CERT_SIGNER_KIND);
	check_failed_at(&res, SNP_CHECK_SIGNER_CERT, KBS_ERR_CERT_SIGNER_KIND);
	/* VCEK-signed report, VLEK given. */
	CHECK_ERR(verify(NULL, "trustee/milan_vcek_report.bin", "trustee/milan_vlek.der", NULL,
		      "2025-01-09", NULL, &res),
	    KBS_ERR_CERT_SIGNER_KIND);
	check_failed_at(&res, SNP_CHECK_SIGNER_CERT, KBS_ERR_CERT_SIGNER_KIND);
}

static void
test_chain_order_and_extras(void)
{
	struct snp_verify_result res;

	/* ARK before ASK, the ASVK too, the VCEK last: order does not matter. */
	CHECK_OK(verify(NULL, "trustee/milan_vcek_report.bin", "trustee/milan_ask_ark_asvk.pem",
	    "trustee/milan_vcek.der", "2023-02-23", NULL, &res));
	CHECK_OK(verify(NULL, "trustee/milan_vlek_report.bin", "trustee/milan_ask_ark_asvk.pem",
	    "trustee/milan_vlek.der", "2025-01-09", NULL, &res));
	CHECK_OK(verify(NULL, "trustee/milan_vcek_report.bin", "amd/ark_milan.der",
	    "trustee/milan_vcek.der", "2023-02-23", NULL, &res));
	/* A VCEK and a VLEK in one set: key_info picks. */
	CHECK_OK(verify(NULL, "trustee/milan_vlek_report.bin", "trustee/milan_vcek.der",
	    "trustee/milan_vlek.der", "2025-01-09", NULL, &res));
	/* Two VCEKs: neither is picked over the other by name, so the first. */
	CHECK_ERR(verify(NULL, "trustee/milan_vcek_report.bin", "go-sev-guest/milan_vcek.der",
		      "trustee/milan_vcek.der", "2025-01-09", NULL, &res),
	    KBS_ERR_REPORT_SIGNATURE);
}

static void
test_validity_bounds(void)
{
	struct snp_verify_result res;

	/* go-sev-guest VCEK: 2022-09-24T00:55:28Z .. 2029-09-24T00:55:28Z */
	CHECK_OK(verify(NULL, "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der", NULL,
	    "2022-09-24T00:55:28Z", NULL, &res));
	CHECK_OK(verify(NULL, "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der", NULL,
	    "2029-09-24T00:55:28Z", NULL, &res));
	CHECK_ERR(verify(NULL, "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der", NULL,
		      "2022-09-24T00:55:27Z", NULL, &res),
	    KBS_ERR_CERT_NOT_YET_VALID);
	check_failed_at(&res, SNP_CHECK_VALIDITY, KBS_ERR_CERT_NOT_YET_VALID);
	CHECK_STR_EQ(
	    res.checks[SNP_CHECK_VALIDITY].detail, "VCEK not valid before 2022-09-24T00:55:28Z");
	CHECK_ERR(verify(NULL, "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der", NULL,
		      "2029-09-24T00:55:29Z", NULL, &res),
	    KBS_ERR_CERT_EXPIRED);
	CHECK_STR_EQ(res.checks[SNP_CHECK_VALIDITY].detail, "VCEK expired at 2029-09-24T00:55:28Z");
	/* Before the ARK itself (2020-10-22T17:23:05Z). */
	CHECK_ERR(verify(NULL, "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der", NULL,
		      "2020-01-01", NULL, &res),
	    KBS_ERR_CERT_NOT_YET_VALID);
	CHECK_STR_EQ(
	    res.checks[SNP_CHECK_VALIDITY].detail, "ARK not valid before 2020-10-22T17:23:05Z");
}

/* ---- the cache ---------------------------------------------------------- */

static void
test_cache(void)
{
	struct snp_verify_result res1, res2;
	struct snp_verifier *v = NULL;
	int i;

	CHECK_OK(snp_verifier_new(&v));
	CHECK_OK(verify(v, "oak/milan_oc_release_report.bin", "oak/milan_oc_vcek.der", NULL,
	    "2025-02-14", NULL, &res1));
	CHECK_INT_EQ(res1.chain_cached, 0);
	CHECK_INT_EQ(snp_cache_count(v->cache), 1);
	/* Another report from the same chip: the chain comes from the cache. */
	CHECK_OK(verify(v, "oak/milan_oc_staging_report.bin", "oak/milan_oc_vcek.der", NULL,
	    "2025-02-14", NULL, &res2));
	CHECK_INT_EQ(res2.chain_cached, 1);
	for (i = 0; i < SNP_CHECK_COUNT; i++)
		CHECK_INT_EQ(res2.checks[i].outcome, res1.checks[i].outcome);
	CHECK(strstr(res2.checks[SNP_CHECK_SIGNER_CERT].detail, "cached") != NULL);
	/* Same report again, same verdict. */
	CHECK_OK(verify(v, "oak/milan_oc_release_report.bin", "oak/milan_oc_vcek.der", NULL,
	    "2025-02-14", NULL, &res2));
	CHECK_INT_EQ(res2.chain_cached, 1);
	/* The cached chain does not bypass validity. */
	CHECK_ERR(verify(v, "oak/milan_oc_release_report.bin", "oak/milan_oc_vcek.der", NULL,
		      "2032-01-16", NULL, &res2),
	    KBS_ERR_CERT_EXPIRED);
	CHECK_INT_EQ(res2.chain_cached, 1);
	check_failed_at(&res2, SNP_CHECK_VALIDITY, KBS_ERR_CERT_EXPIRED);
	CHECK_ERR(verify(v, "oak/milan_oc_release_report.bin", "oak/milan_oc_vcek.der", NULL,
		      "2025-01-01", NULL, &res2),
	    KBS_ERR_CERT_NOT_YET_VALID);
	CHECK_INT_EQ(res2.chain_cached, 1);
	/* Nor the report signature: a tampered report under a cached chain. */
	CHECK_OK(verify(v, "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der", NULL,
	    "2022-10-24", NULL, &res2));
	CHECK_ERR(verify(v, "tampered/milan_measurement_bitflip.bin", "go-sev-guest/milan_vcek.der",
		      NULL, "2022-10-24", NULL, &res2),
	    KBS_ERR_REPORT_SIGNATURE);
	CHECK_INT_EQ(res2.chain_cached, 1);
	/* Nor a chain fault: a forged VCEK never enters the cache. */
	CHECK_ERR(verify(v, "trustee/milan_vcek_report.bin", "trustee/neg_vcek_bad_hwid_new.der",
		      NULL, "2024-01-01", NULL, &res2),
	    KBS_ERR_CERT_VCEK_SIGNATURE);
	CHECK_ERR(verify(v, "trustee/milan_vcek_report.bin", "trustee/neg_vcek_bad_hwid_new.der",
		      NULL, "2024-01-01", NULL, &res2),
	    KBS_ERR_CERT_VCEK_SIGNATURE);
	CHECK_INT_EQ(res2.chain_cached, 0);
	CHECK_INT_EQ(snp_cache_count(v->cache), 2);
	/*
	 * A chain enters the cache only once a report it signed verified: a
	 * public VCEK with a junk report costs the RSA checks every time.
	 */
	CHECK_ERR(verify(v, "tampered/genoa_signature_bitflip.bin", "oak/genoa_oc_vcek.der", NULL,
		      "2025-09-06", NULL, &res2),
	    KBS_ERR_REPORT_SIGNATURE);
	CHECK_INT_EQ(res2.chain_cached, 0);
	CHECK_INT_EQ(snp_cache_count(v->cache), 2);
	CHECK_ERR(verify(v, "tampered/genoa_signature_bitflip.bin", "oak/genoa_oc_vcek.der", NULL,
		      "2025-09-06", NULL, &res2),
	    KBS_ERR_REPORT_SIGNATURE);
	CHECK_INT_EQ(res2.chain_cached, 0);
	CHECK_OK(verify(v, "oak/genoa_oc_report.bin", "oak/genoa_oc_vcek.der", NULL, "2025-09-06",
	    NULL, &res2));
	CHECK_INT_EQ(res2.chain_cached, 0);
	CHECK_INT_EQ(snp_cache_count(v->cache), 3);
	/* A supplied but different ARK is still refused on a cache hit. */
	CHECK_ERR(verify(v, "oak/milan_oc_release_report.bin", "oak/milan_oc_vcek.der",
		      "amd/ark_genoa.pem", "2025-02-14", NULL, &res2),
	    KBS_ERR_PRODUCT_MISMATCH);
	snp_verifier_free(v);
}

static void
test_cache_eviction(void)
{
	struct snp_cache *c = NULL;
	struct snp_chain_facts *f, *held = NULL, *got;
	uint8_t a[32], b[32];
	int i;

	CHECK_OK(snp_cache_new(4, &c));
	memset(b, 0x11, sizeof(b));
	for (i = 0; i < 10; i++) {
		CHECK_OK(snp_facts_new(&f));
		memset(f->signer_sha256, i, 32);
		memcpy(f->inter_sha256, b, 32);
		CHECK_OK(snp_cache_put(c, f));
		CHECK_OK(snp_cache_put(c, f)); /* already there: kept once */
		if (i == 0)
			held = f; /* keep our reference past its eviction */
		else
			snp_facts_release(f);
		CHECK(snp_cache_count(c) <= 4);
	}
	CHECK_INT_EQ(snp_cache_count(c), 4);
	for (i = 0; i < 10; i++) {
		memset(a, i, sizeof(a));
		got = snp_cache_get(c, a, b);
		CHECK((got != NULL) == (i >= 6));
		snp_facts_release(got);
	}
	memset(a, 9, sizeof(a));
	memset(b, 0x12, sizeof(b));
	CHECK(snp_cache_get(c, a, b) == NULL); /* the ASK is part of the key */
	CHECK(held != NULL && held->signer_sha256[0] == 0);
	snp_facts_release(held);
	snp_cache_free(c);
	snp_cache_free(NULL);
	CHECK_ERR(snp_cache_new(0, &c), KBS_ERR_INVALID_ARGUMENT);
}

static struct snp_crl *milan_crl(void);

struct thread_arg {
	struct snp_verifier *v;
	const struct snp_report *rep[2];
	const struct snp_certs *certs;
	int64_t at;
	int failures;
};

/* test_read_vector is not thread-safe: threads get parsed inputs. */
static void *
thread_main(void *p)
{
	struct thread_arg *a = p;
	struct snp_verify_options opts;
	struct snp_verify_result res;
	int i;

	memset(&opts, 0, sizeof(opts));
	opts.at = a->at;
	for (i = 0; i < 16; i++) {
		if (snp_verify_report(a->v, a->rep[i % 2], a->certs, &opts, &res) != 0)
			a->failures++;
	}
	return NULL;
}

static void
test_threads(void)
{
	struct thread_arg args[4];
	struct snp_report rep[2];
	struct snp_certs *certs = NULL;
	pthread_t t[4];
	struct snp_verifier *v = NULL;
	int i;

	load_report("oak/milan_rk_release_report.bin", &rep[0]);
	load_report("oak/milan_rk_staging_report.bin", &rep[1]);
	CHECK_OK(snp_certs_new(&certs));
	add_file(certs, "oak/milan_rk_vcek.der");
	CHECK_OK(snp_verifier_new(&v));
	for (i = 0; i < 4; i++) {
		args[i].v = v;
		args[i].rep[0] = &rep[0];
		args[i].rep[1] = &rep[1];
		args[i].certs = certs;
		args[i].at = at_time("2025-02-14");
		args[i].failures = 0;
		CHECK(pthread_create(&t[i], NULL, thread_main, &args[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		CHECK(pthread_join(t[i], NULL) == 0);
		CHECK_INT_EQ(args[i].failures, 0);
	}
	CHECK_INT_EQ(snp_cache_count(v->cache), 1);
	snp_certs_free(certs);
	snp_verifier_free(v);
}

/*
 * Several chips, products and signer kinds, a CRL and a tampered report,
 * through a two-entry cache: entries are evicted while other threads still
 * use them, and every verdict stays exact. Run under -Db_sanitize=thread
 * too.
 */
struct churn_item {
	const char *report, *signer, *at;
	int want;
	struct snp_report rep;
	struct snp_certs *certs;
	int64_t t;
};

static struct churn_item churn[] = {
	{ .report = "oak/milan_rk_release_report.bin",
	    .signer = "oak/milan_rk_vcek.der",
	    .at = "2025-02-14" },
	{ .report = "oak/genoa_oc_report.bin",
	    .signer = "oak/genoa_oc_vcek.der",
	    .at = "2025-09-06" },
	{ .report = "oak/turin_oc_report.bin",
	    .signer = "oak/turin_oc_vcek.der",
	    .at = "2025-08-16" },
	{ .report = "trustee/milan_vlek_report.bin",
	    .signer = "trustee/milan_vlek.der",
	    .at = "2025-01-09" },
	{ .report = "atakit-gcp/milan_report.bin",
	    .signer = "atakit-gcp/milan_vcek.der",
	    .at = "2026-06-30" },
	{ .report = "tampered/genoa_signature_bitflip.bin",
	    .signer = "oak/genoa_oc_vcek.der",
	    .at = "2025-09-06",
	    .want = KBS_ERR_REPORT_SIGNATURE },
};

struct churn_arg {
	struct snp_verifier *v;
	const struct snp_crl *crl;
	size_t start;
	int wrong;
};

static void *
churn_main(void *p)
{
	struct churn_arg *a = p;
	struct snp_verify_options opts;
	struct snp_verify_result res;
	size_t i;

	for (i = 0; i < 3 * KBS_ARRAY_SIZE(churn); i++) {
		struct churn_item *it = &churn[(a->start + i) % KBS_ARRAY_SIZE(churn)];

		memset(&opts, 0, sizeof(opts));
		opts.at = it->t;
		/* The Milan CRL (2026-06-22 .. 2026-08-08) applies to the atakit chip. */
		opts.crl = it == &churn[4] ? a->crl : NULL;
		if (snp_verify_report(a->v, &it->rep, it->certs, &opts, &res) != it->want)
			a->wrong++;
	}
	return NULL;
}

static void
test_threads_cache_churn(void)
{
	struct churn_arg args[4];
	struct snp_crl *crl = milan_crl();
	struct snp_verifier *v = NULL;
	pthread_t t[4];
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(churn); i++) {
		load_report(churn[i].report, &churn[i].rep);
		CHECK_OK(snp_certs_new(&churn[i].certs));
		add_file(churn[i].certs, churn[i].signer);
		churn[i].t = at_time(churn[i].at);
	}
	CHECK_OK(snp_verifier_new(&v));
	snp_cache_free(v->cache);
	CHECK_OK(snp_cache_new(2, &v->cache));
	for (i = 0; i < 4; i++) {
		args[i].v = v;
		args[i].crl = crl;
		args[i].start = i;
		args[i].wrong = 0;
		CHECK(pthread_create(&t[i], NULL, churn_main, &args[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		CHECK(pthread_join(t[i], NULL) == 0);
		CHECK_INT_EQ(args[i].wrong, 0);
	}
	CHECK_INT_EQ(snp_cache_count(v->cache), 2);
	for (i = 0; i < KBS_ARRAY_SIZE(churn); i++)
		snp_certs_free(churn[i].certs);
	snp_verifier_free(v);
	snp_crl_free(crl);
}

/* ---- CRL in the verification ------------------------------------------- */

static struct snp_crl *
milan_crl(void)
{
	struct snp_crl *crl = NULL;
	size_t len = 0;
	uint8_t *data = test_read_vector("amd/crl_milan.der", &len);

	CHECK_OK(snp_crl_load(data, len, &crl));
	free(data);
	return crl;
}

static void
test_crl_in_verification(void)
{
	struct snp_crl *crl = milan_crl();
	struct snp_verifier *v = NULL;
	struct snp_verify_result res;
	struct snp_verify_options opts;
	struct snp_report rep;
	struct snp_certs *certs = NULL;

	/* atakit-gcp VCEK: valid from 2026-05-31; CRL: 2026-06-22 .. 2026-08-08. */
	CHECK_OK(verify(NULL, "atakit-gcp/milan_report.bin", "atakit-gcp/milan_vcek.der", NULL,
	    "2026-06-30", crl, &res));
	CHECK_INT_EQ(res.checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_PASS);
	CHECK_ERR(verify(NULL, "atakit-gcp/milan_report.bin", "atakit-gcp/milan_vcek.der", NULL,
		      "2026-09-01", crl, &res),
	    KBS_ERR_CRL_STALE);
	check_failed_at(&res, SNP_CHECK_CRL, KBS_ERR_CRL_STALE);
	CHECK_ERR(verify(NULL, "atakit-gcp/milan_report.bin", "atakit-gcp/milan_vcek.der", NULL,
		      "2026-06-10", crl, &res),
	    KBS_ERR_CRL_NOT_YET_VALID);
	check_failed_at(&res, SNP_CHECK_CRL, KBS_ERR_CRL_NOT_YET_VALID);
	/*
	 * The real Milan list is the VCEK list: for the AWS VLEK report it is
	 * the wrong kind; loaded as the VLEK list it gets past that check to
	 * its time (it was issued after the VLEK expired).
	 */
	CHECK_ERR(verify(NULL, "trustee/milan_vlek_report.bin", "trustee/milan_vlek.der", NULL,
		      "2025-01-09", crl, &res),
	    KBS_ERR_CRL_KIND);
	check_failed_at(&res, SNP_CHECK_CRL, KBS_ERR_CRL_KIND);
	{
		struct snp_crl *as_vlek = NULL;
		size_t len = 0;
		uint8_t *data = test_read_vector("amd/crl_milan.der", &len);

		CHECK_OK(snp_crl_load_for(data, len, SNP_SIGNING_KEY_VLEK, &as_vlek));
		CHECK_INT_EQ(snp_crl_signer(as_vlek), SNP_SIGNING_KEY_VLEK);
		CHECK_INT_EQ(snp_crl_signer(crl), SNP_SIGNING_KEY_VCEK);
		CHECK_ERR(verify(NULL, "trustee/milan_vlek_report.bin", "trustee/milan_vlek.der",
			      NULL, "2025-01-09", as_vlek, &res),
		    KBS_ERR_CRL_NOT_YET_VALID);
		CHECK_ERR(verify(NULL, "atakit-gcp/milan_report.bin", "atakit-gcp/milan_vcek.der",
			      NULL, "2026-06-30", as_vlek, &res),
		    KBS_ERR_CRL_KIND);
		CHECK_ERR(snp_crl_load_for(data, len, SNP_SIGNING_KEY_NONE, &as_vlek),
		    KBS_ERR_INVALID_ARGUMENT);
		snp_crl_free(as_vlek);
		free(data);
	}
	/* A Genoa report with the Milan CRL. */
	CHECK_ERR(verify(NULL, "oak/genoa_oc_report.bin", "oak/genoa_oc_vcek.der", NULL,
		      "2026-06-30", crl, &res),
	    KBS_ERR_CRL_ISSUER);
	check_failed_at(&res, SNP_CHECK_CRL, KBS_ERR_CRL_ISSUER);

	/* allow_stale_crl, twice on one verifier (the CRL signature is then cached). */
	load_report("atakit-gcp/milan_report.bin", &rep);
	CHECK_OK(snp_certs_new(&certs));
	add_file(certs, "atakit-gcp/milan_vcek.der");
	CHECK_OK(snp_verifier_new(&v));
	memset(&opts, 0, sizeof(opts));
	opts.at = at_time("2026-09-01");
	opts.crl = crl;
	opts.allow_stale_crl = 1;
	CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
	CHECK_INT_EQ(res.checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_PASS);
	CHECK(snp_cache_crl_verified(v->cache, crl->der_sha256, SNP_PRODUCT_MILAN));
	CHECK(!snp_cache_crl_verified(v->cache, crl->der_sha256, SNP_PRODUCT_GENOA));
	CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
	CHECK_INT_EQ(res.chain_cached, 1);
	opts.allow_stale_crl = 0;
	CHECK_ERR(snp_verify_report(v, &rep, certs, &opts, &res), KBS_ERR_CRL_STALE);
	snp_certs_free(certs);
	snp_verifier_free(v);
	snp_crl_free(crl);
}

/*
 * revoked_crl makes a CRL named as the Milan ARK's, listing serial, signed
 * with a throwaway key. Only AMD can sign one that verifies, so the tests
 * mark its digest as verified in the verifier's CRL cache: that exercises
 * the revocation path of snp_verify_report exactly as a cached genuine CRL.
 */
static struct snp_crl *
revoked_crl(struct snp_verifier *v, long serial, enum snp_signing_key list)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	EVP_PKEY *key = EVP_RSA_gen(2048);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	struct snp_crl *crl = NULL;
	int len;

	CHECK(c && t && rv && s && key && md);
	CHECK(X509_CRL_set_version(c, 1) == 1);
	CHECK(X509_CRL_set_issuer_name(
		  c, X509_get_subject_name(v->roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK])) == 1);
	CHECK(ASN1_TIME_set_string(t, "20250101000000Z") == 1);
	CHECK(X509_CRL_set1_lastUpdate(c, t) == 1);
	CHECK(ASN1_TIME_set_string(t, "20260101000000Z") == 1);
	CHECK(X509_CRL_set1_nextUpdate(c, t) == 1);
	CHECK(ASN1_INTEGER_set(s, serial) == 1);
	CHECK(X509_REVOKED_set_serialNumber(rv, s) == 1);
	CHECK(X509_REVOKED_set_revocationDate(rv, t) == 1);
	CHECK(X509_CRL_add0_revoked(c, rv) == 1);
	CHECK(EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1);
	CHECK(X509_CRL_sign_ctx(c, md) > 0);
	CHECK((len = i2d_X509_CRL(c, &der)) > 0);
	CHECK_OK(snp_crl_load_for(der, (size_t)len, list, &crl));
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	ASN1_INTEGER_free(s);
	ASN1_TIME_free(t);
	X509_CRL_free(c);
	return crl;
}

static void
test_revocation_in_verification(void)
{
	struct snp_verifier *v = NULL;
	struct snp_verify_result res;
	struct snp_crl *crl;

	CHECK_OK(snp_verifier_new(&v));
	/* The Milan ASK's serial is 0x010001. Unmarked, the forged signature fails. */
	crl = revoked_crl(v, 0x010001, SNP_SIGNING_KEY_VCEK);
	CHECK_ERR(verify(v, "oak/milan_cb_report.bin", "oak/milan_cb_vcek.der", NULL, "2025-03-05",
		      crl, &res),
	    KBS_ERR_CRL_SIGNATURE);
	check_failed_at(&res, SNP_CHECK_CRL, KBS_ERR_CRL_SIGNATURE);
	snp_cache_crl_mark(v->cache, crl->der_sha256, SNP_PRODUCT_MILAN);
	CHECK_ERR(verify(v, "oak/milan_cb_report.bin", "oak/milan_cb_vcek.der", NULL, "2025-03-05",
		      crl, &res),
	    KBS_ERR_CERT_REVOKED);
	check_failed_at(&res, SNP_CHECK_CRL, KBS_ERR_CERT_REVOKED);
	CHECK_STR_EQ(res.checks[SNP_CHECK_CRL].detail, "ASK serial 0x010001 is revoked");
	/*
	 * This is the VCEK list: it says nothing about the ASVK, so a VLEK
	 * chain is refused with it rather than called not revoked.
	 */
	CHECK_ERR(verify(v, "trustee/milan_vlek_report.bin", "trustee/milan_vlek.der", NULL,
		      "2025-03-05", crl, &res),
	    KBS_ERR_CRL_KIND);
	check_failed_at(&res, SNP_CHECK_CRL, KBS_ERR_CRL_KIND);
	CHECK_STR_EQ(res.checks[SNP_CHECK_CRL].detail,
	    "CRL was given as the VCEK list (it speaks for the ASK); the report is VLEK-signed");
	snp_crl_free(crl);
	/* The same entries as the VLEK list: the ASVK (0x010101) is not listed, it passes. */
	crl = revoked_crl(v, 0x010001, SNP_SIGNING_KEY_VLEK);
	snp_cache_crl_mark(v->cache, crl->der_sha256, SNP_PRODUCT_MILAN);
	CHECK_OK(verify(v, "trustee/milan_vlek_report.bin", "trustee/milan_vlek.der", NULL,
	    "2025-03-05", crl, &res));
	CHECK_INT_EQ(res.checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_PASS);
	CHECK_STR_EQ(res.checks[SNP_CHECK_CRL].detail,
	    "VLEK list signed by the milan ARK, ASVK and VLEK not revoked");
	/* ... and a VLEK list is refused for a VCEK chain. */
	CHECK_ERR(verify(v, "oak/milan_cb_report.bin", "oak/milan_cb_vcek.der", NULL, "2025-03-05",
		      crl, &res),
	    KBS_ERR_CRL_KIND);
	CHECK_STR_EQ(res.checks[SNP_CHECK_CRL].detail,
	    "CRL was given as the VLEK list (it speaks for the ASVK); the report is VCEK-signed");
	snp_crl_free(crl);
	/* A VLEK list revoking the ASVK revokes the VLEK chain. */
	crl = revoked_crl(v, 0x010101, SNP_SIGNING_KEY_VLEK);
	snp_cache_crl_mark(v->cache, crl->der_sha256, SNP_PRODUCT_MILAN);
	CHECK_ERR(verify(v, "trustee/milan_vlek_report.bin", "trustee/milan_vlek.der", NULL,
		      "2025-03-05", crl, &res),
	    KBS_ERR_CERT_REVOKED);
	CHECK_STR_EQ(res.checks[SNP_CHECK_CRL].detail, "ASVK serial 0x010101 is revoked");
	snp_crl_free(crl);
	/* Serial 0 is what every VCEK carries: listing it revokes them. */
	crl = revoked_crl(v, 0, SNP_SIGNING_KEY_VCEK);
	snp_cache_crl_mark(v->cache, crl->der_sha256, SNP_PRODUCT_MILAN);
	CHECK_ERR(verify(v, "oak/milan_cb_report.bin", "oak/milan_cb_vcek.der", NULL, "2025-03-05",
		      crl, &res),
	    KBS_ERR_CERT_REVOKED);
	CHECK_STR_EQ(res.checks[SNP_CHECK_CRL].detail, "VCEK serial 0x0 is revoked");
	snp_crl_free(crl);
	snp_verifier_free(v);
}

/* ---- TCB and chip id decisions ------------------------------------------ */

static void
test_tcb_decision(void)
{
	struct snp_amd_ext turin, milan;
	struct snp_tcb t;
	char d[160];

	memset(&turin, 0, sizeof(turin));
	turin.spl =
	    (struct snp_tcb){ .fmc = 0, .bootloader = 1, .tee = 0, .snp = 2, .microcode = 71 };
	turin.has_fmc = 1;
	CHECK_OK(snp_check_tcb(
	    0x4700000002000100ull, SNP_PRODUCT_TURIN, &turin, "VCEK", &t, d, sizeof(d)));
	CHECK_INT_EQ(t.bootloader, 1);
	CHECK_INT_EQ(t.microcode, 71);
	/* The tampered vector's REPORTED_TCB: boot loader 3. */
	CHECK_ERR(snp_check_tcb(
		      0x4700000002000300ull, SNP_PRODUCT_TURIN, &turin, "VCEK", &t, d, sizeof(d)),
	    KBS_ERR_TCB_MISMATCH);
	CHECK_STR_EQ(d, "REPORTED_TCB boot loader (blSPL) is 3, the VCEK says 1");
	CHECK_ERR(snp_check_tcb(
		      0x4700000002000101ull, SNP_PRODUCT_TURIN, &turin, "VCEK", &t, d, sizeof(d)),
	    KBS_ERR_TCB_MISMATCH);
	CHECK_STR_EQ(d, "REPORTED_TCB FMC (fmcSPL) is 1, the VCEK says 0");
	/* A Turin TCB read with the Milan layout is refused, not misread. */
	CHECK_ERR(snp_check_tcb(
		      0x4700000002000100ull, SNP_PRODUCT_MILAN, &turin, "VCEK", &t, d, sizeof(d)),
	    KBS_ERR_REPORT_RESERVED);

	memset(&milan, 0, sizeof(milan));
	milan.spl = (struct snp_tcb){ .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115 };
	CHECK_OK(snp_check_tcb(
	    0x7308000000000003ull, SNP_PRODUCT_MILAN, &milan, "VCEK", &t, d, sizeof(d)));
	CHECK_ERR(snp_check_tcb(
		      0x7308000000000103ull, SNP_PRODUCT_MILAN, &milan, "VLEK", &t, d, sizeof(d)),
	    KBS_ERR_TCB_MISMATCH);
	CHECK_STR_EQ(d, "REPORTED_TCB TEE (teeSPL) is 1, the VLEK says 0");
	CHECK_ERR(snp_check_tcb(
		      0x7309000000000003ull, SNP_PRODUCT_MILAN, &milan, "VCEK", &t, d, sizeof(d)),
	    KBS_ERR_TCB_MISMATCH);
	CHECK(strstr(d, "SNP (snpSPL) is 9") != NULL);
	CHECK_ERR(snp_check_tcb(
		      0x7208000000000003ull, SNP_PRODUCT_MILAN, &milan, "VCEK", &t, d, sizeof(d)),
	    KBS_ERR_TCB_MISMATCH);
	CHECK(strstr(d, "microcode (ucodeSPL) is 114") != NULL);
	/* fmc is meaningless on Milan: an fmcSPL value there is not compared. */
	milan.spl.fmc = 9;
	CHECK_OK(snp_check_tcb(
	    0x7308000000000003ull, SNP_PRODUCT_MILAN, &milan, "VCEK", &t, d, sizeof(d)));
}

/*
 * ECDSA is malleable: with (r, s) valid, (r, n - s) is valid too. AMD
 * firmware does not normalise s (half the genuine reports have a high s),
 * so a verifier cannot refuse one form. Two different 1184-byte reports
 * are then both genuine; whatever identifies a report (replay checks,
 * audit) must use the signed bytes, never a hash of all 1184.
 */
static void
test_signature_malleable(void)
{
	static const uint8_t n_be[48] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48,
		0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73 };
	struct snp_verify_result res;
	struct snp_verify_options opts;
	struct snp_verifier *v = NULL;
	struct snp_certs *certs = NULL;
	struct snp_report rep, twin;
	uint8_t raw[SNP_REPORT_SIZE], *s = raw + SNP_REPORT_SIGNED_SIZE + SNP_SIG_COMPONENT_SIZE;
	int i, d, borrow = 0;

	load_report("oak/milan_rk_release_report.bin", &rep);
	memcpy(raw, rep.raw, sizeof(raw));
	for (i = 0; i < 48; i++) { /* s = n - s, little-endian */
		d = n_be[47 - i] - s[i] - borrow;
		borrow = d < 0;
		s[i] = (uint8_t)(d + 256 * borrow);
	}
	CHECK_OK(snp_report_parse(raw, sizeof(raw), &twin));
	CHECK(memcmp(twin.raw, rep.raw, SNP_REPORT_SIZE) != 0);
	CHECK(memcmp(twin.raw, rep.raw, SNP_REPORT_SIGNED_SIZE) == 0);
	CHECK_OK(snp_certs_new(&certs));
	add_file(certs, "oak/milan_rk_vcek.der");
	CHECK_OK(snp_verifier_new(&v));
	memset(&opts, 0, sizeof(opts));
	opts.at = at_time("2025-02-14");
	CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
	CHECK_OK(snp_verify_report(v, &twin, certs, &opts, &res));
	/* s = 0 (n - n) is refused, as is n itself. */
	memset(s, 0, 48);
	CHECK_OK(snp_report_parse(raw, sizeof(raw), &twin));
	CHECK_ERR(snp_verify_report(v, &twin, certs, &opts, &res), KBS_ERR_REPORT_SIGNATURE);
	for (i = 0; i < 48; i++)
		s[i] = n_be[47 - i];
	CHECK_OK(snp_report_parse(raw, sizeof(raw), &twin));
	CHECK_ERR(snp_verify_report(v, &twin, certs, &opts, &res), KBS_ERR_REPORT_SIGNATURE);
	snp_certs_free(certs);
	snp_verifier_free(v);
}

static void
test_chip_id_decision(void)
{
	struct snp_amd_ext e;
	uint8_t chip[64];
	char d[160];
	int skipped = -1, i;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < 64; i++)
		chip[i] = e.hwid[i] = (uint8_t)(i + 1);
	e.hwid_len = 64;
	CHECK_OK(snp_check_chip_id(
	    SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, 0, chip, &e, &skipped, d, sizeof(d)));
	CHECK_INT_EQ(skipped, 0);
	chip[63] ^= 1;
	CHECK_ERR(snp_check_chip_id(
		      SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VCEK, 0, chip, &e, &skipped, d, sizeof(d)),
	    KBS_ERR_CHIP_ID_MISMATCH);
	CHECK_STR_EQ(d, "CHIP_ID differs from the VCEK hwID");
	/* A VLEK is not bound to a chip, whatever CHIP_ID says. */
	CHECK_OK(snp_check_chip_id(
	    SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VLEK, 0x4, chip, &e, &skipped, d, sizeof(d)));
	CHECK_INT_EQ(skipped, 1);
	/* MASK_CHIP_KEY: a zero CHIP_ID is skipped, a non-zero one refused. */
	CHECK_ERR(snp_check_chip_id(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK,
		      SNP_KEY_INFO_MASK_CHIP_KEY, chip, &e, &skipped, d, sizeof(d)),
	    KBS_ERR_CHIP_ID_MISMATCH);
	memset(chip, 0, sizeof(chip));
	CHECK_OK(snp_check_chip_id(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK,
	    SNP_KEY_INFO_MASK_CHIP_KEY, chip, &e, &skipped, d, sizeof(d)));
	CHECK_INT_EQ(skipped, 1);
	/* Without the mask a zero CHIP_ID is simply a mismatch. */
	CHECK_ERR(snp_check_chip_id(
		      SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, 0, chip, &e, &skipped, d, sizeof(d)),
	    KBS_ERR_CHIP_ID_MISMATCH);
	/* Turin: 8 bytes, rest of CHIP_ID zero. */
	for (i = 0; i < 8; i++)
		chip[i] = e.hwid[i];
	CHECK_ERR(snp_check_chip_id(
		      SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK, 0, chip, &e, &skipped, d, sizeof(d)),
	    KBS_ERR_CHIP_ID_MISMATCH);
	CHECK_STR_EQ(d, "VCEK hwID has 64 bytes, turin uses 8");
	e.hwid_len = 8;
	CHECK_OK(snp_check_chip_id(
	    SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK, 0, chip, &e, &skipped, d, sizeof(d)));
	chip[8] = 1;
	CHECK_ERR(snp_check_chip_id(
		      SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK, 0, chip, &e, &skipped, d, sizeof(d)),
	    KBS_ERR_CHIP_ID_MISMATCH);
	/* An 8-byte hwID on Milan. */
	chip[8] = 0;
	CHECK_ERR(snp_check_chip_id(
		      SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, 0, chip, &e, &skipped, d, sizeof(d)),
	    KBS_ERR_CHIP_ID_MISMATCH);
}

/* The caller's decoded fields are ignored: decisions come from raw. */
static void
test_decoded_fields_ignored(void)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;
	struct snp_verify_result res;
	struct snp_report rep;

	load_report("go-sev-guest/milan_report.bin", &rep);
	CHECK_OK(snp_certs_new(&certs));
	add_file(certs, "go-sev-guest/milan_vcek.der");
	CHECK_OK(snp_verifier_new(&v));
	memset(&opts, 0, sizeof(opts));
	opts.at = at_time("2022-10-24");
	rep.key_info |= SNP_KEY_INFO_MASK_CHIP_KEY;
	memset(rep.chip_id, 0, sizeof(rep.chip_id));
	rep.reported_tcb = 0;
	rep.signing_key = SNP_SIGNING_KEY_VLEK;
	CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
	CHECK_INT_EQ(res.checks[SNP_CHECK_CHIP_ID].outcome, SNP_OUTCOME_PASS);
	CHECK_INT_EQ(res.signer, SNP_SIGNING_KEY_VCEK);
	/* Bytes in raw that do not parse are refused before anything else. */
	rep.raw[0] = 9;
	CHECK_ERR(snp_verify_report(v, &rep, certs, &opts, &res), KBS_ERR_REPORT_VERSION);
	check_failed_at(&res, SNP_CHECK_PRODUCT, KBS_ERR_REPORT_VERSION);
	snp_certs_free(certs);
	snp_verifier_free(v);
}

/* ---- chain only --------------------------------------------------------- */

static void
test_turin_chain_only(void)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *certs = NULL;
	struct snp_verify_result res;
	struct snp_chain_facts *f = NULL;

	CHECK_OK(snp_verifier_new(&v));
	CHECK_OK(snp_certs_new(&certs));
	add_file(certs, "virtee-sev/turin_vcek.der");
	add_file(certs, "virtee-sev/cert_chain_turin.pem");
	CHECK_OK(snp_verify_chain(
	    v, certs, SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK, at_time("2026-01-01"), &res, &f));
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK_UINT_EQ(f->ext.hwid_len, 8);
		CHECK_INT_EQ(f->ext.has_fmc, 1);
		CHECK_STR_EQ(f->ext.product_name, "Turin");
		CHECK_UINT_EQ(f->ext.struct_version, 1);
	}
	CHECK_INT_EQ(res.checks[SNP_CHECK_VALIDITY].outcome, SNP_OUTCOME_PASS);
	snp_facts_release(f);
	/* The same VCEK under the Milan chain. */
	CHECK_ERR(snp_verify_chain(v, certs, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK,
		      at_time("2026-01-01"), &res, NULL),
	    KBS_ERR_PRODUCT_MISMATCH);
	check_failed_at(&res, SNP_CHECK_ARK, KBS_ERR_PRODUCT_MISMATCH);
	snp_certs_free(certs);
	CHECK_OK(snp_certs_new(&certs));
	add_file(certs, "virtee-sev/turin_vcek.der");
	CHECK_ERR(snp_verify_chain(v, certs, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK,
		      at_time("2026-01-01"), &res, NULL),
	    KBS_ERR_CERT_ISSUER);
	check_failed_at(&res, SNP_CHECK_SIGNER_CERT, KBS_ERR_CERT_ISSUER);
	snp_certs_free(certs);
	snp_verifier_free(v);
}

static void
test_arguments(void)
{
	struct snp_verifier *v = NULL;
	struct snp_verify_result res;
	struct snp_verify_options opts;
	struct snp_report rep;

	memset(&opts, 0, sizeof(opts));
	load_report("go-sev-guest/milan_report.bin", &rep);
	CHECK_OK(snp_verifier_new(&v));
	CHECK_ERR(snp_verify_report(v, &rep, NULL, &opts, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_verify_report(NULL, &rep, NULL, &opts, &res), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_verify_report(v, NULL, NULL, &opts, &res), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_verify_report(v, &rep, NULL, &opts, &res), KBS_ERR_CERT_MISSING);
	check_failed_at(&res, SNP_CHECK_PRODUCT, KBS_ERR_CERT_MISSING);
	snp_verifier_free(v);
	snp_verifier_free(NULL);
}

/* ---- Product selection, shared with the tools that only decode ---------- */

static void
test_product_select(void)
{
	struct snp_report v2, turin, unknown, zero;
	enum snp_product p = SNP_PRODUCT_UNKNOWN;
	enum snp_product_source src = SNP_PRODUCT_FROM_HINT;

	load_report("virtee-sev/milan_report.bin", &v2); /* v2: no CPUID */
	load_report("oak/turin_oc_report.bin", &turin);
	unknown = turin;
	unknown.cpuid_mod_id = 0x50; /* family 0x1a model 0x50: not a known product */
	zero = turin;
	zero.cpuid_fam_id = zero.cpuid_mod_id = 0;
	/* The claim. */
	CHECK_OK(snp_report_cpuid_claim(&turin, &p));
	CHECK_INT_EQ(p, SNP_PRODUCT_TURIN);
	CHECK_OK(snp_report_cpuid_claim(&v2, &p));
	CHECK_INT_EQ(p, SNP_PRODUCT_UNKNOWN);
	CHECK_OK(snp_report_cpuid_claim(&zero, &p));
	CHECK_INT_EQ(p, SNP_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_report_cpuid_claim(&unknown, &p), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_report_cpuid_claim(NULL, &p), KBS_ERR_INVALID_ARGUMENT);
	/* Hint, then CPUID, then fallback. */
	CHECK_OK(snp_product_select(&turin, SNP_PRODUCT_UNKNOWN, SNP_PRODUCT_MILAN, &p, &src));
	CHECK(p == SNP_PRODUCT_TURIN && src == SNP_PRODUCT_FROM_CPUID);
	CHECK_OK(snp_product_select(&turin, SNP_PRODUCT_GENOA, SNP_PRODUCT_MILAN, &p, &src));
	CHECK(p == SNP_PRODUCT_GENOA && src == SNP_PRODUCT_FROM_HINT);
	CHECK_OK(snp_product_select(&v2, SNP_PRODUCT_UNKNOWN, SNP_PRODUCT_GENOA, &p, &src));
	CHECK(p == SNP_PRODUCT_GENOA && src == SNP_PRODUCT_FROM_FALLBACK);
	CHECK_OK(snp_product_select(&zero, SNP_PRODUCT_UNKNOWN, SNP_PRODUCT_MILAN, &p, &src));
	CHECK(p == SNP_PRODUCT_MILAN && src == SNP_PRODUCT_FROM_FALLBACK);
	/* An unknown CPUID is never guessed, a hint is taken as given. */
	p = SNP_PRODUCT_COUNT;
	CHECK_ERR(snp_product_select(&unknown, SNP_PRODUCT_UNKNOWN, SNP_PRODUCT_MILAN, &p, &src),
	    KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_INT_EQ(p, SNP_PRODUCT_COUNT);
	CHECK_OK(snp_product_select(&unknown, SNP_PRODUCT_TURIN, SNP_PRODUCT_UNKNOWN, &p, &src));
	CHECK(p == SNP_PRODUCT_TURIN && src == SNP_PRODUCT_FROM_HINT);
	/* No fallback: nothing names a product. */
	CHECK_ERR(snp_product_select(&v2, SNP_PRODUCT_UNKNOWN, SNP_PRODUCT_UNKNOWN, &p, &src),
	    KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_product_select(&v2, SNP_PRODUCT_COUNT, SNP_PRODUCT_MILAN, &p, &src),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_product_select(NULL, SNP_PRODUCT_MILAN, SNP_PRODUCT_MILAN, &p, &src),
	    KBS_ERR_INVALID_ARGUMENT);
}

TEST_MAIN(TEST(test_expected_genuine), TEST(test_parse_only_has_no_vcek), TEST(test_tampered),
    TEST(test_forged_vceks), TEST(test_vlek_expired_today), TEST(test_other_chips_vcek),
    TEST(test_wrong_product), TEST(test_signer_kind), TEST(test_chain_order_and_extras),
    TEST(test_validity_bounds), TEST(test_cache), TEST(test_cache_eviction), TEST(test_threads),
    TEST(test_threads_cache_churn), TEST(test_crl_in_verification),
    TEST(test_revocation_in_verification), TEST(test_turin_chain_only), TEST(test_tcb_decision),
    TEST(test_chip_id_decision), TEST(test_signature_malleable), TEST(test_decoded_fields_ignored),
    TEST(test_arguments), TEST(test_product_select))
