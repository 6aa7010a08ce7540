/*
 * rules.h (private to policy/): the operation sets of the rule kinds,
 * referenced by the table in rules.c.
 */
#ifndef POLICY_RULES_H
#define POLICY_RULES_H

#include "policy-int.h"

extern const struct policy_rule_ops policy_ops_bytes;
extern const struct policy_rule_ops policy_ops_bytes_deny;
extern const struct policy_rule_ops policy_ops_id_key;
extern const struct policy_rule_ops policy_ops_author_key;
extern const struct policy_rule_ops policy_ops_names;
extern const struct policy_rule_ops policy_ops_csp_id;
extern const struct policy_rule_ops policy_ops_revocation;
extern const struct policy_rule_ops policy_ops_allowed;
extern const struct policy_rule_ops policy_ops_required;
extern const struct policy_rule_ops policy_ops_platform;
extern const struct policy_rule_ops policy_ops_abi_min;
extern const struct policy_rule_ops policy_ops_vmpl;
extern const struct policy_rule_ops policy_ops_min;
extern const struct policy_rule_ops policy_ops_tcb_min;
extern const struct policy_rule_ops policy_ops_provisional;
extern const struct policy_rule_ops policy_ops_firmware;
extern const struct policy_rule_ops policy_ops_mitigations;
extern const struct policy_rule_ops policy_ops_tcb_deny;

#endif
