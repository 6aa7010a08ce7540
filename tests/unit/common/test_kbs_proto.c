/*
 * Unit tests for common/kbs_proto.c against the protocol v1 vectors in
 * tests/vectors/proto/wrap.json (made by gen_wrap.py from docs/protocol.md
 * with PyNaCl, a second implementation). Every derived byte is recomputed
 * here and compared; then the negative cases: a changed name, binding,
 * ciphertext byte or key fails to open with wrap_open, a small-order peer
 * key is wrap_weak_key, and a changed transcript field fails the signature.
 */
#include <cjson/cJSON.h>
#include <sodium.h>

#include "kbs_proto.h"
#include "test.h"

static cJSON *vec;

static const char *
vstr(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(it)) {
		fprintf(stderr, "wrap.json: %s missing\n", key);
		exit(2);
	}
	return it->valuestring;
}

/* vhex decodes a hex member of exactly n bytes. */
static void
vhex(const cJSON *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = vstr(o, key);

	if (kbs_hex_decode_exact(s, strlen(s), out, n) != 0) {
		fprintf(stderr, "wrap.json: %s is not %zu hex bytes\n", key, n);
		exit(2);
	}
}

static void
load(void)
{
	char path[4096];
	uint8_t *data;
	size_t len;

	if (vec != NULL)
		return;
	snprintf(path, sizeof(path), "%s/../proto/wrap.json", getenv("KBS_VECTORS"));
	data = test_read(path, &len);
	vec = cJSON_ParseWithLength((const char *)data, len);
	free(data);
	if (vec == NULL)
		exit(2);
}

struct fixture {
	uint8_t g_sk[32], g_pk[32], e_sk[32], e_pk[32], nonce[32], key[32];
	uint8_t id_seed[32], id_pk[32], id_sk[64];
	size_t count;
	struct kbs_proto_secret s[2];
	uint8_t ct[2][256];
	struct kbs_proto_response resp;
};

static void
fixture_load(struct fixture *f)
{
	const cJSON *arr, *it;
	size_t i = 0;

	load();
	memset(f, 0, sizeof(*f));
	vhex(vec, "guest_sk", f->g_sk, 32);
	vhex(vec, "guest_pk", f->g_pk, 32);
	vhex(vec, "broker_eph_sk", f->e_sk, 32);
	vhex(vec, "broker_eph_pk", f->e_pk, 32);
	vhex(vec, "nonce", f->nonce, 32);
	vhex(vec, "key", f->key, 32);
	vhex(vec, "identity_seed", f->id_seed, 32);
	vhex(vec, "identity_pk", f->id_pk, 32);
	if (crypto_sign_seed_keypair(f->id_pk, f->id_sk, f->id_seed) != 0)
		exit(2);
	arr = cJSON_GetObjectItemCaseSensitive(vec, "secrets");
	cJSON_ArrayForEach(it, arr)
	{
		struct kbs_proto_secret *s = &f->s[i];
		const char *ct = vstr(it, "ciphertext");

		s->name = vstr(it, "name");
		s->policy_name = vstr(it, "policy_name");
		s->policy_version =
		    (uint32_t)cJSON_GetObjectItemCaseSensitive(it, "policy_version")->valuedouble;
		vhex(it, "policy_sha256", s->policy_sha256, 32);
		vhex(it, "aead_nonce", s->aead_nonce, 24);
		s->ciphertext_len = strlen(ct) / 2;
		vhex(it, "ciphertext", f->ct[i], s->ciphertext_len);
		s->ciphertext = f->ct[i];
		if (++i == 2)
			break;
	}
	f->count = i;
	memcpy(f->resp.binding, f->nonce, 32);
	memcpy(f->resp.guest_key, f->g_pk, 32);
	memcpy(f->resp.wrap_key, f->e_pk, 32);
	f->resp.request_id = vstr(vec, "request_id");
	f->resp.count = f->count;
	f->resp.secrets = f->s;
	f->resp.token = vstr(vec, "token");
}

static void
test_key_both_sides(void)
{
	struct fixture f;
	uint8_t kb[32], kg[32];

	fixture_load(&f);
	CHECK(f.count == 2);
	CHECK_ERR(kbs_wrap_key_broker(f.e_sk, f.e_pk, f.g_pk, kb), 0);
	CHECK_ERR(kbs_wrap_key_guest(f.g_sk, f.g_pk, f.e_pk, kg), 0);
	CHECK(memcmp(kb, f.key, 32) == 0);
	CHECK(memcmp(kg, f.key, 32) == 0);
}

static void
test_seal_matches_vectors(void)
{
	struct fixture f;
	const cJSON *arr = NULL, *it;
	size_t i = 0;

	fixture_load(&f);
	arr = cJSON_GetObjectItemCaseSensitive(vec, "secrets");
	cJSON_ArrayForEach(it, arr)
	{
		uint8_t value[128], ad[512], want_ad[512], out[256], back[256];
		const char *vh = vstr(it, "value"), *ah = vstr(it, "ad");
		size_t vlen = strlen(vh) / 2, alen = strlen(ah) / 2, n = 0;
		const char *name = f.s[i].name;

		vhex(it, "value", value, vlen);
		vhex(it, "ad", want_ad, alen);
		CHECK(kbs_wrap_ad_len(strlen(name)) == alen);
		CHECK_ERR(kbs_wrap_ad(name, strlen(name), f.nonce, ad, sizeof(ad)), 0);
		CHECK(memcmp(ad, want_ad, alen) == 0);
		CHECK_ERR(kbs_wrap_seal(f.key, f.s[i].aead_nonce, name, strlen(name), f.nonce,
			      value, vlen, out, sizeof(out)),
		    0);
		CHECK(f.s[i].ciphertext_len == vlen + KBS_PROTO_TAG_SIZE);
		CHECK(memcmp(out, f.s[i].ciphertext, vlen + KBS_PROTO_TAG_SIZE) == 0);
		CHECK_ERR(kbs_wrap_open(f.key, f.s[i].aead_nonce, name, strlen(name), f.nonce, out,
			      vlen + KBS_PROTO_TAG_SIZE, back, sizeof(back), &n),
		    0);
		CHECK(n == vlen && memcmp(back, value, vlen) == 0);
		i++;
	}
	CHECK(i == 2);
}

static void
test_open_refuses_changes(void)
{
	struct fixture f;
	const struct kbs_proto_secret *s;
	uint8_t out[256], ct[256], binding[32], key[32];
	size_t n = 0, len;

	fixture_load(&f);
	s = &f.s[0];
	len = s->ciphertext_len;
	/* another name */
	CHECK_ERR(kbs_wrap_open(f.key, s->aead_nonce, "disk-kez", 8, f.nonce, s->ciphertext, len,
		      out, sizeof(out), &n),
	    KBS_ERR_WRAP_OPEN);
	/* another binding (another exchange's nonce) */
	memcpy(binding, f.nonce, 32);
	binding[31] ^= 1;
	CHECK_ERR(kbs_wrap_open(f.key, s->aead_nonce, s->name, strlen(s->name), binding,
		      s->ciphertext, len, out, sizeof(out), &n),
	    KBS_ERR_WRAP_OPEN);
	/* a changed ciphertext byte */
	memcpy(ct, s->ciphertext, len);
	ct[3] ^= 0x80;
	CHECK_ERR(kbs_wrap_open(f.key, s->aead_nonce, s->name, strlen(s->name), f.nonce, ct, len,
		      out, sizeof(out), &n),
	    KBS_ERR_WRAP_OPEN);
	/* another key */
	memcpy(key, f.key, 32);
	key[0] ^= 1;
	CHECK_ERR(kbs_wrap_open(key, s->aead_nonce, s->name, strlen(s->name), f.nonce,
		      s->ciphertext, len, out, sizeof(out), &n),
	    KBS_ERR_WRAP_OPEN);
	/* shapes */
	CHECK_ERR(kbs_wrap_open(f.key, s->aead_nonce, s->name, strlen(s->name), f.nonce,
		      s->ciphertext, 15, out, sizeof(out), &n),
	    KBS_ERR_TRUNCATED);
	CHECK_ERR(kbs_wrap_open(f.key, s->aead_nonce, s->name, strlen(s->name), f.nonce,
		      s->ciphertext, len, out, 4, &n),
	    KBS_ERR_BUFFER_TOO_SMALL);
	CHECK_ERR(kbs_wrap_open(f.key, s->aead_nonce, "", 0, f.nonce, s->ciphertext, len, out,
		      sizeof(out), &n),
	    KBS_ERR_INVALID_ARGUMENT);
}

static void
test_small_order_key_refused(void)
{
	struct fixture f;
	uint8_t zero[32] = { 0 }, key[32] = { 0 };

	fixture_load(&f);
	CHECK_ERR(kbs_wrap_key_broker(f.e_sk, f.e_pk, zero, key), KBS_ERR_WRAP_WEAK_KEY);
	CHECK_ERR(kbs_wrap_key_guest(f.g_sk, f.g_pk, zero, key), KBS_ERR_WRAP_WEAK_KEY);
}

static void
test_transcript_and_signature(void)
{
	struct fixture f;
	const char *want_hex;
	uint8_t *msg = NULL, want_sig[64], sig[64], *want = NULL;
	size_t len = 0, want_len;

	fixture_load(&f);
	want_hex = vstr(vec, "signed_bytes");
	want_len = strlen(want_hex) / 2;
	want = malloc(want_len);
	vhex(vec, "signed_bytes", want, want_len);
	vhex(vec, "signature", want_sig, 64);
	CHECK_ERR(kbs_proto_signed_bytes(&f.resp, &msg, &len), 0);
	CHECK(len == want_len && memcmp(msg, want, len) == 0);
	CHECK_ERR(kbs_proto_sign(&f.resp, f.id_sk, sig), 0);
	CHECK(memcmp(sig, want_sig, 64) == 0); /* Ed25519 is deterministic */
	CHECK_ERR(kbs_proto_verify(&f.resp, f.id_pk, sig), 0);

	/* each bound field changes the verdict */
	f.resp.binding[0] ^= 1;
	CHECK_ERR(kbs_proto_verify(&f.resp, f.id_pk, sig), KBS_ERR_RESPONSE_SIGNATURE);
	f.resp.binding[0] ^= 1;
	f.resp.guest_key[5] ^= 1;
	CHECK_ERR(kbs_proto_verify(&f.resp, f.id_pk, sig), KBS_ERR_RESPONSE_SIGNATURE);
	f.resp.guest_key[5] ^= 1;
	f.s[1].policy_version++;
	CHECK_ERR(kbs_proto_verify(&f.resp, f.id_pk, sig), KBS_ERR_RESPONSE_SIGNATURE);
	f.s[1].policy_version--;
	f.resp.token = "";
	CHECK_ERR(kbs_proto_verify(&f.resp, f.id_pk, sig), KBS_ERR_RESPONSE_SIGNATURE);
	f.resp.token = vstr(vec, "token");
	f.resp.count = 1; /* dropping a secret */
	CHECK_ERR(kbs_proto_verify(&f.resp, f.id_pk, sig), KBS_ERR_RESPONSE_SIGNATURE);
	f.resp.count = 2;
	CHECK_ERR(kbs_proto_verify(&f.resp, f.id_pk, sig), 0);
	free(msg);
	free(want);
}

TEST_MAIN(TEST(test_key_both_sides), TEST(test_seal_matches_vectors),
    TEST(test_open_refuses_changes), TEST(test_small_order_key_refused),
    TEST(test_transcript_and_signature))
