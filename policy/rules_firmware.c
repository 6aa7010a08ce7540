/*
 * rules_firmware.c: rules over the SEV firmware the host runs.
 *
 * Kinds: the provisional-firmware rule (committed TCB and firmware
 * version against the current ones: equal by default, at most current
 * when provisional firmware is accepted), per-product firmware version
 * minimums ("major.minor.build", compared in that order) and the
 * mitigation vector bits the firmware must report (report version 5 and
 * later). TCB minimums are in rules_tcb.c.
 */
#include <string.h>

#include "policy-int.h"

#include "rules.h"

/* ---- provisional firmware -------------------------------------------- */

static int
fw_cmp(const struct snp_fw_version *a, const struct snp_fw_version *b)
{
	uint32_t x = ((uint32_t)a->major << 16) | ((uint32_t)a->minor << 8) | a->build;
	uint32_t y = ((uint32_t)b->major << 16) | ((uint32_t)b->minor << 8) | b->build;

	return x < y ? -1 : x > y;
}

static void
fw_text(struct policy_text *t, const struct snp_fw_version *v)
{
	policy_text_uint(t, v->major);
	policy_text_str(t, ".");
	policy_text_uint(t, v->minor);
	policy_text_str(t, ".");
	policy_text_uint(t, v->build);
}

static int
prov_allowed(const struct policy *p, const struct policy_rule *rule)
{
	return p->flags[rule->a].set && p->flags[rule->a].value;
}

static int
prov_active(const struct policy *p, const struct policy_rule *rule)
{
	(void)p;
	(void)rule;
	return 1; /* always checked: the default is "committed equals current" */
}

static void
prov_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	const struct snp_report *r = ev->report;
	struct policy_text t;
	int ok;

	if (!prov_allowed(p, rule)) {
		ok = r->committed_tcb == r->current_tcb &&
		    fw_cmp(&r->committed_fw, &r->current_fw) == 0;
	} else {
		uint8_t c[TP_COUNT], cur[TP_COUNT];
		int i;

		ok = ev->tcb_ok[PTK_COMMITTED] && ev->tcb_ok[PTK_CURRENT] &&
		    fw_cmp(&r->committed_fw, &r->current_fw) <= 0;
		if (ok) {
			policy_tcb_parts(&ev->tcb[PTK_COMMITTED], c);
			policy_tcb_parts(&ev->tcb[PTK_CURRENT], cur);
			for (i = 0; i < TP_COUNT; i++) {
				if (c[i] > cur[i])
					ok = 0;
			}
		}
	}
	res->outcome = ok ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	policy_text_init(&t, res->actual, sizeof(res->actual));
	policy_text_str(&t, "committed TCB 0x");
	policy_text_hex64(&t, r->committed_tcb);
	policy_text_str(&t, ", current TCB 0x");
	policy_text_hex64(&t, r->current_tcb);
	policy_text_str(&t, "; committed firmware ");
	fw_text(&t, &r->committed_fw);
	policy_text_str(&t, ", current firmware ");
	fw_text(&t, &r->current_fw);
}

static void
prov_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size, "%s",
	    prov_allowed(p, rule) ? "committed TCB and firmware <= current"
				  : "committed TCB and firmware == current");
}

static void
prov_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	if (prov_allowed(p, rule))
		snprintf(out, out_size,
		    "Provisional firmware is accepted: the host may run firmware newer than the "
		    "version it committed to, but the committed TCB and firmware must not exceed "
		    "the current ones.");
	else
		snprintf(out, out_size,
		    "The host must run committed firmware: the committed TCB and firmware version "
		    "must equal the current ones%s.",
		    p->flags[rule->a].set ? "" : " (the default)");
}

static enum policy_change
prov_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	int ov = prov_allowed(o, rule), nv = prov_allowed(n, rule);

	if (ov == nv)
		return POLICY_SAME;
	return nv ? POLICY_LOOSER : POLICY_STRICTER;
}

/*
 * committed_gap writes the components in which the committed minimum of
 * product is below its reported minimum ("snp 0 < 29, ...") into out, and
 * returns how many there are. A component a minimum does not name is 0.
 */
static int
committed_gap(const struct policy *p, int prod, char *out, size_t out_size)
{
	const struct policy_tcb_min *rep = &p->tcb[PTK_REPORTED][prod];
	const struct policy_tcb_min *com = &p->tcb[PTK_COMMITTED][prod];
	int i, n = 0;

	out[0] = 0;
	for (i = 0; i < TP_COUNT; i++) {
		unsigned want = (rep->has & (1u << i)) ? rep->min[i] : 0;
		unsigned got = (com->has & (1u << i)) ? com->min[i] : 0;

		if (got < want)
			policy_appendf(out, out_size, "%s%s %u < %u", n++ ? ", " : "",
			    policy_tcb_part_names[i], got, want);
	}
	return n;
}

/*
 * With provisional firmware accepted, min_firmware and min_tcb judge the
 * firmware the host runs now, not the one it committed to and can roll
 * back to. Only a committed-TCB minimum bounds the rollback, and only as
 * far as its values go: lint judges them, per product, against min_tcb
 * (or, with min_firmware alone, asks that they require something), so a
 * token minimum of zeros does not pass for a bound.
 */
static void
prov_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	static const char path[] = "rules.provisional_firmware_allowed";
	char gap[POLICY_TEXT_SIZE];
	int prod;

	if (!prov_allowed(p, rule))
		return;
	for (prod = SNP_PRODUCT_MILAN; prod < SNP_PRODUCT_COUNT; prod++) {
		const struct policy_tcb_min *com = &p->tcb[PTK_COMMITTED][prod];
		const char *name = snp_product_name((enum snp_product)prod);
		int i, zero = 1;

		if (!p->firmware[prod].set && !p->tcb[PTK_REPORTED][prod].set)
			continue;
		if (!com->set) {
			policy_finding_add(res, POLICY_WARNING, path,
			    "provisional firmware is accepted and there is no min_committed_tcb.%s: "
			    "the host can roll back to older committed firmware than the minimums "
			    "check",
			    name);
			continue;
		}
		if (committed_gap(p, prod, gap, sizeof(gap)) > 0) {
			policy_finding_add(res, POLICY_WARNING, path,
			    "provisional firmware is accepted and min_committed_tcb.%s is below "
			    "min_tcb.%s (%s): the host can roll back to older committed firmware "
			    "than min_tcb checks",
			    name, name, gap);
			continue;
		}
		for (i = 0; i < TP_COUNT; i++) {
			if ((com->has & (1u << i)) && com->min[i] != 0)
				zero = 0;
		}
		if (zero)
			policy_finding_add(res, POLICY_WARNING, path,
			    "provisional firmware is accepted and min_committed_tcb.%s requires "
			    "nothing (every component is 0): the host can roll back to older "
			    "committed firmware than the minimums check",
			    name);
	}
}

const struct policy_rule_ops policy_ops_provisional = {
	.parse = policy_flag_parse,
	.active = prov_active,
	.eval = prov_eval,
	.describe = prov_describe,
	.explain = prov_explain,
	.diff = prov_diff,
	.lint = prov_lint,
};

/* ---- per-product firmware minimum ------------------------------------ */

static int
fwmin_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	int r;

	if ((r = policy_get_version(ctx, node, path, 1, &p->firmware[rule->a].major,
		 &p->firmware[rule->a].minor, &p->firmware[rule->a].build)) != 0)
		return r;
	p->firmware[rule->a].set = 1;
	return 0;
}

static int
fwmin_active(const struct policy *p, const struct policy_rule *rule)
{
	return p->firmware[rule->a].set;
}

static struct snp_fw_version
fwmin_value(const struct policy *p, const struct policy_rule *rule)
{
	struct snp_fw_version v = { 0, 0, 0 };

	if (p->firmware[rule->a].set) {
		v.major = p->firmware[rule->a].major;
		v.minor = p->firmware[rule->a].minor;
		v.build = p->firmware[rule->a].build;
	}
	return v;
}

static void
fwmin_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	struct snp_fw_version min = fwmin_value(p, rule);
	const struct snp_fw_version *cur = &ev->report->current_fw;
	struct policy_text t;

	if (ev->product != (enum snp_product)rule->a) {
		res->outcome = POLICY_OUTCOME_NOT_APPLICABLE;
		snprintf(res->actual, sizeof(res->actual), "product is %s",
		    snp_product_name(ev->product));
		return;
	}
	res->outcome = fw_cmp(cur, &min) >= 0 ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	policy_text_init(&t, res->actual, sizeof(res->actual));
	fw_text(&t, cur);
}

static void
fwmin_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	struct snp_fw_version v = fwmin_value(p, rule);

	snprintf(out, out_size, ">= %u.%u.%u", v.major, v.minor, v.build);
}

static void
fwmin_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	struct snp_fw_version v = fwmin_value(p, rule);
	char prod[16];

	snprintf(prod, sizeof(prod), "%s", snp_product_name((enum snp_product)rule->a));
	prod[0] = (char)(prod[0] - 'a' + 'A');
	snprintf(out, out_size, "On %s, the SEV firmware must be version %u.%u build %u or newer.",
	    prod, v.major, v.minor, v.build);
}

static enum policy_change
fwmin_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	struct snp_fw_version ov = fwmin_value(o, rule), nv = fwmin_value(n, rule);
	int c = fw_cmp(&nv, &ov);

	return c > 0 ? POLICY_STRICTER : c < 0 ? POLICY_LOOSER : POLICY_SAME;
}

const struct policy_rule_ops policy_ops_firmware = {
	.parse = fwmin_parse,
	.active = fwmin_active,
	.eval = fwmin_eval,
	.describe = fwmin_describe,
	.explain = fwmin_explain,
	.diff = fwmin_diff,
	.lint = NULL,
};

/* ---- required mitigation vector bits ---------------------------------- */

static int
mit_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	uint8_t b[8];
	uint64_t v = 0;
	int r, i;

	if ((r = policy_get_hex(ctx, node, path, b, sizeof(b))) != 0)
		return r;
	for (i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	p->mitigations[rule->a].set = 1;
	p->mitigations[rule->a].mask = v;
	return 0;
}

static int
mit_active(const struct policy *p, const struct policy_rule *rule)
{
	return p->mitigations[rule->a].set;
}

static void
mit_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	uint64_t want = p->mitigations[rule->a].mask;
	uint64_t v = rule->a == 0 ? ev->report->current_mit_vector : ev->report->launch_mit_vector;
	struct policy_text t;

	if (ev->report->version < 5) {
		res->outcome = POLICY_OUTCOME_FAIL;
		snprintf(res->actual, sizeof(res->actual),
		    "report version %u has no mitigation vector", (unsigned)ev->report->version);
		return;
	}
	res->outcome = (v & want) == want ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	policy_text_init(&t, res->actual, sizeof(res->actual));
	policy_text_hex64(&t, v);
}

static void
mit_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(
	    out, out_size, "bits %016llx set", (unsigned long long)p->mitigations[rule->a].mask);
}

static void
mit_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size,
	    "The %s mitigation vector must have every bit of %016llx set (needs report version 5 "
	    "or later).",
	    rule->a == 0 ? "current" : "launch", (unsigned long long)p->mitigations[rule->a].mask);
}

static enum policy_change
mit_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	uint64_t om = o->mitigations[rule->a].set ? o->mitigations[rule->a].mask : 0;
	uint64_t nm = n->mitigations[rule->a].set ? n->mitigations[rule->a].mask : 0;
	int oset = o->mitigations[rule->a].set, nset = n->mitigations[rule->a].set;

	/* Setting the rule at all refuses reports older than version 5. */
	if (om == nm && oset == nset)
		return POLICY_SAME;
	if ((om & nm) == om && nset >= oset)
		return POLICY_STRICTER;
	if ((om & nm) == nm && nset <= oset)
		return POLICY_LOOSER;
	return POLICY_CHANGED;
}

const struct policy_rule_ops policy_ops_mitigations = {
	.parse = mit_parse,
	.active = mit_active,
	.eval = mit_eval,
	.describe = mit_describe,
	.explain = mit_explain,
	.diff = mit_diff,
	.lint = NULL,
};
