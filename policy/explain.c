/*
 * explain.c: the policy in plain English, one sentence per rule, for a
 * reviewer who does not read JSON. The sentences come from each rule
 * kind's explain operation, in table order, so what is explained is what
 * is evaluated.
 */
#include "policy-int.h"

int
policy_explain(FILE *f, const struct policy *p)
{
	char line[512];
	size_t i;

	fprintf(f, "Policy \"%s\" (sha256 %s).\n", p->name, p->hash);
	if (p->description != NULL && p->description[0] != 0) {
		const unsigned char *c;

		/*
		 * Control characters become spaces, so a description cannot
		 * forge lines or terminal escapes in what a reviewer reads.
		 */
		fputs("Description: ", f);
		for (c = (const unsigned char *)p->description; *c != 0; c++)
			fputc(*c < 0x20 || *c == 0x7f ? ' ' : *c, f);
		fputc('\n', f);
	}
	fprintf(f, "A secret bound to this policy is released only if all of these hold:\n");
	fprintf(f,
	    "- The report must carry a valid AMD signature that chains to a pinned AMD "
	    "root key, with certificates valid and not revoked.\n");
	for (i = 0; i < policy_rule_count; i++) {
		const struct policy_rule *rule = &policy_rules[i];

		if (!rule->ops->active(p, rule))
			continue;
		line[0] = 0;
		rule->ops->explain(p, rule, line, sizeof(line));
		fprintf(f, "- %s\n", line);
	}
	return ferror(f) ? KBS_ERR_IO : 0;
}
