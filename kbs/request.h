/*
 * request.h: strict reading of JSON request bodies.
 *
 * Bodies are parsed with policy/'s strict reader (RFC 8259 only, UTF-8
 * checked, duplicate members refused, nesting and size limits) and then
 * checked against the route's list of members: an unknown member, a
 * missing required one or one of the wrong type is KBS_ERR_BAD_REQUEST,
 * with a short reason for the log (never echoed input).
 */
#ifndef KBS_REQUEST_H
#define KBS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "kbs_common.h"

enum kbs_field_type {
	KBS_FIELD_STRING,
	KBS_FIELD_STRING_ARRAY,
};

struct kbs_field {
	const char *name;
	enum kbs_field_type type;
	int required;
	size_t max_items; /* KBS_FIELD_STRING_ARRAY: 1..max_items entries */
};

/*
 * kbs_request_parse parses body and matches its members to fields (n of
 * them); ret_nodes[i] is the node of fields[i] or NULL when absent. The
 * caller frees *ret_root with pj_free. An empty body reads as {}.
 */
KBS_MUST_CHECK int kbs_request_parse(const uint8_t *body, size_t len,
    const struct kbs_field *fields, size_t n, struct pj_node **ret_root,
    const struct pj_node **ret_nodes, const char **ret_reason);

/*
 * kbs_request_b64 decodes a base64 string node into out (out_size bytes
 * at most); KBS_ERR_BAD_BASE64 for a non-canonical or oversized value.
 */
KBS_MUST_CHECK int kbs_request_b64(
    const struct pj_node *node, uint8_t *out, size_t out_size, size_t *ret_len);

#endif
