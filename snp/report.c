/*
 * report.c: the SEV-SNP ATTESTATION_REPORT (SEV-SNP Firmware ABI, the
 * "ATTESTATION_REPORT Structure" table), versions 2, 3 and 5.
 *
 * Format: exactly 0x4A0 bytes, little-endian, read front to back through
 * the kbs_buf cursor. Bytes 0x000..0x29F are signed; 0x2A0..0x49F hold the
 * signature. Fields and what each version defines:
 *
 *   0x000 version            0x004 guest_svn         0x008 policy
 *   0x010 family_id[16]      0x020 image_id[16]      0x030 vmpl (0..3)
 *   0x034 signature_algo (1 = ECDSA P-384 with SHA-384; nothing else exists)
 *   0x038 current_tcb        0x040 platform_info
 *   0x048 key_info: bit 0 author_key_en, bit 1 mask_chip_key, bits 4:2
 *         signing_key (0 VCEK, 1 VLEK, 7 none), bits 31:5 reserved MBZ
 *   0x04C reserved MBZ (4)
 *   0x050 report_data[64]    0x090 measurement[48]   0x0C0 host_data[32]
 *   0x0E0 id_key_digest[48]  0x110 author_key_digest[48]
 *   0x140 report_id[32]      0x160 report_id_ma[32]  0x180 reported_tcb
 *   0x188 cpuid_fam_id, 0x189 cpuid_mod_id, 0x18A cpuid_step: v3 and later;
 *         reserved MBZ in v2
 *   0x18B..0x19F reserved MBZ (all versions)
 *   0x1A0 chip_id[64]        0x1E0 committed_tcb
 *   0x1E8 current build, minor, major; 0x1EB reserved MBZ
 *   0x1EC committed build, minor, major; 0x1EF reserved MBZ
 *   0x1F0 launch_tcb
 *   0x1F8 launch_mit_vector, 0x200 current_mit_vector: v5 and later;
 *         reserved MBZ in v2 and v3
 *   0x208..0x29F reserved MBZ (all versions)
 *   0x2A0 signature: R (72 bytes), S (72 bytes), each a little-endian
 *         P-384 scalar whose bytes 48..71 are zero; 0x330..0x49F MBZ.
 *
 * Versions: 2 (the first production layout), 3 (adds the CPUID bytes) and
 * 5 (adds the mitigation vectors). Each accepted version is one we hold
 * genuine AMD-signed reports of (tests/vectors/snp). Version 4 is rejected:
 * we have no genuine v4 report to check a layout against, and accepting it
 * with a guessed layout could let non-zero bytes pass unexamined. 0, 1
 * (pre-release ABIs) and anything above 5 are rejected too.
 *
 * What is deliberately NOT checked here, and why:
 *  - policy and platform_info reserved bits: the firmware enforces the
 *    policy at launch and fills platform_info itself; later ABIs assign new
 *    bits (the Turin vector sets platform_info bit 6), so a bit check here
 *    would reject genuine reports. The policy module judges those bits.
 *  - the reserved bytes of the TCB_VERSION fields: where they are depends
 *    on the product (snp_tcb_decode checks them), and the product of a v2
 *    report is not known to the parser.
 *  - R and S ranges (zero, >= n): the ECDSA verification rejects them.
 * The parse establishes shape only; nothing here is authentic until
 * snp_verify_report succeeded.
 */
#include "snp.h"

#include <string.h>

#define KEY_INFO_RESERVED_MASK 0xffffffe0u
#define SIG_AREA_SIZE (SNP_REPORT_SIZE - SNP_REPORT_SIGNED_SIZE)
#define SIG_SCALAR_SIZE 48 /* a P-384 scalar; the rest of each component is padding */

static int
version_supported(uint32_t version)
{
	static const uint32_t supported[] = { 2, 3, 5 };
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(supported); i++) {
		if (supported[i] == version)
			return 1;
	}
	return 0;
}

static int
get_fw_version(struct kbs_buf *b, struct snp_fw_version *ret)
{
	int r;

	if ((r = kbs_buf_get_u8(b, &ret->build)) != 0 ||
	    (r = kbs_buf_get_u8(b, &ret->minor)) != 0 || (r = kbs_buf_get_u8(b, &ret->major)) != 0)
		return r;
	return kbs_buf_skip_zero(b, 1, KBS_ERR_REPORT_RESERVED);
}

/* get_sig_component reads one 72-byte component whose padding must be zero. */
static int
get_sig_component(struct kbs_buf *b, uint8_t out[SNP_SIG_COMPONENT_SIZE])
{
	int r;

	if ((r = kbs_buf_get_bytes(b, out, SIG_SCALAR_SIZE)) != 0)
		return r;
	memset(out + SIG_SCALAR_SIZE, 0, SNP_SIG_COMPONENT_SIZE - SIG_SCALAR_SIZE);
	return kbs_buf_skip_zero(
	    b, SNP_SIG_COMPONENT_SIZE - SIG_SCALAR_SIZE, KBS_ERR_REPORT_SIG_FORMAT);
}

/* parse_header reads 0x000..0x04F: version through key_info and its reserved word. */
static int
parse_header(struct kbs_buf *b, struct snp_report *rep)
{
	uint32_t key;
	int r;

	if ((r = kbs_buf_get_u32le(b, &rep->version)) != 0)
		return r;
	if (!version_supported(rep->version))
		return KBS_ERR_REPORT_VERSION;
	if ((r = kbs_buf_get_u32le(b, &rep->guest_svn)) != 0 ||
	    (r = kbs_buf_get_u64le(b, &rep->policy)) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->family_id, sizeof(rep->family_id))) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->image_id, sizeof(rep->image_id))) != 0 ||
	    (r = kbs_buf_get_u32le(b, &rep->vmpl)) != 0)
		return r;
	if (rep->vmpl > 3)
		return KBS_ERR_REPORT_VMPL;
	if ((r = kbs_buf_get_u32le(b, &rep->signature_algo)) != 0)
		return r;
	if (rep->signature_algo != 1)
		return KBS_ERR_REPORT_SIG_ALGO;
	if ((r = kbs_buf_get_u64le(b, &rep->current_tcb)) != 0 ||
	    (r = kbs_buf_get_u64le(b, &rep->platform_info)) != 0 ||
	    (r = kbs_buf_get_u32le(b, &rep->key_info)) != 0)
		return r;
	key = (rep->key_info & SNP_KEY_INFO_SIGNING_KEY_MASK) >> SNP_KEY_INFO_SIGNING_KEY_SHIFT;
	if (key == SNP_SIGNING_KEY_VCEK)
		rep->signing_key = SNP_SIGNING_KEY_VCEK;
	else if (key == SNP_SIGNING_KEY_VLEK)
		rep->signing_key = SNP_SIGNING_KEY_VLEK;
	else
		return KBS_ERR_REPORT_SIGNING_KEY;
	if ((rep->key_info & KEY_INFO_RESERVED_MASK) != 0)
		return KBS_ERR_REPORT_RESERVED;
	return kbs_buf_skip_zero(b, 4, KBS_ERR_REPORT_RESERVED);
}

/* parse_body reads 0x050..0x29F. */
static int
parse_body(struct kbs_buf *b, struct snp_report *rep)
{
	int r;

	if ((r = kbs_buf_get_bytes(b, rep->report_data, sizeof(rep->report_data))) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->measurement, sizeof(rep->measurement))) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->host_data, sizeof(rep->host_data))) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->id_key_digest, sizeof(rep->id_key_digest))) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->author_key_digest, sizeof(rep->author_key_digest))) !=
		0 ||
	    (r = kbs_buf_get_bytes(b, rep->report_id, sizeof(rep->report_id))) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->report_id_ma, sizeof(rep->report_id_ma))) != 0 ||
	    (r = kbs_buf_get_u64le(b, &rep->reported_tcb)) != 0)
		return r;
	/* 0x188: CPUID_FAM_ID, CPUID_MOD_ID, CPUID_STEP from v3 on, reserved before. */
	if (rep->version >= 3) {
		if ((r = kbs_buf_get_u8(b, &rep->cpuid_fam_id)) != 0 ||
		    (r = kbs_buf_get_u8(b, &rep->cpuid_mod_id)) != 0 ||
		    (r = kbs_buf_get_u8(b, &rep->cpuid_step)) != 0)
			return r;
	} else if ((r = kbs_buf_skip_zero(b, 3, KBS_ERR_REPORT_RESERVED)) != 0) {
		return r;
	}
	if ((r = kbs_buf_skip_zero(b, 0x1A0 - 0x18B, KBS_ERR_REPORT_RESERVED)) != 0 ||
	    (r = kbs_buf_get_bytes(b, rep->chip_id, sizeof(rep->chip_id))) != 0 ||
	    (r = kbs_buf_get_u64le(b, &rep->committed_tcb)) != 0 ||
	    (r = get_fw_version(b, &rep->current_fw)) != 0 ||
	    (r = get_fw_version(b, &rep->committed_fw)) != 0 ||
	    (r = kbs_buf_get_u64le(b, &rep->launch_tcb)) != 0)
		return r;
	/* 0x1F8: LAUNCH_MIT_VECTOR and CURRENT_MIT_VECTOR from v5 on, reserved before. */
	if (rep->version >= 5) {
		if ((r = kbs_buf_get_u64le(b, &rep->launch_mit_vector)) != 0 ||
		    (r = kbs_buf_get_u64le(b, &rep->current_mit_vector)) != 0)
			return r;
	} else if ((r = kbs_buf_skip_zero(b, 16, KBS_ERR_REPORT_RESERVED)) != 0) {
		return r;
	}
	return kbs_buf_skip_zero(b, SNP_REPORT_SIGNED_SIZE - 0x208, KBS_ERR_REPORT_RESERVED);
}

/* parse_signature reads 0x2A0..0x49F. */
static int
parse_signature(struct kbs_buf *b, struct snp_report *rep)
{
	int r;

	if ((r = get_sig_component(b, rep->signature_r)) != 0 ||
	    (r = get_sig_component(b, rep->signature_s)) != 0)
		return r;
	return kbs_buf_skip_zero(
	    b, SIG_AREA_SIZE - 2 * SNP_SIG_COMPONENT_SIZE, KBS_ERR_REPORT_SIG_FORMAT);
}

int
snp_report_parse(const uint8_t *data, size_t len, struct snp_report *ret)
{
	struct snp_report rep;
	struct kbs_buf b;
	int r = KBS_ERR_INTERNAL;

	if (ret == NULL || (data == NULL && len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	if (len != SNP_REPORT_SIZE)
		return KBS_ERR_REPORT_LENGTH;
	memset(&rep, 0, sizeof(rep));
	kbs_buf_init(&b, data, len);
	if ((r = parse_header(&b, &rep)) != 0 || (r = parse_body(&b, &rep)) != 0 ||
	    (r = parse_signature(&b, &rep)) != 0)
		goto out;
	/* The length was checked up front, so this cannot fail; keep it as a guard. */
	if (kbs_buf_expect_end(&b) != 0) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	memcpy(rep.raw, data, SNP_REPORT_SIZE);
	memcpy(ret, &rep, sizeof(rep));
	r = 0;
out:
	/* A truncated read cannot happen after the length check either. */
	if (r == KBS_ERR_TRUNCATED)
		r = KBS_ERR_INTERNAL;
	return r;
}

int
snp_report_product(const struct snp_report *report, enum snp_product *ret)
{
	if (report == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	/* v2 reports carry no CPUID: the caller takes the product from elsewhere. */
	if (report->version < 3)
		return KBS_ERR_PRODUCT_UNKNOWN;
	return snp_product_from_cpuid(report->cpuid_fam_id, report->cpuid_mod_id, ret);
}
