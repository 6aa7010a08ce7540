/*
 * rules_util.c: value readers and small helpers shared by the rule kinds.
 *
 * Every reader checks the JSON type first (KBS_ERR_POLICY_TYPE names the
 * type found), then the value (KBS_ERR_POLICY_VALUE names the range or the
 * exact length), and reports the position of the value itself.
 * Lists of every kind (byte strings, names, csp ids, TCB deny entries)
 * are read by policy_parse_list into fixed-size items, so the "[i]" paths,
 * the duplicate check and set comparison exist once.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

const char *const policy_tcb_part_names[TP_COUNT] = {
	[TP_FMC] = "fmc",
	[TP_BOOTLOADER] = "bootloader",
	[TP_TEE] = "tee",
	[TP_SNP] = "snp",
	[TP_MICROCODE] = "microcode",
};

/*
 * The newest TCB, component by component, among the genuine reports
 * bundled in tests/vectors/snp (EXPECTED.tsv, REPORTED_TCB): Milan from
 * atakit-gcp (bl 4, tee 0, snp 29, ucode 222), Genoa from
 * routex-client-lua v5 (bl 10, tee 0, snp 27, ucode 88), Turin from oak
 * (fmc 0, bl 1, tee 0, snp 2, ucode 71). A policy minimum below these
 * admits firmware older than machines already seen in the field, which
 * lint flags (docs/policy.md, "Lint").
 */
const uint8_t policy_tcb_floor[SNP_PRODUCT_COUNT][TP_COUNT] = {
	[SNP_PRODUCT_MILAN] = { 0, 4, 0, 29, 222 },
	[SNP_PRODUCT_GENOA] = { 0, 10, 0, 27, 88 },
	[SNP_PRODUCT_TURIN] = { 0, 1, 0, 2, 71 },
};

void
policy_tcb_text(
    const uint8_t v[TP_COUNT], unsigned mask, const char *op, char *out, size_t out_size)
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

void
policy_tcb_parts(const struct snp_tcb *tcb, uint8_t out[TP_COUNT])
{
	out[TP_FMC] = tcb->fmc;
	out[TP_BOOTLOADER] = tcb->bootloader;
	out[TP_TEE] = tcb->tee;
	out[TP_SNP] = tcb->snp;
	out[TP_MICROCODE] = tcb->microcode;
}

unsigned
policy_tcb_parts_for(enum snp_product product)
{
	unsigned all = (1u << TP_COUNT) - 1;

	return product == SNP_PRODUCT_TURIN ? all : all & ~(1u << TP_FMC);
}

void
policy_text_init(struct policy_text *t, char *buf, size_t size)
{
	t->p = buf;
	t->size = size;
	t->len = 0;
	if (size > 0)
		buf[0] = 0;
}

static void
policy_text_put(struct policy_text *t, const char *s, size_t n)
{
	if (t->size == 0 || t->len + 1 >= t->size)
		return;
	if (n > t->size - 1 - t->len)
		n = t->size - 1 - t->len;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = 0;
}

void
policy_text_str(struct policy_text *t, const char *s)
{
	policy_text_put(t, s, strlen(s));
}

void
policy_text_uint(struct policy_text *t, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	policy_text_put(t, d + i, sizeof(d) - i);
}

void
policy_text_hex64(struct policy_text *t, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char d[16];
	int i;

	for (i = 15; i >= 0; i--) {
		d[i] = digits[v & 0xf];
		v >>= 4;
	}
	policy_text_put(t, d, sizeof(d));
}

void
policy_set_text(char *out, size_t out_size, const char *s)
{
	struct policy_text t;

	policy_text_init(&t, out, out_size);
	policy_text_str(&t, s);
}

void
policy_appendf(char *out, size_t out_size, const char *fmt, ...)
{
	size_t used = strnlen(out, out_size);
	va_list ap;

	if (used + 1 >= out_size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + used, out_size - used, fmt, ap);
	va_end(ap);
}

int
policy_perr(struct policy_parse_ctx *ctx, int code, const char *path, const struct pj_node *node,
    int at_key, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err == NULL)
		return code;
	ctx->err->code = code;
	snprintf(ctx->err->path, sizeof(ctx->err->path), "%s", path);
	ctx->err->line = at_key ? node->key_line : node->line;
	ctx->err->column = at_key ? node->key_column : node->column;
	va_start(ap, fmt);
	vsnprintf(ctx->err->message, sizeof(ctx->err->message), fmt, ap);
	va_end(ap);
	return code;
}

int
policy_get_bool(
    struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path, int *ret)
{
	if (node->type != PJ_BOOL)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be true or false, not %s", pj_type_name(node->type));
	*ret = node->boolean;
	return 0;
}

int
policy_flag_parse(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
    const char *path, struct policy_parse_ctx *ctx)
{
	int v = 0, r;

	if ((r = policy_get_bool(ctx, node, path, &v)) != 0)
		return r;
	p->flags[rule->a].set = 1;
	p->flags[rule->a].value = v;
	return 0;
}

int
policy_get_uint(struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path,
    uint64_t min, uint64_t max, uint64_t *ret)
{
	if (node->type != PJ_NUMBER)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be an integer, not %s", pj_type_name(node->type));
	if (!node->is_integer)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be an integer (no fraction or exponent)");
	if (!node->in_range || node->integer < 0 || (uint64_t)node->integer < min ||
	    (uint64_t)node->integer > max)
		return policy_perr(ctx, KBS_ERR_POLICY_VALUE, path, node, 0,
		    "must be an integer from %llu to %llu", (unsigned long long)min,
		    (unsigned long long)max);
	*ret = (uint64_t)node->integer;
	return 0;
}

int
policy_get_hex(struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path,
    uint8_t *out, size_t size)
{
	if (node->type != PJ_STRING)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be a string of %zu hex digits, not %s", 2 * size,
		    pj_type_name(node->type));
	if (node->str_len != 2 * size)
		return policy_perr(ctx, KBS_ERR_POLICY_VALUE, path, node, 0,
		    "must be exactly %zu hex digits (%zu bytes), not %zu characters", 2 * size,
		    size, node->str_len);
	if (kbs_hex_decode_exact(node->str, node->str_len, out, size) != 0)
		return policy_perr(ctx, KBS_ERR_POLICY_VALUE, path, node, 0,
		    "must be exactly %zu hex digits (0-9, a-f)", 2 * size);
	return 0;
}

int
policy_get_array(struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path)
{
	if (node->type != PJ_ARRAY)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be an array, not %s", pj_type_name(node->type));
	return 0;
}

int
policy_get_object(struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path)
{
	if (node->type != PJ_OBJECT)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be an object, not %s", pj_type_name(node->type));
	return 0;
}

int
policy_get_word(struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path,
    const char *const *names, size_t first, size_t count, const char *want, size_t *ret)
{
	size_t i;

	if (node->type != PJ_STRING)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be a string (%s), not %s", want, pj_type_name(node->type));
	for (i = first; i < count; i++) {
		if (names[i] != NULL && strcmp(node->str, names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	return policy_perr(ctx, KBS_ERR_POLICY_VALUE, path, node, 0, "must be %s", want);
}

int
policy_list_has(const struct policy_list *l, size_t size, const uint8_t *v)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (memcmp(l->items + i * size, v, size) == 0)
			return 1;
	}
	return 0;
}

int
policy_parse_list(struct policy_parse_ctx *ctx, const struct policy_rule *rule,
    const struct pj_node *node, const char *path, size_t size, policy_item_parse item,
    const char *what, struct policy_list *ret)
{
	const struct pj_node *e;
	uint8_t *items = NULL;
	char epath[160];
	size_t i = 0;
	int r = KBS_ERR_INTERNAL;

	if ((r = policy_get_array(ctx, node, path)) != 0)
		return r;
	if (node->count > 0 && (items = calloc(node->count, size)) == NULL)
		return policy_perr(ctx, KBS_ERR_ALLOC, path, node, 0, "out of memory");
	for (e = node->child; e != NULL && i < node->count; e = e->next, i++) {
		/* The items before this one, for the duplicate check. */
		const struct policy_list seen = { .set = 1, .n = i, .items = items };
		uint8_t *slot = items + i * size;

		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if ((r = item(ctx, rule, e, epath, slot)) != 0)
			goto out;
		if (policy_list_has(&seen, size, slot)) {
			r = policy_perr(ctx, KBS_ERR_POLICY_VALUE, epath, e, 0,
			    "lists the same %s twice", what);
			goto out;
		}
	}
	ret->set = 1;
	ret->n = i;
	ret->items = items;
	items = NULL;
	r = 0;
out:
	free(items);
	return r;
}

enum policy_change
policy_list_change(const struct policy_list *o, const struct policy_list *n, size_t size, int deny)
{
	size_t i, o_in_n = 0, n_in_o = 0;

	if (!o->set && !n->set)
		return POLICY_SAME;
	if (!o->set)
		return POLICY_STRICTER;
	if (!n->set)
		return POLICY_LOOSER;
	for (i = 0; i < o->n; i++)
		o_in_n += (size_t)policy_list_has(n, size, o->items + i * size);
	for (i = 0; i < n->n; i++)
		n_in_o += (size_t)policy_list_has(o, size, n->items + i * size);
	if (o_in_n == o->n && n_in_o == n->n)
		return POLICY_SAME;
	if (n_in_o == n->n) /* new is a subset of old */
		return deny ? POLICY_LOOSER : POLICY_STRICTER;
	if (o_in_n == o->n) /* new is a superset of old */
		return deny ? POLICY_STRICTER : POLICY_LOOSER;
	return POLICY_CHANGED;
}

/* Reads a decimal 0..255 without sign or leading zeros; returns chars used or 0. */
static size_t
policy_read_u8(const char *s, uint8_t *ret)
{
	unsigned v = 0;
	size_t i = 0;

	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return 0;
	while (s[i] >= '0' && s[i] <= '9' && i < 3) {
		v = v * 10 + (unsigned)(s[i] - '0');
		i++;
	}
	if (i == 0 || v > 255 || (s[i] >= '0' && s[i] <= '9'))
		return 0;
	*ret = (uint8_t)v;
	return i;
}

int
policy_get_version(struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path,
    int with_build, uint8_t *major, uint8_t *minor, uint8_t *build)
{
	const char *want = with_build ? "\"major.minor.build\"" : "\"major.minor\"";
	uint8_t a = 0, b = 0, c = 0;
	size_t n, off = 0;

	if (node->type != PJ_STRING)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, path, node, 0,
		    "must be a string %s, not %s", want, pj_type_name(node->type));
	if ((n = policy_read_u8(node->str, &a)) == 0 || node->str[n] != '.')
		goto bad;
	off = n + 1;
	if ((n = policy_read_u8(node->str + off, &b)) == 0)
		goto bad;
	off += n;
	if (with_build) {
		if (node->str[off] != '.')
			goto bad;
		off++;
		if ((n = policy_read_u8(node->str + off, &c)) == 0)
			goto bad;
		off += n;
	}
	if (off != node->str_len)
		goto bad;
	*major = a;
	*minor = b;
	if (build != NULL)
		*build = c;
	return 0;
bad:
	return policy_perr(ctx, KBS_ERR_POLICY_VALUE, path, node, 0,
	    "must be %s with each part a decimal number from 0 to 255", want);
}

void
policy_finding_add(struct policy_lint_result *res, enum policy_severity sev, const char *path,
    const char *fmt, ...)
{
	struct policy_finding *f;
	va_list ap;

	if (sev == POLICY_ERROR)
		res->errors++;
	else
		res->warnings++;
	if (res->count == POLICY_MAX_FINDINGS)
		return;
	f = &res->findings[res->count++];
	f->severity = sev;
	snprintf(f->path, sizeof(f->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

enum policy_change
policy_change_join(enum policy_change a, enum policy_change b)
{
	if (a == POLICY_SAME)
		return b;
	if (b == POLICY_SAME || a == b)
		return a;
	return POLICY_CHANGED;
}

enum policy_change
policy_change_min(uint64_t old_v, uint64_t new_v)
{
	if (new_v > old_v)
		return POLICY_STRICTER;
	if (new_v < old_v)
		return POLICY_LOOSER;
	return POLICY_SAME;
}
