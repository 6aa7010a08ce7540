/*
 * test_pipeline.c: policy_verify, the one evidence pipeline (policy/
 * pipeline.c), on the real vectors: issue 7's misuse reproduction, every
 * input it refuses (exact code and which input), the CRL slots, several
 * policies against one verification, and the tools' reader.
 *
 * The reproduction also exists as code that must not compile
 * (misuse_eval.c, built by check_misuse.sh in the test
 * policy_misuse_does_not_compile).
 */
#include <unistd.h>

#include "policy.h"
#include "test.h"

#define TURIN_AT "2025-08-16T00:00:00Z"
/* go-sev-guest/milan_report.bin's measurement (EXPECTED.tsv): another image. */
#define OTHER_MEAS \
	"b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2" \
	"e4872b01"

static struct snp_verifier *verifier;

/* The files of one piece of evidence, and the pipeline's input pointing at them. */
struct evidence {
	uint8_t *report, *signer, *chain;
	struct policy_blob blobs[2];
	struct policy_input in;
};

static void
evidence_load(
    struct evidence *e, const char *report, const char *signer, const char *chain, const char *at)
{
	memset(e, 0, sizeof(*e));
	if (verifier == NULL)
		CHECK_OK(snp_verifier_new(&verifier));
	e->report = test_read_vector(report, &e->in.report_len);
	e->in.report = e->report;
	e->signer = test_read_vector(signer, &e->blobs[0].len);
	e->blobs[0].data = e->signer;
	e->in.cert_count = 1;
	if (chain != NULL) {
		e->chain = test_read_vector(chain, &e->blobs[1].len);
		e->blobs[1].data = e->chain;
		e->in.cert_count = 2;
	}
	e->in.certs = e->blobs;
	CHECK_OK(kbs_time_parse_rfc3339(at, &e->in.at));
}

static void
evidence_free(struct evidence *e)
{
	free(e->report);
	free(e->signer);
	free(e->chain);
}

static struct policy *
make_policy(const char *rules)
{
	struct policy *p = NULL;
	struct policy_error err;
	char buf[4096];

	snprintf(buf, sizeof(buf), "{\"kbs_policy\": 1, \"name\": \"t\", \"rules\": {%s}}", rules);
	CHECK_OK(policy_parse((const uint8_t *)buf, strlen(buf), &p, &err));
	return p;
}

static const struct policy_rule_result *
row(const struct policy_result *res, const char *rule)
{
	static const struct policy_rule_result missing = { .rule = "missing" };
	size_t i;

	for (i = 0; i < res->count; i++) {
		if (strcmp(res->rules[i].rule, rule) == 0)
			return &res->rules[i];
	}
	CHECK(0);
	return &missing;
}

/* measurement_policy: a policy allowing exactly the measurement hex. */
static struct policy *
measurement_policy(const char *hex)
{
	char rules[256];

	snprintf(rules, sizeof(rules), "\"measurement\": [\"%s\"]", hex);
	return make_policy(rules);
}

/*
 * Issue 7's reproduction: a genuine Turin report verifies, the decoded
 * measurement is overwritten, and a policy allow-listing the new value
 * allowed. Now the caller's decoded copy cannot reach the evaluator (the
 * old call does not compile: misuse_eval.c), the verified report can only
 * be read, and the evaluator sees the signed measurement: the policy
 * allowing the other value denies, the one allowing the signed value
 * allows. Changing the bytes instead makes the evidence rejected.
 */
static void
test_misuse_reproduction(void)
{
	struct evidence e;
	struct policy_verified *ev = NULL, *bad = NULL;
	struct snp_report mine;
	struct policy *allow_other, *allow_signed;
	struct policy_result res;
	char hex[2 * 48 + 1];
	uint8_t other[48];

	evidence_load(&e, "oak/turin_oc_report.bin", "oak/turin_oc_vcek.der",
	    "amd/cert_chain_turin.pem", TURIN_AT);
	CHECK_OK(policy_verify(verifier, &e.in, &ev, NULL));
	CHECK(policy_verified_report(ev) != NULL);
	CHECK_INT_EQ(policy_verified_result(ev)->product, SNP_PRODUCT_TURIN);

	/* The caller's own decoded copy, changed after verification. */
	CHECK_OK(snp_report_parse(e.report, e.in.report_len, &mine));
	CHECK_OK(kbs_hex_decode_exact(OTHER_MEAS, strlen(OTHER_MEAS), other, sizeof(other)));
	memcpy(mine.measurement, other, sizeof(other));

	allow_other = measurement_policy(OTHER_MEAS);
	CHECK_OK(kbs_hex_encode(policy_verified_report(ev)->measurement, 48, hex, sizeof(hex)));
	allow_signed = measurement_policy(hex);
	CHECK_OK(policy_eval(ev, allow_other, &res));
	CHECK(res.decision == POLICY_DENY);
	CHECK_UINT_EQ(res.failed, 1);
	CHECK_INT_EQ(row(&res, "evidence")->outcome, POLICY_OUTCOME_PASS);
	CHECK_INT_EQ(row(&res, "measurement")->outcome, POLICY_OUTCOME_FAIL);
	CHECK_STR_EQ(row(&res, "measurement")->actual, hex);
	CHECK_OK(policy_eval(ev, allow_signed, &res));
	CHECK(res.decision == POLICY_ALLOW);

	/* The same change made in the bytes: the signature no longer covers them. */
	memcpy(e.report + 0x90, other, sizeof(other));
	CHECK_ERR(policy_verify(verifier, &e.in, &bad, NULL), KBS_ERR_REPORT_SIGNATURE);
	CHECK(bad != NULL);
	CHECK(policy_verified_report(bad) == NULL); /* nothing to decide on */
	CHECK_MEM_EQ(policy_verified_report_unchecked(bad)->measurement, other, 48);
	CHECK_OK(policy_eval(bad, allow_other, &res));
	CHECK(res.decision == POLICY_DENY);
	CHECK_STR_EQ(row(&res, "evidence")->actual,
	    "rejected: report_signature check failed (report_signature)");
	CHECK_INT_EQ(row(&res, "measurement")->outcome, POLICY_OUTCOME_PASS);

	/* What may be passed instead of verified evidence: nothing. */
	CHECK_ERR(policy_eval(NULL, allow_other, &res), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(policy_eval(ev, NULL, &res), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(policy_eval(ev, allow_other, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK(policy_verified_report(NULL) == NULL);
	CHECK(policy_verified_report_unchecked(NULL) == NULL);
	CHECK(policy_verified_result(NULL) == NULL);
	policy_free(allow_other);
	policy_free(allow_signed);
	policy_verified_free(bad);
	policy_verified_free(ev);
	policy_verified_free(NULL);
	evidence_free(&e);
}

/* One verification, several policies (the broker: one per requested secret). */
static void
test_many_policies_one_verification(void)
{
	static const char *const rules[] = {
		"\"product\": [\"turin\"]",
		"\"product\": [\"milan\"]",
		"\"min_tcb\": {\"turin\": {\"snp\": 2}}",
		"\"min_tcb\": {\"turin\": {\"snp\": 3}}",
	};
	static const enum policy_decision want[] = { POLICY_ALLOW, POLICY_DENY, POLICY_ALLOW,
		POLICY_DENY };
	struct evidence e;
	struct policy_verified *ev = NULL;
	struct policy_result res;
	size_t i, round;

	evidence_load(&e, "oak/turin_oc_report.bin", "oak/turin_oc_vcek.der", NULL, TURIN_AT);
	CHECK_OK(policy_verify(verifier, &e.in, &ev, NULL));
	for (round = 0; round < 2; round++) {
		for (i = 0; i < KBS_ARRAY_SIZE(rules); i++) {
			struct policy *p = make_policy(rules[i]);

			CHECK_OK(policy_eval(ev, p, &res));
			CHECK_INT_EQ(res.decision, want[i]);
			policy_free(p);
		}
	}
	policy_verified_free(ev);
	evidence_free(&e);
}

/* verify_fails runs the pipeline and asserts an input error: the code, the input, no evidence. */
static void
verify_fails(const struct policy_input *in, int want, enum policy_input_part part, size_t index)
{
	struct policy_verified *ev = (struct policy_verified *)(uintptr_t)0x1;
	struct policy_input_error where = { POLICY_INPUT_CERTTABLE, 99 };

	CHECK_ERR(policy_verify(verifier, in, &ev, &where), want);
	CHECK(ev == NULL);
	CHECK_INT_EQ(where.part, part);
	if (part == POLICY_INPUT_CERT)
		CHECK_UINT_EQ(where.index, index);
}

static void
test_inputs_refused(void)
{
	static const uint8_t junk[] = "not a certificate";
	struct evidence e;
	struct policy_input in;
	struct policy_blob many[POLICY_INPUT_CERT_BLOBS_MAX + 1], ber;
	struct policy_verified *ev = NULL;
	uint8_t *big = calloc(1, POLICY_INPUT_CRL_MAX + 1), *ber_der;
	size_t i;

	CHECK(big != NULL);
	evidence_load(&e, "oak/turin_oc_report.bin", "oak/turin_oc_vcek.der",
	    "amd/cert_chain_turin.pem", TURIN_AT);
	/* The report. */
	in = e.in;
	in.report_len = SNP_REPORT_SIZE - 1;
	verify_fails(&in, KBS_ERR_REPORT_LENGTH, POLICY_INPUT_REPORT, 0);
	in.report = big;
	in.report_len = POLICY_INPUT_REPORT_MAX + 1;
	verify_fails(&in, KBS_ERR_TOO_LARGE, POLICY_INPUT_REPORT, 0);
	in.report_len = POLICY_INPUT_REPORT_MAX;
	verify_fails(&in, KBS_ERR_REPORT_LENGTH, POLICY_INPUT_REPORT, 0);
	in.report = NULL;
	in.report_len = 0;
	verify_fails(&in, KBS_ERR_REPORT_LENGTH, POLICY_INPUT_REPORT, 0);
	/* Certificate blobs: which one failed is named. */
	in = e.in;
	e.blobs[1].data = junk;
	e.blobs[1].len = sizeof(junk) - 1;
	verify_fails(&in, KBS_ERR_CERT_PARSE, POLICY_INPUT_CERT, 1);
	/* A BER copy of the VCEK (outer length with a leading zero octet). */
	ber_der = malloc(e.blobs[0].len + 1);
	CHECK(ber_der != NULL && e.signer[1] == 0x82);
	ber_der[0] = 0x30;
	ber_der[1] = 0x83;
	ber_der[2] = 0x00;
	memcpy(ber_der + 3, e.signer + 2, e.blobs[0].len - 2);
	ber.data = ber_der;
	ber.len = e.blobs[0].len + 1;
	in.certs = &ber;
	in.cert_count = 1;
	verify_fails(&in, KBS_ERR_CERT_NOT_DER, POLICY_INPUT_CERT, 0);
	free(ber_der);
	e.blobs[1].data = e.chain;
	e.blobs[1].len = POLICY_INPUT_CERT_MAX + 1;
	in.certs = e.blobs;
	in.cert_count = 2;
	verify_fails(&in, KBS_ERR_TOO_LARGE, POLICY_INPUT_CERT, 1);
	e.blobs[1].data = NULL;
	e.blobs[1].len = 5;
	verify_fails(&in, KBS_ERR_INVALID_ARGUMENT, POLICY_INPUT_CERT, 1);
	e.blobs[1].data = e.chain;
	evidence_free(&e);
	evidence_load(&e, "oak/turin_oc_report.bin", "oak/turin_oc_vcek.der",
	    "amd/cert_chain_turin.pem", TURIN_AT);
	/* More blobs than the limit; more certificates than snp/ holds. */
	for (i = 0; i < KBS_ARRAY_SIZE(many); i++)
		many[i] = e.blobs[1]; /* 2 certificates each */
	in = e.in;
	in.certs = many;
	in.cert_count = POLICY_INPUT_CERT_BLOBS_MAX + 1;
	verify_fails(&in, KBS_ERR_INVALID_ARGUMENT, POLICY_INPUT_NONE, 0);
	in.cert_count = POLICY_INPUT_CERT_BLOBS_MAX; /* 16 certificates fit, none is a VCEK */
	CHECK_ERR(policy_verify(verifier, &in, &ev, NULL), KBS_ERR_CERT_MISSING);
	policy_verified_free(ev);
	ev = NULL;
	{
		size_t plen = 0;
		uint8_t *three = test_read_vector("trustee/milan_ask_ark_asvk.pem", &plen);

		for (i = 0; i < 6; i++) {
			many[i].data = three;
			many[i].len = plen;
		}
		in.cert_count = 6; /* the sixth blob would make 18 */
		verify_fails(&in, KBS_ERR_TOO_LARGE, POLICY_INPUT_CERT, 5);
		free(three);
	}
	in.certs = e.blobs;
	in.cert_count = 2;
	/* The certificate table. */
	in.certtable = junk;
	in.certtable_len = sizeof(junk) - 1;
	verify_fails(&in, KBS_ERR_CERTTABLE_PARSE, POLICY_INPUT_CERTTABLE, 0);
	in.certtable_len = POLICY_INPUT_CERTTABLE_MAX + 1;
	in.certtable = big;
	verify_fails(&in, KBS_ERR_TOO_LARGE, POLICY_INPUT_CERTTABLE, 0);
	in.certtable = NULL;
	verify_fails(&in, KBS_ERR_INVALID_ARGUMENT, POLICY_INPUT_CERTTABLE, 0);
	in.certtable_len = 0;
	/* CRLs: bytes that are none, too many bytes, bytes and a parsed list at once. */
	in.vcek_crl.data = junk;
	in.vcek_crl.len = sizeof(junk) - 1;
	verify_fails(&in, KBS_ERR_CRL_PARSE, POLICY_INPUT_VCEK_CRL, 0);
	in.vcek_crl.data = NULL;
	in.vcek_crl.len = 0;
	in.vlek_crl.data = big;
	in.vlek_crl.len = POLICY_INPUT_CRL_MAX + 1;
	verify_fails(&in, KBS_ERR_TOO_LARGE, POLICY_INPUT_VLEK_CRL, 0);
	{
		struct snp_crl *crl = NULL;
		size_t len = 0;
		uint8_t *der = test_read_vector("amd/crl_milan.der", &len);

		CHECK_OK(snp_crl_load(der, len, &crl));
		in.vlek_crl.data = der;
		in.vlek_crl.len = len;
		in.vlek_crl.parsed = crl;
		verify_fails(&in, KBS_ERR_INVALID_ARGUMENT, POLICY_INPUT_VLEK_CRL, 0);
		snp_crl_free(crl);
		free(der);
	}
	memset(&in.vlek_crl, 0, sizeof(in.vlek_crl));
	/* Arguments. */
	in.product = SNP_PRODUCT_COUNT;
	verify_fails(&in, KBS_ERR_INVALID_ARGUMENT, POLICY_INPUT_NONE, 0);
	in.product = SNP_PRODUCT_UNKNOWN;
	CHECK_ERR(policy_verify(NULL, &in, &ev, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK(ev == NULL);
	CHECK_ERR(policy_verify(verifier, NULL, &ev, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(policy_verify(verifier, &in, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	/* And the input as given verifies. */
	CHECK_OK(policy_verify(verifier, &in, &ev, NULL));
	policy_verified_free(ev);
	free(big);
	evidence_free(&e);
}

/* verify_crl runs one verification with the CRL slots set and returns its code. */
static int
verify_crl(struct evidence *e, const struct policy_crl_input *vcek,
    const struct policy_crl_input *vlek, const struct snp_verify_result **ret_res,
    struct policy_verified **ret_ev)
{
	static const struct policy_crl_input none;
	struct policy_input_error where = { POLICY_INPUT_REPORT, 0 };
	int r;

	e->in.vcek_crl = vcek != NULL ? *vcek : none;
	e->in.vlek_crl = vlek != NULL ? *vlek : none;
	r = policy_verify(verifier, &e->in, ret_ev, &where);
	CHECK(*ret_ev != NULL);
	CHECK_INT_EQ(where.part, POLICY_INPUT_NONE);
	*ret_res = policy_verified_result(*ret_ev);
	return r;
}

/* The slot of the report's signer is checked; the other slot alone is a mix-up. */
static void
test_crl_slots(void)
{
	struct evidence vcek_ev, vlek_ev;
	struct policy_crl_input bytes = { 0 }, parsed_vcek = { 0 }, parsed_vlek = { 0 };
	struct snp_crl *as_vcek = NULL, *as_vlek = NULL;
	const struct snp_verify_result *res = NULL;
	struct policy_verified *ev = NULL;
	size_t len = 0;
	uint8_t *der = test_read_vector("amd/crl_milan.der", &len);

	bytes.data = der;
	bytes.len = len;
	CHECK_OK(snp_crl_load_for(der, len, SNP_SIGNING_KEY_VCEK, &as_vcek));
	CHECK_OK(snp_crl_load_for(der, len, SNP_SIGNING_KEY_VLEK, &as_vlek));
	parsed_vcek.parsed = as_vcek;
	parsed_vlek.parsed = as_vlek;
	/* atakit-gcp: Milan, VCEK; the Milan list is valid 2026-06-22 .. 2026-08-08. */
	evidence_load(&vcek_ev, "atakit-gcp/milan_report.bin", "atakit-gcp/milan_vcek.der", NULL,
	    "2026-06-30T00:00:00Z");
	CHECK_OK(verify_crl(&vcek_ev, &bytes, NULL, &res, &ev));
	CHECK_INT_EQ(res->checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_PASS);
	policy_verified_free(ev);
	CHECK_OK(verify_crl(&vcek_ev, &parsed_vcek, &parsed_vlek, &res, &ev));
	CHECK_INT_EQ(res->checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_PASS);
	policy_verified_free(ev);
	/* The same bytes in the VLEK slot are loaded as the VLEK list. */
	CHECK_ERR(verify_crl(&vcek_ev, NULL, &bytes, &res, &ev), KBS_ERR_CRL_KIND);
	CHECK_INT_EQ(res->failed_check, SNP_CHECK_CRL);
	policy_verified_free(ev);
	/* A parsed list keeps its own kind, whatever slot it is in. */
	CHECK_ERR(verify_crl(&vcek_ev, &parsed_vlek, NULL, &res, &ev), KBS_ERR_CRL_KIND);
	policy_verified_free(ev);
	CHECK_OK(verify_crl(&vcek_ev, NULL, NULL, &res, &ev));
	CHECK_INT_EQ(res->checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_SKIPPED);
	policy_verified_free(ev);
	/* Stale, then allowed stale. */
	CHECK_OK(kbs_time_parse_rfc3339("2026-09-01T00:00:00Z", &vcek_ev.in.at));
	CHECK_ERR(verify_crl(&vcek_ev, &bytes, NULL, &res, &ev), KBS_ERR_CRL_STALE);
	policy_verified_free(ev);
	vcek_ev.in.allow_stale_crl = 1;
	CHECK_OK(verify_crl(&vcek_ev, &bytes, NULL, &res, &ev));
	policy_verified_free(ev);

	/* The AWS VLEK report: the VCEK list alone is refused, the VLEK slot is used. */
	evidence_load(&vlek_ev, "trustee/milan_vlek_report.bin", "trustee/milan_vlek.der", NULL,
	    "2025-01-09T00:00:00Z");
	CHECK_ERR(verify_crl(&vlek_ev, &bytes, NULL, &res, &ev), KBS_ERR_CRL_KIND);
	CHECK_INT_EQ(res->failed_check, SNP_CHECK_CRL);
	policy_verified_free(ev);
	/* (The list was issued after the VLEK expired: its time check is reached.) */
	CHECK_ERR(verify_crl(&vlek_ev, &bytes, &bytes, &res, &ev), KBS_ERR_CRL_NOT_YET_VALID);
	policy_verified_free(ev);
	CHECK_ERR(verify_crl(&vlek_ev, NULL, &parsed_vlek, &res, &ev), KBS_ERR_CRL_NOT_YET_VALID);
	policy_verified_free(ev);
	snp_crl_free(as_vcek);
	snp_crl_free(as_vlek);
	evidence_free(&vcek_ev);
	evidence_free(&vlek_ev);
	free(der);
}

/* The extended report's certificate table as the only certificate input. */
static void
test_certtable_input(void)
{
	static const uint8_t guids[3][16] = {
		{ 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b,
		    0xe8, 0xac, 0xcd }, /* VCEK */
		{ 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3,
		    0x27, 0xc7, 0x82 }, /* ASK */
		{ 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01,
		    0x4c, 0xd0, 0xae }, /* ARK */
	};
	static const char *const files[3] = { "virtee-sev/milan_vcek.der", "amd/ask_milan.der",
		"amd/ark_milan.der" };
	struct policy_input in;
	struct policy_verified *ev = NULL;
	uint8_t *table = calloc(1, 96 + 3 * 2048), *report, *cert;
	size_t off = 96, len = 0, i, rlen = 0;

	CHECK(table != NULL);
	for (i = 0; i < 3; i++) {
		cert = test_read_vector(files[i], &len);
		CHECK(len <= 2048);
		memcpy(table + 24 * i, guids[i], 16);
		table[24 * i + 16] = (uint8_t)(off & 0xff);
		table[24 * i + 17] = (uint8_t)(off >> 8);
		table[24 * i + 20] = (uint8_t)(len & 0xff);
		table[24 * i + 21] = (uint8_t)(len >> 8);
		memcpy(table + off, cert, len);
		off += len;
		free(cert);
	}
	report = test_read_vector("virtee-sev/milan_report.bin", &rlen);
	memset(&in, 0, sizeof(in));
	in.report = report;
	in.report_len = rlen;
	in.certtable = table;
	in.certtable_len = off;
	CHECK_OK(kbs_time_parse_rfc3339("2026-07-01T00:00:00Z", &in.at));
	if (verifier == NULL)
		CHECK_OK(snp_verifier_new(&verifier));
	CHECK_OK(policy_verify(verifier, &in, &ev, NULL));
	CHECK_INT_EQ(policy_verified_result(ev)->checks[SNP_CHECK_ASK].outcome, SNP_OUTCOME_PASS);
	policy_verified_free(ev);
	free(report);
	free(table);
}

/* policy_input_read_file: the caps of policy.h, per part. */
static void
test_read_file_caps(void)
{
	char path[] = "/tmp/kbs-test-pipeline-XXXXXX";
	uint8_t *data = NULL, *zeros = calloc(1, POLICY_INPUT_REPORT_MAX + 1);
	size_t len = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && zeros != NULL);
	CHECK(
	    write(fd, zeros, POLICY_INPUT_REPORT_MAX + 1) == (ssize_t)POLICY_INPUT_REPORT_MAX + 1);
	close(fd);
	CHECK_ERR(
	    policy_input_read_file(path, POLICY_INPUT_REPORT, &data, &len), KBS_ERR_TOO_LARGE);
	CHECK_OK(policy_input_read_file(path, POLICY_INPUT_CERT, &data, &len));
	CHECK_UINT_EQ(len, POLICY_INPUT_REPORT_MAX + 1);
	free(data);
	CHECK_ERR(
	    policy_input_read_file(path, POLICY_INPUT_NONE, &data, &len), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(policy_input_read_file(path, (enum policy_input_part)99, &data, &len),
	    KBS_ERR_INVALID_ARGUMENT);
	unlink(path);
	CHECK_ERR(policy_input_read_file(path, POLICY_INPUT_CERT, &data, &len), KBS_ERR_SYSTEM);
	free(zeros);
}

static void
cleanup(void)
{
	snp_verifier_free(verifier);
	verifier = NULL;
}

TEST_MAIN(TEST(test_misuse_reproduction), TEST(test_many_policies_one_verification),
    TEST(test_inputs_refused), TEST(test_crl_slots), TEST(test_certtable_input),
    TEST(test_read_file_caps), TEST(cleanup))
