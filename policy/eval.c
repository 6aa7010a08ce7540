/*
 * eval.c: the one evaluator.
 *
 * policy_eval is a pure function of (verified evidence, policy): it takes
 * the report and the verifier's result out of what policy_verify made
 * (verified-int.h), decodes the report's TCBs once for the verified
 * product, then runs every active rule of the table in order, never
 * stopping early, so a denial lists every failed rule. The "evidence" row
 * comes first and fails when the verifier rejected the report or did not
 * record every check as passed, so unverified evidence is always denied
 * whatever the rules say. No allocation, no I/O, no clock.
 */
#include <string.h>

#include "policy-int.h"
#include "verified-int.h"

static const char *const outcome_names[] = {
	[POLICY_OUTCOME_PASS] = "pass",
	[POLICY_OUTCOME_FAIL] = "fail",
	[POLICY_OUTCOME_NOT_APPLICABLE] = "not_applicable",
};

const char *
policy_outcome_name(enum policy_outcome outcome)
{
	if ((unsigned)outcome >= KBS_ARRAY_SIZE(outcome_names))
		return "unknown";
	return outcome_names[outcome];
}

const char *
policy_decision_name(enum policy_decision decision)
{
	return decision == POLICY_ALLOW ? "allow" : "deny";
}

/*
 * unverified_check returns the first check that did not pass, or
 * SNP_CHECK_COUNT when all did. err 0 alone is not proof: a zeroed or
 * half-filled verifier result also has err 0, so every check must show
 * that it ran and passed. Only the CRL (none given) and the chip id (VLEK,
 * masked) may be skipped; policy rules judge what those skips leave open.
 */
static enum snp_check
unverified_check(const struct snp_verify_result *v)
{
	int k;

	for (k = 0; k < SNP_CHECK_COUNT; k++) {
		enum snp_outcome o = v->checks[k].outcome;

		if (o == SNP_OUTCOME_PASS)
			continue;
		if (o == SNP_OUTCOME_SKIPPED && (k == SNP_CHECK_CRL || k == SNP_CHECK_CHIP_ID))
			continue;
		return (enum snp_check)k;
	}
	return SNP_CHECK_COUNT;
}

/*
 * reported_above_current returns the first TCB component in which
 * REPORTED_TCB exceeds CURRENT_TCB, -1 when none does. The host sets
 * REPORTED_TCB, and AMD serves a VCEK for any TCB of a chip, so a report
 * claiming more than the firmware runs would pass min_tcb on firmware it
 * does not have; go-sev-guest refuses it whatever its options say.
 * Returns -2 when either TCB does not decode for the product.
 */
static int
reported_above_current(const struct policy_evidence *ev, uint8_t *ret_rep, uint8_t *ret_cur)
{
	uint8_t rep[TP_COUNT], cur[TP_COUNT];
	int i;

	if (!ev->tcb_ok[PTK_REPORTED] || !ev->tcb_ok[PTK_CURRENT])
		return -2;
	policy_tcb_parts(&ev->tcb[PTK_REPORTED], rep);
	policy_tcb_parts(&ev->tcb[PTK_CURRENT], cur);
	for (i = 0; i < TP_COUNT; i++) {
		if (rep[i] > cur[i]) {
			*ret_rep = rep[i];
			*ret_cur = cur[i];
			return i;
		}
	}
	return -1;
}

static void
evidence_row(const struct policy_evidence *ev, struct policy_rule_result *res)
{
	const struct snp_verify_result *v = ev->verify;
	enum snp_check k;
	uint8_t rep = 0, cur = 0;
	int part;

	res->rule = "evidence";
	snprintf(res->expected, sizeof(res->expected), "genuine AMD-signed report");
	if (v->err != 0) {
		res->outcome = POLICY_OUTCOME_FAIL;
		snprintf(res->actual, sizeof(res->actual), "rejected: %s check failed (%s)",
		    snp_check_name(v->failed_check), kbs_err_name(v->err));
	} else if ((k = unverified_check(v)) != SNP_CHECK_COUNT) {
		res->outcome = POLICY_OUTCOME_FAIL;
		snprintf(res->actual, sizeof(res->actual), "not verified: %s check %s",
		    snp_check_name(k), snp_outcome_name(v->checks[k].outcome));
	} else if ((part = reported_above_current(ev, &rep, &cur)) == -2) {
		res->outcome = POLICY_OUTCOME_FAIL;
		snprintf(res->actual, sizeof(res->actual),
		    "rejected: reported or current TCB does not decode for %s",
		    snp_product_name(v->product));
	} else if (part >= 0) {
		res->outcome = POLICY_OUTCOME_FAIL;
		snprintf(res->actual, sizeof(res->actual),
		    "rejected: reported TCB %s %u is above the current TCB's %u",
		    policy_tcb_part_names[part], rep, cur);
	} else {
		res->outcome = POLICY_OUTCOME_PASS;
		snprintf(res->actual, sizeof(res->actual), "genuine (%s, signed by %s)",
		    snp_product_name(v->product), snp_signing_key_name(v->signer));
	}
}

int
policy_eval_fields(const struct snp_report *report, const struct snp_verify_result *verify,
    const struct policy *policy, struct policy_result *ret)
{
	struct policy_evidence ev;
	const uint64_t raw[PTK_COUNT] = {
		[PTK_REPORTED] = report != NULL ? report->reported_tcb : 0,
		[PTK_COMMITTED] = report != NULL ? report->committed_tcb : 0,
		[PTK_LAUNCH] = report != NULL ? report->launch_tcb : 0,
		[PTK_CURRENT] = report != NULL ? report->current_tcb : 0,
	};
	size_t i, n = 0;
	int k;

	if (report == NULL || verify == NULL || policy == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	ev.report = report;
	ev.verify = verify;
	ev.product = verify->product;
	for (k = 0; k < PTK_COUNT; k++)
		ev.tcb_ok[k] = snp_tcb_decode(raw[k], ev.product, &ev.tcb[k]) == 0;

	ret->failed = 0;
	evidence_row(&ev, &ret->rules[n++]);
	for (i = 0; i < policy_rule_count; i++) {
		const struct policy_rule *rule = &policy_rules[i];
		struct policy_rule_result *res;

		if (!policy->active[i])
			continue;
		res = &ret->rules[n++];
		res->rule = rule->id;
		res->actual[0] = 0;
		memcpy(res->expected, policy->expected[i], strlen(policy->expected[i]) + 1);
		rule->ops->eval(policy, rule, &ev, res);
	}
	ret->count = n;
	for (i = 0; i < n; i++) {
		if (ret->rules[i].outcome == POLICY_OUTCOME_FAIL)
			ret->failed++;
	}
	ret->decision = ret->failed == 0 ? POLICY_ALLOW : POLICY_DENY;
	return 0;
}

int
policy_eval(
    const struct policy_verified *ev, const struct policy *policy, struct policy_result *ret)
{
	if (ev == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	return policy_eval_fields(&ev->report, &ev->result, policy, ret);
}
