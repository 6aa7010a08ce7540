/*
 * kbs_err.c: names and sentences for the codes in kbs_err.h.
 *
 * One table indexed by the negated code, filled from kbs_err_list.h, the
 * same list that defines the constants, so a code always has its name
 * and sentence. A number outside the list reads as "unknown error"; two
 * entries with one number fail the build (-Woverride-init, an error here).
 */
#include "kbs_err.h"

#include <stddef.h>

#define KBS_ERR_TABLE_SIZE 600

struct kbs_err_entry {
	const char *name;
	const char *text;
};

static const struct kbs_err_entry kbs_err_table[KBS_ERR_TABLE_SIZE] = {
#define KBS_ERR_X(constant, name, code, text) [-(code)] = { #name, text },
#include "kbs_err_list.h"
#undef KBS_ERR_X
};

static const struct kbs_err_entry *
kbs_err_lookup(int code)
{
	if (code >= 0 || code <= -KBS_ERR_TABLE_SIZE)
		return NULL;
	if (kbs_err_table[-code].name == NULL)
		return NULL;
	return &kbs_err_table[-code];
}

const char *
kbs_err_str(int code)
{
	const struct kbs_err_entry *e;

	if (code == 0)
		return "success";
	e = kbs_err_lookup(code);
	return e != NULL ? e->text : "unknown error";
}

const char *
kbs_err_name(int code)
{
	const struct kbs_err_entry *e;

	if (code == 0)
		return "ok";
	e = kbs_err_lookup(code);
	return e != NULL ? e->name : "unknown";
}
