/*
 * test_parse.c: policy_parse, the strict reading of policy files.
 *
 * Every kind of error (syntax, limit, unknown key, duplicate key, wrong
 * type, malformed value, missing key, version, size) fails with its exact
 * code and the exact message policy_error_format prints: line, column,
 * key path and sentence. No error leaves a policy behind.
 */
#include "policy.h"
#include "test.h"

#define HEAD "{\"kbs_policy\": 1, \"name\": \"t\", \"rules\": "
#define ZERO32 "00000000000000000000000000000000"
#define ZERO48 ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define ONE48 ZERO32 "0000000000000000000000000000000000000000000000000000000000000001"

struct bad_case {
	const char *json;
	int code;
	const char *message; /* policy_error_format output */
};

static const struct bad_case bad_cases[] = {
	/* unknown keys, with a suggestion when one is close */
	{ "{\"kbs_policy\": 1, \"name\": \"t\",\n  \"rules\": {\n    \"measurment\": []\n  }\n}",
	    KBS_ERR_POLICY_UNKNOWN_KEY,
	    "3:5: rules.measurment: unknown key \"measurment\" (did you mean \"measurement\"?) "
	    "(policy_unknown_key)" },
	{ "{\"kbs_policy\": 1, \"name\": \"t\", \"rulez\": {}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:32: rulez: unknown key \"rulez\" (did you mean \"rules\"?) (policy_unknown_key)" },
	{ HEAD "{\"guest_policy\": {\"debug_alowed\": true}}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:59: rules.guest_policy.debug_alowed: unknown key \"debug_alowed\" (did you mean "
	    "\"debug_allowed\"?) (policy_unknown_key)" },
	{ HEAD "{\"min_tcb\": {\"rome\": {\"snp\": 1}}}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:54: rules.min_tcb.rome: unknown key \"rome\" (policy_unknown_key)" },
	{ HEAD "{\"min_tcb\": {\"milan\": {\"fmc\": 1}}}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:64: rules.min_tcb.milan.fmc: unknown key \"fmc\": milan has no FMC component "
	    "(Turin only) (policy_unknown_key)" },
	{ HEAD "{\"min_tcb\": {\"turin\": {\"snpp\": 1}}}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:64: rules.min_tcb.turin.snpp: unknown key \"snpp\" (expected fmc (Turin only), "
	    "bootloader, tee, snp or microcode) (policy_unknown_key)" },
	{ HEAD "{\"min_tcb.milan\": {\"snp\": 1}, \"min_tcb\": {\"milan\": {\"snp\": 9}}}}",
	    KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:42: rules.min_tcb.milan: unknown key \"min_tcb.milan\" (keys are lower-case letters, "
	    "digits and '_') (policy_unknown_key)" },
	{ HEAD "{\"Measurement\": []}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:42: rules.Measurement: unknown key \"Measurement\" (keys are lower-case letters, "
	    "digits and '_') (policy_unknown_key)" },
	/*
	 * Escapes in member names: a reviewer reading "\u0064ebug_allowed"
	 * may take it for an unknown key the parser refuses, so it is one.
	 */
	{ HEAD "{\"guest_policy\": {\"\\u0064ebug_allowed\": true}}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:59: rules.guest_policy: member name is not plain printable ASCII (no escapes) "
	    "(policy_unknown_key)" },
	{ "{\"kbs_policy\": 1, \"name\": \"t\", \"rules\": {}, \"\\/x\": 1}",
	    KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:45: member name is not plain printable ASCII (no escapes) (policy_unknown_key)" },
	/*
	 * Nor may a name carry terminal escapes or bidi overrides into an
	 * error message: the name is not echoed, in the message or the path.
	 */
	{ HEAD "{\"\\u001b]0;x\\u0007\": 1}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:42: rules: member name is not plain printable ASCII (no escapes) "
	    "(policy_unknown_key)" },
	{ HEAD "{\"a\xe2\x80\xae\": 1}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:42: rules: member name is not plain printable ASCII (no escapes) "
	    "(policy_unknown_key)" },
	{ HEAD "{\"a\xc2\x9b\": 1}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:42: rules: member name is not plain printable ASCII (no escapes) "
	    "(policy_unknown_key)" },
	{ HEAD "{\"vmpl\": {\"maximum\": 0}}}", KBS_ERR_POLICY_UNKNOWN_KEY,
	    "1:51: rules.vmpl.maximum: unknown key \"maximum\" (expected \"min\" or \"max\") "
	    "(policy_unknown_key)" },
	/* duplicates: keys at any level, and list entries */
	{ HEAD "{\"vmpl\": {\"max\": 0, \"max\": 1}}}", KBS_ERR_POLICY_DUPLICATE_KEY,
	    "1:61: rules.vmpl.max: duplicate key \"max\" (first at line 1, column 51) "
	    "(policy_duplicate_key)" },
	{ "{\"kbs_policy\": 1, \"name\": \"t\", \"name\": \"u\", \"rules\": {}}",
	    KBS_ERR_POLICY_DUPLICATE_KEY,
	    "1:32: name: duplicate key \"name\" (first at line 1, column 19) "
	    "(policy_duplicate_key)" },
	{ HEAD "{\"signing_key\": [\"vcek\", \"vcek\"]}}", KBS_ERR_POLICY_VALUE,
	    "1:66: rules.signing_key[1]: lists the same value twice (policy_value)" },
	{ HEAD "{\"host_data\": [\""
	       "0000000000000000000000000000000000000000000000000000000000000000"
	       "\", \""
	       "0000000000000000000000000000000000000000000000000000000000000000"
	       "\"]}}",
	    KBS_ERR_POLICY_VALUE,
	    "1:124: rules.host_data[1]: lists the same value twice (policy_value)" },
	/*
	 * All zero is what a report shows when it has no ID block or attests
	 * no chip id, so such an entry would admit exactly those reports.
	 */
	{ HEAD "{\"id_key_digest\": [\"" ZERO48 "\"]}}", KBS_ERR_POLICY_VALUE,
	    "1:60: rules.id_key_digest[0]: is all zero, which is what a guest launched without an "
	    "ID block shows, so it would admit every such guest (policy_value)" },
	{ HEAD "{\"id_key_digest\": [\"" ONE48 "\", \"" ZERO48 "\"]}}", KBS_ERR_POLICY_VALUE,
	    "1:160: rules.id_key_digest[1]: is all zero, which is what a guest launched without an "
	    "ID block shows, so it would admit every such guest (policy_value)" },
	{ HEAD "{\"chip_id\": {\"allow\": [\"" ZERO48 ZERO32 "\"]}}}", KBS_ERR_POLICY_VALUE,
	    "1:64: rules.chip_id.allow[0]: is all zero, which is what a VLEK-signed report or a "
	    "masked chip id shows, so it would admit every such report (policy_value)" },
	/* wrong types */
	{ HEAD "{\"vmpl\": {\"max\": \"0\"}}}", KBS_ERR_POLICY_TYPE,
	    "1:58: rules.vmpl.max: must be an integer, not a string (policy_type)" },
	{ HEAD "{\"min_guest_svn\": 8.0}}", KBS_ERR_POLICY_TYPE,
	    "1:59: rules.min_guest_svn: must be an integer (no fraction or exponent) (policy_type)" },
	{ HEAD "{\"min_guest_svn\": 1e2}}", KBS_ERR_POLICY_TYPE,
	    "1:59: rules.min_guest_svn: must be an integer (no fraction or exponent) (policy_type)" },
	{ HEAD "{\"measurement\": \"00\"}}", KBS_ERR_POLICY_TYPE,
	    "1:57: rules.measurement: must be an array, not a string (policy_type)" },
	{ HEAD "{\"guest_policy\": {\"debug_allowed\": 0}}}", KBS_ERR_POLICY_TYPE,
	    "1:76: rules.guest_policy.debug_allowed: must be true or false, not a number "
	    "(policy_type)" },
	{ HEAD "{\"guest_policy\": true}}", KBS_ERR_POLICY_TYPE,
	    "1:58: rules.guest_policy: must be an object, not a boolean (policy_type)" },
	{ HEAD "[]}", KBS_ERR_POLICY_TYPE,
	    "1:41: rules: must be an object, not an array (policy_type)" },
	{ "[1]", KBS_ERR_POLICY_TYPE,
	    "1:1: a policy must be a JSON object, not an array (policy_type)" },
	{ "{\"kbs_policy\": \"1\", \"name\": \"t\", \"rules\": {}}", KBS_ERR_POLICY_TYPE,
	    "1:16: kbs_policy: must be the integer 1 (policy_type)" },
	{ HEAD "{\"platform_info\": {\"smt\": false}}}", KBS_ERR_POLICY_TYPE,
	    "1:67: rules.platform_info.smt: must be a string (\"required\", \"forbidden\" or "
	    "\"allowed\"), not a boolean (policy_type)" },
	/* malformed hex: exact length per field, hex digits only */
	{ HEAD "{\"measurement\": [\"abcd\"]}}", KBS_ERR_POLICY_VALUE,
	    "1:58: rules.measurement[0]: must be exactly 96 hex digits (48 bytes), not 4 characters "
	    "(policy_value)" },
	{ HEAD
	    "{\"host_data\": [\"zz00000000000000000000000000000000000000000000000000000000000000\"]}}",
	    KBS_ERR_POLICY_VALUE,
	    "1:56: rules.host_data[0]: must be exactly 64 hex digits (0-9, a-f) (policy_value)" },
	{ HEAD "{\"chip_id\": {\"allow\": [\"0x00\"]}}}", KBS_ERR_POLICY_VALUE,
	    "1:64: rules.chip_id.allow[0]: must be exactly 128 hex digits (64 bytes), not 4 "
	    "characters (policy_value)" },
	{ HEAD "{\"required_mitigations\": {\"current\": \"0b\"}}}", KBS_ERR_POLICY_VALUE,
	    "1:78: rules.required_mitigations.current: must be exactly 16 hex digits (8 bytes), not "
	    "2 characters (policy_value)" },
	/* out-of-range numbers and versions */
	{ HEAD "{\"min_tcb\": {\"milan\": {\"snp\": 256}}}}", KBS_ERR_POLICY_VALUE,
	    "1:71: rules.min_tcb.milan.snp: must be an integer from 0 to 255 (policy_value)" },
	{ HEAD "{\"vmpl\": {\"max\": 4}}}", KBS_ERR_POLICY_VALUE,
	    "1:58: rules.vmpl.max: must be an integer from 0 to 3 (policy_value)" },
	{ HEAD "{\"min_guest_svn\": -1}}", KBS_ERR_POLICY_VALUE,
	    "1:59: rules.min_guest_svn: must be an integer from 0 to 4294967295 (policy_value)" },
	{ HEAD "{\"min_guest_svn\": 99999999999999999999999}}", KBS_ERR_POLICY_VALUE,
	    "1:59: rules.min_guest_svn: must be an integer from 0 to 4294967295 (policy_value)" },
	{ HEAD "{\"guest_policy\": {\"abi_min\": \"1.256\"}}}", KBS_ERR_POLICY_VALUE,
	    "1:70: rules.guest_policy.abi_min: must be \"major.minor\" with each part a decimal "
	    "number from 0 to 255 (policy_value)" },
	{ HEAD "{\"guest_policy\": {\"abi_min\": \"1.051\"}}}", KBS_ERR_POLICY_VALUE,
	    "1:70: rules.guest_policy.abi_min: must be \"major.minor\" with each part a decimal "
	    "number from 0 to 255 (policy_value)" },
	{ HEAD "{\"min_firmware\": {\"genoa\": \"1.55\"}}}", KBS_ERR_POLICY_VALUE,
	    "1:68: rules.min_firmware.genoa: must be \"major.minor.build\" with each part a decimal "
	    "number from 0 to 255 (policy_value)" },
	{ HEAD "{\"vmpl\": {\"min\": 2, \"max\": 1}}}", KBS_ERR_POLICY_VALUE,
	    "1:50: rules.vmpl: \"min\" is greater than \"max\", so no VMPL would pass (policy_value)" },
	{ HEAD "{\"product\": [\"Milan-B0\"]}}", KBS_ERR_POLICY_VALUE,
	    "1:54: rules.product[0]: must be \"milan\", \"genoa\" or \"turin\" (policy_value)" },
	{ HEAD "{\"platform_info\": {\"tsme\": \"yes\"}}}", KBS_ERR_POLICY_VALUE,
	    "1:68: rules.platform_info.tsme: must be \"required\", \"forbidden\" or \"allowed\" "
	    "(policy_value)" },
	{ HEAD "{\"revocation\": \"yes\"}}", KBS_ERR_POLICY_VALUE,
	    "1:56: rules.revocation: must be \"required\" or \"optional\" (policy_value)" },
	{ HEAD "{\"revocation\": true}}", KBS_ERR_POLICY_TYPE,
	    "1:56: rules.revocation: must be a string (\"required\" or \"optional\"), not a "
	    "boolean (policy_type)" },
	{ "{\"kbs_policy\": 1, \"name\": \"a b\", \"rules\": {}}", KBS_ERR_POLICY_VALUE,
	    "1:27: name: may hold only letters, digits, '.', '_' and '-' (policy_value)" },
	/* missing keys */
	{ "{\"kbs_policy\": 1, \"rules\": {}}", KBS_ERR_POLICY_MISSING_KEY,
	    "1:1: lacks \"name\" (policy_missing_key)" },
	{ "{\"kbs_policy\": 1, \"name\": \"t\"}", KBS_ERR_POLICY_MISSING_KEY,
	    "1:1: lacks \"rules\" (policy_missing_key)" },
	{ "{\"name\": \"t\", \"rules\": {}}", KBS_ERR_POLICY_MISSING_KEY,
	    "1:1: lacks \"kbs_policy\" (the language version, 1) (policy_missing_key)" },
	{ HEAD "{\"vmpl\": {}}}", KBS_ERR_POLICY_MISSING_KEY,
	    "1:50: rules.vmpl: needs \"min\", \"max\" or both (policy_missing_key)" },
	{ HEAD "{\"min_tcb\": {\"milan\": {}}}}", KBS_ERR_POLICY_MISSING_KEY,
	    "1:63: rules.min_tcb.milan: names no TCB component (policy_missing_key)" },
	{ HEAD
	    "{\"tcb_deny\": [{\"product\": \"milan\", \"bootloader\": 3, \"tee\": 0, \"snp\": 8}]}}",
	    KBS_ERR_POLICY_MISSING_KEY,
	    "1:55: rules.tcb_deny[0]: lacks \"microcode\" (every component of a milan TCB must be "
	    "given) (policy_missing_key)" },
	/* version */
	{ "{\"kbs_policy\": 2, \"name\": \"t\", \"rules\": {}}", KBS_ERR_POLICY_VERSION,
	    "1:16: kbs_policy: language version 2 is not supported (this program reads version 1) "
	    "(policy_version)" },
	/* A future version is refused as such, before its unknown keys. */
	{ "{\"rules\": {\"new_rule\": 1}, \"kbs_policy\": 2, \"name\": \"t\"}",
	    KBS_ERR_POLICY_VERSION,
	    "1:42: kbs_policy: language version 2 is not supported (this program reads version 1) "
	    "(policy_version)" },
	/* JSON syntax */
	{ HEAD "{\"min_guest_svn\": NaN}}", KBS_ERR_POLICY_SYNTAX,
	    "1:59: rules.min_guest_svn: expected a JSON value (policy_syntax)" },
	{ HEAD "{\"min_guest_svn\": 01}}", KBS_ERR_POLICY_SYNTAX,
	    "1:59: rules.min_guest_svn: number has a leading zero (policy_syntax)" },
	{ HEAD "{}} x", KBS_ERR_POLICY_SYNTAX,
	    "1:45: unexpected data after the end of the JSON value (policy_syntax)" },
	{ HEAD "{},}", KBS_ERR_POLICY_SYNTAX,
	    "1:44: expected a member name in quotes (policy_syntax)" },
	{ HEAD "{} /* c */}", KBS_ERR_POLICY_SYNTAX,
	    "1:44: expected ',' or '}' in object (policy_syntax)" },
	{ HEAD "{\"measurement\": [\"ab\",]}}", KBS_ERR_POLICY_SYNTAX,
	    "1:63: rules.measurement[1]: expected a JSON value (policy_syntax)" },
	{ "{'kbs_policy': 1}", KBS_ERR_POLICY_SYNTAX,
	    "1:2: expected a member name in quotes (policy_syntax)" },
	{ "\xef\xbb\xbf{}", KBS_ERR_POLICY_SYNTAX,
	    "1:1: byte order mark is not allowed (policy_syntax)" },
	{ "{\"name\": \"\xc3\x28\"}", KBS_ERR_POLICY_SYNTAX,
	    "1:11: name: invalid UTF-8 in string (policy_syntax)" },
	{ "{\"name\": \"\xed\xa0\x80\"}", KBS_ERR_POLICY_SYNTAX,
	    "1:11: name: invalid UTF-8 in string (policy_syntax)" },
	{ "{\"name\": \"\\ud800\"}", KBS_ERR_POLICY_SYNTAX,
	    "1:11: name: unpaired surrogate in \\u escape (policy_syntax)" },
	{ "{\"name\": \"a\\u0000\"}", KBS_ERR_POLICY_SYNTAX,
	    "1:12: name: \\u0000 is not allowed in strings (policy_syntax)" },
	{ "{\"name\": \"a\tb\"}", KBS_ERR_POLICY_SYNTAX,
	    "1:12: name: control character in string (escape it) (policy_syntax)" },
	{ "{\"name\": \"abc", KBS_ERR_POLICY_SYNTAX,
	    "1:10: name: unterminated string (policy_syntax)" },
	{ "", KBS_ERR_POLICY_SYNTAX, "1:1: unexpected end of input (policy_syntax)" },
	{ "{\"kbs_policy\": 1,\n \"name\": \"t\",\n\n   \"rules\": nul}", KBS_ERR_POLICY_SYNTAX,
	    "4:13: rules: expected a JSON value (policy_syntax)" },
};

static void
test_bad_policies(void)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct policy *p = NULL;
		struct policy_error err;
		char msg[512];

		CHECK_ERR(
		    policy_parse((const uint8_t *)c->json, strlen(c->json), &p, &err), c->code);
		CHECK(p == NULL);
		CHECK_INT_EQ(err.code, c->code);
		policy_error_format(&err, msg, sizeof(msg));
		if (strcmp(msg, c->message) != 0)
			fprintf(stderr, "case %zu: %s\n", i, c->json);
		CHECK_STR_EQ(msg, c->message);
	}
}

static void
test_limits(void)
{
	struct policy *p = NULL;
	struct policy_error err;
	char *buf;
	size_t n, i;
	char msg[512];

	/* Nesting: 16 levels is fine (then fails on the unknown key), 17 is a limit error. */
	buf = malloc(200);
	CHECK(buf != NULL);
	n = (size_t)snprintf(buf, 200, HEAD "{\"x\": %s%s}}", "[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]");
	CHECK_ERR(policy_parse((uint8_t *)buf, n, &p, &err), KBS_ERR_POLICY_UNKNOWN_KEY);
	n = (size_t)snprintf(buf, 200, HEAD "{\"x\": %s%s}}", "[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]");
	CHECK_ERR(policy_parse((uint8_t *)buf, n, &p, &err), KBS_ERR_POLICY_LIMIT);
	policy_error_format(&err, msg, sizeof(msg));
	CHECK_STR_EQ(msg,
	    "1:61: rules.x[0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nesting is "
	    "deeper than 16 levels (policy_limit)");
	free(buf);

	/* Size: POLICY_MAX_FILE_SIZE bytes parse, one more is refused before parsing. */
	buf = malloc(POLICY_MAX_FILE_SIZE + 2);
	CHECK(buf != NULL);
	n = (size_t)snprintf(buf, 100, HEAD "{}, \"description\": \"");
	memset(buf + n, 'a', POLICY_MAX_FILE_SIZE - n - 2);
	memcpy(buf + POLICY_MAX_FILE_SIZE - 2, "\"}", 2);
	/* description is capped at 4096 bytes: this fails on the value, not the size */
	CHECK_ERR(
	    policy_parse((uint8_t *)buf, POLICY_MAX_FILE_SIZE, &p, &err), KBS_ERR_POLICY_VALUE);
	CHECK_STR_EQ(err.path, "description");
	CHECK_ERR(
	    policy_parse((uint8_t *)buf, POLICY_MAX_FILE_SIZE + 1, &p, &err), KBS_ERR_TOO_LARGE);
	policy_error_format(&err, msg, sizeof(msg));
	CHECK_STR_EQ(msg, "1:1: file is larger than 262144 bytes (too_large)");

	/* Array length: 4096 elements is the cap. */
	n = (size_t)snprintf(buf, 100, HEAD "{\"x\": [");
	for (i = 0; i < 4097; i++) {
		buf[n++] = '0';
		buf[n++] = ',';
	}
	buf[n - 1] = ']';
	buf[n++] = '}';
	buf[n++] = '}';
	CHECK_ERR(policy_parse((uint8_t *)buf, n, &p, &err), KBS_ERR_POLICY_LIMIT);
	CHECK_STR_EQ(err.message, "array has too many elements");
	CHECK_STR_EQ(err.path, "rules.x[4096]");
	free(buf);
	CHECK_ERR(policy_parse(NULL, 1, &p, &err), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(policy_parse((const uint8_t *)"{}", 2, NULL, &err), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(policy_parse((const uint8_t *)"{}", 2, &p, NULL), KBS_ERR_POLICY_MISSING_KEY);
	CHECK(p == NULL);
}

static void
test_good_policy(void)
{
	static const char minimal[] = "{\"kbs_policy\": 1, \"name\": \"t\", \"rules\": {}}";
	static const char full[] =
	    "{\n"
	    "  \"kbs_policy\": 1,\n"
	    "  \"name\": \"prod-disk-unlock\",\n"
	    "  \"description\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\n\",\n"
	    "  \"rules\": {\n"
	    "    \"measurement\": "
	    "[\"7A1E5C266C0108DBC9BB94FA926951320940915D0AAFB42464BD88B579EA158D3E1A0DC39B2C60BD95B"
	    "9C480CD81841F\"],\n"
	    "    \"guest_policy\": { \"debug_allowed\": false, \"migration_agent_allowed\": false, "
	    "\"smt_allowed\": true, \"abi_min\": \"1.51\" },\n"
	    "    \"vmpl\": { \"max\": 0 },\n"
	    "    \"min_tcb\": { \"milan\": { \"bootloader\": 3, \"tee\": 0, \"snp\": 8, "
	    "\"microcode\": 115 },\n"
	    "                 \"turin\": { \"fmc\": 0, \"bootloader\": 1, \"tee\": 0, \"snp\": 2, "
	    "\"microcode\": 71 } },\n"
	    "    \"signing_key\": [\"vcek\", \"vlek\"],\n"
	    "    \"csp_id\": [\"CN=cc-us-east-2.amazonaws.com\"],\n"
	    "    \"min_guest_svn\": 4294967295\n"
	    "  }\n"
	    "}\n";
	struct policy *p = NULL;
	struct policy_error err;

	CHECK_OK(policy_parse((const uint8_t *)minimal, strlen(minimal), &p, &err));
	CHECK(p != NULL);
	/* `printf '%s' '...' | sha256sum` of the minimal policy */
	CHECK_STR_EQ(
	    policy_hash(p), "aa6609bc1dc1ea1a1b0a1caa701b0afd71aaeee624178500e11374b0d8665dd6");
	CHECK_STR_EQ(policy_name(p), "t");
	CHECK_STR_EQ(policy_description(p), "");
	policy_free(p);
	p = NULL;
	CHECK_OK(policy_parse((const uint8_t *)full, strlen(full), &p, &err));
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_STR_EQ(policy_name(p), "prod-disk-unlock");
		CHECK_STR_EQ(policy_description(p), "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \n");
	}
	policy_free(p);
	policy_free(NULL);
}

static void
test_example_policies(void)
{
	static const char *const files[] = { "deploy/policies/prod-disk-unlock.json",
		"deploy/policies/mpc-party.json", "deploy/policies/permissive-dev.json" };
	const char *root = getenv("KBS_SOURCE_ROOT");
	char path[4096];
	size_t i, len;

	CHECK(root != NULL);
	for (i = 0; root != NULL && i < KBS_ARRAY_SIZE(files); i++) {
		struct policy *p = NULL;
		struct policy_error err;
		uint8_t *data;

		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		data = test_read(path, &len);
		CHECK_OK(policy_parse(data, len, &p, &err));
		policy_free(p);
		free(data);
	}
}

TEST_MAIN(
    TEST(test_bad_policies), TEST(test_limits), TEST(test_good_policy), TEST(test_example_policies))
