/*
 * fuzz_etcd_answer.c: the decoders of what etcd sends a replica, on
 * arbitrary bytes: kbs_etcd_parse_watch, _range and _txn (the gateway's
 * JSON, etcd_parse.c) and kbs_replica_value_decode (the replicated value
 * inside, replica_value.c; its MAC is checked after decoding and needs
 * the master key, so the decoder is what meets untrusted bytes first).
 *
 * Invariants (abort on violation): a refusal is ETCD_PROTOCOL (or out of
 * memory) for the JSON, ETCD_RECORD for the value; an accepted answer has
 * at most KBS_ETCD_MAX_ITEMS items, each with a NUL-free key of 1..511
 * bytes, a value of at most KBS_ETCD_VALUE_MAX bytes, non-negative
 * numbers; an accepted value has a known kind, non-empty name and actor,
 * a payload inside the input (empty exactly for a tombstone), seq 0 only
 * when it is a v1 value (and then no tombstone), and the MAC's 32 bytes
 * at its end.
 */
#include <stdlib.h>
#include <string.h>

#include "etcd.h"
#include "kbs_common.h"
#include "replica.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_msg(int r, const struct kbs_etcd_msg *m)
{
	size_t i;

	if (r != 0) {
		if (r != KBS_ERR_ETCD_PROTOCOL && r != KBS_ERR_ALLOC)
			abort();
		if (m->n != 0 || m->kvs != NULL)
			abort();
		return;
	}
	if (m->n > KBS_ETCD_MAX_ITEMS || m->revision < 0 || m->compact_revision < 0)
		abort();
	for (i = 0; i < m->n; i++) {
		size_t kl = strlen(m->kvs[i].key);

		if (kl == 0 || kl > KBS_ETCD_KEY_MAX || m->kvs[i].value_len > KBS_ETCD_VALUE_MAX ||
		    m->kvs[i].mod_revision < 0 || m->kvs[i].version < 0 ||
		    (m->kvs[i].value_len > 0 && m->kvs[i].value == NULL))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kbs_etcd_msg m;
	struct kbs_replica_value v;
	size_t mac_len = 0;
	int r;

	r = kbs_etcd_parse_watch((const char *)data, size, &m);
	check_msg(r, &m);
	kbs_etcd_msg_clear(&m);
	r = kbs_etcd_parse_range((const char *)data, size, &m);
	check_msg(r, &m);
	kbs_etcd_msg_clear(&m);
	r = kbs_etcd_parse_txn((const char *)data, size, &m);
	check_msg(r, &m);
	kbs_etcd_msg_clear(&m);

	r = kbs_replica_value_decode(data, size, &v, &mac_len);
	if (r != 0) {
		if (r != KBS_ERR_ETCD_RECORD)
			abort();
	} else if ((v.kind != KBS_REPLICA_SECRET && v.kind != KBS_REPLICA_POLICY &&
		       v.kind != KBS_REPLICA_TOMBSTONE) ||
	    v.name[0] == '\0' || v.actor[0] == '\0' || v.origin[0] == '\0' ||
	    mac_len + 32 != size || v.payload < data ||
	    v.payload + v.payload_len > data + mac_len ||
	    (v.kind == KBS_REPLICA_TOMBSTONE) != (v.payload_len == 0) ||
	    (v.seq == 0) != (size >= 12 && memcmp(data, "kbs-etcd-v1", 12) == 0) ||
	    (v.seq == 0 && v.kind == KBS_REPLICA_TOMBSTONE)) {
		abort();
	}
	return 0;
}
