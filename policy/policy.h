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
 *   policy_verify     the one evidence pipeline, for the broker, `kbs-policy
 *                     test` and `kbs-client verify`: report, certificates or
 *                     certificate table, CRL (bytes, within the limits
 *                     below) -> one verification -> struct policy_verified;
 *   policy_eval       (policy_verified, policy) -> decision and one result
 *                     per rule; pure, no allocation, no I/O; any number of
 *                     policies against one verification;
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

/* ---- Evidence: the one pipeline from bytes to verified evidence ------- */

/*
 * The limits of policy_verify's inputs: the one set every caller uses.
 * The tools read files with them as caps (policy_input_read_file), the
 * broker caps the fields of a request by them, and policy_verify refuses
 * anything larger (KBS_ERR_TOO_LARGE). A report is exactly
 * SNP_REPORT_SIZE bytes; up to POLICY_INPUT_REPORT_MAX are taken so that
 * a wrong file is reported as the wrong length (KBS_ERR_REPORT_LENGTH).
 * A certificate blob is one DER certificate or a PEM bundle; the blobs
 * and the table together hold at most 16 certificates (snp/).
 */
#define POLICY_INPUT_REPORT_MAX (64u * 1024)
#define POLICY_INPUT_CERT_MAX (256u * 1024)      /* per certificate blob */
#define POLICY_INPUT_CERT_BLOBS_MAX 8            /* certificate blobs per call */
#define POLICY_INPUT_CERTTABLE_MAX (256u * 1024) /* the extended report's certificate table */
#define POLICY_INPUT_CRL_MAX (1024u * 1024)      /* per CRL, DER or PEM */

/* Bytes the caller owns; policy_verify only reads them during the call. */
struct policy_blob {
	const uint8_t *data;
	size_t len;
};

/*
 * A revocation list for one chain: its bytes (DER or PEM), or one the
 * caller parsed with snp_crl_load_for and keeps (the broker caches
 * CRLs), never both. All zero: no list.
 */
struct policy_crl_input {
	const uint8_t *data;
	size_t len;
	const struct snp_crl *parsed; /* borrowed, only read; may be shared between threads */
};

/* Everything policy_verify takes. Zero-initialise, then set what is given. */
struct policy_input {
	const uint8_t *report; /* the 1184-byte attestation report */
	size_t report_len;
	const struct policy_blob *certs; /* VCEK/VLEK and chain: each DER or PEM, any order */
	size_t cert_count;
	const uint8_t *certtable; /* the extended report's certificate table, NULL if none */
	size_t certtable_len;
	/*
	 * AMD's list for the VCEK chain (KDS vcek/v1/{product}/crl) and for
	 * the VLEK chain (vlek/v1/{product}/crl); snp.h says why the kind
	 * comes from the caller. The one for the report's signer is checked;
	 * when only the other is given, it is passed on and refused
	 * (KBS_ERR_CRL_KIND); when neither, the CRL check is skipped.
	 */
	struct policy_crl_input vcek_crl;
	struct policy_crl_input vlek_crl;
	int64_t at;               /* when the certificates (and CRL) must be valid */
	int allow_stale_crl;      /* accept a CRL past its nextUpdate */
	enum snp_product product; /* SNP_PRODUCT_UNKNOWN, or the product the caller insists on */
};

/* Which input policy_verify could not take (for the caller's message). */
enum policy_input_part {
	POLICY_INPUT_NONE = 0, /* not an input error (arguments, memory, or verification) */
	POLICY_INPUT_REPORT,
	POLICY_INPUT_CERT, /* certs[index] */
	POLICY_INPUT_CERTTABLE,
	POLICY_INPUT_VCEK_CRL,
	POLICY_INPUT_VLEK_CRL,
};

struct policy_input_error {
	enum policy_input_part part;
	size_t index; /* for POLICY_INPUT_CERT */
};

struct policy_verified; /* opaque: the outcome of one verification, immutable */

/*
 * policy_verify runs the pipeline once: it parses the report, loads the
 * certificates (blobs in order, then the table) and the CRL of the
 * report's chain, and verifies with verifier (snp_verify_report: product,
 * chain to a pinned ARK, validity at in->at, CRL, report signature, TCB,
 * chip id). The result keeps the report exactly as parsed from the
 * signed bytes and the verifier's result on them; it is the only thing
 * policy_eval accepts, and it can be evaluated against any number of
 * policies (the broker evaluates one policy per requested secret).
 *
 * verifier is the caller's (snp_verifier_new; the broker shares one
 * between threads, as policy_verify may run concurrently on it). in and
 * everything it points to are only read during the call.
 *
 * Returns 0 when the evidence is genuine. When verification ran but
 * rejected the evidence it returns the first failed check's code
 * (KBS_ERR_REPORT_SIGNATURE, KBS_ERR_CRL_STALE, ...), and *ret is set
 * too, so the caller can show every check and evaluate policies (which
 * deny it). When an input could not be taken it returns that code with
 * *ret NULL and *ret_where (if not NULL) naming the input: the report
 * (snp_report_parse's KBS_ERR_REPORT_*), a certificate blob
 * (KBS_ERR_CERT_PARSE, KBS_ERR_CERT_NOT_DER), the table
 * (KBS_ERR_CERTTABLE_*, certificate codes), a CRL (KBS_ERR_CRL_PARSE,
 * KBS_ERR_CRL_NOT_DER), or any of them KBS_ERR_TOO_LARGE (over its limit
 * above, or more than 16 certificates in all). KBS_ERR_INVALID_ARGUMENT
 * for NULL pointers, more than POLICY_INPUT_CERT_BLOBS_MAX blobs, an
 * out-of-range product (part POLICY_INPUT_NONE), a NULL blob, table or
 * CRL with a length, or a CRL slot with both bytes and a parsed list
 * (part names it); KBS_ERR_ALLOC (part POLICY_INPUT_NONE). So *ret is
 * non-NULL exactly when verification ran; the caller frees it with
 * policy_verified_free whatever the return code. *ret_where is
 * POLICY_INPUT_NONE unless an input failed.
 */
KBS_MUST_CHECK int policy_verify(struct snp_verifier *verifier, const struct policy_input *in,
    struct policy_verified **ret, struct policy_input_error *ret_where);

/* policy_verified_free frees ev (NULL is accepted). */
void policy_verified_free(struct policy_verified *ev);

/*
 * policy_verified_report: the report as parsed from the bytes the
 * signature covers, or NULL when the evidence was rejected (its fields
 * are then not authenticated). Borrowed: valid while ev lives.
 */
const struct snp_report *policy_verified_report(const struct policy_verified *ev);

/*
 * policy_verified_report_unchecked: the same report whatever the verdict,
 * for showing rejected evidence to people. Never decide on it.
 */
const struct snp_report *policy_verified_report_unchecked(const struct policy_verified *ev);

/*
 * policy_verified_result: every check's outcome, the product, the signer
 * and its csp_id; ->err is policy_verify's verification code (0 when
 * genuine). Borrowed: valid while ev lives.
 */
const struct snp_verify_result *policy_verified_result(const struct policy_verified *ev);

/*
 * policy_input_read_file reads an evidence file named on a command line
 * with the limit of its part (POLICY_INPUT_REPORT_MAX, ..._CERT_MAX,
 * ..._CERTTABLE_MAX, ..._CRL_MAX): the tools' one reader, so both apply
 * the same caps. *ret_data is malloc'd (free() it). kbs_file_read's
 * codes: KBS_ERR_SYSTEM (errno kept), KBS_ERR_TOO_LARGE, KBS_ERR_IO;
 * KBS_ERR_INVALID_ARGUMENT for POLICY_INPUT_NONE.
 */
KBS_MUST_CHECK int policy_input_read_file(
    const char *path, enum policy_input_part part, uint8_t **ret_data, size_t *ret_len);

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
 * failed when the evidence was rejected), then every rule the policy sets or that
 * applies by default, in the order of docs/policy.md.
 */
struct policy_result {
	enum policy_decision decision; /* ALLOW iff no row failed */
	size_t failed;                 /* number of failed rows */
	size_t count;
	struct policy_rule_result rules[POLICY_MAX_RESULTS];
};

/*
 * policy_eval evaluates every rule of policy against the evidence in ev,
 * as policy_verify produced it: the report parsed from the signed bytes
 * and the verifier's result on exactly those bytes (product, signer,
 * csp_id and every check are used). Nothing else can be evaluated, so no
 * caller can judge fields it decoded or changed itself. It never stops at
 * the first failure. Evidence whose verification failed is denied, with
 * the failed check named in the "evidence" row (the other rows still show
 * what the unauthenticated fields would have met). Pure: no I/O, no
 * clock, no allocation, no global state; a few microseconds; ev is only
 * read, so many threads may evaluate against one ev at once.
 * Returns 0 (the decision is in *ret) or KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int policy_eval(
    const struct policy_verified *ev, const struct policy *policy, struct policy_result *ret);

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
