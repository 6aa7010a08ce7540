/*
 * kds.h: certificates from AMD's Key Distribution Service, cached, and
 * the per-product CRLs kept fresh (docs/operations.md "AMD KDS and CRLs").
 *
 * When a guest sends no VCEK, the broker finds it: the store's `certs`
 * table first (a VCEK for one chip id and TCB never changes, so an entry
 * never goes stale), then the read-only directory kds_cache_dir (the
 * broker's layout or Trustee's offline one), then AMD KDS over HTTPS at
 * kds_url, unless kds_fetch is false. One fetch per cache key is in
 * flight however many guests wait for it; the others wait on a condition
 * variable, bounded by the fetch's own hard timeout. An answer of 429 or
 * 503 stops all fetching for its Retry-After seconds, and every guest
 * waiting meanwhile is told 503 with that hint (KBS_ERR_KDS_UNAVAILABLE):
 * never a denial. Whatever is found is still verified by the ordinary
 * chain check against the pinned ARK on every use; the cache only saves
 * the fetch.
 *
 * CRLs: per product and chain (VCEK, VLEK) a list is held once a source
 * has one (the store, the cache directory, an import, or KDS after the
 * broker fetched a VCEK of that product or verified a report of that
 * product and chain under a pinned AMD root), refreshed by a background
 * thread at 80% of its validity, and used past its nextUpdate for
 * crl_grace seconds at most, after which verification of that product
 * fails closed with KBS_ERR_CRL_EXPIRED. A configured `crls` file takes
 * precedence over a held list of the same product and chain.
 *
 * Thread-safe: every function may be called from any request thread.
 */
#ifndef KBS_KDS_H
#define KBS_KDS_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_common.h"
#include "snp.h"

struct keystore;
struct kbs_metrics;
struct kbs_config;

#define KBS_KDS_DEFAULT_URL "https://kdsintf.amd.com"
#define KBS_KDS_PATH_MAX 256 /* a KDS path with its query, a cache key, a file name */
#define KBS_KDS_BODY_MAX (4u << 20)
#define KBS_KDS_RETRY_DEFAULT 10 /* seconds, when a 429/503 names none */
#define KBS_KDS_RETRY_MAX 3600

/* What a KDS resource is (the "kind" label of kbs_kds_fetches_total). */
enum kbs_kds_item {
	KBS_KDS_VCEK = 0,
	KBS_KDS_CHAIN,
	KBS_KDS_CRL,
};

/* ---- names: URLs, cache keys, file layouts (kds_url.c; pure) -------- */

/* kbs_kds_product_segment: "Milan", "Genoa", "Turin" as KDS spells them; NULL otherwise. */
const char *kbs_kds_product_segment(enum snp_product product);

/*
 * kbs_kds_hwid_hex writes the chip's KDS hwID in lower-case hex: all 64
 * bytes of CHIP_ID on Milan and Genoa, the first 8 on Turin (whose VCEK
 * hwID is 8 bytes; the rest of its CHIP_ID must be zero).
 * KBS_ERR_KDS_NO_KEY for an all-zero (masked) chip id, a Turin chip id
 * with bytes past the eighth, or an unknown product.
 */
KBS_MUST_CHECK int kbs_kds_hwid_hex(
    enum snp_product product, const uint8_t chip_id[64], char out[129]);

/*
 * kbs_kds_tcb_name writes the TCB as Trustee's offline store names files:
 * "bl03_tee00_snp08_ucode115", with "_fmc00" appended on Turin (each
 * value zero-padded to two digits). KBS_ERR_INVALID_ARGUMENT if it does
 * not fit.
 */
KBS_MUST_CHECK int kbs_kds_tcb_name(
    enum snp_product product, const struct snp_tcb *tcb, char *out, size_t size);

/*
 * kbs_kds_vcek_path writes the KDS path of a chip's VCEK:
 * "/vcek/v1/{Product}/{hwid}?blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U", with
 * "fmcSPL=F&" first on Turin (SPLs in decimal). kbs_kds_hwid_hex's errors;
 * KBS_ERR_INVALID_ARGUMENT if out is too small.
 */
KBS_MUST_CHECK int kbs_kds_vcek_path(enum snp_product product, const uint8_t chip_id[64],
    const struct snp_tcb *tcb, char *out, size_t size);

/*
 * kbs_kds_chain_path / kbs_kds_crl_path: "/vcek/v1/{Product}/cert_chain"
 * and ".../crl", or "/vlek/v1/..." for signer SNP_SIGNING_KEY_VLEK.
 * KBS_ERR_INVALID_ARGUMENT for an unknown product or signer, or no room.
 */
KBS_MUST_CHECK int kbs_kds_chain_path(
    enum snp_product product, enum snp_signing_key signer, char *out, size_t size);
KBS_MUST_CHECK int kbs_kds_crl_path(
    enum snp_product product, enum snp_signing_key signer, char *out, size_t size);

/*
 * A file of a pre-loaded certificate directory, by its path relative to
 * the directory. Two layouts are read:
 *   kbs:     vcek/v1/{Product}/cert_chain     vcek/v1/{Product}/crl
 *            vlek/v1/{Product}/cert_chain     vlek/v1/{Product}/crl
 *            vcek/v1/{Product}/{hwid}/{tcb}_vcek.der
 *   Trustee: vcek/{hwid}/{tcb}_vcek.der       vcek/{hwid}/vcek.der
 * ({tcb} as kbs_kds_tcb_name writes it, {hwid} lower-case hex of 16 or
 * 128 digits). Trustee's product and TCB are read from the certificate.
 */
struct kbs_kds_file {
	enum kbs_kds_item item;
	enum snp_product product;   /* SNP_PRODUCT_UNKNOWN for Trustee's layout */
	enum snp_signing_key chain; /* CHAIN and CRL: which chain */
	char hwid[129];             /* VCEK */
	char tcb[64];               /* VCEK: "" for Trustee's flat vcek.der */
};

/* kbs_kds_file_parse sorts rel into *ret. KBS_ERR_KDS_LAYOUT for any other path. */
KBS_MUST_CHECK int kbs_kds_file_parse(const char *rel, struct kbs_kds_file *ret);

/*
 * kbs_kds_vcek_key / kbs_kds_item_key: the store's cache keys,
 * "vcek/{Product}/{hwid}/{tcb}", "chain/vcek/{Product}", "crl/vlek/{Product}".
 */
KBS_MUST_CHECK int kbs_kds_vcek_key(
    enum snp_product product, const char *hwid, const char *tcb, char *out, size_t size);
KBS_MUST_CHECK int kbs_kds_item_key(enum kbs_kds_item item, enum snp_product product,
    enum snp_signing_key signer, char *out, size_t size);

/* ---- the fetcher (kds.c) -------------------------------------------- */

struct kbs_kds;

/*
 * kbs_kds_new reads kds_url, kds_timeout, kds_cache_dir, kds_fetch,
 * kds_fetches_per_minute and crl_grace from cfg, loads the CRLs the store and the cache directory
 * hold, and, when kds_fetch is true, starts the CRL refresher thread. ks,
 * v and m are borrowed and must outlive the object. v is the broker's
 * verifier with all its extra roots added: every CRL, from any source,
 * is held or stored only when signed by an ARK v trusts for its product
 * (snp_verifier_crl_check). KBS_ERR_ALLOC, KBS_ERR_CONFIG (a URL that is
 * not http:// or https://), KBS_ERR_SYSTEM, KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int kbs_kds_new(const struct kbs_config *cfg, struct keystore *ks,
    const struct snp_verifier *v, struct kbs_metrics *m, struct kbs_kds **ret);

/* kbs_kds_free stops the refresher and frees k (NULL is fine). */
void kbs_kds_free(struct kbs_kds *k);

/*
 * kbs_kds_signer finds the VCEK of report (shape-parsed, untrusted) and
 * its product's cert_chain: *ret_vcek and *ret_chain are malloc'd copies
 * (free()); the chain may be absent (NULL, 0) for an AMD product whose
 * ASK is compiled in and no source has it. Errors: KBS_ERR_KDS_NO_KEY,
 * KBS_ERR_KDS_OFFLINE, KBS_ERR_KDS_UNAVAILABLE and KBS_ERR_KDS_TIMEOUT
 * (with *ret_retry_after, seconds, set), KBS_ERR_KDS_HTTP,
 * KBS_ERR_KDS_CONTENT, KBS_ERR_KDS_WRONG_CERT, KBS_ERR_KDS_BUSY,
 * KBS_ERR_KDS_BUDGET (with *ret_retry_after), KBS_ERR_ALLOC. A VCEK
 * from KDS is not stored here: see kbs_kds_keep.
 *
 * client is the requester's rate key (kbs_broker_rate_key), or NULL: the
 * report is not verified before the fetch (the VCEK is what verifies
 * it), so any client chooses the chip id and TCB KDS is asked for. Each
 * client key may start kds_fetches_per_minute VCEK fetches a minute (a
 * burst of as many); past that KBS_ERR_KDS_BUDGET, and KDS is not asked.
 * Look-ups the store or the directory answer, and waiting on another
 * request's fetch, cost nothing.
 */
KBS_MUST_CHECK int kbs_kds_signer(struct kbs_kds *k, const struct snp_report *report,
    const char *client, uint8_t **ret_vcek, size_t *ret_vcek_len, uint8_t **ret_chain,
    size_t *ret_chain_len, unsigned *ret_retry_after);

/*
 * kbs_kds_keep stores vcek, which kbs_kds_signer found for report, in the
 * store's cache unless it holds one: call it only once report verified
 * under vcek. KDS serves a genuine VCEK for any TCB of a known chip id,
 * so storing what unverified reports asked for would let any client fill
 * the store. A vcek that is not report's VCEK (product, hwID, SPLs) is
 * ignored, as are store errors (a later look-up fetches again).
 */
void kbs_kds_keep(
    struct kbs_kds *k, const struct snp_report *report, const uint8_t *vcek, size_t vcek_len);

/*
 * kbs_kds_seen says a report of product and signer verified under a
 * pinned AMD root: from then on the refresher keeps that product's list
 * of that chain (fetched in the background; the caller never waits).
 * Unknown products and signers are ignored.
 */
void kbs_kds_seen(struct kbs_kds *k, enum snp_product product, enum snp_signing_key signer);

/*
 * A held CRL, shared: kbs_kds_crl_get takes a reference (NULL when none
 * is held for product and signer), kbs_kds_crl_put gives it back. The
 * list stays valid while referenced, also when the refresher replaces it.
 */
struct kbs_kds_crl;

/*
 * kbs_kds_crl_get: 0 and *ret (possibly NULL) and *ret_stale (1 when now
 * is past nextUpdate but within crl_grace: verify it with
 * allow_stale_crl); KBS_ERR_CRL_EXPIRED when past the grace (counted in
 * kbs_crl_stale_total), with *ret NULL.
 */
KBS_MUST_CHECK int kbs_kds_crl_get(struct kbs_kds *k, enum snp_product product,
    enum snp_signing_key signer, int64_t now, struct kbs_kds_crl **ret, int *ret_stale);
const struct snp_crl *kbs_kds_crl_list(const struct kbs_kds_crl *c);
void kbs_kds_crl_put(struct kbs_kds *k, struct kbs_kds_crl *c);

/*
 * kbs_kds_import validates one file of a pre-loaded directory (rel, its
 * path there, sorted by kbs_kds_file_parse; data, its bytes) and stores
 * it in the cache: a VCEK must be a VCEK of the path's hwID and TCB (and
 * product), a chain the ARK and ASK/ASVK of the path's product, a CRL a
 * CRL of the path's product signed by an ARK the verifier trusts for it
 * (held at once). *ret_key (size bytes) names the
 * cache key. KBS_ERR_KDS_LAYOUT for a path in no layout or contents that
 * are not what the path says (unparsable, another product, chip or
 * TCB), KBS_ERR_CRL_SIGNATURE for a CRL whose signature does not verify
 * under the ARK it names, KBS_ERR_CRL_ISSUER for one naming no trusted
 * ARK of the product, KBS_ERR_CRL_ROLLBACK for a CRL older than the one
 * held (nothing is stored: no rollback), KBS_ERR_CRL_OTHER_ARK for one of
 * another trusted ARK than the held one's, KBS_ERR_INVALID_ARGUMENT, the
 * store's errors.
 */
KBS_MUST_CHECK int kbs_kds_import(struct kbs_kds *k, const char *rel, const uint8_t *data,
    size_t len, char *ret_key, size_t size);

#endif
