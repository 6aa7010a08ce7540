/*
 * fuzz_policy.c: policy_parse on arbitrary bytes, then every consumer of a
 * parsed policy (lint, explain, diff, eval, both printers).
 *
 * Invariants checked (abort on violation, so the fuzzer finds logic
 * errors too): a failed parse names a KBS_ERR code and a 1-based
 * position; a parsed policy's hash is 64 hex digits; a policy diffed with
 * itself is "same"; evaluation denies exactly when some row failed, and an
 * unverified report is always denied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "verified-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
exercise(const struct policy *p)
{
	struct policy_lint_result lint;
	struct snp_report report;
	struct snp_verify_result vr;
	struct policy_result res;
	enum policy_change c = POLICY_CHANGED;
	char *text = NULL, *json = NULL;
	size_t len = 0, i, failed;
	FILE *f;
	int product;

	policy_lint(p, &lint);
	if ((f = open_memstream(&text, &len)) != NULL) {
		if (policy_explain(f, p) != 0 || policy_diff(f, p, p, &c) != 0 || c != POLICY_SAME)
			abort();
		fclose(f);
		free(text);
		text = NULL;
	}
	memset(&report, 0, sizeof(report));
	report.version = 5;
	report.policy = SNP_POLICY_RESERVED_ONE | SNP_POLICY_SMT;
	report.reported_tcb = report.committed_tcb = report.launch_tcb = report.current_tcb =
	    0x4700000002000100ULL;
	for (product = SNP_PRODUCT_UNKNOWN; product < SNP_PRODUCT_COUNT; product++) {
		memset(&vr, 0, sizeof(vr));
		vr.product = (enum snp_product)product;
		vr.signer =
		    product == SNP_PRODUCT_GENOA ? SNP_SIGNING_KEY_VLEK : SNP_SIGNING_KEY_VCEK;
		vr.err = product == SNP_PRODUCT_UNKNOWN ? KBS_ERR_PRODUCT_UNKNOWN : 0;
		/* A genuine result records every check as passed. */
		for (i = 0; vr.err == 0 && i < SNP_CHECK_COUNT; i++)
			vr.checks[i].outcome = SNP_OUTCOME_PASS;
		/* Milan's is genuine without a CRL (the revocation rule's failing case). */
		if (product == SNP_PRODUCT_MILAN)
			vr.checks[SNP_CHECK_CRL].outcome = SNP_OUTCOME_SKIPPED;
		snprintf(vr.csp_id, sizeof(vr.csp_id), "CN=fuzz");
		/* A hand-made result: only the evaluator below policy_eval takes one. */
		if (policy_eval_fields(&report, &vr, p, &res) != 0)
			abort();
		for (i = 0, failed = 0; i < res.count; i++)
			failed += res.rules[i].outcome == POLICY_OUTCOME_FAIL;
		if (failed != res.failed || (res.decision == POLICY_ALLOW) != (failed == 0))
			abort();
		if (vr.err != 0 && res.decision != POLICY_DENY)
			abort();
		if ((f = open_memstream(&text, &len)) != NULL) {
			if (policy_result_print_text(f, p, &res) != 0)
				abort();
			fclose(f);
			free(text);
			text = NULL;
		}
		if (policy_result_to_json(p, &res, &json) == 0)
			free(json);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	struct policy_error err;
	char msg[512];
	size_t i;

	if (policy_parse(data, size, &p, &err) != 0) {
		if (p != NULL || err.code >= 0 || err.line == 0 || err.column == 0)
			abort();
		policy_error_format(&err, msg, sizeof(msg));
		return 0;
	}
	if (strlen(policy_hash(p)) != 64)
		abort();
	for (i = 0; i < 64; i++) {
		if (strchr("0123456789abcdef", policy_hash(p)[i]) == NULL)
			abort();
	}
	exercise(p);
	policy_free(p);
	return 0;
}
