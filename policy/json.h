/*
 * json.h (private to policy/): a strict JSON reader that keeps positions.
 *
 * cJSON accepts duplicate keys and forgets where a value was, and a policy
 * error must name both, so policies are read by this small reader into a
 * tree of pj_node. It accepts RFC 8259 JSON only (no comments, no trailing
 * commas, no NaN/Infinity, no byte order mark, UTF-8 only) and enforces
 * the policy limits: nesting depth, object size, array length.
 */
#ifndef POLICY_JSON_H
#define POLICY_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define PJ_MAX_MEMBERS 64    /* per object; no policy object has more keys */
#define PJ_MAX_ELEMENTS 4096 /* per array */

enum pj_type {
	PJ_NULL = 0,
	PJ_BOOL,
	PJ_NUMBER,
	PJ_STRING,
	PJ_ARRAY,
	PJ_OBJECT,
};

struct pj_node {
	enum pj_type type;
	unsigned line, column;         /* of the value's first byte */
	unsigned key_line, key_column; /* of the member name, when in an object */
	char *key;                     /* member name (NUL-terminated) or NULL */
	/* PJ_STRING: decoded UTF-8, NUL-terminated, no embedded NUL */
	char *str;
	size_t str_len;
	int boolean; /* PJ_BOOL */
	/*
	 * PJ_NUMBER: is_integer is 1 when the text has no fraction or
	 * exponent; then in_range says whether it fits int64_t, and integer
	 * holds it.
	 */
	int is_integer;
	int in_range;
	int64_t integer;
	/* PJ_ARRAY / PJ_OBJECT */
	struct pj_node *child;
	struct pj_node *next;
	size_t count;
};

/*
 * pj_parse parses data[0..len) as exactly one JSON value (whitespace
 * around it allowed). On failure fills err (code KBS_ERR_POLICY_SYNTAX,
 * KBS_ERR_POLICY_LIMIT, KBS_ERR_POLICY_DUPLICATE_KEY, KBS_ERR_ALLOC, or
 * KBS_ERR_POLICY_UNKNOWN_KEY for a member name that is not plain
 * printable ASCII or is written with escapes,
 * path set from the members seen so far, line/column of the fault).
 */
KBS_MUST_CHECK int pj_parse(
    const uint8_t *data, size_t len, struct pj_node **ret, struct policy_error *err);

void pj_free(struct pj_node *node);

/* pj_type_name: "null", "a boolean", "a number", "a string", "an array", "an object". */
const char *pj_type_name(enum pj_type type);

#endif
