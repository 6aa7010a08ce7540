/*
 * verify-int.h: private entry points of verify.c, for tests.
 */
#ifndef SNP_VERIFY_INT_H
#define SNP_VERIFY_INT_H

#include "cache-int.h"
#include "chain-int.h"

struct snp_verifier {
	struct snp_roots roots;
	struct snp_cache *cache;
	struct snp_certcache *certcache; /* certcache.c */
};

/* The parse cache of snp_verifier_certs_add (certcache.c). */
#define SNP_CERTCACHE_SLOTS 256
struct snp_certcache;
KBS_MUST_CHECK int snp_certcache_new(struct snp_certcache **ret);
void snp_certcache_free(struct snp_certcache *c);
/* snp_certcache_stats: lookups that found the bytes, and those that parsed them (tests). */
void snp_certcache_stats(struct snp_certcache *c, size_t *ret_hits, size_t *ret_misses);

/*
 * snp_verify_chain runs the chain checks alone (ARK, ASK, SIGNER_CERT,
 * VALIDITY) for a signer of kind in certs, for product, at time at,
 * recording them in *res like snp_verify_report. On success *ret_facts (if
 * not NULL) receives a reference to the verified facts (release with
 * snp_facts_release). Used for a VCEK that comes without a report.
 */
KBS_MUST_CHECK int snp_verify_chain(struct snp_verifier *v, const struct snp_certs *certs,
    enum snp_product product, enum snp_signing_key kind, int64_t at, struct snp_verify_result *res,
    struct snp_chain_facts **ret_facts);

/*
 * snp_check_tcb decodes reported_tcb for product into *ret_tcb and compares
 * it with the certificate's SPLs (FMC too on Turin): KBS_ERR_TCB_MISMATCH
 * naming the component, or snp_tcb_decode's error.
 */
KBS_MUST_CHECK int snp_check_tcb(uint64_t reported_tcb, enum snp_product product,
    const struct snp_amd_ext *e, const char *signer_label, struct snp_tcb *ret_tcb, char *detail,
    size_t detail_size);

/*
 * snp_check_chip_id compares CHIP_ID with the VCEK hwID (see verify.c for
 * the VLEK and MASK_CHIP_KEY rules). *ret_skipped is set when the check
 * does not apply. KBS_ERR_CHIP_ID_MISMATCH otherwise.
 */
KBS_MUST_CHECK int snp_check_chip_id(enum snp_product product, enum snp_signing_key kind,
    uint32_t key_info, const uint8_t chip_id[64], const struct snp_amd_ext *e, int *ret_skipped,
    char *detail, size_t detail_size);

#endif
