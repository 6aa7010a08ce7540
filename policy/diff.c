/*
 * diff.c: rule by rule, what a new policy version makes stricter or
 * looser. "Stricter" means every report the new policy accepts, the old
 * one accepted too (for that rule); "looser" the reverse; "changed" means
 * neither. A rule that is absent counts as its default (no check, or the
 * documented default for debug, migration agent, signing key and
 * provisional firmware).
 */
#include <string.h>

#include "policy-int.h"

static const char *const change_names[] = {
	[POLICY_SAME] = "same",
	[POLICY_STRICTER] = "stricter",
	[POLICY_LOOSER] = "looser",
	[POLICY_CHANGED] = "changed",
};

const char *
policy_change_name(enum policy_change change)
{
	if ((unsigned)change >= KBS_ARRAY_SIZE(change_names))
		return "unknown";
	return change_names[change];
}

static void
describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	if (!rule->ops->active(p, rule)) {
		snprintf(out, out_size, "no rule");
		return;
	}
	out[0] = 0;
	rule->ops->describe(p, rule, out, out_size);
}

int
policy_diff(
    FILE *f, const struct policy *o, const struct policy *n, enum policy_change *ret_overall)
{
	enum policy_change all = POLICY_SAME, c;
	char ov[POLICY_TEXT_SIZE], nv[POLICY_TEXT_SIZE];
	size_t i, differ = 0;

	fprintf(f, "old: %s (sha256 %s)\n", o->name, o->hash);
	fprintf(f, "new: %s (sha256 %s)\n", n->name, n->hash);
	for (i = 0; i < policy_rule_count; i++) {
		const struct policy_rule *rule = &policy_rules[i];

		c = rule->ops->diff(o, n, rule);
		describe(o, rule, ov, sizeof(ov));
		describe(n, rule, nv, sizeof(nv));
		if (c == POLICY_SAME && strcmp(ov, nv) == 0)
			continue;
		/* Same effect, different text (e.g. a rule written out at its default). */
		fprintf(f, "%-8s %s: %s -> %s\n", change_names[c], rule->id, ov, nv);
		all = policy_change_join(all, c);
		differ++;
	}
	fprintf(f, "overall: %s (%zu %s)\n", change_names[all], differ,
	    differ == 1 ? "rule differs" : "rules differ");
	if (ret_overall != NULL)
		*ret_overall = all;
	return ferror(f) ? KBS_ERR_IO : 0;
}
