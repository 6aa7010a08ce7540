/*
 * bench_record.h: the typical attestation audit record (about 400 bytes:
 * rules text, policy hash, measurement, chip id, TCB, one secret name)
 * that bench_keystore appends to time writes and bench_fill appends to
 * grow a store, and the bulk import both fill stores with.
 */
#ifndef KBS_BENCH_RECORD_H
#define KBS_BENCH_RECORD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore.h"

/* bench_record_fill sets r to the typical record; rid and names are borrowed. */
static inline void
bench_record_fill(struct keystore_audit_record *r, const char *rid, const char *const *names)
{
	memset(r, 0, sizeof(*r));
	r->event = "attest";
	r->request_id = rid;
	r->decision = "allow";
	r->rules = "report_signature: pass; chain: pass; measurement: pass; min_tcb: pass; "
		   "policy_bits: pass; vmpl: pass; nonce: pass";
	r->policy_name = "disk-policy";
	r->client_addr = "192.0.2.10:51234";
	r->flags = KEYSTORE_AUDIT_HAS_POLICY_HASH | KEYSTORE_AUDIT_HAS_MEASUREMENT |
	    KEYSTORE_AUDIT_HAS_CHIP_ID | KEYSTORE_AUDIT_HAS_TCB;
	memset(r->policy_sha256, 1, 32);
	memset(r->measurement, 2, 48);
	memset(r->chip_id, 3, 64);
	r->tcb = 0x0b00000000000304ULL;
	r->secret_names = names;
	r->n_secret_names = 1;
}

/*
 * bench_import imports n secrets "PREFIX%09zu" (32 bytes of 0x5a each,
 * bound to policy) in transactions of chunk, as actor. 0, KBS_ERR_ALLOC or
 * keystore_secret_import's code.
 */
static inline int
bench_import(struct keystore *ks, size_t n, size_t chunk, const char *prefix, const char *policy,
    const struct keystore_actor *actor)
{
	struct keystore_secret_in *items = calloc(chunk, sizeof(*items));
	char *names = malloc(chunk * 32);
	uint8_t value[32];
	size_t i, k;
	int r = KBS_ERR_ALLOC;

	if (items == NULL || names == NULL)
		goto out;
	memset(value, 0x5a, sizeof(value));
	for (i = 0, r = 0; r == 0 && i < n; i += k) {
		for (k = 0; k < chunk && i + k < n; k++) {
			snprintf(names + k * 32, 32, "%.12s%09zu", prefix, i + k);
			items[k].name = names + k * 32;
			items[k].value = value;
			items[k].value_len = sizeof(value);
			items[k].policy = policy;
		}
		r = keystore_secret_import(ks, items, k, actor);
	}
out:
	free(items);
	free(names);
	return r;
}

#endif
