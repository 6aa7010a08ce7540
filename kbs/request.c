/*
 * request.c: strict JSON request bodies (see request.h).
 */
#include "request.h"

#include <string.h>

int
kbs_request_parse(const uint8_t *body, size_t len, const struct kbs_field *fields, size_t n,
    struct pj_node **ret_root, const struct pj_node **ret_nodes, const char **ret_reason)
{
	static const uint8_t empty[] = "{}";
	struct policy_error perr;
	struct pj_node *root = NULL;
	const struct pj_node *m, *e;
	size_t i;
	int r;

	*ret_reason = "";
	for (i = 0; i < n; i++)
		ret_nodes[i] = NULL;
	if (len == 0) {
		body = empty;
		len = 2;
	}
	memset(&perr, 0, sizeof(perr));
	if ((r = pj_parse(body, len, &root, &perr)) != 0) {
		*ret_reason = "not strict JSON (syntax, duplicate member, or limits)";
		return r == KBS_ERR_ALLOC ? r : KBS_ERR_BAD_REQUEST;
	}
	r = KBS_ERR_BAD_REQUEST;
	if (root->type != PJ_OBJECT) {
		*ret_reason = "the body must be a JSON object";
		goto out;
	}
	for (m = root->child; m != NULL; m = m->next) {
		for (i = 0; i < n; i++)
			if (strcmp(m->key, fields[i].name) == 0)
				break;
		if (i == n) {
			*ret_reason = "unknown member";
			goto out;
		}
		switch (fields[i].type) {
		case KBS_FIELD_STRING:
			if (m->type != PJ_STRING) {
				*ret_reason = "member must be a string";
				goto out;
			}
			break;
		case KBS_FIELD_STRING_ARRAY:
			if (m->type != PJ_ARRAY || m->count == 0 ||
			    m->count > fields[i].max_items) {
				*ret_reason = "member must be a non-empty array within its limit";
				goto out;
			}
			for (e = m->child; e != NULL; e = e->next)
				if (e->type != PJ_STRING) {
					*ret_reason = "array entries must be strings";
					goto out;
				}
			break;
		}
		ret_nodes[i] = m;
	}
	for (i = 0; i < n; i++)
		if (fields[i].required && ret_nodes[i] == NULL) {
			*ret_reason = "required member missing";
			goto out;
		}
	*ret_root = root;
	root = NULL;
	r = 0;
out:
	pj_free(root);
	return r;
}

int
kbs_request_b64(const struct pj_node *node, uint8_t *out, size_t out_size, size_t *ret_len)
{
	/* Refuse early what cannot fit, before decoding anything. */
	if (node->str_len / 4 * 3 > out_size + 2)
		return KBS_ERR_BAD_BASE64;
	return kbs_b64_decode(node->str, node->str_len, out, out_size, ret_len) == 0
	    ? 0
	    : KBS_ERR_BAD_BASE64;
}
