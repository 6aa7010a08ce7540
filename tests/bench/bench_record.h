/*
 * bench_record.h: the typical attestation audit record (about 400 bytes:
 * rules text, policy hash, measurement, chip id, TCB, one secret name)
 * that bench_keystore appends to time writes and bench_fill appends to
 * grow a store.
 */
#ifndef KBS_BENCH_RECORD_H
#define KBS_BENCH_RECORD_H

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

#endif
