/*
 * verified-int.h (private to policy/): the evidence policy_verify produced
 * (pipeline.c) and the evaluator's entry below policy_eval (eval.c).
 *
 * Outside policy/ a struct policy_verified is opaque: only policy_verify
 * makes one, and readers get const pointers. policy_eval_fields takes a
 * report and a verifier result separately; it exists for policy_eval and
 * for the unit tests and the fuzz target, which flip one field of a real
 * verified report (no bundled report shows every feature) or build a
 * result by hand. No other code may call it: that is the misuse the
 * opaque type rules out.
 */
#ifndef POLICY_VERIFIED_INT_H
#define POLICY_VERIFIED_INT_H

#include "policy.h"

struct policy_verified {
	struct snp_report report;        /* parsed from the signed bytes */
	struct snp_verify_result result; /* snp_verify_report on exactly those bytes */
};

/*
 * policy_eval_fields is policy_eval on report and verify as given (see
 * policy_eval for the rows and the decision). Returns 0 or
 * KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int policy_eval_fields(const struct snp_report *report,
    const struct snp_verify_result *verify, const struct policy *policy, struct policy_result *ret);

#endif
