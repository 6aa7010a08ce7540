/*
 * Unit tests for kbs/request.c: the strict reading of request bodies with
 * the attest route's member list. Every refusal is KBS_ERR_BAD_REQUEST
 * with its reason (unknown, duplicate, missing, wrong type, array limits,
 * not an object, not JSON, a member name written with escapes), an empty
 * body reads as {}, and base64 fields are canonical or KBS_ERR_BAD_BASE64,
 * never decoded past their buffer.
 */
#include "request.h"
#include "test.h"

enum { F_NONCE, F_SECRETS, F_CERTS, F_COUNT };

static const struct kbs_field fields[F_COUNT] = {
	[F_NONCE] = { "nonce", KBS_FIELD_STRING, 1, 0 },
	[F_SECRETS] = { "secrets", KBS_FIELD_STRING_ARRAY, 1, 3 },
	[F_CERTS] = { "certs", KBS_FIELD_STRING_ARRAY, 0, 2 },
};

static int
parse(const char *body, const struct pj_node **nodes, const char **reason)
{
	struct pj_node *root = NULL;
	int r = kbs_request_parse(
	    (const uint8_t *)body, strlen(body), fields, F_COUNT, &root, nodes, reason);

	CHECK((r == 0) == (root != NULL));
	pj_free(root);
	return r;
}

static void
refused(const char *body, const char *want_reason)
{
	const struct pj_node *nodes[F_COUNT];
	const char *reason = NULL;

	CHECK_ERR(parse(body, nodes, &reason), KBS_ERR_BAD_REQUEST);
	if (reason == NULL || strcmp(reason, want_reason) != 0)
		fprintf(stderr, "%s: reason \"%s\", want \"%s\"\n", body,
		    reason ? reason : "(null)", want_reason);
	CHECK(reason != NULL && strcmp(reason, want_reason) == 0);
}

static void
test_accepts(void)
{
	const struct pj_node *nodes[F_COUNT];
	struct pj_node *root = NULL;
	const char *reason = NULL;
	const char body[] = " {\"secrets\": [\"a\", \"b\", \"c\"], \"nonce\": \"AAAA\"} ";

	CHECK_OK(kbs_request_parse(
	    (const uint8_t *)body, strlen(body), fields, F_COUNT, &root, nodes, &reason));
	CHECK(nodes[F_NONCE] != NULL && strcmp(nodes[F_NONCE]->str, "AAAA") == 0);
	CHECK(nodes[F_SECRETS] != NULL && nodes[F_SECRETS]->count == 3);
	CHECK(nodes[F_CERTS] == NULL);
	pj_free(root);
}

static void
test_refusals(void)
{
	static const char *const reason_json =
	    "not strict JSON (syntax, duplicate member, or limits)";

	refused("{\"nonce\":\"A\",\"secrets\":[\"a\"],\"extra\":1}", "unknown member");
	refused("{\"nonce\":\"A\",\"secrets\":[\"a\"],\"Nonce\":\"A\"}", "unknown member");
	refused("{\"nonce\":\"A\",\"nonce\":\"A\",\"secrets\":[\"a\"]}", reason_json);
	refused("{\"n\\u006fnce\":\"A\",\"secrets\":[\"a\"]}", reason_json);
	refused("{\"secrets\":[\"a\"]}", "required member missing");
	refused("", "required member missing"); /* empty is {} */
	refused("{\"nonce\":1,\"secrets\":[\"a\"]}", "member must be a string");
	refused("{\"nonce\":null,\"secrets\":[\"a\"]}", "member must be a string");
	refused("{\"nonce\":\"A\",\"secrets\":\"a\"}",
	    "member must be a non-empty array within its limit");
	refused("{\"nonce\":\"A\",\"secrets\":[]}",
	    "member must be a non-empty array within its limit");
	refused("{\"nonce\":\"A\",\"secrets\":[\"a\",\"b\",\"c\",\"d\"]}",
	    "member must be a non-empty array within its limit");
	refused("{\"nonce\":\"A\",\"secrets\":[\"a\",1]}", "array entries must be strings");
	refused("{\"nonce\":\"A\",\"secrets\":[[\"a\"]]}", "array entries must be strings");
	refused("[\"nonce\"]", "the body must be a JSON object");
	refused("\"nonce\"", "the body must be a JSON object");
	refused("{\"nonce\":\"A\",\"secrets\":[\"a\"]} x", reason_json);
	refused("{\"nonce\":\"A\",\"secrets\":[\"a\"],}", reason_json);
	refused("{\"nonce\":\"A\\u0000\",\"secrets\":[\"a\"]}", reason_json);
	refused("{\"nonce\":\"\xff\",\"secrets\":[\"a\"]}", reason_json);
}

static void
test_deep_and_wide(void)
{
	char deep[256], wide[8192];
	size_t off = 0;
	int i;

	/* Nesting past the reader's depth limit, as one value of a known member. */
	off = (size_t)snprintf(deep, sizeof(deep), "{\"nonce\":\"A\",\"secrets\":");
	for (i = 0; i < 40; i++)
		deep[off++] = '[';
	for (i = 0; i < 40; i++)
		deep[off++] = ']';
	snprintf(deep + off, sizeof(deep) - off, "}");
	refused(deep, "not strict JSON (syntax, duplicate member, or limits)");
	/* More members than an object may have. */
	off = (size_t)snprintf(wide, sizeof(wide), "{");
	for (i = 0; i < PJ_MAX_MEMBERS + 1; i++)
		off += (size_t)snprintf(
		    wide + off, sizeof(wide) - off, "%s\"m%d\":1", i ? "," : "", i);
	snprintf(wide + off, sizeof(wide) - off, "}");
	refused(wide, "not strict JSON (syntax, duplicate member, or limits)");
}

static void
test_b64(void)
{
	const struct pj_node *nodes[F_COUNT];
	struct pj_node *root = NULL;
	const char *reason = NULL;
	uint8_t out[4] = { 0xee, 0xee, 0xee, 0xee };
	size_t len = 99;
	struct {
		const char *b64;
		size_t out_size;
		int want;
		size_t want_len;
	} cases[] = {
		{ "AAECAw==", 4, 0, 4 },
		{ "AAECAw==", 3, KBS_ERR_BAD_BASE64, 0 },    /* does not fit */
		{ "AAECAwQ=", 4, KBS_ERR_BAD_BASE64, 0 },    /* one byte too many */
		{ "AAECAx==", 4, KBS_ERR_BAD_BASE64, 0 },    /* pad bits set */
		{ "AAECAw", 4, KBS_ERR_BAD_BASE64, 0 },      /* no padding */
		{ "AAEC Aw==", 4, KBS_ERR_BAD_BASE64, 0 },   /* whitespace */
		{ "AAEC\\nAw==", 4, KBS_ERR_BAD_BASE64, 0 }, /* a line break */
		{ "AAE-Aw==", 4, KBS_ERR_BAD_BASE64, 0 },    /* base64url */
		{ "", 4, 0, 0 },
	};
	char body[128];
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		snprintf(
		    body, sizeof(body), "{\"nonce\":\"%s\",\"secrets\":[\"a\"]}", cases[i].b64);
		CHECK_OK(kbs_request_parse(
		    (const uint8_t *)body, strlen(body), fields, F_COUNT, &root, nodes, &reason));
		if (root == NULL)
			continue;
		len = 99;
		CHECK_ERR(
		    kbs_request_b64(nodes[F_NONCE], out, cases[i].out_size, &len), cases[i].want);
		if (cases[i].want == 0)
			CHECK_UINT_EQ(len, cases[i].want_len);
		pj_free(root);
		root = NULL;
	}
	/* The last refusal ("AAE-Aw==") zeroed what it had decoded (kbs_codec.h). */
	CHECK_MEM_EQ(out, "\x00\x00\x00\x00", 4);
}

TEST_MAIN(TEST(test_accepts), TEST(test_refusals), TEST(test_deep_and_wide), TEST(test_b64))
