/*
 * policy.h: the public header of policy/, the policy language.
 *
 * A policy is one strict JSON file (docs/policy.md documents every key).
 * Its identity is the SHA-256 of the file bytes, so `sha256sum FILE` and
 * policy_hash() print the same 64 hex digits.
 *
 * Use:
 *   policy_parse      bytes -> struct policy (strict: unknown or duplicate
 *                     keys, wrong types, malformed hex and out-of-range
 *                     numbers are errors naming the key path, line, column);
 *   policy_eval       (verified report, verifier result, policy) -> decision
 *                     and one result per rule; pure, no allocation, no I/O;
 *   policy_result_print_text / policy_result_to_json
 *                     the one rendering of a result, shared by
 *                     `kbs-policy test` and `kbs-client verify --policy`;
 *   policy_lint, policy_explain, policy_diff
 *                     reviewer tools over a parsed policy.
 *
 * Errors are KBS_ERR_* codes (common/kbs_err.h). Functions that can fail
 * are KBS_MUST_CHECK; destructors accept NULL. A struct policy is
 * immutable after parsing and may be shared between threads.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kbs_common.h"
#include "snp.h"

#define POLICY_MAX_FILE_SIZE (256u * 1024u) /* larger files are rejected */
#define POLICY_MAX_DEPTH 16                 /* JSON nesting limit */
#define POLICY_LANGUAGE_VERSION 1           /* the only "kbs_policy" accepted */

struct policy; /* opaque, immutable once parsed */

/*
 * Where and why a policy failed to parse. path is the key path from the
 * top of the file ("rules.min_tcb.milan.snp", "rules.measurement[2]"), ""
 * when the failure is not inside a value (a JSON syntax error at the top).
 * line and column are 1-based and point at the offending key or value
 * (columns count bytes).
 */
struct policy_error {
	int code; /* KBS_ERR_POLICY_* (or KBS_ERR_TOO_LARGE, KBS_ERR_ALLOC) */
	char path[128];
	unsigned line;
	unsigned column;
	char message[192]; /* English, names the problem; never echoes long input */
};

/*
 * policy_parse parses data[0..len) into *ret. On failure *err (if not NULL)
 * says what and where; *ret is set only on success. Codes:
 * KBS_ERR_TOO_LARGE (len > POLICY_MAX_FILE_SIZE), KBS_ERR_POLICY_SYNTAX
 * (not JSON, trailing bytes, invalid UTF-8), KBS_ERR_POLICY_LIMIT (nesting,
 * list length), KBS_ERR_POLICY_UNKNOWN_KEY, KBS_ERR_POLICY_DUPLICATE_KEY,
 * KBS_ERR_POLICY_TYPE, KBS_ERR_POLICY_VALUE, KBS_ERR_POLICY_MISSING_KEY,
 * KBS_ERR_POLICY_VERSION, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int policy_parse(
    const uint8_t *data, size_t len, struct policy **ret, struct policy_error *err);

/*
 * policy_parse_file reads path (at most POLICY_MAX_FILE_SIZE bytes) and
 * parses it. Returns 0, a policy_parse code with *err filled (an oversized
 * file is KBS_ERR_TOO_LARGE at 1:1), or, when the file cannot be read,
 * KBS_ERR_SYSTEM (errno kept) or another I/O code, with err->message
 * saying why and err->line 0.
 */
KBS_MUST_CHECK int policy_parse_file(
    const char *path, struct policy **ret, struct policy_error *err);

/*
 * policy_error_format writes "LINE:COL: PATH: MESSAGE (code_name)" (no
 * "PATH: " when the path is empty) into out, truncating to out_size.
 */
void policy_error_format(const struct policy_error *err, char *out, size_t out_size);

void policy_free(struct policy *policy);

/* policy_hash: the SHA-256 of the parsed bytes, 64 lower-case hex digits. */
const char *policy_hash(const struct policy *policy);
/* policy_name: the "name" member. */
const char *policy_name(const struct policy *policy);
/* policy_description: the "description" member, "" when absent. */
const char *policy_description(const struct policy *policy);

/* ---- Evaluation ------------------------------------------------------ */

enum policy_outcome {
	POLICY_OUTCOME_PASS = 0,
	POLICY_OUTCOME_FAIL,
	POLICY_OUTCOME_NOT_APPLICABLE, /* e.g. min_tcb.genoa for a Milan report */
};

/* policy_outcome_name: "pass", "fail", "not_applicable". */
const char *policy_outcome_name(enum policy_outcome outcome);

enum policy_decision {
	POLICY_DENY = 0,
	POLICY_ALLOW,
};

/* policy_decision_name: "allow", "deny". */
const char *policy_decision_name(enum policy_decision decision);

#define POLICY_MAX_RESULTS 64
#define POLICY_TEXT_SIZE 200

struct policy_rule_result {
	const char *rule; /* stable id: "evidence", "min_tcb.milan", ... (static) */
	enum policy_outcome outcome;
	char expected[POLICY_TEXT_SIZE]; /* what the policy asks, for people */
	char actual[POLICY_TEXT_SIZE];   /* what the evidence shows */
};

/*
 * The rows are in a fixed order: "evidence" first (the verifier's verdict,
 * failed when verify->err != 0), then every rule the policy sets or that
 * applies by default, in the order of docs/policy.md.
 */
struct policy_result {
	enum policy_decision decision; /* ALLOW iff no row failed */
	size_t failed;                 /* number of failed rows */
	size_t count;
	struct policy_rule_result rules[POLICY_MAX_RESULTS];
};

/*
 * policy_eval evaluates every rule of policy against report (parsed by
 * snp_report_parse) and verify (filled by snp_verify_report: product,
 * signer, csp_id and err are used). It never stops at the first failure.
 * A report whose verification failed (verify->err != 0) is denied, with
 * the failed check named in the "evidence" row. Pure: no I/O, no clock,
 * no allocation, no global state; a few microseconds.
 * Returns 0 (the decision is in *ret) or KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int policy_eval(const struct snp_report *report,
    const struct snp_verify_result *verify, const struct policy *policy, struct policy_result *ret);

/*
 * policy_result_print_text prints the decision and one line per row:
 *   policy NAME sha256 HASH
 *   decision: allow|deny (N of M rules failed)
 *   pass|FAIL|n/a  RULE: expected ...; actual ...
 * Returns 0 or KBS_ERR_IO.
 */
KBS_MUST_CHECK int policy_result_print_text(
    FILE *f, const struct policy *policy, const struct policy_result *result);

/*
 * policy_result_to_json renders {"policy":{"name","sha256"},"decision",
 * "failed","rules":[{"rule","result","expected","actual"}...]} as a
 * malloc'd NUL-terminated string in *ret_json (free() it).
 * Returns 0 or KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int policy_result_to_json(
    const struct policy *policy, const struct policy_result *result, char **ret_json);

/*
 * policy_rule_id returns the id of the i-th possible result row
 * ("evidence" first, then the rule table's order), NULL past the last: a
 * fixed set, for metrics labels that callers cannot make up.
 */
const char *policy_rule_id(size_t i);

/* ---- Reviewer tools -------------------------------------------------- */

enum policy_severity {
	POLICY_WARNING = 0,
	POLICY_ERROR,
};

#define POLICY_MAX_FINDINGS 64

struct policy_finding {
	enum policy_severity severity;
	char path[128]; /* key path, as in policy_error */
	char message[256];
};

struct policy_lint_result {
	size_t errors;
	size_t warnings;
	size_t count; /* findings kept (at most POLICY_MAX_FINDINGS) */
	struct policy_finding findings[POLICY_MAX_FINDINGS];
};

/*
 * policy_lint checks a parsed policy for risky choices (warnings) and for
 * rules that contradict each other so that nothing could pass (errors).
 * docs/policy.md lists every finding. Never fails.
 */
void policy_lint(const struct policy *policy, struct policy_lint_result *ret);

/*
 * policy_explain writes the policy in plain English, one sentence per
 * rule, to f. Returns 0 or KBS_ERR_IO.
 */
KBS_MUST_CHECK int policy_explain(FILE *f, const struct policy *policy);

enum policy_change {
	POLICY_SAME = 0,
	POLICY_STRICTER,
	POLICY_LOOSER,
	POLICY_CHANGED, /* neither: some evidence newly passes, other newly fails */
};

/* policy_change_name: "same", "stricter", "looser", "changed". */
const char *policy_change_name(enum policy_change change);

/*
 * policy_diff writes, rule by rule, what differs between old and new
 * ("stricter", "looser", "changed") with both values, then a summary line,
 * to f. *ret_overall is the combined change (SAME when nothing differs).
 * Returns 0 or KBS_ERR_IO.
 */
KBS_MUST_CHECK int policy_diff(FILE *f, const struct policy *old_policy,
    const struct policy *new_policy, enum policy_change *ret_overall);

#endif
