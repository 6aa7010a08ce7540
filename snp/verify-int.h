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
};

/*
 * snp_verify_chain runs the chain checks alone (ARK, ASK, SIGNER_CERT,
 * VALIDITY) for a signer of kind in certs, for product, at time at,
 * recording them in *res like snp_verify_report. On success *ret_facts (if
 * not NULL) receives a reference to the verified facts (release with
 * snp_facts_release). Used for a VCEK that comes without a report.
 */
KBS_MUST_CHECK int snp_verify_chain(struct snp_verifier *v, const struct snp_certs *certs,
    enum snp_product product, enum snp_signing_key kind, int64_t at,
    struct snp_verify_result *res, struct snp_chain_facts **ret_facts);

#endif
