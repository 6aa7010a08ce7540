/*
 * rules_tcb.c: rules over firmware versions.
 *
 * Kinds: per-product TCB minimums for the reported, committed and launch
 * TCB (each component compared on its own, after decoding the TCB with
 * the product's layout: Turin has an FMC component first, Milan and Genoa
 * have none), the provisional-firmware rule (committed versus current),
 * per-product firmware version minimums ("major.minor.build", compared in
 * that order), required mitigation vector bits (report version 5 and
 * later) and the deny-list of known-vulnerable TCB values.
 * A TCB that does not decode for the report's product (reserved bytes
 * set, unknown product) fails every TCB rule.
 */
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

#include "rules.h"

static void
tcb_text(const uint8_t v[TP_COUNT], unsigned mask, const char *op, char *out, size_t out_size)
{
	struct policy_text t;
	int first = 1, i;

	policy_text_init(&t, out, out_size);
	for (i = 0; i < TP_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!first)
			policy_text_str(&t, ", ");
		policy_text_str(&t, policy_tcb_part_names[i]);
		policy_text_str(&t, " ");
		policy_text_str(&t, op);
		policy_text_uint(&t, v[i]);
		first = 0;
	}
}

static const char *const tcb_kind_names[PTK_COUNT] = {
	[PTK_REPORTED] = "reported",
	[PTK_COMMITTED] = "committed",
	[PTK_LAUNCH] = "launch",
	[PTK_CURRENT] = "current",
};

/* Parses {"bootloader": n, ...} for product; mask_required: parts that must appear. */
static int
tcb_parts_parse(struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path,
    enum snp_product product, int all_required, const char *skip_key, uint8_t v[TP_COUNT],
    unsigned *ret_has)
{
	unsigned allowed = policy_tcb_parts_for(product), has = 0;
	const struct pj_node *m;
	char mpath[200];
	uint64_t x;
	int r, i;

	for (m = node->child; m != NULL; m = m->next) {
		int part = -1;

		if (skip_key != NULL && strcmp(m->key, skip_key) == 0)
			continue;
		snprintf(mpath, sizeof(mpath), "%s.%s", path, m->key);
		for (i = 0; i < TP_COUNT; i++) {
			if (strcmp(m->key, policy_tcb_part_names[i]) == 0)
				part = i;
		}
		if (part < 0)
			return policy_perr(ctx, KBS_ERR_POLICY_UNKNOWN_KEY, mpath, m, 1,
			    "unknown key \"%.60s\" (expected fmc (Turin only), bootloader, tee, "
			    "snp or microcode)",
			    m->key);
		if (!(allowed & (1u << part)))
			return policy_perr(ctx, KBS_ERR_POLICY_UNKNOWN_KEY, mpath, m, 1,
			    "unknown key \"%s\": %s has no FMC component (Turin only)", m->key,
			    snp_product_name(product));
		if ((r = policy_get_uint(ctx, m, mpath, 0, 255, &x)) != 0)
			return r;
		v[part] = (uint8_t)x;
		has |= 1u << part;
	}
	if (all_required && has != allowed) {
		for (i = 0; i < TP_COUNT; i++) {
			if ((allowed & (1u << i)) && !(has & (1u << i)))
				return policy_perr(ctx, KBS_ERR_POLICY_MISSING_KEY, path, node, 0,
				    "lacks \"%s\" (every component of a %s TCB must be given)",
				    policy_tcb_part_names[i], snp_product_name(product));
		}
	}
	if (has == 0)
		return policy_perr(
		    ctx, KBS_ERR_POLICY_MISSING_KEY, path, node, 0, "names no TCB component");
	*ret_has = has;
	return 0;
}

/* ---- per-product TCB minimums ---------------------------------------- */

static int
tcbmin_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	struct policy_tcb_min *t = &p->tcb[rule->b][rule->a];
	int r;

	if ((r = policy_get_object(ctx, node, path)) != 0)
		return r;
	if ((r = tcb_parts_parse(
		 ctx, node, path, (enum snp_product)rule->a, 0, NULL, t->min, &t->has)) != 0)
		return r;
	t->set = 1;
	return 0;
}

static int
tcbmin_active(const struct policy *p, const struct policy_rule *rule)
{
	return p->tcb[rule->b][rule->a].set;
}

static void
tcbmin_eval(const struct policy *p, const struct policy_rule *rule,
    const struct policy_evidence *ev, struct policy_rule_result *res)
{
	const struct policy_tcb_min *t = &p->tcb[rule->b][rule->a];
	uint8_t v[TP_COUNT];
	int i, ok = 1;

	if (ev->product != (enum snp_product)rule->a) {
		res->outcome = POLICY_OUTCOME_NOT_APPLICABLE;
		snprintf(res->actual, sizeof(res->actual), "product is %s",
		    snp_product_name(ev->product));
		return;
	}
	if (!ev->tcb_ok[rule->b]) {
		res->outcome = POLICY_OUTCOME_FAIL;
		snprintf(res->actual, sizeof(res->actual), "%s TCB does not decode for %s",
		    tcb_kind_names[rule->b], snp_product_name(ev->product));
		return;
	}
	policy_tcb_parts(&ev->tcb[rule->b], v);
	for (i = 0; i < TP_COUNT; i++) {
		if ((t->has & (1u << i)) && v[i] < t->min[i])
			ok = 0;
	}
	res->outcome = ok ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	tcb_text(v, policy_tcb_parts_for(ev->product), "", res->actual, sizeof(res->actual));
}

static void
tcbmin_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	const struct policy_tcb_min *t = &p->tcb[rule->b][rule->a];

	tcb_text(t->min, t->has, ">= ", out, out_size);
}

static void
tcbmin_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	char d[POLICY_TEXT_SIZE];
	char prod[16];

	tcbmin_describe(p, rule, d, sizeof(d));
	snprintf(prod, sizeof(prod), "%s", snp_product_name((enum snp_product)rule->a));
	prod[0] = (char)(prod[0] - 'a' + 'A');
	snprintf(out, out_size, "On %s, the %s TCB must be at least: %s.", prod,
	    tcb_kind_names[rule->b], d);
}

static enum policy_change
tcbmin_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	const struct policy_tcb_min *ot = &o->tcb[rule->b][rule->a],
				    *nt = &n->tcb[rule->b][rule->a];
	enum policy_change c = POLICY_SAME;
	int i;

	for (i = 0; i < TP_COUNT; i++) {
		unsigned ov = ot->set && (ot->has & (1u << i)) ? ot->min[i] : 0;
		unsigned nv = nt->set && (nt->has & (1u << i)) ? nt->min[i] : 0;

		c = policy_change_join(c, policy_change_min(ov, nv));
	}
	/* A rule added with all-zero minimums still changes nothing a report can show. */
	return c;
}

static void
tcbmin_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	const struct policy_tcb_min *t = &p->tcb[rule->b][rule->a];
	const uint8_t *floor = policy_tcb_floor[rule->a];
	unsigned mask = policy_tcb_parts_for((enum snp_product)rule->a);
	char path[128], fl[POLICY_TEXT_SIZE];
	int i, below = 0;

	if (rule->b != PTK_REPORTED)
		return;
	for (i = 0; i < TP_COUNT; i++) {
		unsigned v = (t->has & (1u << i)) ? t->min[i] : 0;

		if ((mask & (1u << i)) && v < floor[i])
			below = 1;
	}
	if (!below)
		return;
	snprintf(path, sizeof(path), "rules.%s", rule->id);
	tcb_text(floor, mask, "", fl, sizeof(fl));
	policy_finding_add(res, POLICY_WARNING, path,
	    "minimum is below the newest bundled real %s report (%s)",
	    snp_product_name((enum snp_product)rule->a), fl);
}

const struct policy_rule_ops policy_ops_tcb_min = {
	.parse = tcbmin_parse,
	.active = tcbmin_active,
	.eval = tcbmin_eval,
	.describe = tcbmin_describe,
	.explain = tcbmin_explain,
	.diff = tcbmin_diff,
	.lint = tcbmin_lint,
};

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
 * With provisional firmware accepted, min_firmware and min_tcb judge the
 * firmware the host runs now, not the one it committed to and can roll
 * back to: a reviewer should see that, per product that lacks a
 * committed-TCB minimum.
 */
static void
prov_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	int prod;

	if (!prov_allowed(p, rule))
		return;
	for (prod = SNP_PRODUCT_MILAN; prod < SNP_PRODUCT_COUNT; prod++) {
		if ((p->firmware[prod].set || p->tcb[PTK_REPORTED][prod].set) &&
		    !p->tcb[PTK_COMMITTED][prod].set)
			policy_finding_add(res, POLICY_WARNING,
			    "rules.provisional_firmware_allowed",
			    "provisional firmware is accepted and there is no min_committed_tcb.%s: "
			    "the host can roll back to older committed firmware than the minimums "
			    "check",
			    snp_product_name((enum snp_product)prod));
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

/* ---- deny-list of known-vulnerable TCB values ------------------------- */

static int
deny_entry_parse(struct policy_parse_ctx *ctx, const struct pj_node *e, const char *epath,
    struct policy_tcb_deny *d)
{
	const struct pj_node *m, *prod = NULL;
	char mpath[200];
	unsigned has = 0;
	int r;

	if ((r = policy_get_object(ctx, e, epath)) != 0)
		return r;
	for (m = e->child; m != NULL; m = m->next) {
		if (strcmp(m->key, "product") == 0)
			prod = m;
	}
	if (prod == NULL)
		return policy_perr(
		    ctx, KBS_ERR_POLICY_MISSING_KEY, epath, e, 0, "lacks \"product\"");
	snprintf(mpath, sizeof(mpath), "%s.product", epath);
	if (prod->type != PJ_STRING)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, mpath, prod, 0,
		    "must be a string, not %s", pj_type_name(prod->type));
	if ((strcmp(prod->str, "milan") != 0 && strcmp(prod->str, "genoa") != 0 &&
		strcmp(prod->str, "turin") != 0) ||
	    snp_product_from_name(prod->str, &d->product) != 0)
		return policy_perr(ctx, KBS_ERR_POLICY_VALUE, mpath, prod, 0,
		    "must be \"milan\", \"genoa\" or \"turin\"");
	memset(d->v, 0, sizeof(d->v));
	return tcb_parts_parse(ctx, e, epath, d->product, 1, "product", d->v, &has);
}

static int
deny_same(const struct policy_tcb_deny *a, const struct policy_tcb_deny *b)
{
	return a->product == b->product && memcmp(a->v, b->v, sizeof(a->v)) == 0;
}

static int
tcbdeny_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	const struct pj_node *e;
	char epath[160];
	size_t i = 0, k;
	int r;

	(void)rule;
	if ((r = policy_get_array(ctx, node, path)) != 0)
		return r;
	if (node->count > 0 &&
	    (p->tcb_deny.entries = calloc(node->count, sizeof(*p->tcb_deny.entries))) == NULL)
		return policy_perr(ctx, KBS_ERR_ALLOC, path, node, 0, "out of memory");
	for (e = node->child; e != NULL; e = e->next, i++) {
		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if ((r = deny_entry_parse(ctx, e, epath, &p->tcb_deny.entries[i])) != 0)
			return r;
		for (k = 0; k < i; k++) {
			if (deny_same(&p->tcb_deny.entries[k], &p->tcb_deny.entries[i]))
				return policy_perr(ctx, KBS_ERR_POLICY_VALUE, epath, e, 0,
				    "lists the same TCB twice");
		}
	}
	p->tcb_deny.n = node->count;
	p->tcb_deny.set = 1;
	return 0;
}

static int
tcbdeny_active(const struct policy *p, const struct policy_rule *rule)
{
	(void)rule;
	return p->tcb_deny.set;
}

/* deny_hit: whether the decoded TCB of kind k is one of the denied values. */
static int
deny_hit(const struct policy *p, const struct policy_evidence *ev, int k, uint8_t v[TP_COUNT])
{
	struct policy_tcb_deny cur;
	size_t i;
	int hit = 0;

	cur.product = ev->product;
	policy_tcb_parts(&ev->tcb[k], cur.v);
	if (ev->product != SNP_PRODUCT_TURIN)
		cur.v[TP_FMC] = 0;
	for (i = 0; i < p->tcb_deny.n; i++)
		hit |= deny_same(&p->tcb_deny.entries[i], &cur);
	memcpy(v, cur.v, TP_COUNT);
	return hit;
}

/*
 * Both the reported and the current TCB are checked: the host chooses
 * REPORTED_TCB (at most CURRENT_TCB), so checking it alone would let a
 * host that runs denied firmware report a lower value that is not listed.
 */
static void
tcbdeny_eval(const struct policy *p, const struct policy_rule *rule,
    const struct policy_evidence *ev, struct policy_rule_result *res)
{
	uint8_t rep[TP_COUNT], cur[TP_COUNT];
	unsigned mask = policy_tcb_parts_for(ev->product);
	struct policy_text t;
	char parts[POLICY_TEXT_SIZE];
	int hit;

	(void)rule;
	if (!ev->tcb_ok[PTK_REPORTED] || !ev->tcb_ok[PTK_CURRENT]) {
		res->outcome = POLICY_OUTCOME_FAIL;
		snprintf(res->actual, sizeof(res->actual), "%s TCB does not decode for %s",
		    ev->tcb_ok[PTK_REPORTED] ? "current" : "reported",
		    snp_product_name(ev->product));
		return;
	}
	hit = deny_hit(p, ev, PTK_REPORTED, rep);
	hit |= deny_hit(p, ev, PTK_CURRENT, cur);
	res->outcome = hit ? POLICY_OUTCOME_FAIL : POLICY_OUTCOME_PASS;
	policy_text_init(&t, res->actual, sizeof(res->actual));
	policy_text_str(&t, snp_product_name(ev->product));
	policy_text_str(&t, " reported ");
	tcb_text(rep, mask, "", parts, sizeof(parts));
	policy_text_str(&t, parts);
	policy_text_str(&t, "; current ");
	tcb_text(cur, mask, "", parts, sizeof(parts));
	policy_text_str(&t, parts);
}

static void
tcbdeny_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	if (p->tcb_deny.n == 1)
		snprintf(out, out_size, "reported and current TCB not the listed value");
	else
		snprintf(out, out_size, "reported and current TCB not one of %zu listed values",
		    p->tcb_deny.n);
}

static void
tcbdeny_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	if (p->tcb_deny.n == 1)
		snprintf(out, out_size,
		    "Reports whose reported or current TCB equals the listed known-vulnerable "
		    "value are refused.");
	else
		snprintf(out, out_size,
		    "Reports whose reported or current TCB equals one of the %zu listed "
		    "known-vulnerable values are refused.",
		    p->tcb_deny.n);
}

static enum policy_change
tcbdeny_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	size_t i, k, o_in_n = 0, n_in_o = 0;

	(void)rule;
	for (i = 0; i < o->tcb_deny.n; i++) {
		for (k = 0; k < n->tcb_deny.n; k++) {
			if (deny_same(&o->tcb_deny.entries[i], &n->tcb_deny.entries[k])) {
				o_in_n++;
				break;
			}
		}
	}
	for (i = 0; i < n->tcb_deny.n; i++) {
		for (k = 0; k < o->tcb_deny.n; k++) {
			if (deny_same(&n->tcb_deny.entries[i], &o->tcb_deny.entries[k])) {
				n_in_o++;
				break;
			}
		}
	}
	if (o_in_n == o->tcb_deny.n && n_in_o == n->tcb_deny.n)
		return POLICY_SAME;
	if (o_in_n == o->tcb_deny.n)
		return POLICY_STRICTER; /* everything denied before still is */
	if (n_in_o == n->tcb_deny.n)
		return POLICY_LOOSER;
	return POLICY_CHANGED;
}

static void
tcbdeny_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	(void)rule;
	if (p->tcb_deny.n == 0)
		policy_finding_add(res, POLICY_WARNING, "rules.tcb_deny",
		    "empty deny-list: the rule has no effect");
}

const struct policy_rule_ops policy_ops_tcb_deny = {
	.parse = tcbdeny_parse,
	.active = tcbdeny_active,
	.eval = tcbdeny_eval,
	.describe = tcbdeny_describe,
	.explain = tcbdeny_explain,
	.diff = tcbdeny_diff,
	.lint = tcbdeny_lint,
};
