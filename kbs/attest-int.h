/*
 * attest-int.h: the state of one attestation, shared by the three files of
 * the attest path: attest.c (request, nonce, verification, policies),
 * attest_record.c (the audit record and the durable commit) and
 * attest_reply.c (wrapping, token, signature, the JSON answer).
 */
#ifndef KBS_ATTEST_INT_H
#define KBS_ATTEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "broker.h"
#include "json.h"
#include "policy.h"
#include "snp.h"

#define KBS_ATTEST_MAX_SECRETS 32
#define KBS_ATTEST_MAX_CERTS 8

struct keystore_secret;
struct keystore_policy;
struct kbs_kds_crl;

struct kbs_attest_secret {
	const char *name;                      /* points into the request tree */
	struct keystore_secret *secret;        /* value opened only once evaluation ran */
	struct keystore_policy *stored_policy; /* current version of the bound policy */
	const struct policy *policy;           /* parsed, from the policy cache */
	uint8_t sha256[32];                    /* of the policy's bytes */
	struct policy_result result;
	int denied; /* KBS_ERR_POLICY_DENIED, KBS_ERR_NO_POLICY, KBS_ERR_NOT_FOUND, or 0 */
	uint8_t *ciphertext;
	size_t ciphertext_len;
	uint8_t aead_nonce[24];
};

struct kbs_attest {
	struct kbs_broker *broker;
	const struct kbs_req *req;
	struct pj_node *root;
	uint8_t nonce[32];
	int64_t nonce_issued;
	int64_t nonce_expires;
	uint8_t report_raw[SNP_REPORT_SIZE + 1];
	size_t report_len;
	struct snp_report report; /* shape-checked copy, for the nonce binding only */
	uint8_t guest_key[32];
	/*
	 * The reply's ephemeral X25519 public key and the wrapping key derived
	 * with it (kbs_wrap_key_broker), made when the guest key is checked on
	 * arrival: that agreement is the small-order check, so the reply reuses
	 * it instead of running a second one. wrap_key is secret: kbs_attest_free
	 * wipes the whole struct.
	 */
	uint8_t wrap_pk[32];
	uint8_t wrap_key[32];
	size_t n_certs;
	struct kbs_blob certs[KBS_ATTEST_MAX_CERTS];
	uint8_t *cert_table;
	size_t cert_table_len;
	struct policy_verified *evidence; /* the only thing policies are evaluated on */
	struct snp_verify_result verify;  /* a copy of the pipeline's result */
	int input_refused;                /* a certificate, table or report did not parse */
	struct kbs_blob kds_vcek;         /* found by the KDS fetcher when none was sent */
	struct kbs_blob kds_chain;        /* ... with its product's cert_chain, if any */
	struct kbs_kds_crl *held_crl;     /* the KDS-managed CRL verified against, referenced */
	int kds_failed;                   /* the fetcher or CRL freshness refused: no check ran */
	unsigned retry_after;             /* seconds, for a 503 of the fetcher */
	/*
	 * One slot per name in the request, allocated by kbs_attest_decode:
	 * a slot carries a policy_result of about 26 KiB (64 rows of text), so
	 * a fixed array of 32 made every request zero and wipe 850 KiB.
	 */
	size_t n_secrets;
	size_t secrets_cap; /* slots allocated */
	struct kbs_attest_secret *secrets;
	int decision; /* 0 deny, 1 release */
};

/*
 * kbs_attest_decode is step 1, the parser of the untrusted request body
 * (a->req->body): strict JSON with the attest members, canonical base64,
 * the nonce (32 bytes), the report (at most SNP_REPORT_SIZE + 1 bytes kept,
 * so a longer one is told apart), up to 8 certificates of 16 KiB, a
 * certificate table of 64 KiB, 1..32 distinct secret names of 1..255
 * bytes. KBS_ERR_BAD_REQUEST (*ret_reason says why, for the log),
 * KBS_ERR_BAD_BASE64, KBS_ERR_NONCE_MALFORMED, KBS_ERR_REPORT_LENGTH,
 * KBS_ERR_ALLOC. What it decoded so far stays in a either way:
 * kbs_attest_free frees it (a calloc'd struct; a->broker may be NULL
 * until evaluation). tests/fuzz/fuzz_kbs_attest_request.c runs it.
 */
KBS_MUST_CHECK int kbs_attest_decode(struct kbs_attest *a, const char **ret_reason);
void kbs_attest_free(struct kbs_attest *a);

/*
 * kbs_attest_commit consumes the nonce and appends the decision's audit
 * record in one durable commit. KBS_ERR_NONCE_REPLAYED when the nonce was
 * used before (nothing appended), KBS_ERR_UNAVAILABLE when the store cannot
 * record it. It counts the decision in the metrics only on success; a
 * refusal is counted where it is answered.
 */
KBS_MUST_CHECK int kbs_attest_commit(struct kbs_attest *a);

/*
 * kbs_attest_refused records refused evidence: counted, logged, and
 * audited only while the client address has budget left.
 */
void kbs_attest_refused(struct kbs_attest *a, int err);

/* kbs_attest_reply wraps every secret, makes the token, signs and fills resp. */
KBS_MUST_CHECK int kbs_attest_reply(struct kbs_attest *a, struct kbs_resp *resp);

/*
 * kbs_evidence_detail builds the members "check", "cause" and "detail" of
 * an evidence refusal (an object for kbs_resp_error; NULL when out of memory).
 */
cJSON *kbs_evidence_detail(const struct snp_verify_result *vr);

#endif
