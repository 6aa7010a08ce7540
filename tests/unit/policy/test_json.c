/*
 * test_json.c: the strict JSON reader under policy_parse (policy/json.c):
 * values, positions, escapes, numbers at the int64 edges, refusals.
 */
#include "json.h"
#include "test.h"

static struct pj_node *
parse_ok(const char *s)
{
	struct pj_node *n = NULL;
	struct policy_error err;

	CHECK_OK(pj_parse((const uint8_t *)s, strlen(s), &n, &err));
	return n;
}

static int
parse_err(const char *s, struct policy_error *err)
{
	struct pj_node *n = NULL;
	int r = pj_parse((const uint8_t *)s, strlen(s), &n, err);

	CHECK(n == NULL);
	return r;
}

static void
test_values_and_positions(void)
{
	struct pj_node *root =
	    parse_ok(" {\n  \"a\": [true, false, null],\n\t\"b\": \"x\\u00e9\\\"\"\r\n}\n");
	struct pj_node *a, *b;

	CHECK(root != NULL);
	if (root == NULL)
		return;
	CHECK_INT_EQ(root->type, PJ_OBJECT);
	CHECK_UINT_EQ(root->count, 2);
	CHECK_UINT_EQ(root->line, 1);
	CHECK_UINT_EQ(root->column, 2);
	a = root->child;
	b = a->next;
	CHECK_STR_EQ(a->key, "a");
	CHECK_UINT_EQ(a->key_line, 2);
	CHECK_UINT_EQ(a->key_column, 3);
	CHECK_UINT_EQ(a->line, 2);
	CHECK_UINT_EQ(a->column, 8);
	CHECK_INT_EQ(a->type, PJ_ARRAY);
	CHECK_UINT_EQ(a->count, 3);
	CHECK_INT_EQ(a->child->type, PJ_BOOL);
	CHECK_INT_EQ(a->child->boolean, 1);
	CHECK_INT_EQ(a->child->next->boolean, 0);
	CHECK_INT_EQ(a->child->next->next->type, PJ_NULL);
	CHECK_STR_EQ(b->key, "b");
	CHECK_UINT_EQ(b->key_line, 3);
	CHECK_UINT_EQ(b->key_column, 2);
	CHECK_STR_EQ(b->str, "x\xc3\xa9\"");
	CHECK_UINT_EQ(b->str_len, 4);
	pj_free(root);
	pj_free(NULL);
}

static void
test_numbers(void)
{
	struct pj_node *n;

	n = parse_ok("9223372036854775807");
	CHECK(n->is_integer && n->in_range && n->integer == INT64_MAX);
	pj_free(n);
	n = parse_ok("-9223372036854775808");
	CHECK(n->is_integer && n->in_range && n->integer == INT64_MIN);
	pj_free(n);
	n = parse_ok("9223372036854775808");
	CHECK(n->is_integer && !n->in_range);
	pj_free(n);
	n = parse_ok("184467440737095516160");
	CHECK(n->is_integer && !n->in_range);
	pj_free(n);
	n = parse_ok("-0");
	CHECK(n->is_integer && n->in_range && n->integer == 0);
	pj_free(n);
	n = parse_ok("1.5e-3");
	CHECK(!n->is_integer);
	pj_free(n);
	n = parse_ok("2E+2");
	CHECK(!n->is_integer);
	pj_free(n);
}

static void
test_refusals(void)
{
	static const struct {
		const char *in;
		int code;
		const char *message;
		unsigned column;
	} cases[] = {
		{ "+1", KBS_ERR_POLICY_SYNTAX, "expected a JSON value", 1 },
		{ ".5", KBS_ERR_POLICY_SYNTAX, "expected a JSON value", 1 },
		{ "1.", KBS_ERR_POLICY_SYNTAX, "malformed number", 1 },
		{ "1e", KBS_ERR_POLICY_SYNTAX, "malformed number", 1 },
		{ "-", KBS_ERR_POLICY_SYNTAX, "malformed number", 1 },
		{ "Infinity", KBS_ERR_POLICY_SYNTAX, "expected a JSON value", 1 },
		{ "tru", KBS_ERR_POLICY_SYNTAX, "expected a JSON value", 1 },
		{ "[1 2]", KBS_ERR_POLICY_SYNTAX, "expected ',' or ']' in array", 4 },
		{ "{\"a\" 1}", KBS_ERR_POLICY_SYNTAX, "expected ':' after the member name", 6 },
		{ "\"\\x\"", KBS_ERR_POLICY_SYNTAX, "bad escape in string", 2 },
		{ "\"\\u12g4\"", KBS_ERR_POLICY_SYNTAX, "bad \\u escape in string", 2 },
		{ "\"\\udc00\"", KBS_ERR_POLICY_SYNTAX, "unpaired surrogate in \\u escape", 2 },
		{ "\"\xc0\x80\"", KBS_ERR_POLICY_SYNTAX, "invalid UTF-8 in string", 2 },
		{ "\"\xf4\x90\x80\x80\"", KBS_ERR_POLICY_SYNTAX, "invalid UTF-8 in string", 2 },
		{ "\"\xe0\x80\"", KBS_ERR_POLICY_SYNTAX, "invalid UTF-8 in string", 2 },
		{ "{\"a\": 1, \"a\": 1}", KBS_ERR_POLICY_DUPLICATE_KEY,
		    "duplicate key \"a\" (first at line 1, column 2)", 10 },
		{ "{} {}", KBS_ERR_POLICY_SYNTAX, "unexpected data after the end of the JSON value",
		    4 },
		{ "  ", KBS_ERR_POLICY_SYNTAX, "unexpected end of input", 3 },
	};
	struct policy_error err;
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		memset(&err, 0, sizeof(err));
		CHECK_ERR(parse_err(cases[i].in, &err), cases[i].code);
		CHECK_STR_EQ(err.message, cases[i].message);
		CHECK_UINT_EQ(err.line, 1);
		CHECK_UINT_EQ(err.column, cases[i].column);
	}
}

static void
test_member_limit(void)
{
	char buf[4096];
	struct policy_error err;
	size_t n = 0;
	int i;

	buf[n++] = '{';
	for (i = 0; i <= PJ_MAX_MEMBERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"k%d\": 0", i ? ", " : "", i);
	buf[n++] = '}';
	buf[n] = 0;
	CHECK_ERR(parse_err(buf, &err), KBS_ERR_POLICY_LIMIT);
	CHECK_STR_EQ(err.message, "object has too many members");
	CHECK_STR_EQ(err.path, "k64");
}

TEST_MAIN(TEST(test_values_and_positions), TEST(test_numbers), TEST(test_refusals),
    TEST(test_member_limit))
