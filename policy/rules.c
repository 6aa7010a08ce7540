/*
 * rules.c: the table that defines the policy language.
 *
 * One row per rule. The id is the rule's key path under "rules" in the
 * JSON and its name in results, lint findings and diffs; the order is the
 * order of evaluation and of docs/policy.md. Rows with the same ops share
 * one implementation (rules_lists.c, rules_bits.c, rules_tcb.c,
 * rules_firmware.c, rules_revocation.c).
 */
#include <stddef.h>

#include "policy-int.h"

#include "rules.h"

#define BYTES(id_, list_, field_, what_) \
	{ \
		.id = id_, .ops = &policy_ops_bytes, .a = list_, \
		.size = sizeof(((struct snp_report *)0)->field_), \
		.offset = offsetof(struct snp_report, field_), .what = what_, .def = -1 \
	}
#define FLAG(id_, ops_, flag_, bit_, def_, what_) \
	{ \
		.id = id_, .ops = &ops_, .a = flag_, .b = bit_, .what = what_, .def = def_ \
	}
#define PLATFORM(id_, idx_, bit_, what_) \
	{ \
		.id = id_, .ops = &policy_ops_platform, .a = idx_, .b = bit_, .what = what_, \
		.def = -1 \
	}
#define TCBMIN(id_, prod_, kind_) \
	{ \
		.id = id_, .ops = &policy_ops_tcb_min, .a = prod_, .b = kind_, .def = -1 \
	}
#define FWMIN(id_, prod_) \
	{ \
		.id = id_, .ops = &policy_ops_firmware, .a = prod_, .def = -1 \
	}

const struct policy_rule policy_rules[] = {
	{ .id = "product", .ops = &policy_ops_names, .a = 0, .def = -1 },
	{ .id = "signing_key", .ops = &policy_ops_names, .a = 1, .def = -1 },
	{ .id = "csp_id", .ops = &policy_ops_csp_id, .def = -1 },
	{ .id = "revocation", .ops = &policy_ops_revocation, .def = -1 },
	BYTES("measurement", PL_MEASUREMENT, measurement, "launch measurement"),
	BYTES("host_data", PL_HOST_DATA, host_data, "host data (HOST_DATA)"),
	BYTES("family_id", PL_FAMILY_ID, family_id, "family ID (FAMILY_ID)"),
	BYTES("image_id", PL_IMAGE_ID, image_id, "image ID (IMAGE_ID)"),
	BYTES("report_id", PL_REPORT_ID, report_id, "report ID (REPORT_ID)"),
	BYTES("report_id_ma", PL_REPORT_ID_MA, report_id_ma,
	    "migration agent's report ID (REPORT_ID_MA)"),
	BYTES("report_data", PL_REPORT_DATA, report_data, "report data (REPORT_DATA)"),
	{ .id = "id_key_digest",
	    .ops = &policy_ops_id_key,
	    .a = PL_ID_KEY_DIGEST,
	    .size = 48,
	    .offset = offsetof(struct snp_report, id_key_digest),
	    .what = "ID key digest",
	    .def = -1,
	    .zero_means = "which is what a guest launched without an ID block shows, so it would "
			  "admit every such guest" },
	{ .id = "author_key_digest",
	    .ops = &policy_ops_author_key,
	    .a = PL_AUTHOR_KEY_DIGEST,
	    .size = 48,
	    .offset = offsetof(struct snp_report, author_key_digest),
	    .what = "author key digest",
	    .def = -1 },
	FLAG("id_block_required", policy_ops_required, PF_ID_BLOCK_REQUIRED, 0, -1,
	    "been launched with an ID block (non-zero ID key digest)"),
	FLAG("author_key_required", policy_ops_required, PF_AUTHOR_KEY_REQUIRED, 0, -1,
	    "an author key in its ID block (AUTHOR_KEY_EN)"),
	{ .id = "chip_id.allow",
	    .ops = &policy_ops_bytes,
	    .a = PL_CHIP_ALLOW,
	    .size = 64,
	    .offset = offsetof(struct snp_report, chip_id),
	    .what = "chip ID",
	    .def = -1,
	    .zero_means = "which is what a VLEK-signed report or a masked chip id shows, so it "
			  "would admit every such report" },
	{ .id = "chip_id.deny",
	    .ops = &policy_ops_bytes_deny,
	    .a = PL_CHIP_DENY,
	    .size = 64,
	    .offset = offsetof(struct snp_report, chip_id),
	    .what = "chip ID",
	    .def = -1 },
	FLAG(
	    "guest_policy.debug_allowed", policy_ops_allowed, PF_DEBUG_ALLOWED, 19, 0, "debugging"),
	FLAG("guest_policy.migration_agent_allowed", policy_ops_allowed, PF_MIGRATION_AGENT_ALLOWED,
	    18, 0, "a migration agent"),
	FLAG("guest_policy.smt_allowed", policy_ops_allowed, PF_SMT_ALLOWED, 16, -1,
	    "simultaneous multithreading (SMT)"),
	FLAG("guest_policy.cxl_allowed", policy_ops_allowed, PF_CXL_ALLOWED, 21, -1,
	    "CXL-attached memory"),
	FLAG("guest_policy.single_socket_required", policy_ops_required, PF_SINGLE_SOCKET_REQUIRED,
	    20, -1, "single-socket operation in its policy"),
	FLAG("guest_policy.mem_aes_256_xts_required", policy_ops_required, PF_AES_256_XTS_REQUIRED,
	    22, -1, "AES-256-XTS memory encryption in its policy"),
	FLAG("guest_policy.rapl_disable_required", policy_ops_required, PF_RAPL_DISABLE_REQUIRED,
	    23, -1, "RAPL disabled in its policy"),
	FLAG("guest_policy.ciphertext_hiding_required", policy_ops_required,
	    PF_CIPHERTEXT_HIDING_REQUIRED, 24, -1, "ciphertext hiding in its policy"),
	FLAG("guest_policy.page_swap_disable_required", policy_ops_required,
	    PF_PAGE_SWAP_DISABLE_REQUIRED, 25, -1, "page swapping disabled in its policy"),
	{ .id = "guest_policy.abi_min", .ops = &policy_ops_abi_min, .def = -1 },
	{ .id = "vmpl", .ops = &policy_ops_vmpl, .def = -1 },
	{ .id = "min_guest_svn",
	    .ops = &policy_ops_min,
	    .a = PM_GUEST_SVN,
	    .what = "guest security version number (GUEST_SVN)",
	    .def = -1 },
	{ .id = "min_report_version",
	    .ops = &policy_ops_min,
	    .a = PM_REPORT_VERSION,
	    .what = "attestation report version",
	    .def = -1 },
	PLATFORM("platform_info.smt", PP_SMT, 0, "SMT enabled"),
	PLATFORM("platform_info.tsme", PP_TSME, 1, "TSME (transparent memory encryption) enabled"),
	PLATFORM("platform_info.ecc", PP_ECC, 2, "ECC memory enabled"),
	PLATFORM("platform_info.rapl_disabled", PP_RAPL_DISABLED, 3, "RAPL disabled"),
	PLATFORM("platform_info.ciphertext_hiding", PP_CIPHERTEXT_HIDING, 4,
	    "ciphertext hiding enabled"),
	PLATFORM("platform_info.alias_check_complete", PP_ALIAS_CHECK_COMPLETE, 5,
	    "completed the memory alias check"),
	TCBMIN("min_tcb.milan", SNP_PRODUCT_MILAN, PTK_REPORTED),
	TCBMIN("min_tcb.genoa", SNP_PRODUCT_GENOA, PTK_REPORTED),
	TCBMIN("min_tcb.turin", SNP_PRODUCT_TURIN, PTK_REPORTED),
	TCBMIN("min_committed_tcb.milan", SNP_PRODUCT_MILAN, PTK_COMMITTED),
	TCBMIN("min_committed_tcb.genoa", SNP_PRODUCT_GENOA, PTK_COMMITTED),
	TCBMIN("min_committed_tcb.turin", SNP_PRODUCT_TURIN, PTK_COMMITTED),
	TCBMIN("min_launch_tcb.milan", SNP_PRODUCT_MILAN, PTK_LAUNCH),
	TCBMIN("min_launch_tcb.genoa", SNP_PRODUCT_GENOA, PTK_LAUNCH),
	TCBMIN("min_launch_tcb.turin", SNP_PRODUCT_TURIN, PTK_LAUNCH),
	{ .id = "tcb_deny", .ops = &policy_ops_tcb_deny, .def = -1 },
	{ .id = "provisional_firmware_allowed",
	    .ops = &policy_ops_provisional,
	    .a = PF_PROVISIONAL_FIRMWARE_ALLOWED,
	    .def = 0 },
	FWMIN("min_firmware.milan", SNP_PRODUCT_MILAN),
	FWMIN("min_firmware.genoa", SNP_PRODUCT_GENOA),
	FWMIN("min_firmware.turin", SNP_PRODUCT_TURIN),
	{ .id = "required_mitigations.current", .ops = &policy_ops_mitigations, .a = 0, .def = -1 },
	{ .id = "required_mitigations.launch", .ops = &policy_ops_mitigations, .a = 1, .def = -1 },
};

const size_t policy_rule_count = KBS_ARRAY_SIZE(policy_rules);

/* The evidence row and every rule must fit one result. */
_Static_assert(KBS_ARRAY_SIZE(policy_rules) + 1 <= POLICY_MAX_RESULTS,
    "POLICY_MAX_RESULTS is too small for the rule table");

const char *
policy_rule_id(size_t i)
{
	if (i == 0)
		return "evidence";
	return i - 1 < policy_rule_count ? policy_rules[i - 1].id : NULL;
}
