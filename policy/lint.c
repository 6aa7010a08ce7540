/*
 * lint.c: findings a reviewer should look at twice.
 *
 * Per-rule findings come from each rule kind's lint operation (empty
 * lists, debug or migration agent allowed, a TCB minimum below the newest
 * bundled real report); the findings about rules that are missing are
 * here: no measurement rule, no TCB minimum for an accepted product, VMPL
 * unrestricted, VLEK accepted without a chip or CSP restriction, no
 * revocation list required.
 * docs/policy.md lists every finding.
 */
#include <string.h>

#include "policy-int.h"

static void
lint_missing(const struct policy *p, struct policy_lint_result *res)
{
	unsigned products = p->products.set ? p->products.mask : ~0u;
	unsigned signers = p->signers.set ? p->signers.mask : 1u << SNP_SIGNING_KEY_VCEK;
	int prod;

	if (!p->lists[PL_MEASUREMENT].set)
		policy_finding_add(res, POLICY_WARNING, "rules.measurement",
		    "no measurement rule: any guest image is accepted");
	for (prod = SNP_PRODUCT_MILAN; prod < SNP_PRODUCT_COUNT; prod++) {
		if ((products & (1u << prod)) && !p->tcb[PTK_REPORTED][prod].set)
			policy_finding_add(res, POLICY_WARNING, "rules.min_tcb",
			    "no minimum TCB for %s: any firmware level is accepted there "
			    "(set min_tcb.%s, or restrict \"product\")",
			    snp_product_name((enum snp_product)prod),
			    snp_product_name((enum snp_product)prod));
	}
	if (!p->vmpl.set || p->vmpl.max == 3)
		policy_finding_add(res, POLICY_WARNING, "rules.vmpl",
		    "VMPL is unrestricted: a report requested from any privilege level is "
		    "accepted (set vmpl.max)");
	if ((signers & (1u << SNP_SIGNING_KEY_VLEK)) && !p->csp_id.set &&
	    !p->lists[PL_CHIP_ALLOW].set)
		policy_finding_add(res, POLICY_WARNING, "rules.signing_key",
		    "VLEK accepted without a csp_id or chip_id.allow restriction: any cloud "
		    "provider's VLEK is trusted");
	if (p->revocation != PR_REQUIRED)
		policy_finding_add(res, POLICY_WARNING, "rules.revocation",
		    "no revocation list is required: a revoked ASK, ASVK, VCEK or VLEK is "
		    "accepted whenever no CRL is supplied (set \"revocation\": \"required\")");
}

void
policy_lint(const struct policy *p, struct policy_lint_result *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < policy_rule_count; i++) {
		const struct policy_rule *rule = &policy_rules[i];

		if (rule->ops->lint != NULL && rule->ops->active(p, rule))
			rule->ops->lint(p, rule, res);
	}
	lint_missing(p, res);
}
