/*
 * attester.c: the attester handle and the table of backends.
 *
 * Spec syntax: KIND or KIND:ARG. KIND is matched exactly against the
 * table (no prefixes, no case folding), ARG is everything after the first
 * ':' and is passed to the backend untouched (a directory may contain ':').
 * "auto" is not a backend: it resolves to the first real backend whose
 * present() says the machine has it, in the order of real_backends.
 */
#include "attester-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "certtable-int.h"

#define AUTO_SPEC "auto"

static const struct attester_backend *const backends[] = {
	&attester_sim_backend,
	&attester_tsm_backend,
	&attester_sevguest_backend,
};

/* What auto may pick, in order: configfs-tsm is the kernel's current interface. */
static const struct attester_backend *const real_backends[] = {
	&attester_tsm_backend,
	&attester_sevguest_backend,
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
	if (strcmp(spec, AUTO_SPEC) == 0) {
		b = NULL;
		for (size_t i = 0; i < KBS_ARRAY_SIZE(real_backends) && b == NULL; i++) {
			if (real_backends[i]->present())
				b = real_backends[i];
		}
		if (b == NULL)
			return KBS_ERR_ATTESTER_NONE;
	} else if ((b = find_backend(spec, colon != NULL ? (size_t)(colon - spec) : len)) == NULL)
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
	free(e->certtable);
	memset(e, 0, sizeof(*e));
}

const char *
attester_detail(const struct attester *a)
{
	const char *d;

	if (a == NULL || a->backend->detail == NULL || (d = a->backend->detail(a->state)) == NULL)
		return "";
	return d;
}

int
attester_evidence_take_certtable(struct attester_evidence *e, uint8_t *table, size_t len)
{
	struct snp_certtable_entry ent[SNP_CERTTABLE_KIND_COUNT];
	/* Signer first, then its issuer: the order attester_evidence promises. */
	static const enum snp_certtable_kind order[] = { SNP_CERTTABLE_VCEK, SNP_CERTTABLE_VLEK,
		SNP_CERTTABLE_ASK };
	size_t n = 0, i, k;
	int r = KBS_ERR_INVALID_ARGUMENT;

	if (e->ncerts != 0 || e->certtable != NULL)
		goto fail; /* only into empty evidence: ATTESTER_CERTS_MAX holds all three kinds */
	if ((r = snp_certtable_entries(table, len, ent, KBS_ARRAY_SIZE(ent), &n)) != 0)
		goto fail;
	for (k = 0; k < KBS_ARRAY_SIZE(order); k++) {
		for (i = 0; i < n; i++) {
			struct attester_cert *c = &e->certs[e->ncerts];

			if (ent[i].kind != order[k])
				continue;
			r = KBS_ERR_ALLOC;
			if ((c->der = malloc(ent[i].len)) == NULL)
				goto fail;
			memcpy(c->der, ent[i].data, ent[i].len);
			c->len = ent[i].len;
			e->ncerts++;
		}
	}
	e->certtable = table;
	e->certtable_len = len;
	return 0;
fail:
	for (i = 0; i < e->ncerts && r != KBS_ERR_INVALID_ARGUMENT; i++) {
		free(e->certs[i].der);
		memset(&e->certs[i], 0, sizeof(e->certs[i]));
	}
	if (r != KBS_ERR_INVALID_ARGUMENT)
		e->ncerts = 0;
	free(table);
	return r;
}

/* The GUIDs of the GHCB specification, in the byte order snp/certtable.c reads. */
static const uint8_t guid_vcek[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5,
	0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
static const uint8_t guid_ask[16] = { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f,
	0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 };

static void
store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int
attester_certtable_build(const struct attester_evidence *e, uint8_t **ret, size_t *ret_len)
{
	const uint8_t *guids[2] = { guid_vcek, guid_ask };
	size_t i, head, total, off;
	uint8_t *t;

	if (e == NULL || ret == NULL || ret_len == NULL || e->ncerts > 2)
		return KBS_ERR_INVALID_ARGUMENT;
	head = (e->ncerts + 1) * SNP_CERTTABLE_ENTRY_SIZE;
	total = head;
	for (i = 0; i < e->ncerts; i++) {
		if (e->certs[i].len == 0 || e->certs[i].len > UINT32_MAX / 4)
			return KBS_ERR_INVALID_ARGUMENT;
		total += e->certs[i].len;
	}
	if ((t = calloc(1, total)) == NULL)
		return KBS_ERR_ALLOC;
	off = head;
	for (i = 0; i < e->ncerts; i++) {
		uint8_t *ent = t + i * SNP_CERTTABLE_ENTRY_SIZE;

		memcpy(ent, guids[i], 16);
		store_le32(ent + 16, (uint32_t)off);
		store_le32(ent + 20, (uint32_t)e->certs[i].len);
		memcpy(t + off, e->certs[i].der, e->certs[i].len);
		off += e->certs[i].len;
	}
	*ret = t;
	*ret_len = total;
	return 0;
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

int
attester_err_has_errno(int code)
{
	switch (code) {
	case KBS_ERR_SYSTEM:
	case KBS_ERR_TSM_MKDIR:
	case KBS_ERR_TSM_PRIVLEVEL:
	case KBS_ERR_TSM_INBLOB:
	case KBS_ERR_TSM_OUTBLOB:
	case KBS_ERR_TSM_AUXBLOB:
	case KBS_ERR_TSM_PROVIDER:
	case KBS_ERR_TSM_GENERATION:
	case KBS_ERR_TSM_RMDIR:
	case KBS_ERR_SEV_GUEST_OPEN:
	case KBS_ERR_SEV_GUEST_IOCTL:
		return 1;
	default:
		return 0;
	}
}
