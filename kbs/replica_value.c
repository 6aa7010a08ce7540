/*
 * replica_value.c: the value of a replicated key in etcd (replica.h).
 *
 *   "kbs-etcd-v2\0"        12 bytes
 *   u8 kind                1 secret, 2 policy, 3 secret tombstone
 *   u64le seq              >= 1: the object's sequence number
 *   u8 n, name             1..255, a keystore name (the key's last part)
 *   u8 n, actor            1..255, the admin token id that asked
 *   u8 n, request id       0..64, printable ASCII
 *   u8 n, origin           1..63, the writing replica's replica_id, printable ASCII
 *   u32le n, payload       1..KBS_ETCD_VALUE_MAX - 1024 bytes; 0 for a tombstone
 *   MAC                    32 bytes: keystore_replica_mac of all the above
 *
 * Read through the bounded cursor; nothing may follow the MAC. The MAC
 * means no one with write access to etcd but without the master key can
 * make a replica store a policy, a binding or an actor. The seq, inside
 * the MAC, is what stops such a writer from putting back an older
 * authentic value (or the value of a deleted secret, whose key now holds
 * a tombstone with a higher seq): a replica applies a value of a key only
 * above the seq it holds for it (kbs/replica.c). Such a writer can still
 * delete keys, which removes the secret (fails closed).
 *
 * The format before sequence numbers, "kbs-etcd-v1\0", is the same
 * without the seq and the tombstone kind. It still decodes, as seq 0, so
 * an etcd written before the upgrade keeps working; a v1 value is below
 * any number, so a key is protected from its first v2 write on, and its
 * v1 values are refused from then on. Only v2 is written.
 */
#include <stdlib.h>
#include <string.h>

#include "etcd.h"
#include "kbs_buf.h"
#include "kbs_le.h"
#include "keystore.h"
#include "replica.h"

static const char magic_v1[12] = "kbs-etcd-v1";
static const char magic_v2[12] = "kbs-etcd-v2";

#define MAGIC_LEN sizeof(magic_v2)

#define PAYLOAD_MAX (KBS_ETCD_VALUE_MAX - 1024)

static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > KEYSTORE_NAME_MAX)
		return 0;
	/* strchr finds the set's own terminating NUL: a NUL byte is refused first. */
	for (i = 0; i < n; i++)
		if (s[i] == '\0' ||
		    strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+-",
			s[i]) == NULL)
			return 0;
	return 1;
}

int
kbs_replica_value_encode(
    struct keystore *ks, const struct kbs_replica_value *v, uint8_t **ret, size_t *ret_len)
{
	size_t nn = strlen(v->name), na = strlen(v->actor), nr = strlen(v->request_id),
	       no = strlen(v->origin), len, at = 0;
	uint8_t *p;
	int r;

	if ((v->kind != KBS_REPLICA_SECRET && v->kind != KBS_REPLICA_POLICY &&
		v->kind != KBS_REPLICA_TOMBSTONE) ||
	    v->seq == 0 || !name_ok(v->name, nn) || !name_ok(v->actor, na) ||
	    nr > KBS_REPLICA_REQUEST_MAX || !printable(v->request_id, nr) || no == 0 ||
	    no > KBS_REPLICA_ORIGIN_MAX || !printable(v->origin, no) ||
	    (v->kind == KBS_REPLICA_TOMBSTONE) != (v->payload_len == 0) ||
	    (v->payload_len > 0 && v->payload == NULL))
		return KBS_ERR_INVALID_ARGUMENT;
	if (v->payload_len > PAYLOAD_MAX)
		return KBS_ERR_TOO_LARGE;
	len = MAGIC_LEN + 1 + 8 + 1 + nn + 1 + na + 1 + nr + 1 + no + 4 + v->payload_len + 32;
	if ((p = malloc(len)) == NULL)
		return KBS_ERR_ALLOC;
	memcpy(p, magic_v2, MAGIC_LEN);
	at = MAGIC_LEN;
	p[at++] = (uint8_t)v->kind;
	kbs_le_put(p + at, v->seq, 8);
	at += 8;
	p[at++] = (uint8_t)nn;
	memcpy(p + at, v->name, nn);
	at += nn;
	p[at++] = (uint8_t)na;
	memcpy(p + at, v->actor, na);
	at += na;
	p[at++] = (uint8_t)nr;
	memcpy(p + at, v->request_id, nr);
	at += nr;
	p[at++] = (uint8_t)no;
	memcpy(p + at, v->origin, no);
	at += no;
	p[at++] = (uint8_t)(v->payload_len);
	p[at++] = (uint8_t)(v->payload_len >> 8);
	p[at++] = (uint8_t)(v->payload_len >> 16);
	p[at++] = (uint8_t)(v->payload_len >> 24);
	if (v->payload_len > 0)
		memcpy(p + at, v->payload, v->payload_len);
	at += v->payload_len;
	if ((r = keystore_replica_mac(ks, p, at, p + at)) != 0) {
		free(p);
		return r;
	}
	*ret = p;
	*ret_len = len;
	return 0;
}

/* get_str reads u8 n and n bytes into out (size > max), checked by ok. */
static int
get_str(struct kbs_buf *b, char *out, size_t max, size_t min, int (*ok)(const char *, size_t))
{
	const uint8_t *s;
	uint8_t n;

	if (kbs_buf_get_u8(b, &n) != 0 || n < min || n > max || kbs_buf_get_direct(b, n, &s) != 0)
		return KBS_ERR_ETCD_RECORD;
	if (!ok((const char *)s, n))
		return KBS_ERR_ETCD_RECORD;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int
kbs_replica_value_decode(
    const uint8_t *p, size_t len, struct kbs_replica_value *ret, size_t *ret_mac_len)
{
	struct kbs_replica_value v;
	struct kbs_buf b;
	const uint8_t *m;
	uint8_t kind;
	uint32_t plen;
	bool v2;

	memset(&v, 0, sizeof(v));
	if (p == NULL || len < 32)
		return KBS_ERR_ETCD_RECORD;
	kbs_buf_init(&b, p, len - 32);
	if (kbs_buf_get_direct(&b, MAGIC_LEN, &m) != 0)
		return KBS_ERR_ETCD_RECORD;
	v2 = memcmp(m, magic_v2, MAGIC_LEN) == 0;
	if ((!v2 && memcmp(m, magic_v1, MAGIC_LEN) != 0) || kbs_buf_get_u8(&b, &kind) != 0 ||
	    (kind != KBS_REPLICA_SECRET && kind != KBS_REPLICA_POLICY &&
		(!v2 || kind != KBS_REPLICA_TOMBSTONE)))
		return KBS_ERR_ETCD_RECORD;
	v.kind = (enum kbs_replica_kind)kind;
	/* v1 has no number: seq 0, below any a replica records. */
	if (v2 && (kbs_buf_get_u64le(&b, &v.seq) != 0 || v.seq == 0))
		return KBS_ERR_ETCD_RECORD;
	if (get_str(&b, v.name, KEYSTORE_NAME_MAX, 1, name_ok) != 0 ||
	    get_str(&b, v.actor, KEYSTORE_NAME_MAX, 1, name_ok) != 0 ||
	    get_str(&b, v.request_id, KBS_REPLICA_REQUEST_MAX, 0, printable) != 0 ||
	    get_str(&b, v.origin, KBS_REPLICA_ORIGIN_MAX, 1, printable) != 0 ||
	    kbs_buf_get_u32le(&b, &plen) != 0 || plen > PAYLOAD_MAX ||
	    (v.kind == KBS_REPLICA_TOMBSTONE) != (plen == 0) ||
	    kbs_buf_get_direct(&b, plen, &v.payload) != 0 || kbs_buf_expect_end(&b) != 0)
		return KBS_ERR_ETCD_RECORD;
	v.payload_len = plen;
	*ret = v;
	*ret_mac_len = len - 32;
	return 0;
}

int
kbs_replica_value_open(
    struct keystore *ks, const uint8_t *p, size_t len, struct kbs_replica_value *ret)
{
	struct kbs_replica_value v;
	size_t mac_len = 0;
	int r;

	if ((r = kbs_replica_value_decode(p, len, &v, &mac_len)) != 0)
		return r;
	if (keystore_replica_mac_check(ks, p, mac_len, p + mac_len) != 0)
		return KBS_ERR_ETCD_RECORD;
	*ret = v;
	return 0;
}
