/*
 * rules_bits.c: rules over single flags and small numbers.
 *
 * Kinds: "allowed" flags (a feature the guest may have: debug, migration
 * agent, SMT, CXL; false means the report must show it off), "required"
 * flags (a protection the guest must have: single socket, AES-256-XTS,
 * RAPL disabled, ciphertext hiding, page swap disabled, an ID block, an
 * author key), platform info tri-states ("required", "forbidden",
 * "allowed"), the guest ABI minimum ("major.minor"), the VMPL range and
 * unsigned minimums (guest SVN, report version).
 * Debug and migration agent are refused by default: a policy that never
 * mentions them still denies a debuggable guest.
 */
#include <string.h>

#include "policy-int.h"

#include "rules.h"

/* ---- flags ----------------------------------------------------------- */

static int
flag_on(const struct policy_rule *rule, const struct snp_report *r)
{
	static const uint8_t zero[48];

	switch (rule->a) {
	case PF_ID_BLOCK_REQUIRED:
		return memcmp(r->id_key_digest, zero, sizeof(zero)) != 0;
	case PF_AUTHOR_KEY_REQUIRED:
		return (r->key_info & SNP_KEY_INFO_AUTHOR_KEY_EN) != 0;
	default:
		return (int)((r->policy >> rule->b) & 1);
	}
}

/* The effective value: as written, else the default (-1 when none). */
static int
flag_value(const struct policy *p, const struct policy_rule *rule)
{
	return p->flags[rule->a].set ? p->flags[rule->a].value : rule->def;
}

static int
flag_active(const struct policy *p, const struct policy_rule *rule)
{
	return flag_value(p, rule) >= 0;
}

static void
allowed_eval(const struct policy *p, const struct policy_rule *rule,
    const struct policy_evidence *ev, struct policy_rule_result *res)
{
	int on = flag_on(rule, ev->report);

	res->outcome = on && flag_value(p, rule) == 0 ? POLICY_OUTCOME_FAIL : POLICY_OUTCOME_PASS;
	policy_set_text(res->actual, sizeof(res->actual), on ? "on" : "off");
}

static void
allowed_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size, "%s", flag_value(p, rule) == 0 ? "off" : "on or off");
}

static void
allowed_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	if (flag_value(p, rule) != 0)
		snprintf(out, out_size, "The guest may allow %s.", rule->what);
	else
		snprintf(out, out_size, "The guest policy must not allow %s%s.", rule->what,
		    p->flags[rule->a].set ? "" : " (the default)");
}

static enum policy_change
allowed_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	/* No check at all is the same as allowed. */
	int ov = flag_value(o, rule) != 0, nv = flag_value(n, rule) != 0;

	if (ov == nv)
		return POLICY_SAME;
	return nv ? POLICY_LOOSER : POLICY_STRICTER;
}

static void
allowed_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	char path[128];

	snprintf(path, sizeof(path), "rules.%s", rule->id);
	if (rule->def == 0 && flag_value(p, rule) == 1)
		policy_finding_add(res, POLICY_WARNING, path,
		    "%s is allowed: the host can read or move the guest's memory", rule->what);
}

const struct policy_rule_ops policy_ops_allowed = {
	.parse = policy_flag_parse,
	.active = flag_active,
	.eval = allowed_eval,
	.describe = allowed_describe,
	.explain = allowed_explain,
	.diff = allowed_diff,
	.lint = allowed_lint,
};

static void
required_eval(const struct policy *p, const struct policy_rule *rule,
    const struct policy_evidence *ev, struct policy_rule_result *res)
{
	int on = flag_on(rule, ev->report);

	res->outcome = !on && flag_value(p, rule) == 1 ? POLICY_OUTCOME_FAIL : POLICY_OUTCOME_PASS;
	policy_set_text(res->actual, sizeof(res->actual), on ? "on" : "off");
}

static void
required_describe(
    const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size, "%s", flag_value(p, rule) == 1 ? "on" : "on or off");
}

static void
required_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	if (flag_value(p, rule) == 1)
		snprintf(out, out_size, "The guest must have %s.", rule->what);
	else
		snprintf(out, out_size, "The guest need not have %s.", rule->what);
}

static enum policy_change
required_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	int ov = flag_value(o, rule) == 1, nv = flag_value(n, rule) == 1;

	if (ov == nv)
		return POLICY_SAME;
	return nv ? POLICY_STRICTER : POLICY_LOOSER;
}

/*
 * Unlike go-sev-guest's RequireIDBlock and RequireAuthorKey, these flags
 * only demand presence; trust comes from the digest lists. Anyone can
 * sign an ID block with a key of their own, so a flag without a list is
 * worth a second look.
 */
static void
required_lint(
    const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	char path[128];

	if (flag_value(p, rule) != 1)
		return;
	snprintf(path, sizeof(path), "rules.%s", rule->id);
	if (rule->a == PF_ID_BLOCK_REQUIRED && !p->lists[PL_ID_KEY_DIGEST].set &&
	    !p->lists[PL_AUTHOR_KEY_DIGEST].set)
		policy_finding_add(res, POLICY_WARNING, path,
		    "no id_key_digest or author_key_digest rule trusts a key, so any ID block "
		    "passes (anyone can sign one)");
	if (rule->a == PF_AUTHOR_KEY_REQUIRED && !p->lists[PL_AUTHOR_KEY_DIGEST].set)
		policy_finding_add(res, POLICY_WARNING, path,
		    "no author_key_digest rule trusts a key, so any author key passes (anyone can "
		    "make one)");
}

const struct policy_rule_ops policy_ops_required = {
	.parse = policy_flag_parse,
	.active = flag_active,
	.eval = required_eval,
	.describe = required_describe,
	.explain = required_explain,
	.diff = required_diff,
	.lint = required_lint,
};

/* ---- platform info tri-states ---------------------------------------- */

static const char *const tristate_names[] = {
	[PT_UNSET] = "unset",
	[PT_ALLOWED] = "allowed",
	[PT_REQUIRED] = "required",
	[PT_FORBIDDEN] = "forbidden",
};

static int
platform_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	size_t i = 0;
	int r;

	if ((r = policy_get_word(ctx, node, path, tristate_names, PT_ALLOWED,
		 KBS_ARRAY_SIZE(tristate_names), "\"required\", \"forbidden\" or \"allowed\"",
		 &i)) != 0)
		return r;
	p->platform[rule->a] = (enum policy_tristate)i;
	return 0;
}

static int
platform_active(const struct policy *p, const struct policy_rule *rule)
{
	return p->platform[rule->a] != PT_UNSET;
}

static void
platform_eval(const struct policy *p, const struct policy_rule *rule,
    const struct policy_evidence *ev, struct policy_rule_result *res)
{
	int on = (int)((ev->report->platform_info >> rule->b) & 1);
	enum policy_tristate t = p->platform[rule->a];

	res->outcome = (t == PT_REQUIRED && !on) || (t == PT_FORBIDDEN && on) ? POLICY_OUTCOME_FAIL
									      : POLICY_OUTCOME_PASS;
	policy_set_text(res->actual, sizeof(res->actual), on ? "on" : "off");
}

static void
platform_describe(
    const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	static const char *const d[] = {
		[PT_UNSET] = "on or off",
		[PT_ALLOWED] = "on or off",
		[PT_REQUIRED] = "on",
		[PT_FORBIDDEN] = "off",
	};

	snprintf(out, out_size, "%s", d[p->platform[rule->a]]);
}

static void
platform_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	switch (p->platform[rule->a]) {
	case PT_REQUIRED:
		snprintf(out, out_size, "The host platform must have %s.", rule->what);
		break;
	case PT_FORBIDDEN:
		snprintf(out, out_size, "The host platform must not have %s.", rule->what);
		break;
	default:
		snprintf(out, out_size, "The host platform may have %s or not.", rule->what);
		break;
	}
}

static enum policy_change
platform_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	enum policy_tristate ov = o->platform[rule->a], nv = n->platform[rule->a];
	int o_free = ov == PT_UNSET || ov == PT_ALLOWED,
	    n_free = nv == PT_UNSET || nv == PT_ALLOWED;

	if (ov == nv || (o_free && n_free))
		return POLICY_SAME;
	if (o_free)
		return POLICY_STRICTER;
	if (n_free)
		return POLICY_LOOSER;
	return POLICY_CHANGED;
}

const struct policy_rule_ops policy_ops_platform = {
	.parse = platform_parse,
	.active = platform_active,
	.eval = platform_eval,
	.describe = platform_describe,
	.explain = platform_explain,
	.diff = platform_diff,
	.lint = NULL,
};

/* ---- guest ABI minimum ----------------------------------------------- */

static int
abi_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	int r;

	(void)rule;
	if ((r = policy_get_version(
		 ctx, node, path, 0, &p->abi_min.major, &p->abi_min.minor, NULL)) != 0)
		return r;
	p->abi_min.set = 1;
	return 0;
}

static int
abi_active(const struct policy *p, const struct policy_rule *rule)
{
	(void)rule;
	return p->abi_min.set;
}

static unsigned
abi_of(uint8_t major, uint8_t minor)
{
	return ((unsigned)major << 8) | minor;
}

static void
abi_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	unsigned major = (unsigned)((ev->report->policy & SNP_POLICY_ABI_MAJOR_MASK) >>
	    SNP_POLICY_ABI_MAJOR_SHIFT);
	unsigned minor = (unsigned)(ev->report->policy & SNP_POLICY_ABI_MINOR_MASK);

	(void)rule;
	res->outcome = ((major << 8) | minor) >= abi_of(p->abi_min.major, p->abi_min.minor)
	    ? POLICY_OUTCOME_PASS
	    : POLICY_OUTCOME_FAIL;
	snprintf(res->actual, sizeof(res->actual), "%u.%u", major, minor);
}

static void
abi_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	snprintf(out, out_size, ">= %u.%u", p->abi_min.major, p->abi_min.minor);
}

static void
abi_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	snprintf(out, out_size, "The guest policy must demand firmware ABI %u.%u or newer.",
	    p->abi_min.major, p->abi_min.minor);
}

static enum policy_change
abi_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	(void)rule;
	return policy_change_min(o->abi_min.set ? abi_of(o->abi_min.major, o->abi_min.minor) : 0,
	    n->abi_min.set ? abi_of(n->abi_min.major, n->abi_min.minor) : 0);
}

const struct policy_rule_ops policy_ops_abi_min = {
	.parse = abi_parse,
	.active = abi_active,
	.eval = abi_eval,
	.describe = abi_describe,
	.explain = abi_explain,
	.diff = abi_diff,
	.lint = NULL,
};

/* ---- VMPL range ------------------------------------------------------ */

static int
vmpl_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	const struct pj_node *m;
	char mpath[200];
	uint64_t v;
	int r, have = 0;

	(void)rule;
	if ((r = policy_get_object(ctx, node, path)) != 0)
		return r;
	p->vmpl.min = 0;
	p->vmpl.max = 3;
	for (m = node->child; m != NULL; m = m->next) {
		snprintf(mpath, sizeof(mpath), "%s.%s", path, m->key);
		if (strcmp(m->key, "min") != 0 && strcmp(m->key, "max") != 0)
			return policy_perr(ctx, KBS_ERR_POLICY_UNKNOWN_KEY, mpath, m, 1,
			    "unknown key \"%.60s\" (expected \"min\" or \"max\")", m->key);
		if ((r = policy_get_uint(ctx, m, mpath, 0, 3, &v)) != 0)
			return r;
		if (m->key[1] == 'i')
			p->vmpl.min = (uint8_t)v;
		else
			p->vmpl.max = (uint8_t)v;
		have = 1;
	}
	if (!have)
		return policy_perr(ctx, KBS_ERR_POLICY_MISSING_KEY, path, node, 0,
		    "needs \"min\", \"max\" or both");
	if (p->vmpl.min > p->vmpl.max)
		return policy_perr(ctx, KBS_ERR_POLICY_VALUE, path, node, 0,
		    "\"min\" is greater than \"max\", so no VMPL would pass");
	p->vmpl.set = 1;
	return 0;
}

static int
vmpl_active(const struct policy *p, const struct policy_rule *rule)
{
	(void)rule;
	return p->vmpl.set;
}

static void
vmpl_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	uint32_t v = ev->report->vmpl;
	struct policy_text t;

	(void)rule;
	res->outcome =
	    v >= p->vmpl.min && v <= p->vmpl.max ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	policy_text_init(&t, res->actual, sizeof(res->actual));
	policy_text_uint(&t, v);
}

static void
vmpl_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	if (p->vmpl.min == p->vmpl.max)
		snprintf(out, out_size, "%u", p->vmpl.min);
	else
		snprintf(out, out_size, "%u to %u", p->vmpl.min, p->vmpl.max);
}

static void
vmpl_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	char d[32];

	vmpl_describe(p, rule, d, sizeof(d));
	snprintf(out, out_size,
	    "The report must come from VM privilege level (VMPL) %s (0 is the most privileged).",
	    d);
}

static enum policy_change
vmpl_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	unsigned omin = o->vmpl.set ? o->vmpl.min : 0, omax = o->vmpl.set ? o->vmpl.max : 3;
	unsigned nmin = n->vmpl.set ? n->vmpl.min : 0, nmax = n->vmpl.set ? n->vmpl.max : 3;

	(void)rule;
	if (omin == nmin && omax == nmax)
		return POLICY_SAME;
	if (nmin >= omin && nmax <= omax)
		return POLICY_STRICTER;
	if (nmin <= omin && nmax >= omax)
		return POLICY_LOOSER;
	return POLICY_CHANGED;
}

const struct policy_rule_ops policy_ops_vmpl = {
	.parse = vmpl_parse,
	.active = vmpl_active,
	.eval = vmpl_eval,
	.describe = vmpl_describe,
	.explain = vmpl_explain,
	.diff = vmpl_diff,
	.lint = NULL,
};

/* ---- unsigned minimums ----------------------------------------------- */

static int
min_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	uint64_t v;
	int r;

	if ((r = policy_get_uint(ctx, node, path, 0, UINT32_MAX, &v)) != 0)
		return r;
	p->mins[rule->a].set = 1;
	p->mins[rule->a].value = (uint32_t)v;
	return 0;
}

static int
min_active(const struct policy *p, const struct policy_rule *rule)
{
	return p->mins[rule->a].set;
}

static uint32_t
min_actual(const struct policy_rule *rule, const struct snp_report *r)
{
	return rule->a == PM_GUEST_SVN ? r->guest_svn : r->version;
}

static void
min_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	uint32_t v = min_actual(rule, ev->report);
	struct policy_text t;

	res->outcome = v >= p->mins[rule->a].value ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	policy_text_init(&t, res->actual, sizeof(res->actual));
	policy_text_uint(&t, v);
}

static void
min_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size, ">= %u", (unsigned)p->mins[rule->a].value);
}

static void
min_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size, "The %s must be at least %u.", rule->what,
	    (unsigned)p->mins[rule->a].value);
}

static enum policy_change
min_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	return policy_change_min(o->mins[rule->a].set ? o->mins[rule->a].value : 0,
	    n->mins[rule->a].set ? n->mins[rule->a].value : 0);
}

const struct policy_rule_ops policy_ops_min = {
	.parse = min_parse,
	.active = min_active,
	.eval = min_eval,
	.describe = min_describe,
	.explain = min_explain,
	.diff = min_diff,
	.lint = NULL,
};
