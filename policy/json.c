/*
 * json.c: the strict JSON reader for policy files.
 *
 * Format: RFC 8259, with these limits and refusals:
 *   - the input is UTF-8 without a byte order mark; invalid UTF-8 (overlong
 *     forms, surrogates, code points past U+10FFFF) is a syntax error, in
 *     raw bytes and in \u escapes alike; U+0000 is refused (strings become
 *     C strings);
 *   - only one value; anything but whitespace after it is an error;
 *   - numbers follow the JSON grammar exactly (no leading '+', no leading
 *     zeros, no '.5', no NaN/Infinity); integers are kept exactly when they
 *     fit int64_t, every other number is flagged for the caller to refuse;
 *   - a member name repeated in one object is an error (duplicates would
 *     let a later value silently override an earlier, reviewed one), and
 *     so is a member name that is not plain printable ASCII, or is
 *     written with escapes (policy names are plain words;
 *     "\u006deasurement" would hide one from a reader, and control or
 *     bidi characters would reach error messages);
 *   - nesting deeper than POLICY_MAX_DEPTH, objects with more than
 *     PJ_MAX_MEMBERS members and arrays longer than PJ_MAX_ELEMENTS are
 *     refused, so memory and time stay bounded for any input.
 * Positions are 1-based lines and byte columns. Recursion depth is bounded
 * by POLICY_MAX_DEPTH.
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pj_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	unsigned line;
	size_t line_start; /* offset of the current line's first byte */
	struct policy_error *err;
	char path[128]; /* path of the value being read */
};

static unsigned
pj_col(const struct pj_reader *rd, size_t off)
{
	return (unsigned)(off - rd->line_start + 1);
}

static int
pj_fail_at(struct pj_reader *rd, int code, size_t off, const char *msg)
{
	if (rd->err != NULL) {
		rd->err->code = code;
		snprintf(rd->err->path, sizeof(rd->err->path), "%s", rd->path);
		rd->err->line = rd->line;
		rd->err->column = pj_col(rd, off);
		snprintf(rd->err->message, sizeof(rd->err->message), "%s", msg);
	}
	return code;
}

static int
pj_fail(struct pj_reader *rd, const char *msg)
{
	return pj_fail_at(rd, KBS_ERR_POLICY_SYNTAX, rd->off, msg);
}

static void
pj_skip_ws(struct pj_reader *rd)
{
	while (rd->off < rd->len) {
		uint8_t c = rd->p[rd->off];

		if (c == '\n') {
			rd->line++;
			rd->line_start = rd->off + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		rd->off++;
	}
}

static int
pj_peek(const struct pj_reader *rd)
{
	return rd->off < rd->len ? rd->p[rd->off] : -1;
}

static struct pj_node *
pj_new(struct pj_reader *rd, enum pj_type type)
{
	struct pj_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->type = type;
	n->line = rd->line;
	n->column = pj_col(rd, rd->off);
	return n;
}

void
pj_free(struct pj_node *node)
{
	while (node != NULL) {
		struct pj_node *next = node->next;

		pj_free(node->child);
		free(node->key);
		free(node->str);
		free(node);
		node = next;
	}
}

const char *
pj_type_name(enum pj_type type)
{
	static const char *const names[] = {
		[PJ_NULL] = "null",
		[PJ_BOOL] = "a boolean",
		[PJ_NUMBER] = "a number",
		[PJ_STRING] = "a string",
		[PJ_ARRAY] = "an array",
		[PJ_OBJECT] = "an object",
	};

	if ((unsigned)type >= KBS_ARRAY_SIZE(names))
		return "unknown";
	return names[type];
}

/* pj_utf8_len returns the length of the valid UTF-8 sequence at s, or 0. */
static size_t
pj_utf8_len(const uint8_t *s, size_t avail)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int
pj_hex4(const uint8_t *s, uint32_t *ret)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint8_t c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static size_t
pj_put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * pj_string reads a string starting at the opening quote. The decoded
 * form is never longer than the raw form, so one allocation of the raw
 * length suffices.
 */
static int
pj_string(struct pj_reader *rd, char **ret, size_t *ret_len)
{
	size_t start = rd->off, end, o = 0;
	char *out = NULL;
	int r = KBS_ERR_INTERNAL;

	rd->off++; /* opening quote */
	end = rd->off;
	/* Find the closing quote first (escapes skip one byte). */
	while (end < rd->len && rd->p[end] != '"') {
		if (rd->p[end] == '\\')
			end++;
		end++;
	}
	if (end >= rd->len) {
		rd->off = start;
		return pj_fail(rd, "unterminated string");
	}
	if ((out = malloc(end - rd->off + 1)) == NULL) {
		r = pj_fail_at(rd, KBS_ERR_ALLOC, start, "out of memory");
		goto out;
	}
	while (rd->off < end) {
		uint8_t c = rd->p[rd->off];
		size_t run = 0;

		/*
		 * Plain ASCII (no control character, no escape) is copied as a
		 * run: the base64 members of an attestation are kilobytes of it,
		 * and byte-at-a-time UTF-8 decoding was most of this parser's cost.
		 */
		while (rd->off + run < end && rd->p[rd->off + run] >= 0x20 &&
		    rd->p[rd->off + run] < 0x80 && rd->p[rd->off + run] != '\\')
			run++;
		if (run > 0) {
			memcpy(out + o, rd->p + rd->off, run);
			o += run;
			rd->off += run;
			continue;
		}
		if (c < 0x20) {
			r = pj_fail(rd, "control character in string (escape it)");
			goto out;
		}
		if (c == '\\') {
			uint8_t e;
			uint32_t cp, lo;

			if (rd->off + 1 >= end + 1) {
				r = pj_fail(rd, "bad escape in string");
				goto out;
			}
			e = rd->p[rd->off + 1];
			switch (e) {
			case '"':
			case '\\':
			case '/':
				out[o++] = (char)e;
				break;
			case 'b':
				out[o++] = '\b';
				break;
			case 'f':
				out[o++] = '\f';
				break;
			case 'n':
				out[o++] = '\n';
				break;
			case 'r':
				out[o++] = '\r';
				break;
			case 't':
				out[o++] = '\t';
				break;
			case 'u':
				if (end - rd->off < 6 || pj_hex4(rd->p + rd->off + 2, &cp) != 0) {
					r = pj_fail(rd, "bad \\u escape in string");
					goto out;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (end - rd->off < 12 || rd->p[rd->off + 6] != '\\' ||
					    rd->p[rd->off + 7] != 'u' ||
					    pj_hex4(rd->p + rd->off + 8, &lo) != 0 || lo < 0xdc00 ||
					    lo > 0xdfff) {
						r = pj_fail(rd, "unpaired surrogate in \\u escape");
						goto out;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					rd->off += 6;
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					r = pj_fail(rd, "unpaired surrogate in \\u escape");
					goto out;
				}
				if (cp == 0) {
					r = pj_fail(rd, "\\u0000 is not allowed in strings");
					goto out;
				}
				/* A \u escape is 6 raw bytes and at most 4 decoded ones. */
				o += pj_put_utf8(cp, out + o);
				rd->off += 4;
				break;
			default:
				r = pj_fail(rd, "bad escape in string");
				goto out;
			}
			rd->off += 2;
			continue;
		}
		{
			size_t n = pj_utf8_len(rd->p + rd->off, end - rd->off);

			if (n == 0) {
				r = pj_fail(rd, "invalid UTF-8 in string");
				goto out;
			}
			memcpy(out + o, rd->p + rd->off, n);
			o += n;
			rd->off += n;
		}
	}
	rd->off = end + 1;
	out[o] = 0;
	*ret = out;
	*ret_len = o;
	out = NULL;
	r = 0;
out:
	free(out);
	return r;
}

static int
pj_number(struct pj_reader *rd, struct pj_node *n)
{
	size_t start = rd->off;
	int neg = 0, overflow = 0;
	uint64_t mag = 0;

	if (pj_peek(rd) == '-') {
		neg = 1;
		rd->off++;
	}
	if (pj_peek(rd) == '0') {
		rd->off++;
		if (pj_peek(rd) >= '0' && pj_peek(rd) <= '9')
			return pj_fail_at(
			    rd, KBS_ERR_POLICY_SYNTAX, start, "number has a leading zero");
	} else if (pj_peek(rd) >= '1' && pj_peek(rd) <= '9') {
		while (pj_peek(rd) >= '0' && pj_peek(rd) <= '9') {
			unsigned d = (unsigned)(pj_peek(rd) - '0');

			if (mag > (UINT64_MAX - d) / 10)
				overflow = 1;
			else
				mag = mag * 10 + d;
			rd->off++;
		}
	} else {
		return pj_fail_at(rd, KBS_ERR_POLICY_SYNTAX, start, "malformed number");
	}
	n->is_integer = 1;
	if (pj_peek(rd) == '.') {
		rd->off++;
		if (!(pj_peek(rd) >= '0' && pj_peek(rd) <= '9'))
			return pj_fail_at(rd, KBS_ERR_POLICY_SYNTAX, start, "malformed number");
		while (pj_peek(rd) >= '0' && pj_peek(rd) <= '9')
			rd->off++;
		n->is_integer = 0;
	}
	if (pj_peek(rd) == 'e' || pj_peek(rd) == 'E') {
		rd->off++;
		if (pj_peek(rd) == '+' || pj_peek(rd) == '-')
			rd->off++;
		if (!(pj_peek(rd) >= '0' && pj_peek(rd) <= '9'))
			return pj_fail_at(rd, KBS_ERR_POLICY_SYNTAX, start, "malformed number");
		while (pj_peek(rd) >= '0' && pj_peek(rd) <= '9')
			rd->off++;
		n->is_integer = 0;
	}
	if (n->is_integer && !overflow) {
		if (!neg && mag <= (uint64_t)INT64_MAX) {
			n->in_range = 1;
			n->integer = (int64_t)mag;
		} else if (neg && mag <= (uint64_t)INT64_MAX + 1) {
			n->in_range = 1;
			n->integer = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		}
	}
	return 0;
}

static int
pj_literal(struct pj_reader *rd, const char *word)
{
	size_t n = strlen(word);

	if (rd->len - rd->off < n || memcmp(rd->p + rd->off, word, n) != 0)
		return pj_fail(rd, "expected a JSON value");
	rd->off += n;
	return 0;
}

static int pj_value(struct pj_reader *rd, unsigned depth, struct pj_node **ret);

/*
 * pj_path_append appends s (at most n bytes) to rd->path, truncating at
 * its size; plain copies, as these run for every member and element.
 */
static void
pj_path_append(struct pj_reader *rd, const char *s, size_t n)
{
	size_t len = strlen(rd->path), room = sizeof(rd->path) - 1 - len;

	if (n > room)
		n = room;
	memcpy(rd->path + len, s, n);
	rd->path[len + n] = 0;
}

/* pj_path_push_key appends ".key" (or "key" at the top); returns the old length. */
static size_t
pj_path_push_key(struct pj_reader *rd, const char *key)
{
	size_t old = strlen(rd->path), n = strlen(key);

	if (old > 0)
		pj_path_append(rd, ".", 1);
	pj_path_append(rd, key, n > 60 ? 60 : n);
	return old;
}

/* pj_path_push_index appends "[i]"; returns the old length. */
static size_t
pj_path_push_index(struct pj_reader *rd, size_t i)
{
	size_t old = strlen(rd->path), k = 24;
	char d[24];

	d[--k] = ']';
	do {
		d[--k] = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0);
	d[--k] = '[';
	pj_path_append(rd, d + k, sizeof(d) - k);
	return old;
}

/* pj_plain_name: the raw bytes of a member name are printable ASCII without escapes. */
static int
pj_plain_name(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return 0;
	}
	return 1;
}

static int
pj_object(struct pj_reader *rd, unsigned depth, struct pj_node *obj)
{
	struct pj_node **tail = &obj->child;
	int r;

	rd->off++; /* '{' */
	pj_skip_ws(rd);
	if (pj_peek(rd) == '}') {
		rd->off++;
		return 0;
	}
	for (;;) {
		struct pj_node *member = NULL, *m;
		char *key = NULL;
		size_t key_len, old;
		unsigned kl, kc;
		size_t key_off;

		pj_skip_ws(rd);
		if (pj_peek(rd) != '"')
			return pj_fail(rd, "expected a member name in quotes");
		kl = rd->line;
		kc = pj_col(rd, rd->off);
		key_off = rd->off;
		if ((r = pj_string(rd, &key, &key_len)) != 0)
			return r;
		/*
		 * Every name of the language is a plain ASCII word. A name
		 * written with escapes ("\u0064ebug_allowed") may look to a
		 * reviewer like a key the parser refuses, and a name with
		 * control characters, C1 or bidi code points would carry them
		 * into error messages and paths: such names are refused, and
		 * not echoed.
		 */
		if (!pj_plain_name(rd->p + key_off + 1, rd->off - key_off - 2)) {
			free(key);
			return pj_fail_at(rd, KBS_ERR_POLICY_UNKNOWN_KEY, key_off,
			    "member name is not plain printable ASCII (no escapes)");
		}
		old = pj_path_push_key(rd, key);
		for (m = obj->child; m != NULL; m = m->next) {
			if (strcmp(m->key, key) == 0) {
				char msg[160];

				snprintf(msg, sizeof(msg),
				    "duplicate key \"%.60s\" (first at line %u, column %u)", key,
				    m->key_line, m->key_column);
				free(key);
				return pj_fail_at(rd, KBS_ERR_POLICY_DUPLICATE_KEY, key_off, msg);
			}
		}
		if (obj->count == PJ_MAX_MEMBERS) {
			free(key);
			return pj_fail_at(
			    rd, KBS_ERR_POLICY_LIMIT, key_off, "object has too many members");
		}
		pj_skip_ws(rd);
		if (pj_peek(rd) != ':') {
			free(key);
			return pj_fail(rd, "expected ':' after the member name");
		}
		rd->off++;
		pj_skip_ws(rd);
		if ((r = pj_value(rd, depth + 1, &member)) != 0) {
			free(key);
			return r;
		}
		member->key = key;
		member->key_line = kl;
		member->key_column = kc;
		*tail = member;
		tail = &member->next;
		obj->count++;
		rd->path[old] = 0;
		pj_skip_ws(rd);
		if (pj_peek(rd) == ',') {
			rd->off++;
			continue;
		}
		if (pj_peek(rd) == '}') {
			rd->off++;
			return 0;
		}
		return pj_fail(rd, "expected ',' or '}' in object");
	}
}

static int
pj_array(struct pj_reader *rd, unsigned depth, struct pj_node *arr)
{
	struct pj_node **tail = &arr->child;
	int r;

	rd->off++; /* '[' */
	pj_skip_ws(rd);
	if (pj_peek(rd) == ']') {
		rd->off++;
		return 0;
	}
	for (;;) {
		struct pj_node *elem = NULL;
		size_t old;

		pj_skip_ws(rd);
		old = pj_path_push_index(rd, arr->count);
		if (arr->count == PJ_MAX_ELEMENTS)
			return pj_fail_at(
			    rd, KBS_ERR_POLICY_LIMIT, rd->off, "array has too many elements");
		if ((r = pj_value(rd, depth + 1, &elem)) != 0)
			return r;
		*tail = elem;
		tail = &elem->next;
		arr->count++;
		rd->path[old] = 0;
		pj_skip_ws(rd);
		if (pj_peek(rd) == ',') {
			rd->off++;
			continue;
		}
		if (pj_peek(rd) == ']') {
			rd->off++;
			return 0;
		}
		return pj_fail(rd, "expected ',' or ']' in array");
	}
}

static int
pj_value(struct pj_reader *rd, unsigned depth, struct pj_node **ret)
{
	struct pj_node *n = NULL;
	int c = pj_peek(rd), r = KBS_ERR_INTERNAL;

	if (depth > POLICY_MAX_DEPTH)
		return pj_fail_at(
		    rd, KBS_ERR_POLICY_LIMIT, rd->off, "nesting is deeper than 16 levels");
	if (c < 0)
		return pj_fail(rd, "unexpected end of input");
	if ((n = pj_new(rd, PJ_NULL)) == NULL)
		return pj_fail_at(rd, KBS_ERR_ALLOC, rd->off, "out of memory");
	switch (c) {
	case '{':
		n->type = PJ_OBJECT;
		r = pj_object(rd, depth, n);
		break;
	case '[':
		n->type = PJ_ARRAY;
		r = pj_array(rd, depth, n);
		break;
	case '"':
		n->type = PJ_STRING;
		r = pj_string(rd, &n->str, &n->str_len);
		break;
	case 't':
		n->type = PJ_BOOL;
		n->boolean = 1;
		r = pj_literal(rd, "true");
		break;
	case 'f':
		n->type = PJ_BOOL;
		r = pj_literal(rd, "false");
		break;
	case 'n':
		r = pj_literal(rd, "null");
		break;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			n->type = PJ_NUMBER;
			r = pj_number(rd, n);
		} else {
			r = pj_fail(rd, "expected a JSON value");
		}
		break;
	}
	if (r != 0) {
		pj_free(n);
		return r;
	}
	*ret = n;
	return 0;
}

int
pj_parse(const uint8_t *data, size_t len, struct pj_node **ret, struct policy_error *err)
{
	struct pj_reader rd;
	struct pj_node *root = NULL;
	int r;

	if ((data == NULL && len != 0) || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&rd, 0, sizeof(rd));
	rd.p = data;
	rd.len = len;
	rd.line = 1;
	rd.err = err;
	if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf)
		return pj_fail(&rd, "byte order mark is not allowed");
	pj_skip_ws(&rd);
	if ((r = pj_value(&rd, 1, &root)) != 0)
		return r;
	pj_skip_ws(&rd);
	if (rd.off != rd.len) {
		pj_free(root);
		return pj_fail(&rd, "unexpected data after the end of the JSON value");
	}
	*ret = root;
	return 0;
}
