/*
 * rules_tcb.c: rules over TCB values (the SPL of each firmware component).
 *
 * Kinds: per-product minimums for the reported, committed and launch TCB
 * (each component compared on its own, after decoding the TCB with the
 * product's layout: Turin has an FMC component first, Milan and Genoa
 * have none) and the deny-list of known-vulnerable TCB values. Both read
 * components with tcb_parts_parse. A TCB that does not decode for the
 * report's product (reserved bytes set, unknown product) fails every TCB
 * rule, so even a rule whose minimums are all zero refuses it.
 * Firmware versions, provisional firmware and mitigation vectors are in
 * rules_firmware.c.
 */
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

#include "rules.h"

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
	policy_tcb_text(v, policy_tcb_parts_for(ev->product), "", res->actual, sizeof(res->actual));
}

static void
tcbmin_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	const struct policy_tcb_min *t = &p->tcb[rule->b][rule->a];

	policy_tcb_text(t->min, t->has, ">= ", out, out_size);
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
	/*
	 * The rule also refuses a TCB that does not decode for the product
	 * (reserved bytes set), whatever its minimums: adding it is stricter
	 * and removing it looser, also when every minimum is zero.
	 */
	if (ot->set != nt->set)
		c = policy_change_join(c, nt->set ? POLICY_STRICTER : POLICY_LOOSER);
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
	policy_tcb_text(floor, mask, "", fl, sizeof(fl));
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

/* ---- deny-list of known-vulnerable TCB values ------------------------- */

_Static_assert(sizeof(struct policy_tcb_deny) == 1 + TP_COUNT,
    "tcb_deny entries are compared with memcmp and must have no padding");

/* A tcb_deny item: {"product": p, <every component of p>}. */
static int
deny_item(struct policy_parse_ctx *ctx, const struct policy_rule *rule, const struct pj_node *e,
    const char *epath, uint8_t *slot)
{
	struct policy_tcb_deny *d = (struct policy_tcb_deny *)slot;
	const struct pj_node *m, *prod = NULL;
	enum snp_product product;
	char mpath[200];
	unsigned has = 0;
	int r;

	(void)rule;
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
	    snp_product_from_name(prod->str, &product) != 0)
		return policy_perr(ctx, KBS_ERR_POLICY_VALUE, mpath, prod, 0,
		    "must be \"milan\", \"genoa\" or \"turin\"");
	d->product = (uint8_t)product;
	return tcb_parts_parse(ctx, e, epath, product, 1, "product", d->v, &has);
}

static int
tcbdeny_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	return policy_parse_list(
	    ctx, rule, node, path, sizeof(struct policy_tcb_deny), deny_item, "TCB", &p->tcb_deny);
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

	cur.product = (uint8_t)ev->product;
	policy_tcb_parts(&ev->tcb[k], cur.v);
	if (ev->product != SNP_PRODUCT_TURIN)
		cur.v[TP_FMC] = 0;
	memcpy(v, cur.v, TP_COUNT);
	return policy_list_has(&p->tcb_deny, sizeof(cur), (const uint8_t *)&cur);
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
	policy_tcb_text(rep, mask, "", parts, sizeof(parts));
	policy_text_str(&t, parts);
	policy_text_str(&t, "; current ");
	policy_tcb_text(cur, mask, "", parts, sizeof(parts));
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
	struct policy_list ol = o->tcb_deny, nl = n->tcb_deny;

	/* No rule denies nothing, as an empty list does. */
	(void)rule;
	ol.set = nl.set = 1;
	return policy_list_change(&ol, &nl, sizeof(struct policy_tcb_deny), 1);
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
