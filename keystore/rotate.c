/*
 * rotate.c: replacing the master key.
 *
 * One exclusive transaction re-seals every secret and re-MACs every policy
 * version and token under keys derived from the new master key, replaces
 * the check value, and re-MACs the audit head, then the key is swapped in
 * memory before any other transaction of this process starts. Every
 * record is checked under the old key first (a secret that does not open,
 * a record whose MAC fails, stops the rotation: re-sealing would certify
 * it). Record identities do not involve the key (seal.c), so the audit
 * records naming them stay valid.
 */
#include "keystore-int.h"

#include <string.h>

struct rotate_arg {
	struct ks_keys *new_keys;
};

static int
op_rotate(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct rotate_arg *a = arg;
	struct ks_head_rec head;
	bool present;
	int r;

	if ((r = ks_meta_check_key(ks, txn)) != 0 ||
	    (r = ks_secrets_reseal(ks, txn, a->new_keys)) != 0 ||
	    (r = ks_policies_remac(ks, txn, a->new_keys)) != 0 ||
	    (r = ks_tokens_remac(ks, txn, a->new_keys)) != 0 ||
	    (r = ks_meta_put_check(ks, txn, a->new_keys)) != 0 ||
	    (r = ks_meta_get_head(ks, txn, &head, &present)) != 0)
		return r;
	/* A head whose MAC is wrong stays wrong: rotation must not certify it. */
	if (present && ks_head_mac_verify(ks->keys, &head) == 0) {
		ks_head_mac(a->new_keys, &head);
		if ((r = ks_meta_put_head(ks, txn, &head)) != 0)
			return r;
	}
	return 0;
}

static void
rotate_swap(struct keystore *ks, void *arg)
{
	struct rotate_arg *a = arg;
	struct ks_keys *old = ks->keys;

	ks->keys = a->new_keys;
	a->new_keys = old; /* freed by the caller */
}

int
keystore_rotate(struct keystore *ks, const struct keystore_key_source *new_src)
{
	struct rotate_arg a = { NULL };
	int r;

	if (ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = ks_keys_load(new_src, &a.new_keys)) != 0)
		return r;
	r = ks_write_exclusive(ks, op_rotate, &a, rotate_swap);
	ks_keys_free(a.new_keys);
	return r;
}
