/*
 * snp.h: the public header of snp/, AMD SEV-SNP evidence.
 *
 * Three parts, used in this order by every caller (broker, kbs-client,
 * kbs-policy):
 *   1. snp_report_parse: the 1184-byte attestation report (ABI versions 2,
 *      3 and 5) into a caller-owned struct, no allocation;
 *   2. snp_certs_* / snp_crl_* / snp_certtable_parse: the VCEK or VLEK and
 *      its chain, given as DER, PEM, bundles or the extended report's
 *      certificate table;
 *   3. snp_verify_report: the chain to a pinned AMD ARK (or to an extra
 *      root given with snp_verifier_add_root, marked in the result),
 *      validity, CRL, the report signature, and the certificate's TCB and
 *      hwID against the report, recording every check's outcome.
 * Nothing in a report may be trusted before snp_verify_report returned 0.
 *
 * Errors are KBS_ERR_* codes (common/kbs_err.h). Functions that can fail
 * are KBS_MUST_CHECK; destructors accept NULL.
 */
#ifndef SNP_H
#define SNP_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_common.h"

/* ---- Products and TCB ------------------------------------------------ */

enum snp_product {
	SNP_PRODUCT_UNKNOWN = 0,
	SNP_PRODUCT_MILAN,
	SNP_PRODUCT_GENOA,
	SNP_PRODUCT_TURIN,
};
#define SNP_PRODUCT_COUNT 4

/* snp_product_name: "milan", "genoa", "turin" ("unknown" otherwise). */
const char *snp_product_name(enum snp_product product);

/*
 * snp_product_from_name accepts the lower-case names above (as on the
 * command line and in policies) and the certificate productName forms
 * ("Milan-B0", "Genoa", "Turin", VLEK "Milan"): the part before '-',
 * case-insensitively. KBS_ERR_PRODUCT_UNKNOWN otherwise.
 */
KBS_MUST_CHECK int snp_product_from_name(const char *name, enum snp_product *ret);

/*
 * snp_product_from_cpuid maps the report's CPUID family and model (v3 and
 * later) to a product, covering every model AMD ships under each name.
 * KBS_ERR_PRODUCT_UNKNOWN for an unknown pair (including 0/0 of v2).
 */
KBS_MUST_CHECK int snp_product_from_cpuid(uint8_t family, uint8_t model, enum snp_product *ret);

/*
 * A decoded TCB_VERSION. The layout differs per product: Milan and Genoa
 * put boot loader, TEE, SNP, microcode in bytes 0, 1, 6, 7; Turin puts
 * FMC, boot loader, TEE, SNP in bytes 0..3 and microcode in byte 7. fmc is
 * 0 and meaningless for Milan and Genoa.
 */
struct snp_tcb {
	uint8_t fmc;
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

/*
 * snp_tcb_decode decodes raw for product. KBS_ERR_PRODUCT_UNKNOWN when the
 * product is unknown; KBS_ERR_REPORT_RESERVED when reserved bytes are set.
 */
KBS_MUST_CHECK int snp_tcb_decode(uint64_t raw, enum snp_product product, struct snp_tcb *ret);

/* snp_tcb_encode is the inverse of snp_tcb_decode (reserved bytes zero). */
KBS_MUST_CHECK int snp_tcb_encode(
    const struct snp_tcb *tcb, enum snp_product product, uint64_t *ret);

/* ---- The attestation report ------------------------------------------ */

#define SNP_REPORT_SIZE 0x4A0
#define SNP_REPORT_SIGNED_SIZE 0x2A0 /* bytes covered by the signature */
#define SNP_SIG_COMPONENT_SIZE 72    /* R and S, little-endian, zero-padded */

/* Guest policy bits (report offset 0x08; SEV-SNP ABI "Guest Policy"). */
#define SNP_POLICY_ABI_MINOR_MASK 0xffULL
#define SNP_POLICY_ABI_MAJOR_SHIFT 8
#define SNP_POLICY_ABI_MAJOR_MASK (0xffULL << 8)
#define SNP_POLICY_SMT (1ULL << 16)
#define SNP_POLICY_RESERVED_ONE (1ULL << 17) /* must be 1 */
#define SNP_POLICY_MIGRATE_MA (1ULL << 18)
#define SNP_POLICY_DEBUG (1ULL << 19)
#define SNP_POLICY_SINGLE_SOCKET (1ULL << 20)
#define SNP_POLICY_CXL_ALLOW (1ULL << 21)
#define SNP_POLICY_MEM_AES_256_XTS (1ULL << 22)
#define SNP_POLICY_RAPL_DIS (1ULL << 23)
#define SNP_POLICY_CIPHERTEXT_HIDING (1ULL << 24)
#define SNP_POLICY_PAGE_SWAP_DISABLE (1ULL << 25)

/* Platform info bits (report offset 0x40). */
#define SNP_PLATFORM_SMT_EN (1ULL << 0)
#define SNP_PLATFORM_TSME_EN (1ULL << 1)
#define SNP_PLATFORM_ECC_EN (1ULL << 2)
#define SNP_PLATFORM_RAPL_DIS (1ULL << 3)
#define SNP_PLATFORM_CIPHERTEXT_HIDING_EN (1ULL << 4)
#define SNP_PLATFORM_ALIAS_CHECK_COMPLETE (1ULL << 5)

/* key_info (report offset 0x48). */
#define SNP_KEY_INFO_AUTHOR_KEY_EN (1u << 0)
#define SNP_KEY_INFO_MASK_CHIP_KEY (1u << 1)
#define SNP_KEY_INFO_SIGNING_KEY_SHIFT 2
#define SNP_KEY_INFO_SIGNING_KEY_MASK (7u << 2)

enum snp_signing_key {
	SNP_SIGNING_KEY_VCEK = 0,
	SNP_SIGNING_KEY_VLEK = 1,
	SNP_SIGNING_KEY_NONE = 7,
};

/* snp_signing_key_name: "vcek", "vlek", "none". */
const char *snp_signing_key_name(enum snp_signing_key key);

/* Firmware version bytes as laid out at 0x1E8 / 0x1EC (v3 and later). */
struct snp_fw_version {
	uint8_t build;
	uint8_t minor;
	uint8_t major;
};

/*
 * Every field of the report, decoded. raw keeps the exact bytes parsed:
 * raw[0..SNP_REPORT_SIGNED_SIZE) is what the signature covers.
 */
struct snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t signature_algo;
	uint64_t current_tcb;
	uint64_t platform_info;
	uint32_t key_info;
	enum snp_signing_key signing_key; /* from key_info bits 4:2 */
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	uint64_t reported_tcb;
	uint8_t cpuid_fam_id; /* v3 and later; 0 in v2 */
	uint8_t cpuid_mod_id;
	uint8_t cpuid_step;
	uint8_t chip_id[64];
	uint64_t committed_tcb;
	struct snp_fw_version current_fw;
	struct snp_fw_version committed_fw;
	uint64_t launch_tcb;
	uint64_t launch_mit_vector;  /* v5 and later; 0 before */
	uint64_t current_mit_vector; /* v5 and later; 0 before */
	uint8_t signature_r[SNP_SIG_COMPONENT_SIZE];
	uint8_t signature_s[SNP_SIG_COMPONENT_SIZE];
	uint8_t raw[SNP_REPORT_SIZE];
};

/*
 * snp_report_parse fills *ret from exactly SNP_REPORT_SIZE bytes. Errors:
 * KBS_ERR_REPORT_LENGTH (any other length), KBS_ERR_REPORT_VERSION (not
 * 2, 3 or 5), KBS_ERR_REPORT_SIG_ALGO (not 1), KBS_ERR_REPORT_SIGNING_KEY
 * (key_info names neither VCEK nor VLEK), KBS_ERR_REPORT_VMPL (> 3),
 * KBS_ERR_REPORT_RESERVED (a must-be-zero area is not), and
 * KBS_ERR_REPORT_SIG_FORMAT (signature padding non-zero). *ret is written
 * only on success. The parse establishes shape only, not authenticity.
 */
KBS_MUST_CHECK int snp_report_parse(const uint8_t *data, size_t len, struct snp_report *ret);

/*
 * snp_report_product returns the product from the report's CPUID fields
 * (v3 and later). For v2 reports it returns KBS_ERR_PRODUCT_UNKNOWN: the
 * caller then takes it from the certificate or an explicit option.
 */
KBS_MUST_CHECK int snp_report_product(const struct snp_report *report, enum snp_product *ret);

/*
 * snp_report_cpuid_claim says what the report's own CPUID fields claim:
 * 0 with the product; 0 with SNP_PRODUCT_UNKNOWN when they claim nothing
 * (a v2 report, or zero family and model); KBS_ERR_PRODUCT_UNKNOWN when
 * they name a family and model not known here (a later product may move
 * the TCB fields again, so its layout is never guessed).
 */
KBS_MUST_CHECK int snp_report_cpuid_claim(const struct snp_report *report, enum snp_product *ret);

/* Where snp_product_select found the product. */
enum snp_product_source {
	SNP_PRODUCT_FROM_HINT = 0, /* the caller's explicit choice (--product) */
	SNP_PRODUCT_FROM_CPUID,    /* the report's CPUID (v3 and later) */
	SNP_PRODUCT_FROM_FALLBACK, /* the caller's fallback: no hint, no CPUID claim */
};

/*
 * snp_product_select is the one rule choosing the product (its pinned ARK
 * and TCB layout) for a report, for the verifier and for the tools that
 * only decode: hint unless SNP_PRODUCT_UNKNOWN, else the report's CPUID
 * claim, else fallback (the verifier passes the signer certificate's
 * productName; a decoder without one passes the layout it assumes).
 * KBS_ERR_PRODUCT_UNKNOWN when no hint is given and the CPUID names an
 * unknown product, or when the choice is still SNP_PRODUCT_UNKNOWN. A
 * hint does not check the CPUID; the verifier checks it separately
 * (KBS_ERR_PRODUCT_MISMATCH). *ret and *ret_source are set only on success.
 */
KBS_MUST_CHECK int snp_product_select(const struct snp_report *report, enum snp_product hint,
    enum snp_product fallback, enum snp_product *ret, enum snp_product_source *ret_source);

/* ---- Certificates, CRLs, the extended report certificate table -------- */

struct snp_certs; /* an ordered set of X.509 certificates */
struct snp_crl;   /* one AMD CRL */

/* snp_certs_new makes an empty set; free with snp_certs_free. */
KBS_MUST_CHECK int snp_certs_new(struct snp_certs **ret);
void snp_certs_free(struct snp_certs *certs);

/*
 * snp_certs_add adds every certificate in data: one DER certificate, or
 * PEM text holding one or more certificates. KBS_ERR_CERT_PARSE if nothing
 * parses or anything is left over; KBS_ERR_TOO_LARGE past 16 certificates.
 * On failure the set is unchanged.
 */
KBS_MUST_CHECK int snp_certs_add(struct snp_certs *certs, const uint8_t *data, size_t len);

/*
 * snp_verifier_certs_add is snp_certs_add (the same input rules, codes and
 * all-or-nothing effect) through v's parse cache: input that is exactly one
 * DER certificate whose bytes v has parsed before is not parsed again, the
 * set gets (a reference to) the same certificate. For the per-request
 * certificates of a broker, which are the same few for every report of a
 * chip. Safe from many threads; bounded (certcache.c).
 * KBS_ERR_INVALID_ARGUMENT for a NULL verifier.
 */
struct snp_verifier;
KBS_MUST_CHECK int snp_verifier_certs_add(
    struct snp_verifier *v, struct snp_certs *certs, const uint8_t *data, size_t len);

/* snp_certs_count returns how many certificates the set holds. */
size_t snp_certs_count(const struct snp_certs *certs);

/*
 * snp_certtable_parse reads the extended report's certificate table (GUID,
 * offset, length entries ending with an all-zero entry, then the
 * certificates) and adds the VCEK, VLEK, ASK, ASVK and ARK it names to
 * certs (DER). Entries with other GUIDs are skipped. KBS_ERR_CERTTABLE_PARSE
 * on a malformed table (unterminated, an entry out of bounds or overlapping
 * the table), KBS_ERR_CERTTABLE_DUPLICATE if a known GUID repeats.
 */
KBS_MUST_CHECK int snp_certtable_parse(const uint8_t *data, size_t len, struct snp_certs *certs);

/*
 * snp_crl_load_for parses one CRL, DER or PEM (strictly DER, as
 * certificates), published for the chain of signer (SNP_SIGNING_KEY_VCEK
 * or _VLEK). AMD KDS publishes two lists per product, one for the VCEK
 * chain (vcek/v1/{product}/crl, it revokes ASKs) and one for the VLEK
 * chain (vlek/v1/{product}/crl, ASVKs). Both are issued and signed by the
 * product's ARK and nothing inside tells them apart, so the caller names
 * the chain from where it got the list; snp_verify_report refuses a list
 * given for a report of the other signer with KBS_ERR_CRL_KIND.
 * KBS_ERR_CRL_PARSE, KBS_ERR_CRL_NOT_DER, KBS_ERR_TOO_LARGE (over 4 MiB),
 * KBS_ERR_INVALID_ARGUMENT. Its signature and times are checked by
 * snp_verify_report (the signature also by snp_verifier_crl_check, for a
 * caller that keeps lists). A loaded CRL is immutable and may be shared between
 * threads (and cached) while verifications read it.
 */
KBS_MUST_CHECK int snp_crl_load_for(
    const uint8_t *data, size_t len, enum snp_signing_key signer, struct snp_crl **ret);

/* snp_crl_load is snp_crl_load_for(data, len, SNP_SIGNING_KEY_VCEK, ret): the VCEK list. */
KBS_MUST_CHECK int snp_crl_load(const uint8_t *data, size_t len, struct snp_crl **ret);

/* snp_crl_signer: the chain the list was loaded for (SNP_SIGNING_KEY_NONE for NULL). */
enum snp_signing_key snp_crl_signer(const struct snp_crl *crl);
void snp_crl_free(struct snp_crl *crl);

/*
 * snp_crl_times: the CRL's thisUpdate and nextUpdate as Unix seconds
 * (the broker refreshes a list before it goes stale). KBS_ERR_CRL_PARSE
 * when either is missing or unreadable, KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int snp_crl_times(
    const struct snp_crl *crl, int64_t *ret_this_update, int64_t *ret_next_update);

/*
 * snp_crl_product: the product whose ARK the list names as issuer (CN
 * ARK-<product>), by name only (the signature is snp_verifier_crl_check's);
 * SNP_PRODUCT_UNKNOWN for any other issuer or NULL.
 */
enum snp_product snp_crl_product(const struct snp_crl *crl);

/*
 * snp_crl_same_issuer returns 1 when a and b (both non-NULL) name the
 * same issuer (X509_NAME_cmp), else 0. Two lists that passed
 * snp_verifier_crl_check with the same issuer name were signed by the
 * same ARK (a trusted name belongs to one ARK).
 */
int snp_crl_same_issuer(const struct snp_crl *a, const struct snp_crl *b);

/* ---- What a certificate file claims (facts.c) ------------------------ */

/*
 * What a VCEK or VLEK certificate says about itself, read without any
 * verification: for sorting files into a cache (the broker's KDS fetcher
 * and `kbs-admin certs import`), never for a decision.
 */
struct snp_signer_facts {
	enum snp_product product;  /* from productName */
	enum snp_signing_key kind; /* VCEK or VLEK, from the subject CN */
	struct snp_tcb spl;        /* the SPL extensions (fmc only on Turin) */
	uint8_t hwid[64];          /* VCEK: 64 bytes (Milan, Genoa) or 8 (Turin) */
	size_t hwid_len;           /* 0 for a VLEK */
};

/*
 * snp_signer_facts reads one certificate (DER, or PEM with one block)
 * with subject CN SEV-VCEK or SEV-VLEK and AMD's extensions.
 * KBS_ERR_CERT_PARSE (not exactly one certificate, or another CN),
 * KBS_ERR_CERT_NOT_DER, KBS_ERR_CERT_EXTENSION, KBS_ERR_PRODUCT_UNKNOWN.
 */
KBS_MUST_CHECK int snp_signer_facts(const uint8_t *data, size_t len, struct snp_signer_facts *ret);

/*
 * snp_chain_facts reads a KDS cert_chain file: exactly two certificates,
 * an ARK (CN ARK-<product>) and an ASK (SEV-<product>, *ret_kind VCEK)
 * or ASVK (SEV-VLEK-<product>, VLEK). KBS_ERR_CERT_MISSING when it is
 * not that pair, KBS_ERR_PRODUCT_MISMATCH when the two name different
 * products, the parse errors of snp_certs_add.
 */
KBS_MUST_CHECK int snp_chain_facts(
    const uint8_t *data, size_t len, enum snp_product *ret_product, enum snp_signing_key *ret_kind);

/* ---- Verification ---------------------------------------------------- */

/*
 * The checks of snp_verify_report, in the order they run. A check after a
 * failed one is recorded as not run; a check that does not apply (the CRL
 * when none is given, the hwID of a VLEK) is recorded as skipped.
 */
enum snp_check {
	SNP_CHECK_PRODUCT,          /* product known, report and cert agree */
	SNP_CHECK_ARK,              /* ARK pinned and self-signed */
	SNP_CHECK_ASK,              /* ASK/ASVK signed by the ARK */
	SNP_CHECK_SIGNER_CERT,      /* VCEK/VLEK signed by the ASK/ASVK, kind matches key_info */
	SNP_CHECK_VALIDITY,         /* every certificate valid at opts.at */
	SNP_CHECK_CRL,              /* this chain's CRL, signed by the ARK, fresh, none revoked */
	SNP_CHECK_REPORT_SIGNATURE, /* ECDSA P-384 over raw[0..0x2A0) */
	SNP_CHECK_TCB,              /* certificate SPLs == REPORTED_TCB */
	SNP_CHECK_CHIP_ID,          /* certificate hwID == CHIP_ID (VCEK) */
	SNP_CHECK_COUNT
};

enum snp_outcome {
	SNP_OUTCOME_NOT_RUN = 0,
	SNP_OUTCOME_PASS,
	SNP_OUTCOME_FAIL,
	SNP_OUTCOME_SKIPPED,
};

/* snp_check_name: a stable identifier ("report_signature") for output. */
const char *snp_check_name(enum snp_check check);
/* snp_outcome_name: "not_run", "pass", "fail", "skipped". */
const char *snp_outcome_name(enum snp_outcome outcome);

struct snp_check_result {
	enum snp_outcome outcome;
	int err;          /* KBS_ERR_* when failed, else 0 */
	char detail[160]; /* human detail: which certificate, which field; no secrets */
};

struct snp_verify_options {
	int64_t at;                /* time at which certificates must be valid */
	enum snp_product product;  /* SNP_PRODUCT_UNKNOWN: from CPUID, else the certificate */
	const struct snp_crl *crl; /* optional AMD CRL */
	int allow_stale_crl;       /* accept a CRL past nextUpdate */
};

struct snp_verify_result {
	struct snp_check_result checks[SNP_CHECK_COUNT];
	int err;                     /* first failure, 0 when genuine */
	enum snp_check failed_check; /* valid when err != 0 */
	enum snp_product product;
	enum snp_signing_key signer; /* VCEK or VLEK that signed */
	struct snp_tcb reported_tcb; /* decoded for product */
	char csp_id[128];            /* VLEK csp_id extension, "" for a VCEK */
	int chain_cached;            /* 1 if the chain came from the cache */
	/*
	 * 0 when the chain ends at a pinned AMD ARK; n > 0 when it ends at the
	 * n-th root given to snp_verifier_add_root (a test or simulated chain,
	 * NOT AMD), which every decision on the evidence must say. Set once the
	 * root is chosen, so also when a later check fails.
	 */
	int extra_root;
	uint8_t extra_root_sha256[32]; /* SHA-256 of that root's DER; zero for AMD */
	char extra_root_subject[160];  /* its subject, one printable line; "" for AMD */
};

struct snp_verifier; /* pinned roots and the per-VCEK chain cache */

/*
 * snp_verifier_new loads the compiled-in AMD ARKs (Milan, Genoa, Turin)
 * and ASKs/ASVKs. The verifier is safe to share between threads.
 */
KBS_MUST_CHECK int snp_verifier_new(struct snp_verifier **ret);
void snp_verifier_free(struct snp_verifier *v);

/*
 * snp_verifier_add_root trusts one more ARK (one certificate, PEM or DER),
 * for test and simulated chains only, for the product its subject CN names
 * as AMD's do ("ARK-Milan"). It must be built like AMD's: self-issued,
 * self-signed with RSASSA-PSS SHA-384/MGF1-SHA-384/salt 48, an RSA-4096
 * key, basicConstraints CA. A chain uses it only when it presents no pinned
 * ARK and its ASK is issued by it; that ASK must come with the evidence
 * (only AMD's are compiled in). Call before the verifier is shared between
 * threads. Errors: KBS_ERR_ROOT_MALFORMED, KBS_ERR_ROOT_DUPLICATE (a pinned
 * ARK, or an extra root with the same bytes or subject),
 * KBS_ERR_ROOT_AMD_NAME (the subject of a pinned AMD certificate),
 * KBS_ERR_TOO_LARGE (past SNP_EXTRA_ROOTS_MAX). On failure v is unchanged.
 */
#define SNP_EXTRA_ROOTS_MAX 8
KBS_MUST_CHECK int snp_verifier_add_root(struct snp_verifier *v, const uint8_t *data, size_t len);

/*
 * snp_verify_report checks that report was signed by the VCEK or VLEK in
 * certs and that this key chains to a pinned ARK (ASK/ASVK from certs or
 * compiled in). It fills *ret (always, also on failure) and returns 0 when
 * the evidence is genuine, else the first failure's KBS_ERR_* code.
 * A chain verified once is cached per signer certificate, so a second
 * report from the same chip costs one ECDSA verification; validity times
 * and the CRL are still evaluated against opts on every call.
 */
KBS_MUST_CHECK int snp_verify_report(struct snp_verifier *v, const struct snp_report *report,
    const struct snp_certs *certs, const struct snp_verify_options *opts,
    struct snp_verify_result *ret);

/*
 * snp_verifier_crl_check checks a CRL's signature, at intake, before a
 * caller holds or stores it (the broker's KDS fetcher: a list named as an
 * ARK's but signed by another key would otherwise displace the genuine
 * one). It accepts crl only when signed by an ARK a chain of product may
 * end at under v: the pinned AMD ARK of product, or an extra root for
 * product (snp_verifier_add_root). The ARK is the one whose subject is
 * the CRL's issuer. KBS_ERR_CRL_ISSUER when no such ARK names it (another
 * product's list, a name no trusted root has), KBS_ERR_CRL_SIGNATURE when
 * its signature is not RSASSA-PSS SHA-384 salt 48 or does not verify
 * under that ARK's key, KBS_ERR_PRODUCT_UNKNOWN, KBS_ERR_INVALID_ARGUMENT;
 * detail[detail_size] (NULL, 0 for none) says which. Times and the list's
 * chain kind are not looked at (snp_verify_report checks them at use).
 * A success is cached as snp_verify_report caches its own, so the list's
 * use costs no second RSA check. Safe from many threads.
 */
KBS_MUST_CHECK int snp_verifier_crl_check(const struct snp_verifier *v, const struct snp_crl *crl,
    enum snp_product product, char *detail, size_t detail_size);

/* ---- Launch digest: the expected MEASUREMENT from the image ----------- */

/*
 * The launch digest a guest's report carries in MEASUREMENT, computed from
 * the artifacts the host starts it with: the OVMF firmware image, the
 * kernel, initrd and command line (measured through the SEV hashes table
 * when a kernel is given), the number of vCPUs, their CPUID signature, the
 * VMM (each starts vCPUs in a slightly different register state) and the
 * SEV_FEATURES value of each VMSA. Pure functions over caller-owned bytes;
 * the OVMF image is untrusted input and parsed through the bounded cursor.
 * measure.c opens with the algorithm and its sources.
 */

#define SNP_LAUNCH_DIGEST_SIZE 48 /* SHA-384 */
#define SNP_MEASURE_PAGE_SIZE 4096
#define SNP_OVMF_MAX_SIZE (64u << 20) /* far above any OVMF build; keeps it clear of 4 GiB */
#define SNP_OVMF_MAX_SECTIONS 64      /* edk2 declares 7 */
#define SNP_SHA256_SIZE 32

/* The VMMs whose reset state is known (the VMSA differs per VMM). */
enum snp_vmm {
	SNP_VMM_QEMU = 0,
	SNP_VMM_EC2,
	SNP_VMM_GCE,
};
#define SNP_VMM_COUNT 3

/* snp_vmm_name: "qemu", "ec2", "gce" ("unknown" otherwise). */
const char *snp_vmm_name(enum snp_vmm vmm);

/*
 * snp_vmm_from_name accepts the names above case-insensitively ("QEMU" as
 * sev-snp-measure spells it). KBS_ERR_INVALID_ARGUMENT otherwise.
 */
KBS_MUST_CHECK int snp_vmm_from_name(const char *name, enum snp_vmm *ret);

/* snp_vmm_max_vcpus: the largest vCPU count the VMM starts (0 if unknown). */
uint32_t snp_vmm_max_vcpus(enum snp_vmm vmm);

/*
 * snp_vmm_uses_vcpu_sig: 1 if the VMM puts the vCPU signature into RDX of
 * the VMSA (QEMU), 0 if it starts every vCPU with a fixed RDX (ec2, gce),
 * so the vCPU type does not enter the digest.
 */
int snp_vmm_uses_vcpu_sig(enum snp_vmm vmm);

/*
 * snp_vcpu_sig_from_type returns the CPUID Fn0000_0001_EAX signature of a
 * QEMU CPU model ("EPYC-v4", "EPYC-Milan", "EPYC-Genoa-v2", "EPYC-Turin",
 * ...; exact spelling, as `qemu -cpu` takes it). KBS_ERR_MEASURE_VCPU_TYPE
 * for a name not in the table.
 */
KBS_MUST_CHECK int snp_vcpu_sig_from_type(const char *name, uint32_t *ret);

/* snp_vcpu_type_name returns the i-th known model name, NULL past the end. */
const char *snp_vcpu_type_name(size_t i);

/*
 * snp_vcpu_sig_from_fms encodes family, model and stepping as CPUID
 * Fn0000_0001_EAX does (families above 15 use the extended family field).
 * KBS_ERR_NUMBER_RANGE for family > 270, model > 255 or stepping > 15.
 */
KBS_MUST_CHECK int snp_vcpu_sig_from_fms(
    uint32_t family, uint32_t model, uint32_t stepping, uint32_t *ret);

/* The section types of edk2's SEV metadata (OvmfPkg/ResetVector). */
enum snp_ovmf_section_type {
	SNP_OVMF_SECTION_SEC_MEM = 1,          /* pre-validated memory: zero pages */
	SNP_OVMF_SECTION_SECRETS = 2,          /* the SNP secrets page */
	SNP_OVMF_SECTION_CPUID = 3,            /* the CPUID page */
	SNP_OVMF_SECTION_SVSM_CAA = 4,         /* SVSM calling area: zero pages */
	SNP_OVMF_SECTION_KERNEL_HASHES = 0x10, /* the SEV hashes table page */
};

/* snp_ovmf_section_name: "sec_mem", "secrets", "cpuid", "svsm_caa", "kernel_hashes". */
const char *snp_ovmf_section_name(uint32_t type);

struct snp_ovmf_section {
	uint32_t gpa;  /* guest physical address, page aligned */
	uint32_t size; /* bytes, a non-zero multiple of 4 KiB */
	uint32_t type; /* enum snp_ovmf_section_type */
};

/* What the footer table and the SEV metadata of an OVMF image say. */
struct snp_ovmf_info {
	uint32_t reset_eip;      /* SEV-ES reset block: where APs start */
	int has_hash_table;      /* footer names the SEV hash table (QEMU fills it) */
	uint32_t hash_table_gpa; /* valid when has_hash_table */
	uint32_t hash_table_size;
	size_t nsections; /* in metadata order, the order they are measured in */
	struct snp_ovmf_section sections[SNP_OVMF_MAX_SECTIONS];
};

/*
 * snp_ovmf_parse reads the GUIDed footer table at the end of an OVMF image
 * (or of its tail: every offset counts from the end) and the SEV metadata
 * it points to. *ret is written only on success. Errors, each its own code:
 * KBS_ERR_MEASURE_FOOTER_TRUNCATED (too short for the footer),
 * KBS_ERR_MEASURE_NO_METADATA (no footer GUID, or no metadata entry),
 * KBS_ERR_MEASURE_FOOTER_LENGTH (table length before the file start),
 * KBS_ERR_MEASURE_FOOTER_ENTRY, KBS_ERR_MEASURE_FOOTER_LOOP,
 * KBS_ERR_MEASURE_FOOTER_DUPLICATE (a known GUID twice),
 * KBS_ERR_MEASURE_METADATA_OFFSET, KBS_ERR_MEASURE_METADATA_HEADER,
 * KBS_ERR_MEASURE_METADATA_TABLE, KBS_ERR_MEASURE_SECTION_RANGE,
 * KBS_ERR_MEASURE_SECTION_TYPE, KBS_ERR_MEASURE_SECTION_DUPLICATE,
 * KBS_ERR_MEASURE_SECTION_OVERLAP, KBS_ERR_MEASURE_NO_RESET_BLOCK,
 * KBS_ERR_MEASURE_OVMF_SIZE (above SNP_OVMF_MAX_SIZE),
 * KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int snp_ovmf_parse(const uint8_t *data, size_t len, struct snp_ovmf_info *ret);

/* The three SHA-256 digests QEMU writes into the SEV hashes table. */
struct snp_kernel_hashes {
	uint8_t cmdline[SNP_SHA256_SIZE]; /* of the command line and its NUL */
	uint8_t initrd[SNP_SHA256_SIZE];  /* of the initrd file (empty if none) */
	uint8_t kernel[SNP_SHA256_SIZE];  /* of the kernel file */
};

/*
 * snp_kernel_hashes_compute hashes a kernel image, an initrd (NULL with
 * length 0: none, hashed as empty) and a command line (NULL or "": hashed
 * as the single NUL byte QEMU passes). KBS_ERR_INVALID_ARGUMENT for a NULL
 * kernel with a non-zero length, KBS_ERR_CRYPTO_INIT if OpenSSL fails.
 */
KBS_MUST_CHECK int snp_kernel_hashes_compute(const uint8_t *kernel, size_t kernel_len,
    const uint8_t *initrd, size_t initrd_len, const char *cmdline, struct snp_kernel_hashes *ret);

/* Everything the launch digest depends on. */
struct snp_launch_params {
	const uint8_t *ovmf; /* the whole image; with ovmf_digest, its tail suffices */
	size_t ovmf_len;
	/* NULL: hash the OVMF pages; else SNP_LAUNCH_DIGEST_SIZE bytes to start from */
	const uint8_t *ovmf_digest;
	const struct snp_kernel_hashes *kernel; /* NULL: no kernel (hashes page zeroed) */
	uint32_t vcpus;
	uint32_t vcpu_sig; /* CPUID signature; ignored by VMMs that fix RDX */
	enum snp_vmm vmm;
	uint64_t guest_features; /* SEV_FEATURES of every VMSA; bit 0 (SNPActive) required */
};

/*
 * snp_ovmf_digest returns the digest of the OVMF pages alone (the chain
 * after measuring the image at 4 GiB - len), the value snp_launch_digest
 * takes as ovmf_digest, so a pipeline can hash a large firmware once.
 * KBS_ERR_MEASURE_OVMF_SIZE unless len is a non-zero multiple of 4 KiB up
 * to SNP_OVMF_MAX_SIZE; KBS_ERR_ALLOC / KBS_ERR_CRYPTO_INIT from OpenSSL.
 */
KBS_MUST_CHECK int snp_ovmf_digest(
    const uint8_t *ovmf, size_t len, uint8_t ret[SNP_LAUNCH_DIGEST_SIZE]);

/*
 * snp_launch_digest computes the SNP launch digest for p into ret (written
 * only on success). Besides snp_ovmf_parse's and snp_ovmf_digest's errors:
 * KBS_ERR_MEASURE_NO_KERNEL_HASHES (a kernel with an OVMF that has no
 * kernel-hashes section), KBS_ERR_MEASURE_HASH_TABLE (the footer's hash
 * table entry missing, too small for the table or outside that section),
 * KBS_ERR_MEASURE_VCPU_COUNT (0 or above snp_vmm_max_vcpus),
 * KBS_ERR_MEASURE_GUEST_FEATURES, KBS_ERR_INVALID_ARGUMENT (unknown VMM,
 * NULL pointers).
 */
KBS_MUST_CHECK int snp_launch_digest(
    const struct snp_launch_params *p, uint8_t ret[SNP_LAUNCH_DIGEST_SIZE]);

#endif
