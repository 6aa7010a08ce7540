/*
 * policy-int.h (private to policy/): the parsed policy and the rule table.
 *
 * The language is defined by one table, policy_rules[] (rules.c): each
 * entry is a rule id, which is also its key path under "rules" in the JSON
 * ("guest_policy.debug_allowed", "min_tcb.milan"), and a set of operations
 * shared by rules of the same kind (parse, evaluate, describe, explain,
 * lint, diff). The parser walks the JSON against the ids, the evaluator,
 * linter, explainer and differ walk the table in order, so adding a rule
 * is adding a row.
 */
#ifndef POLICY_INT_H
#define POLICY_INT_H

#include <stdio.h>

#include "json.h"
#include "policy.h"

/* Byte-string allow/deny lists, by index into policy.lists[]. */
enum policy_list_id {
	PL_MEASUREMENT = 0,
	PL_HOST_DATA,
	PL_FAMILY_ID,
	PL_IMAGE_ID,
	PL_REPORT_ID,
	PL_REPORT_ID_MA,
	PL_REPORT_DATA,
	PL_ID_KEY_DIGEST,
	PL_AUTHOR_KEY_DIGEST,
	PL_CHIP_ALLOW,
	PL_CHIP_DENY,
	PL_COUNT
};

/* Boolean settings, by index into policy.flags[]. */
enum policy_flag_id {
	PF_DEBUG_ALLOWED = 0,
	PF_MIGRATION_AGENT_ALLOWED,
	PF_SMT_ALLOWED,
	PF_CXL_ALLOWED,
	PF_SINGLE_SOCKET_REQUIRED,
	PF_AES_256_XTS_REQUIRED,
	PF_RAPL_DISABLE_REQUIRED,
	PF_CIPHERTEXT_HIDING_REQUIRED,
	PF_PAGE_SWAP_DISABLE_REQUIRED,
	PF_ID_BLOCK_REQUIRED,
	PF_AUTHOR_KEY_REQUIRED,
	PF_PROVISIONAL_FIRMWARE_ALLOWED,
	PF_COUNT
};

/* Platform info tri-states, by index into policy.platform[]. */
enum policy_platform_id {
	PP_SMT = 0,
	PP_TSME,
	PP_ECC,
	PP_RAPL_DISABLED,
	PP_CIPHERTEXT_HIDING,
	PP_ALIAS_CHECK_COMPLETE,
	PP_COUNT
};

enum policy_tristate {
	PT_UNSET = 0,
	PT_ALLOWED,   /* either value (written out for the record) */
	PT_REQUIRED,  /* the flag must be set */
	PT_FORBIDDEN, /* the flag must be clear */
};

/* Unsigned minimums, by index into policy.mins[]. */
enum policy_min_id { PM_GUEST_SVN = 0, PM_REPORT_VERSION, PM_COUNT };

enum policy_tcb_kind {
	PTK_REPORTED = 0,
	PTK_COMMITTED,
	PTK_LAUNCH,
	PTK_CURRENT, /* decoded for consistency checks only */
	PTK_COUNT
};

enum policy_tcb_part { TP_FMC = 0, TP_BOOTLOADER, TP_TEE, TP_SNP, TP_MICROCODE, TP_COUNT };

/*
 * A parsed list: n items of one fixed size, distinct byte for byte (the
 * parser refuses a repeated item), so membership and set comparison are
 * memcmp over the items.
 */
struct policy_list {
	int set;
	size_t n;
	uint8_t *items; /* n entries of the list's item size */
};

struct policy_opt_bool {
	int set;
	int value;
};

struct policy_tcb_min {
	int set;
	unsigned has; /* bit per enum policy_tcb_part given */
	uint8_t min[TP_COUNT];
};

/*
 * One tcb_deny entry. Bytes only, so that entries compare with memcmp
 * like every other list item (no padding).
 */
struct policy_tcb_deny {
	uint8_t product; /* enum snp_product */
	uint8_t v[TP_COUNT];
};

/* A csp_id entry: 1..127 printable ASCII characters, NUL-padded to the size. */
#define POLICY_CSP_ID_SIZE 128

/* The revocation rule: whether a checked CRL is demanded. */
enum policy_revocation {
	PR_UNSET = 0,
	PR_OPTIONAL, /* checked when supplied, not demanded (written out for the record) */
	PR_REQUIRED, /* the verifier must have checked a CRL for the chain */
};

struct policy {
	char hash[65];
	char name[65];
	char *description;
	struct policy_list lists[PL_COUNT];
	struct policy_opt_bool flags[PF_COUNT];
	enum policy_tristate platform[PP_COUNT];
	struct {
		int set;
		uint32_t value;
	} mins[PM_COUNT];
	struct {
		int set;
		uint8_t major, minor;
	} abi_min;
	struct {
		int set;
		uint8_t min, max; /* 0..3 */
	} vmpl;
	struct {
		int set;
		unsigned mask; /* bit per enum snp_product */
	} products;
	struct {
		int set;
		unsigned mask; /* bit per enum snp_signing_key */
	} signers;
	struct policy_list csp_id; /* POLICY_CSP_ID_SIZE-byte items */
	enum policy_revocation revocation;
	struct policy_tcb_min tcb[PTK_COUNT][SNP_PRODUCT_COUNT];
	struct {
		int set;
		uint8_t major, minor, build;
	} firmware[SNP_PRODUCT_COUNT];
	struct {
		int set;
		uint64_t mask;
	} mitigations[2];            /* 0 current, 1 launch */
	struct policy_list tcb_deny; /* struct policy_tcb_deny items */
	/*
	 * Filled once after parsing, so evaluation (per request) formats only
	 * the actual values: which rules are active, and their expected text.
	 */
	unsigned char *active;              /* policy_rule_count entries */
	char (*expected)[POLICY_TEXT_SIZE]; /* policy_rule_count entries */
};

/* What the evaluator knows about the evidence, computed once per eval. */
struct policy_evidence {
	const struct snp_report *report;
	const struct snp_verify_result *verify;
	enum snp_product product;
	int tcb_ok[PTK_COUNT]; /* 1 when the TCB decoded for product */
	struct snp_tcb tcb[PTK_COUNT];
};

/* Parsing context: errors land here with the path and position. */
struct policy_parse_ctx {
	struct policy_error *err;
};

struct policy_rule;

struct policy_rule_ops {
	/* parse: fill policy from node (the value at path). */
	int (*parse)(struct policy *p, const struct policy_rule *rule, const struct pj_node *node,
	    const char *path, struct policy_parse_ctx *ctx);
	/* active: 1 when the rule yields a result row (set, or on by default). */
	int (*active)(const struct policy *p, const struct policy_rule *rule);
	/* eval: fill outcome and actual; expected is filled by describe. */
	void (*eval)(const struct policy *p, const struct policy_rule *rule,
	    const struct policy_evidence *ev, struct policy_rule_result *res);
	/* describe: the requirement in a few words ("snp >= 8, microcode >= 115"). */
	void (*describe)(
	    const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size);
	/* explain: one English sentence (no newline) for an active rule. */
	void (*explain)(
	    const struct policy *p, const struct policy_rule *rule, char *out, size_t out_size);
	/* diff: how new compares to old for this rule. */
	enum policy_change (*diff)(
	    const struct policy *old_p, const struct policy *new_p, const struct policy_rule *rule);
	/* lint: add findings for this rule (may be NULL). */
	void (*lint)(
	    const struct policy *p, const struct policy_rule *rule, struct policy_lint_result *res);
};

struct policy_rule {
	const char *id;
	const struct policy_rule_ops *ops;
	int a;            /* kind-specific: list, flag, platform or min index; product */
	int b;            /* kind-specific: report bit, tcb kind */
	size_t size;      /* byte-list item size */
	size_t offset;    /* byte-list: offset of the field in struct snp_report */
	const char *what; /* the field's name for people ("launch measurement") */
	int def;          /* flags: value when unset (-1: no check when unset) */
	/*
	 * byte lists: non-NULL when an all-zero entry is refused, because
	 * all zero is what the report shows when the field is absent; the
	 * text completes the error "is all zero, ...".
	 */
	const char *zero_means;
};

extern const struct policy_rule policy_rules[];
extern const size_t policy_rule_count;

/* ---- helpers shared by the rule kinds (rules_util.c) ----------------- */

/* Parse errors: fill ctx->err at node (key position when at_key). */
int policy_perr(struct policy_parse_ctx *ctx, int code, const char *path,
    const struct pj_node *node, int at_key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

KBS_MUST_CHECK int policy_get_bool(
    struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path, int *ret);
/* policy_flag_parse: the parse step of a boolean rule, stored in p->flags[rule->a]. */
KBS_MUST_CHECK int policy_flag_parse(struct policy *p, const struct policy_rule *rule,
    const struct pj_node *node, const char *path, struct policy_parse_ctx *ctx);
KBS_MUST_CHECK int policy_get_uint(struct policy_parse_ctx *ctx, const struct pj_node *node,
    const char *path, uint64_t min, uint64_t max, uint64_t *ret);
KBS_MUST_CHECK int policy_get_hex(struct policy_parse_ctx *ctx, const struct pj_node *node,
    const char *path, uint8_t *out, size_t size);
KBS_MUST_CHECK int policy_get_array(
    struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path);
KBS_MUST_CHECK int policy_get_object(
    struct policy_parse_ctx *ctx, const struct pj_node *node, const char *path);
/*
 * policy_get_word reads a string that must be one of names[first..count)
 * (NULL entries are never matched) into *ret, its index; want lists the
 * choices as the errors print them ("\"required\" or \"optional\"").
 */
KBS_MUST_CHECK int policy_get_word(struct policy_parse_ctx *ctx, const struct pj_node *node,
    const char *path, const char *const *names, size_t first, size_t count, const char *want,
    size_t *ret);

/*
 * policy_item_parse reads one list item e (at epath) into slot, a zeroed
 * item of the list's size, writing bytes only where they carry meaning
 * (items are compared with memcmp). Returns 0 or the error it put in ctx.
 */
typedef int (*policy_item_parse)(struct policy_parse_ctx *ctx, const struct policy_rule *rule,
    const struct pj_node *e, const char *epath, uint8_t *slot);

/*
 * policy_parse_list is the one list reader: node must be an array (at
 * path); item parses each element in order with "PATH[i]" as its path,
 * and an element equal to an earlier one is KBS_ERR_POLICY_VALUE "lists
 * the same <what> twice" at that element. On success *ret is set
 * (set = 1, n, items malloc'd, NULL when empty); on failure *ret is
 * untouched and nothing stays allocated.
 */
KBS_MUST_CHECK int policy_parse_list(struct policy_parse_ctx *ctx, const struct policy_rule *rule,
    const struct pj_node *node, const char *path, size_t size, policy_item_parse item,
    const char *what, struct policy_list *ret);

/* policy_list_has: whether v (size bytes) is an item of l. */
int policy_list_has(const struct policy_list *l, size_t size, const uint8_t *v);

/*
 * policy_list_change compares two lists of size-byte items as sets: for
 * an allow-list (deny 0) a subset admits less (stricter), for a
 * deny-list (deny 1) a subset refuses less (looser). A list that is not
 * set is no rule: adding an allow- or deny-list is stricter, removing one
 * looser (callers for whom no rule equals an empty list mark both set).
 */
enum policy_change policy_list_change(
    const struct policy_list *o, const struct policy_list *n, size_t size, int deny);

/* policy_get_version parses "major.minor" (each 0..255, decimal, no sign). */
KBS_MUST_CHECK int policy_get_version(struct policy_parse_ctx *ctx, const struct pj_node *node,
    const char *path, int with_build, uint8_t *major, uint8_t *minor, uint8_t *build);

/* Appends printf output to out (NUL-terminated, truncating). */
void policy_appendf(char *out, size_t out_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A bounded text builder for evaluation output, where snprintf would be
 * most of the cost of a rule. Always NUL-terminated; truncates silently.
 */
struct policy_text {
	char *p;
	size_t size;
	size_t len;
};

void policy_text_init(struct policy_text *t, char *buf, size_t size);
void policy_text_str(struct policy_text *t, const char *s);
void policy_text_uint(struct policy_text *t, uint64_t v);
void policy_text_hex64(struct policy_text *t, uint64_t v); /* 16 lower-case digits */
/* policy_set_text copies s into out (the common "on"/"off" answers). */
void policy_set_text(char *out, size_t out_size, const char *s);

/* Findings. */
void policy_finding_add(struct policy_lint_result *res, enum policy_severity sev, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Combines changes: SAME+X = X, STRICTER+LOOSER = CHANGED. */
enum policy_change policy_change_join(enum policy_change a, enum policy_change b);

/* Number comparison as a change: new higher minimum is stricter. */
enum policy_change policy_change_min(uint64_t old_v, uint64_t new_v);

/* TCB part names: "fmc", "bootloader", "tee", "snp", "microcode". */
extern const char *const policy_tcb_part_names[TP_COUNT];
/*
 * policy_tcb_text writes the parts of v selected by mask as
 * "bootloader OPv, snp OPv" (op is "" or ">= ").
 */
void policy_tcb_text(
    const uint8_t v[TP_COUNT], unsigned mask, const char *op, char *out, size_t out_size);
/* Reads a decoded TCB's parts into an array. */
void policy_tcb_parts(const struct snp_tcb *tcb, uint8_t out[TP_COUNT]);
/* The parts that exist for product (fmc only on Turin), as a bit mask. */
unsigned policy_tcb_parts_for(enum snp_product product);

/* The newest TCB among the bundled real reports, per product (lint). */
extern const uint8_t policy_tcb_floor[SNP_PRODUCT_COUNT][TP_COUNT];

#endif
