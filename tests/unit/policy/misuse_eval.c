/*
 * misuse_eval.c: what issue 7 reproduced, as code that must not compile
 * (check_misuse.sh builds it once per MISUSE value; test_pipeline.c runs
 * the same evidence through the API that replaced it).
 *
 * The reproduction, against the API before policy_verify:
 *
 *	snp_report_parse(bytes, len, &report);             genuine Turin report
 *	snp_verify_report(v, &report, certs, &opts, &vr);  returns 0
 *	memcpy(report.measurement, other, 48);             the caller's copy changes
 *	policy_eval(&report, &vr, allow_other, &res);      ALLOW: a measurement the
 *	                                                   signature never covered
 *
 * Now policy_eval takes only the opaque struct policy_verified that
 * policy_verify makes from the bytes it verified, and the report inside
 * can be read only through a const pointer. MISUSE=0 is the one way to
 * evaluate and must compile (so the include paths are right); every other
 * value must fail to compile.
 */
#include <string.h>

#include "policy.h"

int misuse(struct policy_verified *ev, const struct policy *p, struct snp_report *mine,
    const struct snp_verify_result *vr, struct policy_result *res);

int
misuse(struct policy_verified *ev, const struct policy *p, struct snp_report *mine,
    const struct snp_verify_result *vr, struct policy_result *res)
{
	(void)mine;
	(void)vr;
#if MISUSE == 0
	return policy_eval(ev, p, res);
#elif MISUSE == 1
	/* The reproduction's last line: a caller-owned report and a result. */
	return policy_eval(mine, vr, p, res);
#elif MISUSE == 2
	/* Evidence made up by the caller: the type is opaque outside policy/. */
	struct policy_verified made;

	memset(&made, 0, sizeof(made));
	return policy_eval(&made, p, res);
#elif MISUSE == 3
	/* Changing the verified report in place: the accessor gives a const pointer. */
	policy_verified_report(ev)->measurement[0] ^= 1;
	return policy_eval(ev, p, res);
#else
#error "unknown MISUSE"
#endif
}
