/*
 * rules_lists.c: rules that compare a report field with a list.
 *
 * Kinds: byte-string allow-lists (measurement, host_data, family_id,
 * image_id, report_id, report_id_ma, report_data, chip_id.allow), the
 * chip deny-list, the trusted ID and author key digests, and the name
 * lists (product, signing_key, csp_id). Lists are written as JSON arrays;
 * each item has an exact form (hex of the field's exact length, or a
 * known name), and an item listed twice is an error, so what a reviewer
 * counts is what the broker checks. An empty list admits nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

#include "rules.h"

static unsigned names_mask_default(const struct policy *p, const struct policy_rule *rule);

/* ---- byte lists ------------------------------------------------------- */

static const uint8_t *
field_of(const struct policy_rule *rule, const struct snp_report *report)
{
	return (const uint8_t *)report + rule->offset;
}

static int
all_zero(const uint8_t *v, size_t size)
{
	size_t i;
	uint8_t acc = 0;

	for (i = 0; i < size; i++)
		acc |= v[i];
	return acc == 0;
}

/*
 * A byte-list item: hex of the field's exact size. Where all zero is what
 * a report shows when the field is absent (no ID block, no chip id
 * attested), an all-zero item would admit exactly the reports that lack
 * the field, so it is refused (rule->zero_means says why).
 */
static int
bytes_item(struct policy_parse_ctx *ctx, const struct policy_rule *rule, const struct pj_node *e,
    const char *epath, uint8_t *slot)
{
	int r;

	if ((r = policy_get_hex(ctx, e, epath, slot, rule->size)) != 0)
		return r;
	if (rule->zero_means != NULL && all_zero(slot, rule->size))
		return policy_perr(
		    ctx, KBS_ERR_POLICY_VALUE, epath, e, 0, "is all zero, %s", rule->zero_means);
	return 0;
}

static int
bytes_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	return policy_parse_list(
	    ctx, rule, node, path, rule->size, bytes_item, "value", &p->lists[rule->a]);
}

static int
list_active(const struct policy *p, const struct policy_rule *rule)
{
	return p->lists[rule->a].set;
}

static void
hex_actual(const uint8_t *v, size_t size, char *out, size_t out_size)
{
	if (kbs_hex_encode(v, size, out, out_size) != 0)
		snprintf(out, out_size, "(value too long to show)");
}

static void
bytes_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	const uint8_t *v = field_of(rule, ev->report);
	int found = policy_list_has(&p->lists[rule->a], rule->size, v);

	res->outcome = found ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	hex_actual(v, rule->size, res->actual, sizeof(res->actual));
}

/*
 * A deny-list can only refuse a chip that the report names. A VLEK-signed
 * report carries an all-zero CHIP_ID, and a host can mask the chip id of a
 * VCEK-signed one (the verifier then skips its hwID check), so an all-zero
 * CHIP_ID fails the rule: otherwise a denied chip would pass by hiding.
 */
static void
deny_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	const uint8_t *v = field_of(rule, ev->report);
	int found = policy_list_has(&p->lists[rule->a], rule->size, v);

	if (all_zero(v, rule->size)) {
		res->outcome = POLICY_OUTCOME_FAIL;
		policy_set_text(res->actual, sizeof(res->actual),
		    "no chip id attested (CHIP_ID is all zero: masked, or a VLEK signed)");
		return;
	}
	res->outcome = found ? POLICY_OUTCOME_FAIL : POLICY_OUTCOME_PASS;
	hex_actual(v, rule->size, res->actual, sizeof(res->actual));
}

static void
list_describe_items(const struct policy_list *l, size_t size, const char *one, const char *many,
    char *out, size_t out_size)
{
	char hex[2 * 64 + 1];

	if (l->n == 0) {
		snprintf(out, out_size, "nothing (the list is empty)");
	} else if (l->n == 1) {
		hex_actual(l->items, size, hex, sizeof(hex));
		snprintf(out, out_size, "%s%s", one, hex);
	} else {
		snprintf(out, out_size, "%s%zu listed values", many, l->n);
	}
}

static void
bytes_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	list_describe_items(&p->lists[rule->a], rule->size, "", "one of ", out, out_size);
}

static void
deny_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	list_describe_items(&p->lists[rule->a], rule->size, "not ", "none of ", out, out_size);
}

static void
bytes_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	const struct policy_list *l = &p->lists[rule->a];

	if (l->n == 0)
		snprintf(
		    out, out_size, "The %s list is empty, so no report is accepted.", rule->what);
	else if (l->n == 1)
		snprintf(out, out_size, "The %s must be exactly the one listed value.", rule->what);
	else
		snprintf(out, out_size, "The %s must be one of the %zu listed values.", rule->what,
		    l->n);
}

static void
deny_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	if (p->lists[rule->a].n == 1)
		snprintf(out, out_size,
		    "Reports whose %s is the listed value, or that attest no %s (VLEK-signed or "
		    "masked), are refused.",
		    rule->what, rule->what);
	else
		snprintf(out, out_size,
		    "Reports whose %s is one of the %zu listed values, or that attest no %s "
		    "(VLEK-signed or masked), are refused.",
		    rule->what, p->lists[rule->a].n, rule->what);
}

static enum policy_change
bytes_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	return policy_list_change(&o->lists[rule->a], &n->lists[rule->a], rule->size, 0);
}

static enum policy_change
deny_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	return policy_list_change(&o->lists[rule->a], &n->lists[rule->a], rule->size, 1);
}

static void
bytes_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	char path[128];

	snprintf(path, sizeof(path), "rules.%s", rule->id);
	/* An empty ID key list still admits keys signed by a trusted author key. */
	if (p->lists[rule->a].n == 0 &&
	    !(rule->a == PL_ID_KEY_DIGEST && p->lists[PL_AUTHOR_KEY_DIGEST].n > 0))
		policy_finding_add(
		    res, POLICY_WARNING, path, "empty allow-list: no report can pass this rule");
	if (rule->a == PL_REPORT_DATA)
		policy_finding_add(res, POLICY_WARNING, path,
		    "REPORT_DATA carries the broker's nonce and the guest's key, so a fixed "
		    "value can only match in offline verification");
}

static void
deny_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	const struct policy_list *deny = &p->lists[rule->a];
	const struct policy_list *allow = &p->lists[PL_CHIP_ALLOW];
	char path[128];
	size_t i;

	snprintf(path, sizeof(path), "rules.%s", rule->id);
	if (deny->n == 0)
		policy_finding_add(res, POLICY_WARNING, path,
		    "empty deny-list: the rule only refuses reports that attest no chip id");
	if (names_mask_default(p, &(struct policy_rule){ .a = 1 }) & (1u << SNP_SIGNING_KEY_VLEK))
		policy_finding_add(res, POLICY_WARNING, path,
		    "signing_key accepts a VLEK, but VLEK-signed reports attest no chip id, so "
		    "this rule refuses every one of them");
	for (i = 0; i < deny->n; i++) {
		if (allow->set && policy_list_has(allow, rule->size, deny->items + i * rule->size))
			policy_finding_add(res, POLICY_ERROR, path,
			    "entry [%zu] is also in chip_id.allow: decide which applies", i);
	}
}

const struct policy_rule_ops policy_ops_bytes = {
	.parse = bytes_parse,
	.active = list_active,
	.eval = bytes_eval,
	.describe = bytes_describe,
	.explain = bytes_explain,
	.diff = bytes_diff,
	.lint = bytes_lint,
};

const struct policy_rule_ops policy_ops_bytes_deny = {
	.parse = bytes_parse,
	.active = list_active,
	.eval = deny_eval,
	.describe = deny_describe,
	.explain = deny_explain,
	.diff = deny_diff,
	.lint = deny_lint,
};

/* ---- ID block and author key ----------------------------------------- */

static int
author_trusted(const struct policy *p, const struct snp_report *r)
{
	return (r->key_info & SNP_KEY_INFO_AUTHOR_KEY_EN) &&
	    policy_list_has(&p->lists[PL_AUTHOR_KEY_DIGEST], 48, r->author_key_digest);
}

/*
 * An ID key is trusted when listed, or when the author key that signed it
 * is (as go-sev-guest's RequireIDBlock with trusted author keys).
 */
static void
idkey_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	int ok = policy_list_has(&p->lists[PL_ID_KEY_DIGEST], 48, ev->report->id_key_digest) ||
	    author_trusted(p, ev->report);

	(void)rule;
	res->outcome = ok ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	hex_actual(ev->report->id_key_digest, 48, res->actual, sizeof(res->actual));
}

static void
idkey_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	bytes_describe(p, rule, out, out_size);
	if (p->lists[PL_AUTHOR_KEY_DIGEST].set)
		policy_appendf(out, out_size, ", or signed by a trusted author key");
}

static void
idkey_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size,
	    "The guest must have been launched with an ID block whose ID key digest is one of the "
	    "%zu listed values%s.",
	    p->lists[rule->a].n,
	    p->lists[PL_AUTHOR_KEY_DIGEST].set
		? ", or whose ID key was signed by a trusted author key"
		: "");
}

/*
 * The rule admits listed ID keys and ID keys signed by a trusted author
 * key, so trusting more author keys loosens it as much as listing more
 * ID keys does. Where the rule is absent on one side, it is "no check"
 * there and the ID key lists alone decide.
 */
static enum policy_change
idkey_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	static const struct policy_list none = { .set = 1, .n = 0, .items = NULL };
	const struct policy_list *oi = &o->lists[rule->a], *ni = &n->lists[rule->a];
	const struct policy_list *oa = &o->lists[PL_AUTHOR_KEY_DIGEST];
	const struct policy_list *na = &n->lists[PL_AUTHOR_KEY_DIGEST];
	enum policy_change c = policy_list_change(oi, ni, rule->size, 0);

	if (!oi->set || !ni->set)
		return c;
	return policy_change_join(
	    c, policy_list_change(oa->set ? oa : &none, na->set ? na : &none, rule->size, 0));
}

static void
author_eval(const struct policy *p, const struct policy_rule *rule,
    const struct policy_evidence *ev, struct policy_rule_result *res)
{
	(void)rule;
	res->outcome = author_trusted(p, ev->report) ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	if (!(ev->report->key_info & SNP_KEY_INFO_AUTHOR_KEY_EN))
		snprintf(res->actual, sizeof(res->actual), "no author key (AUTHOR_KEY_EN is 0)");
	else
		hex_actual(ev->report->author_key_digest, 48, res->actual, sizeof(res->actual));
}

static void
author_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	snprintf(out, out_size,
	    "The ID block must carry an author key, and its digest must be one of the %zu listed "
	    "values.",
	    p->lists[rule->a].n);
}

const struct policy_rule_ops policy_ops_id_key = {
	.parse = bytes_parse,
	.active = list_active,
	.eval = idkey_eval,
	.describe = idkey_describe,
	.explain = idkey_explain,
	.diff = idkey_diff,
	.lint = bytes_lint,
};

const struct policy_rule_ops policy_ops_author_key = {
	.parse = bytes_parse,
	.active = list_active,
	.eval = author_eval,
	.describe = bytes_describe,
	.explain = author_explain,
	.diff = bytes_diff,
	.lint = bytes_lint,
};

/* ---- name lists: product, signing_key -------------------------------- */

static const char *const signer_names[] = { "vcek", "vlek" };
static const enum snp_signing_key signer_values[] = { SNP_SIGNING_KEY_VCEK, SNP_SIGNING_KEY_VLEK };

static unsigned
names_mask_default(const struct policy *p, const struct policy_rule *rule)
{
	if (rule->a == 0)
		return p->products.set ? p->products.mask : 0;
	/* signing_key defaults to VCEK only: a VLEK means trusting a cloud provider. */
	return p->signers.set ? p->signers.mask : 1u << SNP_SIGNING_KEY_VCEK;
}

/* A name-list item: the bit of a product or signing key name, as one byte. */
static int
names_item(struct policy_parse_ctx *ctx, const struct policy_rule *rule, const struct pj_node *e,
    const char *epath, uint8_t *slot)
{
	size_t k;

	if (e->type != PJ_STRING)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, epath, e, 0,
		    "must be a string, not %s", pj_type_name(e->type));
	if (rule->a == 0) {
		enum snp_product prod;

		/* Only the lower-case policy names, not certificate forms. */
		if ((strcmp(e->str, "milan") == 0 || strcmp(e->str, "genoa") == 0 ||
			strcmp(e->str, "turin") == 0) &&
		    snp_product_from_name(e->str, &prod) == 0) {
			*slot = (uint8_t)prod;
			return 0;
		}
		return policy_perr(ctx, KBS_ERR_POLICY_VALUE, epath, e, 0,
		    "must be \"milan\", \"genoa\" or \"turin\"");
	}
	for (k = 0; k < KBS_ARRAY_SIZE(signer_names); k++) {
		if (strcmp(e->str, signer_names[k]) == 0) {
			*slot = (uint8_t)signer_values[k];
			return 0;
		}
	}
	return policy_perr(ctx, KBS_ERR_POLICY_VALUE, epath, e, 0, "must be \"vcek\" or \"vlek\"");
}

static int
names_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	struct policy_list l = { 0, 0, NULL };
	unsigned mask = 0;
	size_t i;
	int r;

	if ((r = policy_parse_list(ctx, rule, node, path, 1, names_item, "value", &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++)
		mask |= 1u << l.items[i];
	free(l.items);
	if (rule->a == 0) {
		p->products.set = 1;
		p->products.mask = mask;
	} else {
		p->signers.set = 1;
		p->signers.mask = mask;
	}
	return 0;
}

static int
names_active(const struct policy *p, const struct policy_rule *rule)
{
	return rule->a == 0 ? p->products.set : 1;
}

static const char *
name_of(const struct policy_rule *rule, unsigned bit)
{
	return rule->a == 0 ? snp_product_name((enum snp_product)bit)
			    : snp_signing_key_name((enum snp_signing_key)bit);
}

static void
names_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	unsigned mask = names_mask_default(p, rule), bit;
	int first = 1;

	out[0] = 0;
	if (mask == 0) {
		snprintf(out, out_size, "nothing (the list is empty)");
		return;
	}
	for (bit = 0; bit < 8; bit++) {
		if (mask & (1u << bit)) {
			policy_appendf(
			    out, out_size, "%s%s", first ? "" : " or ", name_of(rule, bit));
			first = 0;
		}
	}
}

static void
names_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	unsigned mask = names_mask_default(p, rule);
	unsigned v = rule->a == 0 ? (unsigned)ev->product : (unsigned)ev->verify->signer;

	res->outcome = v < 32 && (mask & (1u << v)) ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	policy_set_text(res->actual, sizeof(res->actual), name_of(rule, v));
}

static void
names_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	static const char *const products[SNP_PRODUCT_COUNT] = {
		[SNP_PRODUCT_MILAN] = "Milan",
		[SNP_PRODUCT_GENOA] = "Genoa",
		[SNP_PRODUCT_TURIN] = "Turin",
	};
	unsigned mask = names_mask_default(p, rule), bit;
	char d[128] = "";
	int first = 1;

	for (bit = 0; bit < 8; bit++) {
		const char *name;

		if (!(mask & (1u << bit)))
			continue;
		if (rule->a == 0)
			name = bit < SNP_PRODUCT_COUNT && products[bit] ? products[bit] : "unknown";
		else
			name = bit == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK";
		policy_appendf(d, sizeof(d), "%s%s", first ? "" : " or ", name);
		first = 0;
	}
	if (mask == 0)
		snprintf(out, out_size, "The %s list is empty, so no report is accepted.",
		    rule->a == 0 ? "product" : "signing key");
	else if (rule->a == 0)
		snprintf(out, out_size, "The processor must be an AMD EPYC %s.", d);
	else if (!p->signers.set)
		snprintf(out, out_size,
		    "The report must be signed by a VCEK (the default; a VLEK is refused).");
	else
		snprintf(out, out_size, "The report must be signed by a %s.", d);
}

static enum policy_change
names_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	unsigned om, nm;

	if (rule->a == 0) {
		om = o->products.set ? o->products.mask : ~0u;
		nm = n->products.set ? n->products.mask : ~0u;
	} else {
		om = names_mask_default(o, rule);
		nm = names_mask_default(n, rule);
	}
	if (om == nm)
		return POLICY_SAME;
	if ((nm & om) == nm)
		return POLICY_STRICTER;
	if ((nm & om) == om)
		return POLICY_LOOSER;
	return POLICY_CHANGED;
}

static void
names_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	char path[128];

	snprintf(path, sizeof(path), "rules.%s", rule->id);
	if (names_mask_default(p, rule) == 0)
		policy_finding_add(
		    res, POLICY_WARNING, path, "empty allow-list: no report can pass this rule");
}

const struct policy_rule_ops policy_ops_names = {
	.parse = names_parse,
	.active = names_active,
	.eval = names_eval,
	.describe = names_describe,
	.explain = names_explain,
	.diff = names_diff,
	.lint = names_lint,
};

/* ---- csp_id: who holds a VLEK ---------------------------------------- */

static const char *
csp_at(const struct policy *p, size_t i)
{
	return (const char *)p->csp_id.items + i * POLICY_CSP_ID_SIZE;
}

static int
csp_has(const struct policy *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->csp_id.n; i++) {
		if (strcmp(csp_at(p, i), id) == 0)
			return 1;
	}
	return 0;
}

/* A csp_id item: the string, NUL-padded in its fixed-size slot. */
static int
csp_item(struct policy_parse_ctx *ctx, const struct policy_rule *rule, const struct pj_node *e,
    const char *epath, uint8_t *slot)
{
	size_t k;

	(void)rule;
	if (e->type != PJ_STRING)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, epath, e, 0,
		    "must be a string, not %s", pj_type_name(e->type));
	if (e->str_len == 0 || e->str_len >= POLICY_CSP_ID_SIZE)
		return policy_perr(
		    ctx, KBS_ERR_POLICY_VALUE, epath, e, 0, "must be 1 to 127 characters");
	for (k = 0; k < e->str_len; k++) {
		if ((unsigned char)e->str[k] < 0x20 || (unsigned char)e->str[k] > 0x7e)
			return policy_perr(
			    ctx, KBS_ERR_POLICY_VALUE, epath, e, 0, "must be printable ASCII");
	}
	memcpy(slot, e->str, e->str_len);
	return 0;
}

static int
csp_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	return policy_parse_list(
	    ctx, rule, node, path, POLICY_CSP_ID_SIZE, csp_item, "value", &p->csp_id);
}

static int
csp_active(const struct policy *p, const struct policy_rule *rule)
{
	(void)rule;
	return p->csp_id.set;
}

static void
csp_eval(const struct policy *p, const struct policy_rule *rule, const struct policy_evidence *ev,
    struct policy_rule_result *res)
{
	size_t i;

	(void)rule;
	if (ev->verify->signer != SNP_SIGNING_KEY_VLEK) {
		res->outcome = POLICY_OUTCOME_NOT_APPLICABLE;
		snprintf(res->actual, sizeof(res->actual), "signed by a %s",
		    snp_signing_key_name(ev->verify->signer));
		return;
	}
	res->outcome = csp_has(p, ev->verify->csp_id) ? POLICY_OUTCOME_PASS : POLICY_OUTCOME_FAIL;
	snprintf(res->actual, sizeof(res->actual), "\"%.120s\"", ev->verify->csp_id);
	/*
	 * The id comes from a certificate: show anything but printable ASCII
	 * as '?', so neither a terminal nor a JSON result sees control
	 * characters or invalid UTF-8 (policy csp_ids are printable ASCII).
	 */
	for (i = 0; res->actual[i] != 0; i++) {
		if ((unsigned char)res->actual[i] < 0x20 || (unsigned char)res->actual[i] > 0x7e)
			res->actual[i] = '?';
	}
}

static void
csp_describe(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	(void)rule;
	if (p->csp_id.n == 0)
		snprintf(out, out_size, "nothing (the list is empty)");
	else if (p->csp_id.n == 1)
		snprintf(out, out_size, "\"%.120s\"", csp_at(p, 0));
	else
		snprintf(out, out_size, "one of %zu listed values", p->csp_id.n);
}

static void
csp_explain(const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size)
{
	char d[160];

	csp_describe(p, rule, d, sizeof(d));
	snprintf(out, out_size,
	    "A report signed by a VLEK is accepted only if the VLEK was issued to %s (csp_id).", d);
}

static enum policy_change
csp_diff(const struct policy *o, const struct policy *n, const struct policy_rule *rule)
{
	(void)rule;
	return policy_list_change(&o->csp_id, &n->csp_id, POLICY_CSP_ID_SIZE, 0);
}

static void
csp_lint(const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res)
{
	(void)rule;
	if (p->csp_id.n == 0)
		policy_finding_add(res, POLICY_WARNING, "rules.csp_id",
		    "empty allow-list: no VLEK-signed report can pass this rule");
	if (!(names_mask_default(p, &(struct policy_rule){ .a = 1 }) &
		(1u << SNP_SIGNING_KEY_VLEK)))
		policy_finding_add(res, POLICY_WARNING, "rules.csp_id",
		    "signing_key does not accept a VLEK, so this rule never applies");
}

const struct policy_rule_ops policy_ops_csp_id = {
	.parse = csp_parse,
	.active = csp_active,
	.eval = csp_eval,
	.describe = csp_describe,
	.explain = csp_explain,
	.diff = csp_diff,
	.lint = csp_lint,
};
