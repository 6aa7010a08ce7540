/*
 * test_eval.c: policy_eval, rule by rule, on the real vectors.
 *
 * Each vector goes through policy_verify (the pipeline) at its verify_at
 * time (tests/vectors/snp/EXPECTED.tsv), then policies written inline are
 * evaluated against the verified evidence with policy_eval (on()). Every
 * rule has a passing and a failing case on a real report; the values used
 * come from EXPECTED.tsv or from the report files themselves (noted beside
 * each). Where no bundled report shows a feature (migration agent, CXL,
 * single socket, AES-256-XTS, RAPL, ciphertext hiding, page swap, author
 * key), the failing or passing case flips that one field in a copy of a
 * real verified report and evaluates it through policy_eval_fields, the
 * evaluator below policy_eval (verified-int.h, private to policy/ and its
 * tests: outside them a changed copy cannot be evaluated at all).
 */
#include "policy.h"
#include "test.h"
#include "verified-int.h"

enum vec_id {
	V_VIRTEE = 0, /* Milan v2, snp 8, policy 0x30000, platform 0x1 */
	V_GOSEV,      /* Milan v2, policy 0xb0000 (debug on), snp 5 */
	V_TRUSTEE,    /* Milan v2, svn 4, ABI 0.31, family 01, image 02, ID key set,
			 current TCB 0xce08.. != committed 0x7308.. */
	V_VLEK,       /* Milan v3, VLEK (AWS), VMPL 1, platform 0x27 */
	V_TURIN,      /* Turin v5, 0x4700000002000100: fmc 0 bl 1 tee 0 snp 2 ucode 71 */
	V_GENOA,      /* Genoa v5 (oak), platform 0x25, mitigation vectors 0x1 */
	V_ATAKIT,     /* Milan v5, snp 29, fw 1.58.1, mitigation vectors 0xb */
	V_AZ_GENOA,   /* Genoa v3, svn 65547, platform 0x24 */
	V_COUNT
};

static const struct {
	const char *report, *signer, *chain, *at;
} vecs[V_COUNT] = {
	[V_VIRTEE] = { "virtee-sev/milan_report.bin", "virtee-sev/milan_vcek.der",
	    "amd/cert_chain_milan.pem", "2023-05-03T00:00:00Z" },
	[V_GOSEV] = { "go-sev-guest/milan_report.bin", "go-sev-guest/milan_vcek.der",
	    "amd/cert_chain_milan.pem", "2022-10-24T00:00:00Z" },
	[V_TRUSTEE] = { "trustee/milan_vcek_report.bin", "trustee/milan_vcek.der",
	    "amd/cert_chain_milan.pem", "2023-02-23T00:00:00Z" },
	[V_VLEK] = { "trustee/milan_vlek_report.bin", "trustee/milan_vlek.der",
	    "amd/vlek_cert_chain_milan.pem", "2025-01-09T00:00:00Z" },
	[V_TURIN] = { "oak/turin_oc_report.bin", "oak/turin_oc_vcek.der",
	    "amd/cert_chain_turin.pem", "2025-08-16T00:00:00Z" },
	[V_GENOA] = { "oak/genoa_oc_report.bin", "oak/genoa_oc_vcek.der",
	    "amd/cert_chain_genoa.pem", "2025-09-06T00:00:00Z" },
	[V_ATAKIT] = { "atakit-gcp/milan_report.bin", "atakit-gcp/milan_vcek.der",
	    "amd/cert_chain_milan.pem", "2026-06-30T00:00:00Z" },
	[V_AZ_GENOA] = { "trustee-azure/genoa_report.bin", "trustee-azure/genoa_vcek.pem",
	    "amd/cert_chain_genoa.pem", "2025-02-23T00:00:00Z" },
};

static struct policy_verified *evs[V_COUNT];
/* Copies of what the pipeline verified, for the cases that flip one field. */
static struct snp_report reports[V_COUNT];
static struct snp_verify_result verified[V_COUNT];
static int loaded[V_COUNT];
static struct snp_verifier *verifier;

/*
 * verify_vec runs vector v's report, signer and chain (and the CRL file crl
 * as the VCEK list, unless NULL) through the pipeline at time at, into
 * *ret_ev; returns policy_verify's code.
 */
static int
verify_vec(enum vec_id v, const char *at, const char *crl, struct policy_verified **ret_ev)
{
	struct policy_input in;
	struct policy_blob blobs[2];
	uint8_t *report, *crl_bytes = NULL;
	int r;

	if (verifier == NULL)
		CHECK_OK(snp_verifier_new(&verifier));
	memset(&in, 0, sizeof(in));
	report = test_read_vector(vecs[v].report, &in.report_len);
	in.report = report;
	blobs[0].data = test_read_vector(vecs[v].signer, &blobs[0].len);
	blobs[1].data = test_read_vector(vecs[v].chain, &blobs[1].len);
	in.certs = blobs;
	in.cert_count = 2;
	if (crl != NULL) {
		crl_bytes = test_read_vector(crl, &in.vcek_crl.len);
		in.vcek_crl.data = crl_bytes;
	}
	CHECK_OK(kbs_time_parse_rfc3339(at, &in.at));
	r = policy_verify(verifier, &in, ret_ev, NULL);
	free(report);
	free(crl_bytes);
	free((void *)(uintptr_t)blobs[0].data);
	free((void *)(uintptr_t)blobs[1].data);
	return r;
}

static void
load(enum vec_id v)
{
	if (loaded[v])
		return;
	CHECK_OK(verify_vec(v, vecs[v].at, NULL, &evs[v]));
	CHECK(policy_verified_report(evs[v]) != NULL);
	if (evs[v] != NULL) {
		reports[v] = *policy_verified_report_unchecked(evs[v]);
		verified[v] = *policy_verified_result(evs[v]);
	}
	loaded[v] = 1;
}

static struct policy *
make_policy(const char *rules)
{
	struct policy *p = NULL;
	struct policy_error err;
	char buf[8192];
	int r;

	snprintf(buf, sizeof(buf), "{\"kbs_policy\": 1, \"name\": \"t\", \"rules\": {%s}}", rules);
	r = policy_parse((const uint8_t *)buf, strlen(buf), &p, &err);
	if (r != 0) {
		char msg[512];

		policy_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "policy does not parse: %s\n  %s\n", msg, buf);
	}
	CHECK_OK(r);
	return p;
}

static const struct policy_rule_result *
find_row(const struct policy_result *res, const char *rule)
{
	size_t i;

	for (i = 0; i < res->count; i++) {
		if (strcmp(res->rules[i].rule, rule) == 0)
			return &res->rules[i];
	}
	return NULL;
}

/* row_of is find_row for rows that must exist. */
static const struct policy_rule_result *
row_of(const struct policy_result *res, const char *rule)
{
	static const struct policy_rule_result missing = { .rule = "missing",
		.outcome = POLICY_OUTCOME_NOT_APPLICABLE };
	const struct policy_rule_result *row = find_row(res, rule);

	CHECK(row != NULL);
	return row != NULL ? row : &missing;
}

/*
 * outcome_in checks the invariants of a result (the evidence row passes,
 * the decision agrees with the rows) and returns the outcome of row rule,
 * -1 when there is no such row.
 */
static int
outcome_in(const struct policy_result *res, const char *rule)
{
	const struct policy_rule_result *row;

	CHECK(res->rules[0].outcome == POLICY_OUTCOME_PASS);
	CHECK_STR_EQ(res->rules[0].rule, "evidence");
	CHECK(res->decision == (res->failed == 0 ? POLICY_ALLOW : POLICY_DENY));
	if ((row = find_row(res, rule)) == NULL)
		return -1;
	return (int)row->outcome;
}

/*
 * outcome_of evaluates rules against report (a real verified report with
 * one field changed) and the verifier's result through policy_eval_fields.
 */
static int
outcome_of(const char *rules, const struct snp_report *report, const struct snp_verify_result *vr,
    const char *rule)
{
	struct policy *p = make_policy(rules);
	struct policy_result res;
	int out;

	if (p == NULL)
		return -2;
	CHECK_OK(policy_eval_fields(report, vr, p, &res));
	out = outcome_in(&res, rule);
	policy_free(p);
	return out;
}

/* outcome_ev evaluates rules against verified evidence through the public policy_eval. */
static int
outcome_ev(const char *rules, const struct policy_verified *ev, const char *rule)
{
	struct policy *p;
	struct policy_result res;
	int out;

	if ((p = make_policy(rules)) == NULL)
		return -2;
	CHECK_OK(policy_eval(ev, p, &res));
	out = outcome_in(&res, rule);
	policy_free(p);
	return out;
}

/* on evaluates rules against vector v as the pipeline verified it. */
static int
on(enum vec_id v, const char *rules, const char *rule)
{
	load(v);
	return outcome_ev(rules, evs[v], rule);
}

#define PASS POLICY_OUTCOME_PASS
#define FAIL POLICY_OUTCOME_FAIL
#define NA POLICY_OUTCOME_NOT_APPLICABLE

#define VIRTEE_MEAS \
	"7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480" \
	"cd81841f"
#define GOSEV_MEAS \
	"b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2" \
	"e4872b01"
#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define ZERO48 ZERO32 "00000000000000000000000000000000"
#define ONES32 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define ONES48 ONES32 "ffffffffffffffffffffffffffffffff"
/* go-sev-guest REPORT_DATA (EXPECTED.tsv): 0102030405, then zeros */
#define GOSEV_RD "0102030405" ZERO32 "000000000000000000000000000000000000000000000000000000"
#define VIRTEE_CHIP "d49554ec717f4e5b"
/* report bytes 0x140..0x160 of virtee-sev/milan_report.bin */
#define VIRTEE_REPORT_ID "92b3b47d59f0a2a10a74c5678868a80238cf593c01a82f3cffb878e904c28d5b"
/* report bytes 0x0E0..0x110 of trustee/milan_vcek_report.bin */
#define TRUSTEE_ID_KEY \
	"0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57" \
	"af7a44a3"

static void
test_product_and_signer(void)
{
	CHECK_INT_EQ(on(V_VIRTEE, "\"product\": [\"milan\"]", "product"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"product\": [\"genoa\", \"turin\"]", "product"), FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"product\": [\"turin\"]", "product"), PASS);
	/* The default accepts a VCEK only. */
	CHECK_INT_EQ(on(V_VIRTEE, "", "signing_key"), PASS);
	CHECK_INT_EQ(on(V_VLEK, "", "signing_key"), FAIL);
	CHECK_INT_EQ(on(V_VLEK, "\"signing_key\": [\"vlek\"]", "signing_key"), PASS);
	CHECK_INT_EQ(on(V_VLEK, "\"signing_key\": [\"vcek\"]", "signing_key"), FAIL);
	CHECK_INT_EQ(on(V_VIRTEE, "\"signing_key\": [\"vlek\"]", "signing_key"), FAIL);
	/* csp_id of trustee/milan_vlek.der (SOURCES.tsv) */
	CHECK_INT_EQ(on(V_VLEK, "\"csp_id\": [\"CN=cc-us-east-2.amazonaws.com\"]", "csp_id"), PASS);
	CHECK_INT_EQ(on(V_VLEK, "\"csp_id\": [\"CN=cc-eu-west-1.amazonaws.com\"]", "csp_id"), FAIL);
	CHECK_INT_EQ(on(V_VIRTEE, "\"csp_id\": [\"CN=cc-us-east-2.amazonaws.com\"]", "csp_id"), NA);
	/*
	 * The csp_id comes from a certificate: bytes outside printable ASCII
	 * are shown as '?', so the text and JSON results stay valid UTF-8.
	 */
	{
		struct snp_verify_result vr = verified[V_VLEK];
		struct policy *p = make_policy("\"csp_id\": [\"CN=x\"]");
		struct policy_result res;

		snprintf(vr.csp_id, sizeof(vr.csp_id), "CN=\xff\xc3\n\x7f");
		if (p != NULL) {
			CHECK_OK(policy_eval_fields(&reports[V_VLEK], &vr, p, &res));
			CHECK_STR_EQ(row_of(&res, "csp_id")->actual, "\"CN=????\"");
		}
		policy_free(p);
	}
}

static void
test_byte_lists(void)
{
	CHECK_INT_EQ(on(V_VIRTEE, "\"measurement\": [\"" VIRTEE_MEAS "\"]", "measurement"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"measurement\": [\"" GOSEV_MEAS "\", \"" VIRTEE_MEAS "\"]",
			 "measurement"),
	    PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"measurement\": [\"" GOSEV_MEAS "\"]", "measurement"), FAIL);
	CHECK_INT_EQ(on(V_VIRTEE, "\"measurement\": []", "measurement"), FAIL);
	/* Upper-case hex is the same value. */
	CHECK_INT_EQ(
	    on(V_GOSEV,
		"\"measurement\": [\"B07AF9620F3B839B47996422DDEC6058338951D984E312115131EA8"
		"2705EAF5B6BDF8A9ECE31A5A608EB0CF2E4872B01\"]",
		"measurement"),
	    PASS);

	CHECK_INT_EQ(on(V_VIRTEE, "\"host_data\": [\"" ZERO32 "\"]", "host_data"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"host_data\": [\"" ONES32 "\"]", "host_data"), FAIL);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"family_id\": [\"01000000000000000000000000000000\"]", "family_id"),
	    PASS);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"family_id\": [\"01000000000000000000000000000000\"]", "family_id"),
	    FAIL);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"image_id\": [\"02000000000000000000000000000000\"]", "image_id"),
	    PASS);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"image_id\": [\"01000000000000000000000000000000\"]", "image_id"),
	    FAIL);
	CHECK_INT_EQ(on(V_VIRTEE, "\"report_id\": [\"" VIRTEE_REPORT_ID "\"]", "report_id"), PASS);
	CHECK_INT_EQ(on(V_GOSEV, "\"report_id\": [\"" VIRTEE_REPORT_ID "\"]", "report_id"), FAIL);
	/* No migration agent: REPORT_ID_MA is all ones in every vector. */
	CHECK_INT_EQ(on(V_VIRTEE, "\"report_id_ma\": [\"" ONES32 "\"]", "report_id_ma"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"report_id_ma\": [\"" ZERO32 "\"]", "report_id_ma"), FAIL);
	/* go-sev-guest's REPORT_DATA is 0102030405 then zeros (EXPECTED.tsv). */
	CHECK_INT_EQ(on(V_GOSEV, "\"report_data\": [\"" GOSEV_RD "\"]", "report_data"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"report_data\": [\"" GOSEV_RD "\"]", "report_data"), FAIL);
}

static void
test_chip_id(void)
{
	char rules[600];
	char chip[129];

	load(V_VIRTEE);
	CHECK_OK(kbs_hex_encode(reports[V_VIRTEE].chip_id, 64, chip, sizeof(chip)));
	CHECK(strncmp(chip, VIRTEE_CHIP, 16) == 0); /* EXPECTED.tsv chip_id */
	snprintf(rules, sizeof(rules), "\"chip_id\": {\"allow\": [\"%s\"]}", chip);
	CHECK_INT_EQ(on(V_VIRTEE, rules, "chip_id.allow"), PASS);
	CHECK_INT_EQ(on(V_GOSEV, rules, "chip_id.allow"), FAIL);
	snprintf(rules, sizeof(rules), "\"chip_id\": {\"deny\": [\"%s\"]}", chip);
	CHECK_INT_EQ(on(V_VIRTEE, rules, "chip_id.deny"), FAIL);
	CHECK_INT_EQ(on(V_GOSEV, rules, "chip_id.deny"), PASS);
	/*
	 * A report that attests no chip id cannot be checked against a
	 * deny-list, so the rule fails closed: a VLEK-signed report (CHIP_ID
	 * all zero) and a VCEK report whose host masked the chip id.
	 */
	CHECK_INT_EQ(on(V_VLEK, rules, "chip_id.deny"), FAIL);
	{
		struct snp_report r = reports[V_VIRTEE];
		struct policy *p = make_policy(rules);
		struct policy_result res;

		r.key_info |= SNP_KEY_INFO_MASK_CHIP_KEY;
		memset(r.chip_id, 0, sizeof(r.chip_id));
		CHECK_INT_EQ(outcome_of(rules, &r, &verified[V_VIRTEE], "chip_id.deny"), FAIL);
		if (p != NULL) {
			CHECK_OK(policy_eval_fields(&r, &verified[V_VIRTEE], p, &res));
			CHECK_STR_EQ(row_of(&res, "chip_id.deny")->actual,
			    "no chip id attested (CHIP_ID is all zero: masked, or a VLEK signed)");
		}
		policy_free(p);
	}
}

static void
test_id_block(void)
{
	struct snp_report r;

	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"id_key_digest\": [\"" TRUSTEE_ID_KEY "\"]", "id_key_digest"), PASS);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"id_key_digest\": [\"" TRUSTEE_ID_KEY "\"]", "id_key_digest"), FAIL);
	CHECK_INT_EQ(on(V_TRUSTEE, "\"id_block_required\": true", "id_block_required"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"id_block_required\": true", "id_block_required"), FAIL);
	CHECK_INT_EQ(on(V_VIRTEE, "\"id_block_required\": false", "id_block_required"), PASS);
	/* No vector has an author key: trustee's ID block has AUTHOR_KEY_EN 0. */
	CHECK_INT_EQ(on(V_TRUSTEE, "\"author_key_required\": true", "author_key_required"), FAIL);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"author_key_digest\": [\"" TRUSTEE_ID_KEY "\"]", "author_key_digest"),
	    FAIL);
	/* The same report with AUTHOR_KEY_EN and an author digest set. */
	load(V_TRUSTEE);
	r = reports[V_TRUSTEE];
	r.key_info |= SNP_KEY_INFO_AUTHOR_KEY_EN;
	memcpy(r.author_key_digest, r.id_key_digest, 48);
	CHECK_INT_EQ(outcome_of("\"author_key_required\": true", &r, &verified[V_TRUSTEE],
			 "author_key_required"),
	    PASS);
	CHECK_INT_EQ(outcome_of("\"author_key_digest\": [\"" TRUSTEE_ID_KEY "\"]", &r,
			 &verified[V_TRUSTEE], "author_key_digest"),
	    PASS);
	/* An ID key signed by a trusted author key is trusted (go-sev-guest semantics). */
	r.id_key_digest[0] ^= 1;
	CHECK_INT_EQ(outcome_of("\"id_key_digest\": [\"" ONES48
				"\"], \"author_key_digest\": [\"" TRUSTEE_ID_KEY "\"]",
			 &r, &verified[V_TRUSTEE], "id_key_digest"),
	    PASS);
	CHECK_INT_EQ(outcome_of("\"id_key_digest\": [\"" ONES48 "\"]", &r, &verified[V_TRUSTEE],
			 "id_key_digest"),
	    FAIL);
}

static void
test_guest_policy(void)
{
	static const struct {
		const char *key;
		uint64_t bit;
		int allowed; /* 1: "_allowed" rule, 0: "_required" rule */
	} bits[] = {
		{ "migration_agent_allowed", SNP_POLICY_MIGRATE_MA, 1 },
		{ "cxl_allowed", SNP_POLICY_CXL_ALLOW, 1 },
		{ "single_socket_required", SNP_POLICY_SINGLE_SOCKET, 0 },
		{ "mem_aes_256_xts_required", SNP_POLICY_MEM_AES_256_XTS, 0 },
		{ "rapl_disable_required", SNP_POLICY_RAPL_DIS, 0 },
		{ "ciphertext_hiding_required", SNP_POLICY_CIPHERTEXT_HIDING, 0 },
		{ "page_swap_disable_required", SNP_POLICY_PAGE_SWAP_DISABLE, 0 },
	};
	char rules[200], id[100];
	struct snp_report r;
	size_t i;

	/* go-sev-guest's report has the debug bit (policy 0xb0000). */
	CHECK_INT_EQ(on(V_GOSEV, "", "guest_policy.debug_allowed"), FAIL);
	CHECK_INT_EQ(on(V_GOSEV, "\"guest_policy\": {\"debug_allowed\": false}",
			 "guest_policy.debug_allowed"),
	    FAIL);
	CHECK_INT_EQ(on(V_GOSEV, "\"guest_policy\": {\"debug_allowed\": true}",
			 "guest_policy.debug_allowed"),
	    PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "", "guest_policy.debug_allowed"), PASS);
	/* Every vector allows SMT (bit 16). */
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"guest_policy\": {\"smt_allowed\": false}", "guest_policy.smt_allowed"),
	    FAIL);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"guest_policy\": {\"smt_allowed\": true}", "guest_policy.smt_allowed"),
	    PASS);
	/* ABI 0.31 on trustee (0x3001f), 0.0 on virtee (0x30000). */
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"guest_policy\": {\"abi_min\": \"0.31\"}", "guest_policy.abi_min"),
	    PASS);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"guest_policy\": {\"abi_min\": \"0.32\"}", "guest_policy.abi_min"),
	    FAIL);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"guest_policy\": {\"abi_min\": \"1.51\"}", "guest_policy.abi_min"),
	    FAIL);
	/* Bits no vector sets: the real report as is, then with the bit flipped. */
	load(V_VIRTEE);
	for (i = 0; i < KBS_ARRAY_SIZE(bits); i++) {
		snprintf(id, sizeof(id), "guest_policy.%s", bits[i].key);
		snprintf(rules, sizeof(rules), "\"guest_policy\": {\"%s\": %s}", bits[i].key,
		    bits[i].allowed ? "false" : "true");
		r = reports[V_VIRTEE];
		CHECK_INT_EQ(
		    outcome_of(rules, &r, &verified[V_VIRTEE], id), bits[i].allowed ? PASS : FAIL);
		r.policy |= bits[i].bit;
		CHECK_INT_EQ(
		    outcome_of(rules, &r, &verified[V_VIRTEE], id), bits[i].allowed ? FAIL : PASS);
	}
	/* The migration agent is refused by default too. */
	r = reports[V_VIRTEE];
	r.policy |= SNP_POLICY_MIGRATE_MA;
	CHECK_INT_EQ(
	    outcome_of("", &r, &verified[V_VIRTEE], "guest_policy.migration_agent_allowed"), FAIL);
}

static void
test_vmpl_svn_version(void)
{
	CHECK_INT_EQ(on(V_VIRTEE, "\"vmpl\": {\"max\": 0}", "vmpl"), PASS);
	CHECK_INT_EQ(
	    on(V_VLEK, "\"signing_key\": [\"vlek\"], \"vmpl\": {\"max\": 0}", "vmpl"), FAIL);
	CHECK_INT_EQ(on(V_VLEK, "\"vmpl\": {\"min\": 1, \"max\": 1}", "vmpl"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"vmpl\": {\"min\": 1}", "vmpl"), FAIL);
	CHECK_INT_EQ(on(V_TRUSTEE, "\"min_guest_svn\": 4", "min_guest_svn"), PASS);
	CHECK_INT_EQ(on(V_TRUSTEE, "\"min_guest_svn\": 5", "min_guest_svn"), FAIL);
	CHECK_INT_EQ(on(V_AZ_GENOA, "\"min_guest_svn\": 65547", "min_guest_svn"), PASS);
	CHECK_INT_EQ(on(V_AZ_GENOA, "\"min_guest_svn\": 65548", "min_guest_svn"), FAIL);
	CHECK_INT_EQ(on(V_AZ_GENOA, "\"min_report_version\": 3", "min_report_version"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"min_report_version\": 3", "min_report_version"), FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"min_report_version\": 5", "min_report_version"), PASS);
}

static void
test_platform_info(void)
{
	/* virtee 0x1 (SMT), Turin 0x67 (SMT, TSME, ECC, alias check), Azure Genoa 0x24. */
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"platform_info\": {\"smt\": \"forbidden\"}", "platform_info.smt"), FAIL);
	CHECK_INT_EQ(
	    on(V_AZ_GENOA, "\"platform_info\": {\"smt\": \"forbidden\"}", "platform_info.smt"),
	    PASS);
	CHECK_INT_EQ(
	    on(V_TURIN, "\"platform_info\": {\"tsme\": \"required\"}", "platform_info.tsme"), PASS);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"platform_info\": {\"tsme\": \"required\"}", "platform_info.tsme"),
	    FAIL);
	CHECK_INT_EQ(
	    on(V_TURIN, "\"platform_info\": {\"ecc\": \"required\"}", "platform_info.ecc"), PASS);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"platform_info\": {\"ecc\": \"required\"}", "platform_info.ecc"), FAIL);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"platform_info\": {\"ecc\": \"allowed\"}", "platform_info.ecc"), PASS);
	CHECK_INT_EQ(on(V_TURIN, "\"platform_info\": {\"rapl_disabled\": \"forbidden\"}",
			 "platform_info.rapl_disabled"),
	    PASS);
	CHECK_INT_EQ(on(V_TURIN, "\"platform_info\": {\"rapl_disabled\": \"required\"}",
			 "platform_info.rapl_disabled"),
	    FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"platform_info\": {\"ciphertext_hiding\": \"forbidden\"}",
			 "platform_info.ciphertext_hiding"),
	    PASS);
	CHECK_INT_EQ(on(V_TURIN, "\"platform_info\": {\"ciphertext_hiding\": \"required\"}",
			 "platform_info.ciphertext_hiding"),
	    FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"platform_info\": {\"alias_check_complete\": \"required\"}",
			 "platform_info.alias_check_complete"),
	    PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"platform_info\": {\"alias_check_complete\": \"required\"}",
			 "platform_info.alias_check_complete"),
	    FAIL);
}

static void
test_min_tcb(void)
{
	/* The example: Milan minimum SNP SPL 8 passes virtee, 9 fails it. */
	CHECK_INT_EQ(on(V_VIRTEE, "\"min_tcb\": {\"milan\": {\"snp\": 8}}", "min_tcb.milan"), PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "\"min_tcb\": {\"milan\": {\"snp\": 9}}", "min_tcb.milan"), FAIL);
	CHECK_INT_EQ(on(V_VIRTEE,
			 "\"min_tcb\": {\"milan\": {\"bootloader\": 3, \"tee\": 0, \"snp\": 8, "
			 "\"microcode\": 115}}",
			 "min_tcb.milan"),
	    PASS);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"min_tcb\": {\"milan\": {\"microcode\": 116}}", "min_tcb.milan"), FAIL);
	CHECK_INT_EQ(on(V_VIRTEE, "\"min_tcb\": {\"genoa\": {\"snp\": 99}}", "min_tcb.genoa"), NA);
	CHECK_INT_EQ(on(V_GENOA, "\"min_tcb\": {\"genoa\": {\"snp\": 25}}", "min_tcb.genoa"), PASS);
	CHECK_INT_EQ(
	    on(V_GENOA, "\"min_tcb\": {\"genoa\": {\"bootloader\": 11}}", "min_tcb.genoa"), FAIL);
	/*
	 * Turin 0x4700000002000100 is fmc 0, bl 1, tee 0, snp 2, ucode 71 in
	 * Turin's layout; read with Milan's it would be bl 0, tee 1, snp 0.
	 */
	CHECK_INT_EQ(on(V_TURIN,
			 "\"min_tcb\": {\"turin\": {\"fmc\": 0, \"bootloader\": 1, \"tee\": 0, "
			 "\"snp\": 2, \"microcode\": 71}}",
			 "min_tcb.turin"),
	    PASS);
	CHECK_INT_EQ(on(V_TURIN, "\"min_tcb\": {\"turin\": {\"fmc\": 1}}", "min_tcb.turin"), FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"min_tcb\": {\"turin\": {\"snp\": 3}}", "min_tcb.turin"), FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"min_tcb\": {\"turin\": {\"tee\": 1}}", "min_tcb.turin"), FAIL);
	CHECK_INT_EQ(
	    on(V_TURIN, "\"min_tcb\": {\"turin\": {\"bootloader\": 2}}", "min_tcb.turin"), FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"min_tcb\": {\"milan\": {\"snp\": 0}}", "min_tcb.milan"), NA);
	/* Committed and launch TCB: trustee's are 0x7308000000000003 (bl 3, snp 8, ucode 115). */
	CHECK_INT_EQ(on(V_TRUSTEE, "\"min_committed_tcb\": {\"milan\": {\"microcode\": 115}}",
			 "min_committed_tcb.milan"),
	    PASS);
	CHECK_INT_EQ(on(V_TRUSTEE, "\"min_committed_tcb\": {\"milan\": {\"microcode\": 116}}",
			 "min_committed_tcb.milan"),
	    FAIL);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"min_launch_tcb\": {\"milan\": {\"snp\": 8}}", "min_launch_tcb.milan"),
	    PASS);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"min_launch_tcb\": {\"milan\": {\"snp\": 9}}", "min_launch_tcb.milan"),
	    FAIL);
	CHECK_INT_EQ(on(V_TURIN, "\"min_launch_tcb\": {\"turin\": {\"microcode\": 71}}",
			 "min_launch_tcb.turin"),
	    PASS);
	CHECK_INT_EQ(on(V_TURIN, "\"min_committed_tcb\": {\"turin\": {\"bootloader\": 2}}",
			 "min_committed_tcb.turin"),
	    FAIL);
}

static void
test_tcb_deny(void)
{
	const char *deny_virtee = "\"tcb_deny\": [{\"product\": \"milan\", \"bootloader\": 3, "
				  "\"tee\": 0, \"snp\": 8, \"microcode\": 115}]";
	const char *deny_turin = "\"tcb_deny\": [{\"product\": \"turin\", \"fmc\": 0, "
				 "\"bootloader\": 1, \"tee\": 0, \"snp\": 2, \"microcode\": 71}]";

	CHECK_INT_EQ(on(V_VIRTEE, deny_virtee, "tcb_deny"), FAIL);
	CHECK_INT_EQ(on(V_ATAKIT, deny_virtee, "tcb_deny"), PASS);
	CHECK_INT_EQ(on(V_TURIN, deny_virtee, "tcb_deny"), PASS);
	CHECK_INT_EQ(on(V_TURIN, deny_turin, "tcb_deny"), FAIL);
	/*
	 * The host chooses REPORTED_TCB (at most CURRENT_TCB), so a host
	 * running denied firmware could report a lower, undenied TCB: the
	 * current TCB is checked too. trustee's current TCB is 0xce08..03
	 * (microcode 206), its reported one 0x7308..03 (microcode 115).
	 */
	{
		struct policy *p = make_policy(
		    "\"tcb_deny\": [{\"product\": \"milan\", \"bootloader\": 3, \"tee\": 0, "
		    "\"snp\": 8, \"microcode\": 206}]");
		struct policy_result res;

		load(V_TRUSTEE);
		if (p != NULL) {
			CHECK_OK(
			    policy_eval_fields(&reports[V_TRUSTEE], &verified[V_TRUSTEE], p, &res));
			CHECK_INT_EQ(row_of(&res, "tcb_deny")->outcome, FAIL);
			CHECK_STR_EQ(row_of(&res, "tcb_deny")->expected,
			    "reported and current TCB not the listed value");
			CHECK_STR_EQ(row_of(&res, "tcb_deny")->actual,
			    "milan reported bootloader 3, tee 0, snp 8, microcode 115; current "
			    "bootloader 3, tee 0, snp 8, microcode 206");
		}
		policy_free(p);
	}
}

static void
test_provisional_and_firmware(void)
{
	/* trustee: CURRENT_TCB 0xce08000000000003, COMMITTED_TCB 0x7308000000000003. */
	CHECK_INT_EQ(on(V_TRUSTEE, "", "provisional_firmware_allowed"), FAIL);
	CHECK_INT_EQ(
	    on(V_TRUSTEE, "\"provisional_firmware_allowed\": true", "provisional_firmware_allowed"),
	    PASS);
	CHECK_INT_EQ(on(V_VIRTEE, "", "provisional_firmware_allowed"), PASS);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"provisional_firmware_allowed\": false", "provisional_firmware_allowed"),
	    PASS);
	/*
	 * REPORTED_TCB (what the VCEK certifies and min_tcb checks) above
	 * CURRENT_TCB claims firmware the host does not run: the evidence is
	 * refused, as go-sev-guest does unconditionally. virtee: 0x7308..03
	 * (snp 8) in both; the copy reports snp 9.
	 */
	{
		struct snp_report r;
		struct policy *p = make_policy("");
		struct policy_result res;

		load(V_VIRTEE);
		r = reports[V_VIRTEE];
		r.reported_tcb = 0x7309000000000003ULL;
		if (p != NULL) {
			CHECK_OK(policy_eval_fields(&r, &verified[V_VIRTEE], p, &res));
			CHECK(res.decision == POLICY_DENY);
			CHECK_INT_EQ(res.rules[0].outcome, FAIL);
			CHECK_STR_EQ(res.rules[0].actual,
			    "rejected: reported TCB snp 9 is above the current TCB's 8");
			/* trustee: reported 0x7308..03 below current 0xce08..03 is fine. */
			load(V_TRUSTEE);
			CHECK_OK(
			    policy_eval_fields(&reports[V_TRUSTEE], &verified[V_TRUSTEE], p, &res));
			CHECK_INT_EQ(res.rules[0].outcome, PASS);
		}
		policy_free(p);
	}
	/* Firmware: virtee 1.52.4, atakit 1.58.1. */
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"min_firmware\": {\"milan\": \"1.52.4\"}", "min_firmware.milan"), PASS);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"min_firmware\": {\"milan\": \"1.52.5\"}", "min_firmware.milan"), FAIL);
	CHECK_INT_EQ(
	    on(V_VIRTEE, "\"min_firmware\": {\"milan\": \"1.53.0\"}", "min_firmware.milan"), FAIL);
	CHECK_INT_EQ(
	    on(V_ATAKIT, "\"min_firmware\": {\"milan\": \"1.55.200\"}", "min_firmware.milan"),
	    PASS);
	CHECK_INT_EQ(
	    on(V_ATAKIT, "\"min_firmware\": {\"turin\": \"9.0.0\"}", "min_firmware.turin"), NA);
}

static void
test_mitigations(void)
{
	/* atakit v5: mitigation vectors 0xb; oak Genoa v5: 0x1; virtee v2: none. */
	CHECK_INT_EQ(on(V_ATAKIT, "\"required_mitigations\": {\"current\": \"000000000000000b\"}",
			 "required_mitigations.current"),
	    PASS);
	CHECK_INT_EQ(on(V_ATAKIT, "\"required_mitigations\": {\"current\": \"0000000000000004\"}",
			 "required_mitigations.current"),
	    FAIL);
	CHECK_INT_EQ(on(V_GENOA, "\"required_mitigations\": {\"launch\": \"0000000000000001\"}",
			 "required_mitigations.launch"),
	    PASS);
	CHECK_INT_EQ(on(V_GENOA, "\"required_mitigations\": {\"launch\": \"0000000000000002\"}",
			 "required_mitigations.launch"),
	    FAIL);
	CHECK_INT_EQ(on(V_VIRTEE, "\"required_mitigations\": {\"current\": \"0000000000000000\"}",
			 "required_mitigations.current"),
	    FAIL);
}

static void
test_all_rules_no_shortcut(void)
{
	struct policy *p;
	struct policy_result res;
	size_t i, failed = 0;

	/* Three independent failures on one report: all three are listed. */
	load(V_GOSEV);
	p = make_policy("\"measurement\": [\"" VIRTEE_MEAS "\"], \"min_tcb\": {\"milan\": "
			"{\"snp\": 6}}, \"vmpl\": {\"max\": 0}");
	CHECK_OK(policy_eval_fields(&reports[V_GOSEV], &verified[V_GOSEV], p, &res));
	CHECK(res.decision == POLICY_DENY);
	for (i = 0; i < res.count; i++)
		failed += res.rules[i].outcome == POLICY_OUTCOME_FAIL;
	CHECK_UINT_EQ(failed, 3); /* measurement, debug (default), min_tcb.milan */
	CHECK_UINT_EQ(res.failed, 3);
	CHECK_INT_EQ(row_of(&res, "vmpl")->outcome, PASS);
	CHECK_STR_EQ(row_of(&res, "min_tcb.milan")->expected, "snp >= 6");
	CHECK_STR_EQ(
	    row_of(&res, "min_tcb.milan")->actual, "bootloader 2, tee 0, snp 5, microcode 68");
	policy_free(p);
}

static void
test_unverified_evidence_denied(void)
{
	struct snp_verify_result vr;
	struct policy *p;
	struct policy_result res;

	load(V_VIRTEE);
	vr = verified[V_VIRTEE];
	vr.err = KBS_ERR_REPORT_SIGNATURE;
	vr.failed_check = SNP_CHECK_REPORT_SIGNATURE;
	p = make_policy("\"measurement\": [\"" VIRTEE_MEAS "\"]");
	CHECK_OK(policy_eval_fields(&reports[V_VIRTEE], &vr, p, &res));
	CHECK(res.decision == POLICY_DENY);
	CHECK_STR_EQ(res.rules[0].rule, "evidence");
	CHECK_INT_EQ(res.rules[0].outcome, FAIL);
	CHECK_STR_EQ(
	    res.rules[0].actual, "rejected: report_signature check failed (report_signature)");
	CHECK_INT_EQ(row_of(&res, "measurement")->outcome, PASS);
	/*
	 * A verifier result that never ran (zeroed, err 0) or that skipped the
	 * report signature is not evidence: the row passes only when every
	 * check passed (the CRL and chip id checks may be skipped).
	 */
	memset(&vr, 0, sizeof(vr));
	vr.product = SNP_PRODUCT_MILAN;
	vr.signer = SNP_SIGNING_KEY_VCEK;
	CHECK_OK(policy_eval_fields(&reports[V_VIRTEE], &vr, p, &res));
	CHECK(res.decision == POLICY_DENY);
	CHECK_INT_EQ(res.rules[0].outcome, FAIL);
	CHECK_STR_EQ(res.rules[0].actual, "not verified: product check not_run");
	vr = verified[V_VIRTEE];
	vr.checks[SNP_CHECK_REPORT_SIGNATURE].outcome = SNP_OUTCOME_SKIPPED;
	CHECK_OK(policy_eval_fields(&reports[V_VIRTEE], &vr, p, &res));
	CHECK(res.decision == POLICY_DENY);
	CHECK_STR_EQ(res.rules[0].actual, "not verified: report_signature check skipped");
	vr = verified[V_VIRTEE];
	vr.checks[SNP_CHECK_CRL].outcome = SNP_OUTCOME_SKIPPED;
	vr.checks[SNP_CHECK_CHIP_ID].outcome = SNP_OUTCOME_SKIPPED;
	CHECK_OK(policy_eval_fields(&reports[V_VIRTEE], &vr, p, &res));
	CHECK_INT_EQ(res.rules[0].outcome, PASS);
	vr = verified[V_VIRTEE];
	CHECK_ERR(policy_eval_fields(NULL, &vr, p, &res), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(policy_eval_fields(&reports[V_VIRTEE], NULL, p, &res), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    policy_eval_fields(&reports[V_VIRTEE], &vr, NULL, &res), KBS_ERR_INVALID_ARGUMENT);
	policy_free(p);
}

static void
test_undecodable_tcb_fails(void)
{
	struct snp_report r;

	struct policy *p;
	struct policy_result res;

	/*
	 * A reserved TCB byte set: every TCB rule fails rather than passing.
	 * In the reported TCB it also fails the evidence (the verifier would
	 * have refused it; the evaluator does not rely on that).
	 */
	load(V_VIRTEE);
	r = reports[V_VIRTEE];
	r.reported_tcb |= 0x0000000100000000ULL;
	p = make_policy("\"min_tcb\": {\"milan\": {\"snp\": 0}}, \"tcb_deny\": []");
	if (p != NULL) {
		CHECK_OK(policy_eval_fields(&r, &verified[V_VIRTEE], p, &res));
		CHECK_STR_EQ(res.rules[0].actual,
		    "rejected: reported or current TCB does not decode for milan");
		CHECK_INT_EQ(row_of(&res, "min_tcb.milan")->outcome, FAIL);
		CHECK_INT_EQ(row_of(&res, "tcb_deny")->outcome, FAIL);
	}
	policy_free(p);
	r = reports[V_VIRTEE];
	r.launch_tcb |= 0x0000000100000000ULL;
	CHECK_INT_EQ(outcome_of("\"min_launch_tcb\": {\"milan\": {\"snp\": 0}}", &r,
			 &verified[V_VIRTEE], "min_launch_tcb.milan"),
	    FAIL);
}

/*
 * verify_with_crl verifies vector v again through the pipeline with the
 * real AMD Milan CRL as the VCEK list (amd/crl_milan.der: thisUpdate
 * 2026-06-22, nextUpdate 2026-08-08, no entries) at time at, into *ret_ev;
 * returns policy_verify's code.
 */
static int
verify_with_crl(enum vec_id v, const char *at, struct policy_verified **ret_ev)
{
	load(v);
	return verify_vec(v, at, "amd/crl_milan.der", ret_ev);
}

static void
test_revocation(void)
{
	struct policy_verified *ev = NULL, *stale = NULL;
	struct policy *p;
	struct policy_result res;

	/* atakit-gcp (Milan, VCEK) with the real Milan CRL, inside its validity. */
	CHECK_OK(verify_with_crl(V_ATAKIT, vecs[V_ATAKIT].at, &ev));
	CHECK_INT_EQ(policy_verified_result(ev)->checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_PASS);
	CHECK_INT_EQ(outcome_ev("\"revocation\": \"required\"", ev, "revocation"), PASS);
	p = make_policy("\"revocation\": \"required\"");
	if (p != NULL) {
		CHECK_OK(policy_eval(ev, p, &res));
		CHECK(res.decision == POLICY_ALLOW);
		CHECK_STR_EQ(row_of(&res, "revocation")->expected,
		    "CRL checked, ASK/ASVK and VCEK/VLEK not listed");
		CHECK_STR_EQ(row_of(&res, "revocation")->actual,
		    "CRL checked: signed by the milan ARK, ASK and VCEK not listed");

		/* The same report verified without a CRL: the check was skipped. */
		CHECK_INT_EQ(verified[V_ATAKIT].checks[SNP_CHECK_CRL].outcome, SNP_OUTCOME_SKIPPED);
		CHECK_OK(policy_eval(evs[V_ATAKIT], p, &res));
		CHECK(res.decision == POLICY_DENY);
		CHECK_UINT_EQ(res.failed, 1);
		CHECK_INT_EQ(res.rules[0].outcome, PASS); /* the evidence itself is genuine */
		CHECK_INT_EQ(row_of(&res, "revocation")->outcome, FAIL);
		CHECK_STR_EQ(row_of(&res, "revocation")->actual, "no CRL checked (none was given)");

		/* A VLEK chain with no CRL given fails too. */
		CHECK_INT_EQ(on(V_VLEK, "\"revocation\": \"required\"", "revocation"), FAIL);

		/*
		 * The CRL past its nextUpdate: the verifier rejects the evidence,
		 * and the rule does not count a failed check as a checked list.
		 */
		CHECK_ERR(
		    verify_with_crl(V_ATAKIT, "2026-09-01T00:00:00Z", &stale), KBS_ERR_CRL_STALE);
		CHECK_OK(policy_eval(stale, p, &res));
		CHECK(res.decision == POLICY_DENY);
		CHECK_INT_EQ(row_of(&res, "revocation")->outcome, FAIL);
		CHECK_STR_EQ(row_of(&res, "revocation")->actual, "CRL check failed");
	}
	policy_free(p);
	policy_verified_free(ev);
	policy_verified_free(stale);
	/* "optional" demands nothing: a skipped check passes, the row says so. */
	CHECK_INT_EQ(on(V_ATAKIT, "\"revocation\": \"optional\"", "revocation"), PASS);
	/* Without the rule there is no row. */
	CHECK_INT_EQ(on(V_ATAKIT, "", "revocation"), -1);
}

static void
cleanup(void)
{
	int v;

	for (v = 0; v < V_COUNT; v++) {
		policy_verified_free(evs[v]);
		evs[v] = NULL;
		loaded[v] = 0;
	}
	snp_verifier_free(verifier);
	verifier = NULL;
}

TEST_MAIN(TEST(test_product_and_signer), TEST(test_byte_lists), TEST(test_chip_id),
    TEST(test_id_block), TEST(test_guest_policy), TEST(test_vmpl_svn_version),
    TEST(test_platform_info), TEST(test_min_tcb), TEST(test_tcb_deny),
    TEST(test_provisional_and_firmware), TEST(test_mitigations), TEST(test_all_rules_no_shortcut),
    TEST(test_unverified_evidence_denied), TEST(test_undecodable_tcb_fails), TEST(test_revocation),
    TEST(cleanup))
