/*
 * cache-int.h: the per-signer chain cache of snp_verify_report (cache.c).
 *
 * A verified chain's facts are kept under the SHA-256 of the signer
 * certificate's DER together with the SHA-256 of the ASK/ASVK used, so a
 * later report from the same chip costs one ECDSA verification. The facts
 * are immutable once inserted and reference counted, so a reader keeps
 * them alive after the lock is released even if they are evicted.
 * Bounded (oldest entry evicted first) and safe to share between threads.
 */
#ifndef SNP_CACHE_INT_H
#define SNP_CACHE_INT_H

#include <openssl/asn1.h>

#include "amd_ext-int.h"
#include "sig-int.h"
#include "snp.h"

#define SNP_CACHE_MAX_ENTRIES 4096
#define SNP_CACHE_CRL_SLOTS 16

enum { SNP_FACT_ARK = 0, SNP_FACT_INTER, SNP_FACT_SIGNER, SNP_FACT_CERTS };

struct snp_chain_facts {
	uint8_t signer_sha256[32];
	uint8_t inter_sha256[32];
	enum snp_product product;
	enum snp_signing_key kind;
	int extra_root; /* snp_verify_result.extra_root the chain was verified under */
	struct snp_amd_ext ext;
	int64_t not_before[SNP_FACT_CERTS];
	int64_t not_after[SNP_FACT_CERTS];
	ASN1_INTEGER *inter_serial;
	ASN1_INTEGER *signer_serial;
	struct snp_p384_pubkey key;
	int refs; /* atomic */
};

/* snp_facts_new makes facts with one reference. */
KBS_MUST_CHECK int snp_facts_new(struct snp_chain_facts **ret);
/* snp_facts_release drops one reference; the last frees. Accepts NULL. */
void snp_facts_release(struct snp_chain_facts *f);

struct snp_cache;

KBS_MUST_CHECK int snp_cache_new(size_t max_entries, struct snp_cache **ret);
void snp_cache_free(struct snp_cache *c);

/* snp_cache_get returns a new reference to the facts under the key, or NULL. */
struct snp_chain_facts *snp_cache_get(
    struct snp_cache *c, const uint8_t signer_sha256[32], const uint8_t inter_sha256[32]);

/*
 * snp_cache_put stores f (the cache takes its own reference; the caller
 * keeps its). An entry already present under the same key is kept.
 */
KBS_MUST_CHECK int snp_cache_put(struct snp_cache *c, struct snp_chain_facts *f);

/* snp_cache_count returns the number of entries (for tests). */
size_t snp_cache_count(struct snp_cache *c);

/*
 * The CRL signature results: a CRL (by the SHA-256 of its DER) whose
 * signature verified under the ARK of product. Only successes are kept.
 */
int snp_cache_crl_verified(
    struct snp_cache *c, const uint8_t crl_sha256[32], enum snp_product product);
void snp_cache_crl_mark(
    struct snp_cache *c, const uint8_t crl_sha256[32], enum snp_product product);

#endif
