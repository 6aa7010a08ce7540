/*
 * sim.h: the simulated SEV-SNP chip, private to client/ (and its tests).
 *
 * A simulated chip is a directory made by `kbs-client sim-init`:
 *   ark.pem    the test ARK: the trust root, given to verifiers with --trust-root
 *   ask.pem    the ASK, issued by the ARK
 *   vcek.pem   the VCEK, issued by the ASK, with AMD's VCEK extensions
 *   vcek.key   the VCEK private key (PKCS#8 PEM), mode 0600
 *   chip.conf  the fields the chip puts in its reports (sim_config below)
 * The certificates are issued exactly as AMD issues its own (RSA-4096 ARK
 * and ASK, RSASSA-PSS SHA-384/MGF1-SHA-384/salt 48, an EC P-384 VCEK with
 * serial 0), but every subject says SIMULATED, and no verifier trusts the
 * chain unless it is given ark.pem as an extra root. The ARK and ASK
 * private keys are discarded once the chain is issued: nothing else can be
 * signed under that root.
 */
#ifndef KBS_CLIENT_SIM_H
#define KBS_CLIENT_SIM_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "snp.h"

#define SIM_FILE_ARK "ark.pem"
#define SIM_FILE_ASK "ask.pem"
#define SIM_FILE_VCEK "vcek.pem"
#define SIM_FILE_KEY "vcek.key"
#define SIM_FILE_CONF "chip.conf"

/* sim_path writes "dir/name" into out; KBS_ERR_TOO_LARGE if it does not fit. */
KBS_MUST_CHECK int sim_path(char *out, size_t size, const char *dir, const char *name);

/* Every subject of a simulated chain carries these two entries. */
#define SIM_NAME_OU "SIMULATED - NOT AMD"
#define SIM_NAME_O "kbs simulated SEV-SNP chip"

/*
 * What the chip reports. The chip fields (product, chip_id, tcb) are the
 * ones the VCEK was issued for; sim-init writes them consistently, and a
 * hand edit that breaks the match makes evidence that verifiers refuse
 * (useful for negative tests). TCB is reported as current = reported =
 * committed = launch, firmware as current = committed.
 */
struct sim_config {
	enum snp_product product;
	uint8_t chip_id[64]; /* Turin: 8 bytes, then zero */
	struct snp_tcb tcb;
	struct snp_fw_version firmware;
	uint8_t measurement[48];
	uint64_t policy;
	uint32_t vmpl;
	uint32_t guest_svn;
	uint64_t platform_info;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48]; /* non-zero sets KEY_INFO.AUTHOR_KEY_EN */
	uint64_t launch_mit_vector;    /* v5 (Turin) only; 0 otherwise */
	uint64_t current_mit_vector;
};

/* Per-product facts: names, CPUID, report version, defaults. */
struct sim_product {
	enum snp_product product;
	const char *name;         /* "Milan": in "ARK-Milan", "SEV-Milan" */
	const char *product_name; /* the VCEK productName extension */
	uint32_t struct_version;  /* the VCEK structVersion extension */
	size_t hwid_len;          /* bytes of CHIP_ID in the VCEK hwID */
	uint8_t cpuid_family, cpuid_model, cpuid_step;
	uint32_t report_version;
	struct snp_tcb tcb; /* default TCB, as on a real machine of the product */
	struct snp_fw_version firmware;
};

/* sim_product_info returns the facts of product, or NULL if unknown. */
const struct sim_product *sim_product_info(enum snp_product product);

/*
 * sim_config_default fills *ret for product: that product's usual TCB and
 * firmware, a fresh random chip id, a fixed measurement, policy 0x30000
 * (SMT allowed, the must-be-one bit), VMPL 0, the rest zero.
 * KBS_ERR_PRODUCT_UNKNOWN for an unknown product.
 */
KBS_MUST_CHECK int sim_config_default(enum snp_product product, struct sim_config *ret);

/*
 * sim_config_check: the product is known (else KBS_ERR_PRODUCT_UNKNOWN),
 * VMPL is 0..3, and FMC and the mitigation vectors are zero unless Turin
 * (else KBS_ERR_INVALID_ARGUMENT): what every report of cfg needs.
 */
KBS_MUST_CHECK int sim_config_check(const struct sim_config *cfg);

/*
 * sim_tcb_parse reads "bl=N,tee=N,snp=N,ucode=N[,fmc=N]" (each 0..255, each
 * once, in any order; fmc only, and optionally, for Turin) into *ret.
 * KBS_ERR_INVALID_ARGUMENT otherwise, *ret untouched.
 */
KBS_MUST_CHECK int sim_tcb_parse(const char *s, enum snp_product product, struct snp_tcb *ret);

/*
 * sim_u64_hex_parse reads s[0..len) as 1..16 hex digits (either case, no
 * prefix) into *ret. KBS_ERR_BAD_HEX otherwise, *ret untouched.
 */
KBS_MUST_CHECK int sim_u64_hex_parse(const char *s, size_t len, uint64_t *ret);

/* sim_tcb_format writes the sim_tcb_parse form of tcb (fmc for Turin only). */
void sim_tcb_format(const struct snp_tcb *tcb, enum snp_product product, char *out, size_t size);

struct sim_config_error {
	unsigned line; /* 1-based; 0 when not tied to a line */
	char message[128];
};

/*
 * sim_config_parse reads chip.conf: lines "key = value", '#' comments and
 * blank lines; every key of sim_config exactly once, nothing else (see
 * sim_config.c for the keys and value forms). KBS_ERR_SIM_CONFIG with *err
 * filled (line and reason) on any fault; *ret written only on success.
 */
KBS_MUST_CHECK int sim_config_parse(
    const char *text, size_t len, struct sim_config *ret, struct sim_config_error *err);

/*
 * sim_config_format writes cfg as chip.conf text into a fresh malloc'd
 * NUL-terminated string (*ret, caller frees).
 */
KBS_MUST_CHECK int sim_config_format(const struct sim_config *cfg, char **ret);

/* The keys of a simulated chip: RSA-4096 ARK and ASK, EC P-384 VCEK. */
struct sim_keys {
	EVP_PKEY *ark;
	EVP_PKEY *ask;
	EVP_PKEY *vcek;
};

/* sim_keys_generate makes fresh keys (RSA-4096 takes seconds). */
KBS_MUST_CHECK int sim_keys_generate(struct sim_keys *ret);
void sim_keys_clear(struct sim_keys *keys);

struct sim_chain {
	X509 *ark;
	X509 *ask;
	X509 *vcek;
};

/*
 * sim_chain_issue issues the ARK, ASK and VCEK for cfg's product, TCB and
 * chip id with keys, valid from a day before now (clock skew) for 25 years
 * (ARK, ASK) and 7 years (VCEK), as AMD's are. KBS_ERR_PRODUCT_UNKNOWN,
 * KBS_ERR_INVALID_ARGUMENT (a key of the wrong type or size), or
 * KBS_ERR_INTERNAL when OpenSSL fails.
 */
KBS_MUST_CHECK int sim_chain_issue(
    const struct sim_config *cfg, const struct sim_keys *keys, int64_t now, struct sim_chain *ret);
void sim_chain_clear(struct sim_chain *chain);

/*
 * sim_init_dir makes the chip directory dir (created 0700 if missing; an
 * existing one must hold none of the chip's files: KBS_ERR_EXISTS) from
 * cfg and keys, issued at now. On failure no file of the chip is left.
 * KBS_ERR_SYSTEM keeps errno.
 */
KBS_MUST_CHECK int sim_init_dir(
    const char *dir, const struct sim_config *cfg, const struct sim_keys *keys, int64_t now);

/*
 * sim_report_build lays out and signs a report from cfg with key (the VCEK
 * private key) for report_data and report_id, into out. The signature
 * R and S are little-endian, zero-padded to 72 bytes; reserved bytes zero.
 */
KBS_MUST_CHECK int sim_report_build(const struct sim_config *cfg, EVP_PKEY *key,
    const uint8_t report_data[64], const uint8_t report_id[32], uint8_t out[SNP_REPORT_SIZE]);

#endif
