/*
 * parse.c: policy files into struct policy.
 *
 * Format (docs/policy.md): one JSON object with "kbs_policy" (must be 1,
 * checked first so a future version is refused as such rather than for
 * its new keys), "name" (1-64 of A-Z a-z 0-9 . _ -), "description"
 * (optional, at most 4096 bytes) and "rules" (an object). Inside "rules"
 * the key paths are the ids of the rule table (rules.c): a key is either a
 * rule, or an object grouping rules ("guest_policy", "min_tcb"), or an
 * error. An unknown key is never ignored, since a misspelt rule would
 * otherwise silently not apply; the error suggests the nearest known key.
 * The file is at most POLICY_MAX_FILE_SIZE bytes; its SHA-256 is the
 * policy's identity.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

#define POLICY_MAX_DESCRIPTION 4096

/* Edit distance, bounded to short keys; used only for suggestions. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/*
 * segment_after copies the path segment of id that follows prefix ("" for
 * the top of "rules") into out; 0 when id is not under prefix.
 */
static int
segment_after(const char *id, const char *prefix, char *out, size_t out_size)
{
	size_t pl = strlen(prefix), n;
	const char *s, *dot;

	if (pl > 0) {
		if (strncmp(id, prefix, pl) != 0 || id[pl] != '.')
			return 0;
		s = id + pl + 1;
	} else {
		s = id;
	}
	dot = strchr(s, '.');
	n = dot != NULL ? (size_t)(dot - s) : strlen(s);
	if (n + 1 > out_size)
		return 0;
	memcpy(out, s, n);
	out[n] = 0;
	return 1;
}

static int
unknown_key(struct policy_parse_ctx *ctx, const char *path, const struct pj_node *m,
    const char *const *cands, size_t ncands, const char *prefix)
{
	const char *best = NULL;
	size_t bestd = 3, i, d;
	char seg[64];

	for (i = 0; i < ncands; i++) {
		d = edit_distance(m->key, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	if (prefix != NULL) {
		for (i = 0; i < policy_rule_count; i++) {
			if (!segment_after(policy_rules[i].id, prefix, seg, sizeof(seg)))
				continue;
			d = edit_distance(m->key, seg);
			if (d < bestd) {
				bestd = d;
				best =
				    policy_rules[i].id + (strlen(prefix) ? strlen(prefix) + 1 : 0);
				/* best points into the id; cut at the segment end when printing */
			}
		}
	}
	if (best != NULL) {
		size_t n = strcspn(best, ".");

		return policy_perr(ctx, KBS_ERR_POLICY_UNKNOWN_KEY, path, m, 1,
		    "unknown key \"%.60s\" (did you mean \"%.*s\"?)", m->key, (int)n, best);
	}
	return policy_perr(
	    ctx, KBS_ERR_POLICY_UNKNOWN_KEY, path, m, 1, "unknown key \"%.60s\"", m->key);
}

static int
plain_key(const char *k)
{
	if (*k == 0)
		return 0;
	for (; *k != 0; k++) {
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
			return 0;
	}
	return 1;
}

/* walk parses the members of obj, an object at rules.<prefix>. */
static int
walk(struct policy *p, const struct pj_node *obj, const char *prefix, struct policy_parse_ctx *ctx)
{
	const struct pj_node *m;
	char path[6 + 64 + 1 + 60 + 1];
	const char *id;
	size_t i, plen, klen, n, idlen;
	int r;

	/* Group prefixes are rule ids' leading segments, all far shorter than 64. */
	if (strlen(prefix) >= 64)
		return KBS_ERR_INTERNAL;
	for (m = obj->child; m != NULL; m = m->next) {
		const struct policy_rule *rule = NULL;
		int group = 0;

		/*
		 * Keys are lower-case words: a dotted key such as
		 * "min_tcb.milan" would otherwise reach the same rule as the
		 * nested form and let one silently override the other.
		 */
		if (!plain_key(m->key)) {
			snprintf(path, sizeof(path), "rules%s%s.%.60s", prefix[0] ? "." : "",
			    prefix, m->key);
			return policy_perr(ctx, KBS_ERR_POLICY_UNKNOWN_KEY, path, m, 1,
			    "unknown key \"%.60s\" (keys are lower-case letters, digits and '_')",
			    m->key);
		}
		/* path is "rules.<prefix>.<key>"; the id is the part after "rules." */
		plen = strlen(prefix);
		klen = strlen(m->key);
		if (klen > 60)
			klen = 60;
		memcpy(path, "rules.", 6);
		memcpy(path + 6, prefix, plen);
		n = 6 + plen;
		if (plen > 0)
			path[n++] = '.';
		memcpy(path + n, m->key, klen);
		n += klen;
		path[n] = 0;
		id = path + 6;
		idlen = n - 6;
		for (i = 0; i < policy_rule_count; i++) {
			const char *rid = policy_rules[i].id;

			if (strncmp(rid, id, idlen) != 0)
				continue;
			if (rid[idlen] == 0)
				rule = &policy_rules[i];
			else if (rid[idlen] == '.')
				group = 1;
		}
		if (rule != NULL) {
			if ((r = rule->ops->parse(p, rule, m, path, ctx)) != 0)
				return r;
		} else if (group) {
			if ((r = policy_get_object(ctx, m, path)) != 0)
				return r;
			if ((r = walk(p, m, id, ctx)) != 0)
				return r;
		} else {
			return unknown_key(ctx, path, m, NULL, 0, prefix);
		}
	}
	return 0;
}

static const struct pj_node *
member(const struct pj_node *obj, const char *key)
{
	const struct pj_node *m;

	for (m = obj->child; m != NULL; m = m->next) {
		if (strcmp(m->key, key) == 0)
			return m;
	}
	return NULL;
}

static int
parse_name(struct policy *p, const struct pj_node *m, struct policy_parse_ctx *ctx)
{
	size_t i;

	if (m->type != PJ_STRING)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, "name", m, 0,
		    "must be a string, not %s", pj_type_name(m->type));
	if (m->str_len == 0 || m->str_len > 64)
		return policy_perr(
		    ctx, KBS_ERR_POLICY_VALUE, "name", m, 0, "must be 1 to 64 characters");
	for (i = 0; i < m->str_len; i++) {
		char c = m->str[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '.' || c == '_' || c == '-'))
			return policy_perr(ctx, KBS_ERR_POLICY_VALUE, "name", m, 0,
			    "may hold only letters, digits, '.', '_' and '-'");
	}
	memcpy(p->name, m->str, m->str_len + 1);
	return 0;
}

static int
parse_top(struct policy *p, const struct pj_node *root, struct policy_parse_ctx *ctx)
{
	static const char *const top_keys[] = { "kbs_policy", "name", "description", "rules" };
	const struct pj_node *m;
	uint64_t version;
	int r;

	if (root->type != PJ_OBJECT)
		return policy_perr(ctx, KBS_ERR_POLICY_TYPE, "", root, 0,
		    "a policy must be a JSON object, not %s", pj_type_name(root->type));
	if ((m = member(root, "kbs_policy")) == NULL)
		return policy_perr(ctx, KBS_ERR_POLICY_MISSING_KEY, "", root, 0,
		    "lacks \"kbs_policy\" (the language version, 1)");
	if (m->type != PJ_NUMBER || !m->is_integer)
		return policy_perr(
		    ctx, KBS_ERR_POLICY_TYPE, "kbs_policy", m, 0, "must be the integer 1");
	if (!m->in_range || m->integer != POLICY_LANGUAGE_VERSION) {
		version = m->in_range ? (uint64_t)m->integer : 0;
		return policy_perr(ctx, KBS_ERR_POLICY_VERSION, "kbs_policy", m, 0,
		    "language version %lld is not supported (this program reads version 1)",
		    m->in_range ? (long long)version : 0LL);
	}
	for (m = root->child; m != NULL; m = m->next) {
		if (strcmp(m->key, "kbs_policy") == 0)
			continue;
		if (strcmp(m->key, "name") == 0) {
			if ((r = parse_name(p, m, ctx)) != 0)
				return r;
		} else if (strcmp(m->key, "description") == 0) {
			if (m->type != PJ_STRING)
				return policy_perr(ctx, KBS_ERR_POLICY_TYPE, "description", m, 0,
				    "must be a string, not %s", pj_type_name(m->type));
			if (m->str_len > POLICY_MAX_DESCRIPTION)
				return policy_perr(ctx, KBS_ERR_POLICY_VALUE, "description", m, 0,
				    "must be at most %d bytes", POLICY_MAX_DESCRIPTION);
			if ((p->description = strdup(m->str)) == NULL)
				return policy_perr(
				    ctx, KBS_ERR_ALLOC, "description", m, 0, "out of memory");
		} else if (strcmp(m->key, "rules") == 0) {
			if ((r = policy_get_object(ctx, m, "rules")) != 0)
				return r;
			if ((r = walk(p, m, "", ctx)) != 0)
				return r;
		} else {
			return unknown_key(
			    ctx, m->key, m, top_keys, KBS_ARRAY_SIZE(top_keys), NULL);
		}
	}
	if (p->name[0] == 0)
		return policy_perr(ctx, KBS_ERR_POLICY_MISSING_KEY, "", root, 0, "lacks \"name\"");
	if (member(root, "rules") == NULL)
		return policy_perr(ctx, KBS_ERR_POLICY_MISSING_KEY, "", root, 0, "lacks \"rules\"");
	return 0;
}

/* precompute records each rule's activity and expected text once. */
static int
precompute(struct policy *p, struct policy_error *err)
{
	size_t i;

	p->active = calloc(policy_rule_count, sizeof(*p->active));
	p->expected = calloc(policy_rule_count, sizeof(*p->expected));
	if (p->active == NULL || p->expected == NULL) {
		err->code = KBS_ERR_ALLOC;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return KBS_ERR_ALLOC;
	}
	for (i = 0; i < policy_rule_count; i++) {
		const struct policy_rule *rule = &policy_rules[i];

		p->active[i] = rule->ops->active(p, rule) != 0;
		if (p->active[i])
			rule->ops->describe(p, rule, p->expected[i], sizeof(p->expected[i]));
	}
	return 0;
}

int
policy_parse(const uint8_t *data, size_t len, struct policy **ret, struct policy_error *err)
{
	struct policy_parse_ctx ctx = { .err = err };
	struct policy_error scratch;
	struct pj_node *root = NULL;
	struct policy *p = NULL;
	uint8_t digest[crypto_hash_sha256_BYTES];
	int r = KBS_ERR_INTERNAL;

	if (ret == NULL || (data == NULL && len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	if (err == NULL)
		ctx.err = err = &scratch;
	memset(err, 0, sizeof(*err));
	if (len > POLICY_MAX_FILE_SIZE) {
		err->code = KBS_ERR_TOO_LARGE;
		err->line = 1;
		err->column = 1;
		snprintf(err->message, sizeof(err->message), "file is larger than %u bytes",
		    POLICY_MAX_FILE_SIZE);
		return KBS_ERR_TOO_LARGE;
	}
	if ((r = pj_parse(data, len, &root, err)) != 0)
		goto out;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		r = KBS_ERR_ALLOC;
		err->code = r;
		snprintf(err->message, sizeof(err->message), "out of memory");
		goto out;
	}
	if ((r = parse_top(p, root, &ctx)) != 0)
		goto out;
	if ((r = precompute(p, err)) != 0)
		goto out;
	crypto_hash_sha256(digest, data, len);
	if ((r = kbs_hex_encode(digest, sizeof(digest), p->hash, sizeof(p->hash))) != 0)
		goto out;
	*ret = p;
	p = NULL;
	r = 0;
out:
	pj_free(root);
	policy_free(p);
	return r;
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < PL_COUNT; i++)
		free(p->lists[i].items);
	free(p->csp_id.items);
	free(p->tcb_deny.items);
	free(p->active);
	free(p->expected);
	free(p->description);
	free(p);
}

const char *
policy_hash(const struct policy *p)
{
	return p->hash;
}

const char *
policy_name(const struct policy *p)
{
	return p->name;
}

const char *
policy_description(const struct policy *p)
{
	return p->description != NULL ? p->description : "";
}

void
policy_error_format(const struct policy_error *err, char *out, size_t out_size)
{
	if (out_size == 0)
		return;
	if (err->path[0] != 0)
		snprintf(out, out_size, "%u:%u: %s: %s (%s)", err->line, err->column, err->path,
		    err->message, kbs_err_name(err->code));
	else
		snprintf(out, out_size, "%u:%u: %s (%s)", err->line, err->column, err->message,
		    kbs_err_name(err->code));
}
