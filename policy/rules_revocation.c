/*
 * rules_revocation.c: the revocation rule, over the verifier's CRL check.
 *
 * "revocation": "required" passes only when the verifier checked an AMD
 * CRL for the chain (SNP_CHECK_CRL passed: the list is signed by the
 * product's ARK, is current, and lists neither the ASK/ASVK nor the
 * VCEK/VLEK). The verifier records that check as skipped when the caller
 * gave no CRL, and the evidence row accepts the skip, so without this
 * rule a revoked certificate passes whenever no list is supplied.
 * "optional" writes the default out for the record: the list is checked
 * when given, not demanded. The rule reads only the verifier's result;
 * fetching lists is the caller's job (the broker's KDS fetcher).
 */
#include <string.h>

#include "policy-int.h"

#include "rules.h"

static const char *const revocation_names[] = {
	[PR_OPTIONAL] = "optional",
	[PR_REQUIRED] = "required",
};

static int
revocation_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	size_t i = 0;
	int r;

	(void)rule;
	if ((r = policy_get_word(ctx, node, path, revocation_names, PR_OPTIONAL,
		 KBS_ARRAY_SIZE(revocation_names), "\"required\" or \"optional\"", &i)) != 0)
		return r;
	p->revocation = (enum policy_revocation)i;
	return 0;
}

static int
revocation_active(const struct policy *p, const struct policy_rule *rule)
{
	(void)rule;
	return p->revocation != PR_UNSET;
}

static void
revocation_eval(const struct policy *p, const struct policy_rule *rule,
    const struct policy_evidence *ev, struct policy_rule_result *res)
{
	enum snp_outcome crl = ev->verify->checks[SNP_CHECK_CRL].outcome;
	int vlek = ev->verify->signer == SNP_SIGNING_KEY_VLEK;
	struct policy_text t;

	(void)rule;
	policy_text_init(&t, res->actual, sizeof(res->actual));
	switch (crl) {
	case SNP_OUTCOME_PASS:
		res->outcome = POLICY_OUTCOME_PASS;
		policy_text_str(&t, "CRL checked: signed by the ");
		policy_text_str(&t, snp_product_name(ev->product));
		policy_text_str(
		    &t, vlek ? " ARK, ASVK and VLEK not listed" : " ARK, ASK and VCEK not listed");
		break;
	case SNP_OUTCOME_SKIPPED:
		res->outcome =
		    p->revocation == PR_REQUIRED ? POLICY_OUTCOME_FAIL : POLICY_OUTCOME_PASS;
		policy_text_str(&t, "no CRL checked (none was given)");
		break;
	default:
		/* A failed or unrun check is never a checked list. */
		res->outcome = POLICY_OUTCOME_FAIL;
		policy_text_str(
		    &t, crl == SNP_OUTCOME_FAIL ? "CRL check failed" : "CRL check not run");
		break;
	}
}

static void
revocation_describe(
    const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	policy_set_text(out, out_size,
	    p->revocation == PR_REQUIRED ? "CRL checked, ASK/ASVK and VCEK/VLEK not listed"
					 : "CRL checked if one is given");
}

static void
revocation_explain(
    const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	if (p->revocation == PR_REQUIRED)
		snprintf(out, out_size,
		    "An AMD revocation list (CRL) must have been checked for the certificate "
		    "chain: signed by the product's ARK, current, and listing neither the ASK "
		    "(ASVK for a VLEK) nor the VCEK or VLEK; a report checked without one is "
		    "refused.");
	else
		snprintf(out, out_size,
		    "No revocation list is required: one is checked only when supplied, so "
		    "without one a revoked ASK, ASVK, VCEK or VLEK goes unnoticed.");
}

static enum policy_change
revocation_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	int ov = o->revocation == PR_REQUIRED, nv = n->revocation == PR_REQUIRED;

	(void)rule;
	if (ov == nv)
		return POLICY_SAME;
	return nv ? POLICY_STRICTER : POLICY_LOOSER;
}

/* Lint: a policy that does not require the rule is flagged in lint.c, set or not. */
const struct policy_rule_ops policy_ops_revocation = {
	.parse = revocation_parse,
	.active = revocation_active,
	.eval = revocation_eval,
	.describe = revocation_describe,
	.explain = revocation_explain,
	.diff = revocation_diff,
	.lint = NULL,
};
