/*
 * test_review.c: policy_lint, policy_explain and policy_diff.
 *
 * Lint: each warning of docs/policy.md is raised by the policy that
 * should raise it, with its exact path and sentence, and a tight policy
 * raises none. Diff: each rule kind classifies stricter, looser and
 * changed correctly. Explain: one sentence per active rule.
 */
#include "policy.h"
#include "test.h"

#define HEAD "{\"kbs_policy\": 1, \"name\": \"t\", \"rules\": {"
/* Rules that silence the "missing rule" warnings. */
#define TIGHT \
	"\"product\": [\"milan\"], \"measurement\": [\"" ZERO48 "\"], \"vmpl\": {\"max\": 0}, " \
	"\"revocation\": \"required\", " \
	"\"min_tcb\": {\"milan\": {\"bootloader\": 4, \"tee\": 0, \"snp\": 29, \"microcode\": " \
	"222}}"
#define ZERO64 ZERO48 "00000000000000000000000000000000"
#define ONE64 ZERO48 "00000000000000000000000000000001"
#define ONE48 \
	"01" \
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
	"000000"
#define TWO48 \
	"02" \
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
	"000000"
#define ZERO48 \
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
	"00000000"

static struct policy *
make(const char *rules)
{
	struct policy *p = NULL;
	struct policy_error err;
	char buf[4096];

	snprintf(buf, sizeof(buf), HEAD "%s}}", rules);
	CHECK_OK(policy_parse((const uint8_t *)buf, strlen(buf), &p, &err));
	if (p == NULL)
		fprintf(stderr, "bad policy: %s: %s\n", err.path, err.message);
	return p;
}

static int
has_finding(const struct policy_lint_result *res, enum policy_severity sev, const char *path,
    const char *message)
{
	size_t i;

	for (i = 0; i < res->count; i++) {
		if (res->findings[i].severity == sev && strcmp(res->findings[i].path, path) == 0 &&
		    strcmp(res->findings[i].message, message) == 0)
			return 1;
	}
	return 0;
}

static void
lint_of(const char *rules, struct policy_lint_result *res)
{
	struct policy *p = make(rules);

	memset(res, 0, sizeof(*res));
	if (p != NULL)
		policy_lint(p, res);
	policy_free(p);
}

/* lint_one checks that rules raise exactly one warning, the given one. */
static void
lint_one(const char *rules, const char *path, const char *message)
{
	struct policy_lint_result res;

	lint_of(rules, &res);
	CHECK_UINT_EQ(res.errors, 0);
	CHECK_UINT_EQ(res.warnings, 1);
	CHECK(has_finding(&res, POLICY_WARNING, path, message));
}

static void
test_lint_clean(void)
{
	struct policy_lint_result res;
	size_t i;

	lint_of(TIGHT, &res);
	for (i = 0; i < res.count; i++)
		fprintf(
		    stderr, "unexpected: %s: %s\n", res.findings[i].path, res.findings[i].message);
	CHECK_UINT_EQ(res.errors, 0);
	CHECK_UINT_EQ(res.warnings, 0);
}

static void
test_lint_warnings(void)
{
	struct policy_lint_result res;

	lint_of("", &res);
	CHECK_UINT_EQ(res.errors, 0);
	CHECK_UINT_EQ(res.warnings, 6);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.revocation",
	    "no revocation list is required: a revoked ASK, ASVK, VCEK or VLEK is accepted whenever "
	    "no CRL is supplied (set \"revocation\": \"required\")"));
	CHECK(has_finding(&res, POLICY_WARNING, "rules.measurement",
	    "no measurement rule: any guest image is accepted"));
	CHECK(has_finding(&res, POLICY_WARNING, "rules.min_tcb",
	    "no minimum TCB for turin: any firmware level is accepted there (set min_tcb.turin, "
	    "or restrict \"product\")"));
	CHECK(has_finding(&res, POLICY_WARNING, "rules.vmpl",
	    "VMPL is unrestricted: a report requested from any privilege level is accepted (set "
	    "vmpl.max)"));

	lint_of(TIGHT
	    ", \"guest_policy\": {\"debug_allowed\": true, \"migration_agent_allowed\": true}",
	    &res);
	CHECK_UINT_EQ(res.warnings, 2);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.guest_policy.debug_allowed",
	    "debugging is allowed: the host can read or move the guest's memory"));
	CHECK(has_finding(&res, POLICY_WARNING, "rules.guest_policy.migration_agent_allowed",
	    "a migration agent is allowed: the host can read or move the guest's memory"));
}

static void
test_lint_more(void)
{
	struct policy_lint_result res;

	lint_of(
	    "\"product\": [\"milan\"], \"revocation\": \"required\", \"measurement\": [\"" ZERO48
	    "\"], \"vmpl\": {\"max\": 3}, "
	    "\"min_tcb\": {\"milan\": {\"bootloader\": 4, \"tee\": 0, \"snp\": 29, "
	    "\"microcode\": 222}}",
	    &res);
	CHECK_UINT_EQ(res.warnings, 1);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.vmpl",
	    "VMPL is unrestricted: a report requested from any privilege level is accepted (set "
	    "vmpl.max)"));

	lint_of(TIGHT ", \"signing_key\": [\"vcek\", \"vlek\"]", &res);
	CHECK_UINT_EQ(res.warnings, 1);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.signing_key",
	    "VLEK accepted without a csp_id or chip_id.allow restriction: any cloud provider's "
	    "VLEK is trusted"));
	lint_of(TIGHT ", \"signing_key\": [\"vcek\", \"vlek\"], \"csp_id\": [\"CN=x\"]", &res);
	CHECK_UINT_EQ(res.warnings, 0);

	lint_of(TIGHT ", \"host_data\": [], \"signing_key\": []", &res);
	CHECK_UINT_EQ(res.warnings, 2);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.host_data",
	    "empty allow-list: no report can pass this rule"));
	CHECK(has_finding(&res, POLICY_WARNING, "rules.signing_key",
	    "empty allow-list: no report can pass this rule"));

	/* The example minimum (snp 8, microcode 115) is older than real Milan reports. */
	lint_of("\"product\": [\"milan\", \"turin\"], \"revocation\": \"required\", "
		"\"measurement\": [\"" ZERO48 "\"], "
		"\"vmpl\": {\"max\": 0}, \"min_tcb\": {\"milan\": {\"bootloader\": 3, \"tee\": 0, "
		"\"snp\": 8, \"microcode\": 115}, \"turin\": {\"fmc\": 0, \"bootloader\": 1, "
		"\"tee\": 0, \"snp\": 2, \"microcode\": 71}}",
	    &res);
	CHECK_UINT_EQ(res.warnings, 1);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.min_tcb.milan",
	    "minimum is below the newest bundled real milan report (bootloader 4, tee 0, snp 29, "
	    "microcode 222)"));

	/* "optional" writes the default out: it does not silence the warning. */
	lint_one("\"product\": [\"milan\"], \"measurement\": [\"" ZERO48 "\"], \"vmpl\": {\"max\": "
		 "0}, \"min_tcb\": {\"milan\": {\"bootloader\": 4, \"tee\": 0, \"snp\": 29, "
		 "\"microcode\": 222}}, \"revocation\": \"optional\"",
	    "rules.revocation",
	    "no revocation list is required: a revoked ASK, ASVK, VCEK or VLEK is accepted whenever "
	    "no CRL is supplied (set \"revocation\": \"required\")");

	lint_of(TIGHT ", \"report_data\": [\"" ZERO64 "\"]", &res);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.report_data",
	    "REPORT_DATA carries the broker's nonce and the guest's key, so a fixed value can "
	    "only match in offline verification"));

	/* A chip both allowed and denied is an error. */
	lint_of(TIGHT ", \"chip_id\": {\"allow\": [\"" ONE64 "\"], "
		      "\"deny\": [\"" ONE64 "\"]}",
	    &res);
	CHECK_UINT_EQ(res.errors, 1);
	CHECK(has_finding(&res, POLICY_ERROR, "rules.chip_id.deny",
	    "entry [0] is also in chip_id.allow: decide which applies"));

	/* Requiring an ID block or author key without trusting one admits self-signed ones. */
	lint_of(TIGHT ", \"id_block_required\": true", &res);
	CHECK_UINT_EQ(res.warnings, 1);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.id_block_required",
	    "no id_key_digest or author_key_digest rule trusts a key, so any ID block passes (anyone "
	    "can sign one)"));
	lint_of(TIGHT ", \"author_key_required\": true", &res);
	CHECK_UINT_EQ(res.warnings, 1);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.author_key_required",
	    "no author_key_digest rule trusts a key, so any author key passes (anyone can make "
	    "one)"));
	/* Provisional firmware with minimums but no committed minimum: a rollback is possible. */
	lint_of(TIGHT ", \"provisional_firmware_allowed\": true", &res);
	CHECK_UINT_EQ(res.warnings, 1);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.provisional_firmware_allowed",
	    "provisional firmware is accepted and there is no min_committed_tcb.milan: the host "
	    "can roll back to older committed firmware than the minimums check"));
	lint_of(TIGHT
	    ", \"provisional_firmware_allowed\": true, \"min_committed_tcb\": "
	    "{\"milan\": {\"bootloader\": 4, \"tee\": 0, \"snp\": 29, \"microcode\": 222}}",
	    &res);
	CHECK_UINT_EQ(res.warnings, 0);
	/* A token committed minimum bounds nothing: lint judges its values, not its presence. */
	lint_one(TIGHT ", \"provisional_firmware_allowed\": true, \"min_committed_tcb\": "
		       "{\"milan\": {\"snp\": 0}}",
	    "rules.provisional_firmware_allowed",
	    "provisional firmware is accepted and min_committed_tcb.milan is below min_tcb.milan "
	    "(bootloader 0 < 4, snp 0 < 29, microcode 0 < 222): the host can roll back to older "
	    "committed firmware than min_tcb checks");
	lint_one(TIGHT
	    ", \"provisional_firmware_allowed\": true, \"min_committed_tcb\": "
	    "{\"milan\": {\"bootloader\": 4, \"tee\": 0, \"snp\": 28, \"microcode\": 222}}",
	    "rules.provisional_firmware_allowed",
	    "provisional firmware is accepted and min_committed_tcb.milan is below min_tcb.milan "
	    "(snp 28 < 29): the host can roll back to older committed firmware than min_tcb "
	    "checks");
	/* With min_firmware alone there is no min_tcb to compare with: all zero is flagged. */
	lint_one(TIGHT ", \"provisional_firmware_allowed\": true, \"min_firmware\": {\"genoa\": "
		       "\"1.55.49\"}, \"min_committed_tcb\": {\"genoa\": {\"tee\": 0, \"snp\": 0}, "
		       "\"milan\": {\"bootloader\": 4, \"snp\": 29, \"microcode\": 222}}",
	    "rules.provisional_firmware_allowed",
	    "provisional firmware is accepted and min_committed_tcb.genoa requires nothing (every "
	    "component is 0): the host can roll back to older committed firmware than the minimums "
	    "check");
	lint_of(TIGHT ", \"provisional_firmware_allowed\": true, \"min_firmware\": {\"genoa\": "
		      "\"1.55.49\"}, \"min_committed_tcb\": {\"genoa\": {\"snp\": 27}, "
		      "\"milan\": {\"bootloader\": 4, \"snp\": 29, \"microcode\": 222}}",
	    &res);
	CHECK_UINT_EQ(res.warnings, 0);
	lint_of(TIGHT ", \"provisional_firmware_allowed\": false", &res);
	CHECK_UINT_EQ(res.warnings, 0);
	lint_of(TIGHT ", \"id_block_required\": true, \"author_key_required\": true, "
		      "\"author_key_digest\": [\"" ONE48 "\"]",
	    &res);
	CHECK_UINT_EQ(res.warnings, 0);
	/* An empty ID key list still admits ID keys signed by a trusted author key. */
	lint_of(TIGHT ", \"id_key_digest\": [], \"author_key_digest\": [\"" ONE48 "\"]", &res);
	CHECK_UINT_EQ(res.warnings, 0);
	lint_of(TIGHT ", \"id_key_digest\": []", &res);
	CHECK_UINT_EQ(res.warnings, 1);

	/* A chip deny-list refuses every VLEK-signed report (they attest no chip id). */
	lint_of(TIGHT ", \"signing_key\": [\"vcek\", \"vlek\"], \"csp_id\": [\"CN=x\"], "
		      "\"chip_id\": {\"deny\": []}",
	    &res);
	CHECK_UINT_EQ(res.warnings, 2);
	CHECK(has_finding(&res, POLICY_WARNING, "rules.chip_id.deny",
	    "empty deny-list: the rule only refuses reports that attest no chip id"));
	CHECK(has_finding(&res, POLICY_WARNING, "rules.chip_id.deny",
	    "signing_key accepts a VLEK, but VLEK-signed reports attest no chip id, so this rule "
	    "refuses every one of them"));
}

static char *
capture_diff(const char *old_rules, const char *new_rules, enum policy_change *overall)
{
	struct policy *o = make(old_rules), *n = make(new_rules);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	*overall = POLICY_SAME;
	if (o != NULL && n != NULL && f != NULL)
		CHECK_OK(policy_diff(f, o, n, overall));
	if (f != NULL)
		fclose(f);
	policy_free(o);
	policy_free(n);
	return text;
}

static enum policy_change
change(const char *old_rules, const char *new_rules)
{
	enum policy_change c;

	free(capture_diff(old_rules, new_rules, &c));
	return c;
}

static void
test_diff(void)
{
	enum policy_change c;
	char *text;

	CHECK_INT_EQ(change("", ""), POLICY_SAME);
	CHECK_INT_EQ(change("\"min_tcb\": {\"milan\": {\"snp\": 8}}",
			 "\"min_tcb\": {\"milan\": {\"snp\": 9}}"),
	    POLICY_STRICTER);
	CHECK_INT_EQ(change("\"min_tcb\": {\"milan\": {\"snp\": 9}}",
			 "\"min_tcb\": {\"milan\": {\"snp\": 8}}"),
	    POLICY_LOOSER);
	CHECK_INT_EQ(change("\"min_tcb\": {\"milan\": {\"snp\": 9, \"microcode\": 1}}",
			 "\"min_tcb\": {\"milan\": {\"snp\": 8, \"microcode\": 2}}"),
	    POLICY_CHANGED);
	CHECK_INT_EQ(change("", "\"measurement\": [\"" ZERO48 "\"]"), POLICY_STRICTER);
	CHECK_INT_EQ(change("\"measurement\": [\"" ZERO48 "\"]", ""), POLICY_LOOSER);
	CHECK_INT_EQ(change("\"measurement\": [\"" ZERO48 "\"]",
			 "\"measurement\": [\"" ZERO48 "\", \"" ONE48 "\"]"),
	    POLICY_LOOSER);
	CHECK_INT_EQ(
	    change("\"measurement\": [\"" ZERO48 "\"]", "\"measurement\": [\"" ONE48 "\"]"),
	    POLICY_CHANGED);
	CHECK_INT_EQ(
	    change("\"chip_id\": {\"deny\": []}", "\"chip_id\": {\"deny\": [\"" ZERO64 "\"]}"),
	    POLICY_STRICTER);
	/* Even an empty chip deny-list refuses reports that attest no chip id. */
	CHECK_INT_EQ(change("", "\"chip_id\": {\"deny\": []}"), POLICY_STRICTER);
	CHECK_INT_EQ(change("\"chip_id\": {\"deny\": []}", ""), POLICY_LOOSER);
	CHECK_INT_EQ(change("", "\"guest_policy\": {\"debug_allowed\": true}"), POLICY_LOOSER);
	CHECK_INT_EQ(change("", "\"guest_policy\": {\"debug_allowed\": false}"), POLICY_SAME);
	CHECK_INT_EQ(change("", "\"guest_policy\": {\"smt_allowed\": false}"), POLICY_STRICTER);
	CHECK_INT_EQ(
	    change("", "\"guest_policy\": {\"single_socket_required\": true}"), POLICY_STRICTER);
	CHECK_INT_EQ(change("", "\"signing_key\": [\"vcek\", \"vlek\"]"), POLICY_LOOSER);
	CHECK_INT_EQ(
	    change("\"signing_key\": [\"vlek\"]", "\"signing_key\": [\"vcek\"]"), POLICY_CHANGED);
	CHECK_INT_EQ(change("", "\"provisional_firmware_allowed\": true"), POLICY_LOOSER);
	CHECK_INT_EQ(change("\"vmpl\": {\"max\": 1}", "\"vmpl\": {\"max\": 0}"), POLICY_STRICTER);
	CHECK_INT_EQ(
	    change("\"vmpl\": {\"max\": 0}", "\"vmpl\": {\"min\": 1, \"max\": 1}"), POLICY_CHANGED);
	CHECK_INT_EQ(change("\"platform_info\": {\"tsme\": \"required\"}",
			 "\"platform_info\": {\"tsme\": \"allowed\"}"),
	    POLICY_LOOSER);
	CHECK_INT_EQ(change("\"platform_info\": {\"tsme\": \"required\"}",
			 "\"platform_info\": {\"tsme\": \"forbidden\"}"),
	    POLICY_CHANGED);
	CHECK_INT_EQ(change("\"min_firmware\": {\"milan\": \"1.55.3\"}",
			 "\"min_firmware\": {\"milan\": \"1.56.0\"}"),
	    POLICY_STRICTER);
	CHECK_INT_EQ(change("\"tcb_deny\": []",
			 "\"tcb_deny\": [{\"product\": \"genoa\", \"bootloader\": 1, \"tee\": 0, "
			 "\"snp\": 1, \"microcode\": 1}]"),
	    POLICY_STRICTER);
	CHECK_INT_EQ(change("\"required_mitigations\": {\"current\": \"0000000000000003\"}",
			 "\"required_mitigations\": {\"current\": \"0000000000000001\"}"),
	    POLICY_LOOSER);
	CHECK_INT_EQ(change("\"csp_id\": [\"a\", \"b\"]", "\"csp_id\": [\"a\"]"), POLICY_STRICTER);
	CHECK_INT_EQ(change("\"min_guest_svn\": 3", "\"min_guest_svn\": 2"), POLICY_LOOSER);
	CHECK_INT_EQ(change("", "\"revocation\": \"required\""), POLICY_STRICTER);
	CHECK_INT_EQ(change("", "\"revocation\": \"optional\""), POLICY_SAME);
	text = capture_diff("\"revocation\": \"required\"", "\"revocation\": \"optional\"", &c);
	CHECK_INT_EQ(c, POLICY_LOOSER);
	CHECK(text != NULL &&
	    strstr(text,
		"looser   revocation: CRL checked, ASK/ASVK and VCEK/VLEK not listed -> CRL checked "
		"if one is given\n") != NULL);
	free(text);

	/*
	 * An ID key signed by a trusted author key passes id_key_digest, so
	 * trusting an author key loosens that rule even though its own list
	 * did not change.
	 */
	text = capture_diff("\"id_key_digest\": [\"" TWO48 "\"]",
	    "\"id_key_digest\": [\"" TWO48 "\"], \"author_key_digest\": [\"" ONE48 "\"]", &c);
	CHECK_INT_EQ(c, POLICY_CHANGED);
	CHECK(text != NULL &&
	    strstr(text,
		"looser   id_key_digest: " TWO48 " -> " TWO48
		", or signed by a trusted author key\n") != NULL);
	CHECK(text != NULL &&
	    strstr(text, "stricter author_key_digest: no rule -> " ONE48 "\n") != NULL);
	free(text);
	CHECK_INT_EQ(
	    change("\"id_key_digest\": [\"" TWO48 "\"], \"author_key_digest\": [\"" ONE48 "\"]",
		"\"id_key_digest\": [\"" TWO48 "\"], \"author_key_digest\": [\"" ONE48
		"\", \"" ZERO48 "\"]"),
	    POLICY_LOOSER);
	CHECK_INT_EQ(
	    change("\"id_key_digest\": [\"" TWO48 "\"], \"author_key_digest\": [\"" ONE48 "\"]",
		"\"id_key_digest\": [\"" TWO48 "\"]"),
	    POLICY_CHANGED);
	/* Without an id_key_digest rule, author keys change only their own rule. */
	CHECK_INT_EQ(change("", "\"author_key_digest\": [\"" ONE48 "\"]"), POLICY_STRICTER);

	/*
	 * A TCB minimum also refuses a TCB that does not decode (reserved
	 * bytes set), so adding or removing one with zero minimums is not
	 * "same".
	 */
	text = capture_diff("\"min_launch_tcb\": {\"milan\": {\"snp\": 0}}", "", &c);
	CHECK_INT_EQ(c, POLICY_LOOSER);
	CHECK(text != NULL &&
	    strstr(text, "looser   min_launch_tcb.milan: snp >= 0 -> no rule\n") != NULL);
	free(text);
	CHECK_INT_EQ(
	    change("", "\"min_committed_tcb\": {\"turin\": {\"fmc\": 0}}"), POLICY_STRICTER);
	CHECK_INT_EQ(change("\"min_tcb\": {\"genoa\": {\"snp\": 0}}",
			 "\"min_tcb\": {\"genoa\": {\"snp\": 0, \"tee\": 0}}"),
	    POLICY_SAME);

	text = capture_diff("\"min_tcb\": {\"milan\": {\"snp\": 8}}, \"vmpl\": {\"max\": 0}",
	    "\"min_tcb\": {\"milan\": {\"snp\": 9}}, \"vmpl\": {\"max\": 1}", &c);
	CHECK_INT_EQ(c, POLICY_CHANGED);
	CHECK(text != NULL && strstr(text, "looser   vmpl: 0 -> 0 to 1\n") != NULL);
	CHECK(
	    text != NULL && strstr(text, "stricter min_tcb.milan: snp >= 8 -> snp >= 9\n") != NULL);
	CHECK(text != NULL && strstr(text, "overall: changed (2 rules differ)\n") != NULL);
	free(text);
}

static void
test_explain(void)
{
	struct policy *p = make(TIGHT ", \"guest_policy\": {\"abi_min\": \"1.51\"}");
	char *text = NULL;
	size_t len = 0, lines = 0, i;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL && p != NULL);
	if (f == NULL || p == NULL)
		return;
	CHECK_OK(policy_explain(f, p));
	fclose(f);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	/* header, intro, evidence, then product, signing_key, revocation, measurement,
	 * debug, migration agent, abi_min, vmpl, min_tcb.milan, provisional */
	CHECK_UINT_EQ(lines, 3 + 10);
	/* Revocation is claimed only where it is required, in its own line. */
	CHECK(
	    strstr(text,
		"- The report must carry a valid AMD signature that chains to a pinned AMD root "
		"key, with certificates valid at the time of the check, and its reported TCB must "
		"not exceed the TCB the firmware currently runs.\n") != NULL);
	CHECK(
	    strstr(text,
		"- An AMD revocation list (CRL) must have been checked for the certificate chain: "
		"signed by the product's ARK, current, and listing neither the ASK (ASVK for a "
		"VLEK) nor the VCEK or VLEK; a report checked without one is refused.\n") != NULL);
	CHECK(strstr(text, "- The processor must be an AMD EPYC Milan.\n") != NULL);
	CHECK(strstr(text, "- The guest policy must demand firmware ABI 1.51 or newer.\n") != NULL);
	CHECK(strstr(text,
		  "- On Milan, the reported TCB must be at least: bootloader >= 4, tee >= 0, "
		  "snp >= 29, microcode >= 222.\n") != NULL);
	free(text);
	policy_free(p);
}

static void
test_explain_description(void)
{
	/*
	 * C1 controls (U+009B is CSI on some terminals), bidirectional
	 * overrides and Unicode line separators become spaces like C0
	 * controls, so the description cannot rewrite what a reviewer sees.
	 */
	static const char src[] = "{\"kbs_policy\": 1, \"name\": \"t\", \"description\": "
				  "\"a\\u009b2Jb\\u202ec\\u2028d\\u2066e\\u200ff\\ng\u00e9h\", "
				  "\"rules\": {}}";
	struct policy *p = NULL;
	struct policy_error err;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	CHECK_OK(policy_parse((const uint8_t *)src, strlen(src), &p, &err));
	if (p == NULL)
		return;
	f = open_memstream(&text, &len);
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK_OK(policy_explain(f, p));
		fclose(f);
		CHECK(strstr(text, "\nDescription: a 2Jb c d e f g\u00e9h\n") != NULL);
		CHECK(
		    strstr(text,
			"- The report must carry a valid AMD signature that chains to a pinned "
			"AMD root key, with certificates valid at the time of the check (revoked "
			"ones are refused only if a revocation list is supplied: this policy does "
			"not require one), and its reported TCB must not exceed the TCB the "
			"firmware currently runs.\n") != NULL);
		free(text);
	}
	policy_free(p);
}

TEST_MAIN(TEST(test_lint_clean), TEST(test_explain_description), TEST(test_lint_warnings),
    TEST(test_lint_more), TEST(test_diff), TEST(test_explain))
