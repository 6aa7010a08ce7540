/*
 * sim_chain.c: issuing a simulated chip's ARK, ASK and VCEK.
 *
 * Built like AMD's KDS certificates (compare tests/vectors/snp/amd and any
 * VCEK there), so that the verifier's structural checks all run on them:
 *   ARK   self-signed, RSA-4096, keyUsage keyCertSign+cRLSign (critical),
 *         basicConstraints CA (critical), subjectKeyIdentifier
 *   ASK   issued by the ARK, RSA-4096, basicConstraints CA pathlen 0
 *         (critical), keyUsage keyCertSign (critical), SKI and AKI
 *   VCEK  issued by the ASK, EC P-384, serial 0, and AMD's extensions
 *         (OID arc 1.3.6.1.4.1.3704.1): structVersion, productName, the
 *         SPLs blSPL .3.1, teeSPL .3.2, snpSPL .3.3, ucodeSPL .3.8, the
 *         reserved SPLs AMD also sets to 0, fmcSPL .3.9 on Turin, and
 *         hwID .4 as raw bytes: 64 of CHIP_ID (Milan, Genoa) or 8 (Turin)
 * Every signature is RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48. The names
 * copy AMD's CN scheme (ARK-Milan, SEV-Milan, SEV-VCEK), which is how the
 * verifier tells products and certificate kinds apart, but OU and O say
 * SIMULATED, so no reader can take the chain for AMD's.
 */
#include "sim.h"

#include <sodium.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#define AMD_ARC "1.3.6.1.4.1.3704.1."
#define DAY (24 * 60 * 60)

int
sim_keys_generate(struct sim_keys *ret)
{
	struct sim_keys k;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&k, 0, sizeof(k));
	if ((k.ark = EVP_RSA_gen(4096)) == NULL || (k.ask = EVP_RSA_gen(4096)) == NULL ||
	    (k.vcek = EVP_EC_gen("P-384")) == NULL) {
		sim_keys_clear(&k);
		ERR_clear_error();
		return KBS_ERR_INTERNAL;
	}
	*ret = k;
	return 0;
}

void
sim_keys_clear(struct sim_keys *keys)
{
	if (keys == NULL)
		return;
	EVP_PKEY_free(keys->ark);
	EVP_PKEY_free(keys->ask);
	EVP_PKEY_free(keys->vcek);
	memset(keys, 0, sizeof(*keys));
}

void
sim_chain_clear(struct sim_chain *chain)
{
	if (chain == NULL)
		return;
	X509_free(chain->ark);
	X509_free(chain->ask);
	X509_free(chain->vcek);
	memset(chain, 0, sizeof(*chain));
}

static int
is_rsa4096(EVP_PKEY *k)
{
	return k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA && EVP_PKEY_get_bits(k) == 4096;
}

static int
is_p384(EVP_PKEY *k)
{
	char group[32];
	size_t glen = 0;

	return k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) == 1 &&
	    strcmp(group, "secp384r1") == 0;
}

/* sim_name: OU and O that say SIMULATED, and the CN the verifier reads. */
static X509_NAME *
sim_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    X509_NAME_add_entry_by_txt(
		n, "OU", MBSTRING_ASC, (const unsigned char *)SIM_NAME_OU, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(
		n, "O", MBSTRING_ASC, (const unsigned char *)SIM_NAME_O, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(
		n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* add_conf_ext adds a standard extension written in OpenSSL's configuration syntax. */
static int
add_conf_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

/* add_raw_ext adds a non-critical extension whose extnValue is der[0..len). */
static int
add_raw_ext(X509 *x, const char *oid, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int ok = 0;

	if (obj == NULL || os == NULL || ASN1_OCTET_STRING_set(os, der, (int)len) != 1)
		goto out;
	if ((e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) == NULL)
		goto out;
	ok = X509_add_ext(x, e, -1) == 1;
out:
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return ok;
}

/* add_int_ext adds an AMD extension holding a DER INTEGER. */
static int
add_int_ext(X509 *x, const char *oid, long value)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int len, ok = 0;

	if (i != NULL && ASN1_INTEGER_set(i, value) == 1 && (len = i2d_ASN1_INTEGER(i, &der)) > 0)
		ok = add_raw_ext(x, oid, der, (size_t)len);
	OPENSSL_free(der);
	ASN1_INTEGER_free(i);
	return ok;
}

/* add_ia5_ext adds an AMD extension holding a DER IA5String. */
static int
add_ia5_ext(X509 *x, const char *oid, const char *value)
{
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	unsigned char *der = NULL;
	int len, ok = 0;

	if (s != NULL && ASN1_STRING_set(s, value, -1) == 1 &&
	    (len = i2d_ASN1_IA5STRING(s, &der)) > 0)
		ok = add_raw_ext(x, oid, der, (size_t)len);
	OPENSSL_free(der);
	ASN1_IA5STRING_free(s);
	return ok;
}

static int
add_vcek_exts(X509 *x, const struct sim_config *cfg, const struct sim_product *p)
{
	const int turin = cfg->product == SNP_PRODUCT_TURIN;
	/* The SPLs in the order AMD's VCEKs list them; reserved ones are 0. */
	const struct {
		const char *oid;
		int value;
	} spls[] = {
		{ AMD_ARC "3.9", turin ? cfg->tcb.fmc : -1 },
		{ AMD_ARC "3.1", cfg->tcb.bootloader },
		{ AMD_ARC "3.2", cfg->tcb.tee },
		{ AMD_ARC "3.4", turin ? -1 : 0 },
		{ AMD_ARC "3.5", 0 },
		{ AMD_ARC "3.6", 0 },
		{ AMD_ARC "3.7", 0 },
		{ AMD_ARC "3.3", cfg->tcb.snp },
		{ AMD_ARC "3.8", cfg->tcb.microcode },
	};
	size_t i;

	if (!add_int_ext(x, AMD_ARC "1", (long)p->struct_version) ||
	    !add_ia5_ext(x, AMD_ARC "2", p->product_name))
		return 0;
	for (i = 0; i < KBS_ARRAY_SIZE(spls); i++) {
		if (spls[i].value >= 0 && !add_int_ext(x, spls[i].oid, spls[i].value))
			return 0;
	}
	/* hwID is the raw chip id, no inner tag (see snp/amd_ext.c). */
	return add_raw_ext(x, AMD_ARC "4", cfg->chip_id, p->hwid_len);
}

/* pss_sign signs x with key as AMD does: RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48. */
static int
pss_sign(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (md == NULL || EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) != 1)
		goto out;
	ok = X509_sign_ctx(x, md) > 0;
out:
	EVP_MD_CTX_free(md);
	return ok;
}

/* random_serial sets a random positive 63-bit serial (AMD's VCEKs keep 0). */
static int
random_serial(X509 *x)
{
	uint8_t b[8];
	BIGNUM *bn;
	int ok;

	randombytes_buf(b, sizeof(b));
	b[0] = (uint8_t)((b[0] & 0x7f) | 0x01);
	if ((bn = BN_bin2bn(b, (int)sizeof(b), NULL)) == NULL)
		return 0;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/*
 * make_cert starts a v3 certificate for key named cn, issued by issuer_name,
 * valid from a day before now for years.
 */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, const X509_NAME *issuer_name, int64_t now, int years)
{
	X509 *x = X509_new();
	X509_NAME *name = sim_name(cn);
	int ok;

	ok = x != NULL && name != NULL && X509_set_version(x, 2) == 1 &&
	    X509_set_subject_name(x, name) == 1 &&
	    X509_set_issuer_name(x, issuer_name != NULL ? issuer_name : name) == 1 &&
	    ASN1_TIME_adj(X509_getm_notBefore(x), (time_t)now, -1, 0) != NULL &&
	    ASN1_TIME_adj(X509_getm_notAfter(x), (time_t)now, years * 365 + years / 4 - 1, 0) !=
		NULL &&
	    X509_set_pubkey(x, key) == 1;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
sim_chain_issue(
    const struct sim_config *cfg, const struct sim_keys *keys, int64_t now, struct sim_chain *ret)
{
	const struct sim_product *p;
	struct sim_chain c;
	char cn[32];
	int r = KBS_ERR_INTERNAL;

	if (cfg == NULL || keys == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((p = sim_product_info(cfg->product)) == NULL)
		return KBS_ERR_PRODUCT_UNKNOWN;
	if (!is_rsa4096(keys->ark) || !is_rsa4096(keys->ask) || !is_p384(keys->vcek)) {
		ERR_clear_error();
		return KBS_ERR_INVALID_ARGUMENT;
	}
	memset(&c, 0, sizeof(c));

	snprintf(cn, sizeof(cn), "ARK-%s", p->name);
	if ((c.ark = make_cert(keys->ark, cn, NULL, now, 25)) == NULL || !random_serial(c.ark) ||
	    !add_conf_ext(c.ark, c.ark, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_conf_ext(c.ark, c.ark, NID_subject_key_identifier, "hash") ||
	    !add_conf_ext(c.ark, c.ark, NID_basic_constraints, "critical,CA:TRUE") ||
	    !pss_sign(c.ark, keys->ark))
		goto out;

	snprintf(cn, sizeof(cn), "SEV-%s", p->name);
	if ((c.ask = make_cert(keys->ask, cn, X509_get_subject_name(c.ark), now, 25)) == NULL ||
	    !random_serial(c.ask) ||
	    !add_conf_ext(c.ask, c.ark, NID_subject_key_identifier, "hash") ||
	    !add_conf_ext(c.ask, c.ark, NID_authority_key_identifier, "keyid:always") ||
	    !add_conf_ext(c.ask, c.ark, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_conf_ext(c.ask, c.ark, NID_key_usage, "critical,keyCertSign") ||
	    !pss_sign(c.ask, keys->ark))
		goto out;

	if ((c.vcek = make_cert(keys->vcek, "SEV-VCEK", X509_get_subject_name(c.ask), now, 7)) ==
		NULL ||
	    ASN1_INTEGER_set(X509_get_serialNumber(c.vcek), 0) != 1 ||
	    !add_vcek_exts(c.vcek, cfg, p) || !pss_sign(c.vcek, keys->ask))
		goto out;

	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	sim_chain_clear(&c);
	ERR_clear_error();
	return r;
}
