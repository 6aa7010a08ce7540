/*
 * print.c: the one rendering of an evaluation, in text and JSON. Both
 * `kbs-policy test` and `kbs-client verify --policy` print through these,
 * so an auditor sees the same rows from either tool.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "policy-int.h"

static const char *const outcome_labels[] = {
	[POLICY_OUTCOME_PASS] = "pass",
	[POLICY_OUTCOME_FAIL] = "FAIL",
	[POLICY_OUTCOME_NOT_APPLICABLE] = "n/a",
};

int
policy_result_print_text(FILE *f, const struct policy *p, const struct policy_result *res)
{
	size_t i;

	fprintf(f, "policy: %s (sha256 %s)\n", p->name, p->hash);
	fprintf(f, "decision: %s (%zu of %zu rules failed)\n", policy_decision_name(res->decision),
	    res->failed, res->count);
	for (i = 0; i < res->count && i < POLICY_MAX_RESULTS; i++) {
		const struct policy_rule_result *r = &res->rules[i];
		const char *label = (unsigned)r->outcome < KBS_ARRAY_SIZE(outcome_labels)
		    ? outcome_labels[r->outcome]
		    : "?";

		fprintf(f, "%-4s  %s: expected %s; actual %s\n", label, r->rule, r->expected,
		    r->actual);
	}
	return ferror(f) ? KBS_ERR_IO : 0;
}

int
policy_result_to_json(const struct policy *p, const struct policy_result *res, char **ret_json)
{
	cJSON *root = NULL, *pol, *rules, *row;
	char *out = NULL;
	size_t i;
	int r = KBS_ERR_ALLOC;

	if ((root = cJSON_CreateObject()) == NULL)
		goto out;
	if ((pol = cJSON_AddObjectToObject(root, "policy")) == NULL ||
	    cJSON_AddStringToObject(pol, "name", p->name) == NULL ||
	    cJSON_AddStringToObject(pol, "sha256", p->hash) == NULL ||
	    cJSON_AddStringToObject(root, "decision", policy_decision_name(res->decision)) ==
		NULL ||
	    cJSON_AddNumberToObject(root, "failed", (double)res->failed) == NULL ||
	    (rules = cJSON_AddArrayToObject(root, "rules")) == NULL)
		goto out;
	for (i = 0; i < res->count && i < POLICY_MAX_RESULTS; i++) {
		const struct policy_rule_result *rr = &res->rules[i];

		if ((row = cJSON_CreateObject()) == NULL)
			goto out;
		if (!cJSON_AddItemToArray(rules, row)) {
			cJSON_Delete(row);
			goto out;
		}
		if (cJSON_AddStringToObject(row, "rule", rr->rule) == NULL ||
		    cJSON_AddStringToObject(row, "result", policy_outcome_name(rr->outcome)) ==
			NULL ||
		    cJSON_AddStringToObject(row, "expected", rr->expected) == NULL ||
		    cJSON_AddStringToObject(row, "actual", rr->actual) == NULL)
			goto out;
	}
	if ((out = cJSON_Print(root)) == NULL)
		goto out;
	*ret_json = out;
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}
