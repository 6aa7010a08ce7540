/*
 * attester.c: the attester handle and the table of backends.
 *
 * Spec syntax: KIND or KIND:ARG. KIND is matched exactly against the
 * table (no prefixes, no case folding), ARG is everything after the first
 * ':' and is passed to the backend untouched (a directory may contain ':').
 */
#include "attester-int.h"

#include <stdlib.h>
#include <string.h>

static const struct attester_backend *const backends[] = {
	&attester_sim_backend,
};

struct attester {
	const struct attester_backend *backend;
	void *state;
};

static const struct attester_backend *
find_backend(const char *kind, size_t len)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(backends); i++) {
		if (strlen(backends[i]->kind) == len && memcmp(backends[i]->kind, kind, len) == 0)
			return backends[i];
	}
	return NULL;
}

int
attester_open(const char *spec, struct attester **ret)
{
	const struct attester_backend *b;
	struct attester *a = NULL;
	const char *colon, *arg = NULL;
	size_t len;
	int r;

	if (spec == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	len = strnlen(spec, ATTESTER_SPEC_MAX + 1);
	if (len == 0 || len > ATTESTER_SPEC_MAX)
		return KBS_ERR_ATTESTER_SPEC;
	colon = memchr(spec, ':', len);
	if ((b = find_backend(spec, colon != NULL ? (size_t)(colon - spec) : len)) == NULL)
		return KBS_ERR_ATTESTER_SPEC;
	if (colon != NULL)
		arg = colon + 1;
	if (b->needs_arg && (arg == NULL || *arg == '\0'))
		return KBS_ERR_ATTESTER_SPEC;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return KBS_ERR_ALLOC;
	a->backend = b;
	if ((r = b->open(arg, &a->state)) != 0) {
		free(a);
		return r;
	}
	*ret = a;
	return 0;
}

int
attester_get_report(
    struct attester *a, const uint8_t report_data[64], struct attester_evidence *ret)
{
	if (a == NULL || report_data == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	return a->backend->get_report(a->state, report_data, ret);
}

void
attester_evidence_clear(struct attester_evidence *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->ncerts && i < ATTESTER_CERTS_MAX; i++)
		free(e->certs[i].der);
	memset(e, 0, sizeof(*e));
}

const char *
attester_kind(const struct attester *a)
{
	return a != NULL ? a->backend->kind : "none";
}

int
attester_is_simulated(const struct attester *a)
{
	return a != NULL && a->backend->simulated;
}

void
attester_close(struct attester *a)
{
	if (a == NULL)
		return;
	a->backend->close(a->state);
	free(a);
}
