/*
 * sim_report.c: laying out and signing a simulated chip's report.
 *
 * As the PSP does (SEV-SNP ABI, ATTESTATION_REPORT): version 3 for Milan
 * and Genoa, 5 for Turin; CPUID family, model and stepping of a real part
 * of the product; the configured guest fields; CURRENT = REPORTED =
 * COMMITTED = LAUNCH TCB and current = committed firmware; KEY_INFO naming
 * the VCEK (and AUTHOR_KEY_EN when an author key digest is set);
 * REPORT_ID_MA all ones (no migration agent, as on the bundled genuine
 * reports); every reserved byte zero; ECDSA P-384 over SHA-384 of bytes
 * 0x000..0x29F, R and S little-endian and zero-padded to 72 bytes.
 */
#include "sim.h"

#include <sodium.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "kbs_le.h"

/* Report offsets (snp/report.c has the whole table). */
#define OFF_VERSION 0x000
#define OFF_GUEST_SVN 0x004
#define OFF_POLICY 0x008
#define OFF_FAMILY_ID 0x010
#define OFF_IMAGE_ID 0x020
#define OFF_VMPL 0x030
#define OFF_SIG_ALGO 0x034
#define OFF_CURRENT_TCB 0x038
#define OFF_PLATFORM_INFO 0x040
#define OFF_KEY_INFO 0x048
#define OFF_REPORT_DATA 0x050
#define OFF_MEASUREMENT 0x090
#define OFF_HOST_DATA 0x0C0
#define OFF_ID_KEY_DIGEST 0x0E0
#define OFF_AUTHOR_KEY_DIGEST 0x110
#define OFF_REPORT_ID 0x140
#define OFF_REPORT_ID_MA 0x160
#define OFF_REPORTED_TCB 0x180
#define OFF_CPUID 0x188
#define OFF_CHIP_ID 0x1A0
#define OFF_COMMITTED_TCB 0x1E0
#define OFF_CURRENT_FW 0x1E8
#define OFF_COMMITTED_FW 0x1EC
#define OFF_LAUNCH_TCB 0x1F0
#define OFF_LAUNCH_MIT 0x1F8
#define OFF_CURRENT_MIT 0x200
#define OFF_SIG_R 0x2A0
#define OFF_SIG_S (OFF_SIG_R + SNP_SIG_COMPONENT_SIZE)

static void
put_fw(uint8_t *p, const struct snp_fw_version *fw)
{
	p[0] = fw->build;
	p[1] = fw->minor;
	p[2] = fw->major;
}

/* sign_p384 signs msg with key; R and S little-endian, zero-padded to 72 bytes. */
static int
sign_p384(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t r_le[72], uint8_t s_le[72])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[160];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r = NULL, *s = NULL;
	int ret = KBS_ERR_INTERNAL;

	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &der_len, msg, len) != 1)
		goto out;
	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2lebinpad(r, r_le, SNP_SIG_COMPONENT_SIZE) != SNP_SIG_COMPONENT_SIZE ||
	    BN_bn2lebinpad(s, s_le, SNP_SIG_COMPONENT_SIZE) != SNP_SIG_COMPONENT_SIZE)
		goto out;
	ret = 0;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ret;
}

int
sim_report_build(const struct sim_config *cfg, EVP_PKEY *key, const uint8_t report_data[64],
    const uint8_t report_id[32], uint8_t out[SNP_REPORT_SIZE])
{
	const struct sim_product *p;
	uint8_t rep[SNP_REPORT_SIZE];
	uint32_t key_info = SNP_SIGNING_KEY_VCEK << SNP_KEY_INFO_SIGNING_KEY_SHIFT;
	uint64_t tcb;
	int r;

	if (cfg == NULL || key == NULL || report_data == NULL || report_id == NULL || out == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = sim_config_check(cfg)) != 0)
		return r;
	p = sim_product_info(cfg->product);
	if ((r = snp_tcb_encode(&cfg->tcb, cfg->product, &tcb)) != 0)
		return r;
	if (!sodium_is_zero(cfg->author_key_digest, sizeof(cfg->author_key_digest)))
		key_info |= SNP_KEY_INFO_AUTHOR_KEY_EN;
	memset(rep, 0, sizeof(rep));
	kbs_le_put(rep + OFF_VERSION, p->report_version, 4);
	kbs_le_put(rep + OFF_GUEST_SVN, cfg->guest_svn, 4);
	kbs_le_put(rep + OFF_POLICY, cfg->policy, 8);
	memcpy(rep + OFF_FAMILY_ID, cfg->family_id, sizeof(cfg->family_id));
	memcpy(rep + OFF_IMAGE_ID, cfg->image_id, sizeof(cfg->image_id));
	kbs_le_put(rep + OFF_VMPL, cfg->vmpl, 4);
	kbs_le_put(rep + OFF_SIG_ALGO, 1, 4); /* ECDSA P-384 with SHA-384 */
	kbs_le_put(rep + OFF_CURRENT_TCB, tcb, 8);
	kbs_le_put(rep + OFF_PLATFORM_INFO, cfg->platform_info, 8);
	kbs_le_put(rep + OFF_KEY_INFO, key_info, 4);
	memcpy(rep + OFF_REPORT_DATA, report_data, 64);
	memcpy(rep + OFF_MEASUREMENT, cfg->measurement, sizeof(cfg->measurement));
	memcpy(rep + OFF_HOST_DATA, cfg->host_data, sizeof(cfg->host_data));
	memcpy(rep + OFF_ID_KEY_DIGEST, cfg->id_key_digest, sizeof(cfg->id_key_digest));
	memcpy(rep + OFF_AUTHOR_KEY_DIGEST, cfg->author_key_digest, sizeof(cfg->author_key_digest));
	memcpy(rep + OFF_REPORT_ID, report_id, 32);
	memset(rep + OFF_REPORT_ID_MA, 0xff, 32);
	kbs_le_put(rep + OFF_REPORTED_TCB, tcb, 8);
	rep[OFF_CPUID] = p->cpuid_family;
	rep[OFF_CPUID + 1] = p->cpuid_model;
	rep[OFF_CPUID + 2] = p->cpuid_step;
	memcpy(rep + OFF_CHIP_ID, cfg->chip_id, sizeof(cfg->chip_id));
	kbs_le_put(rep + OFF_COMMITTED_TCB, tcb, 8);
	put_fw(rep + OFF_CURRENT_FW, &cfg->firmware);
	put_fw(rep + OFF_COMMITTED_FW, &cfg->firmware);
	kbs_le_put(rep + OFF_LAUNCH_TCB, tcb, 8);
	if (p->report_version >= 5) {
		kbs_le_put(rep + OFF_LAUNCH_MIT, cfg->launch_mit_vector, 8);
		kbs_le_put(rep + OFF_CURRENT_MIT, cfg->current_mit_vector, 8);
	}
	if ((r = sign_p384(key, rep, SNP_REPORT_SIGNED_SIZE, rep + OFF_SIG_R, rep + OFF_SIG_S)) !=
	    0)
		return r;
	memcpy(out, rep, sizeof(rep));
	return 0;
}
