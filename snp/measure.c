/*
 * measure.c: the SNP launch digest of a guest from its image, the value a
 * policy's `measurement` allow-list holds (snp_launch_digest).
 *
 * What the host does when it launches an SNP guest, and so what the digest
 * chain (measure_gctx.c) sees, in order:
 *
 *  1. The firmware image: QEMU maps OVMF so that it ends at 4 GiB and adds
 *     every 4 KiB of it as a NORMAL page, lowest address first. The digest
 *     after this step depends on the image alone (snp_ovmf_digest), so a
 *     pipeline may compute it once and start later runs from it.
 *  2. The SEV metadata sections (measure_ovmf.c), in the order OVMF lists
 *     them: SEC_MEM as ZERO pages (GCE: UNMEASURED), SECRETS as the
 *     secrets page, CPUID as the CPUID page (EC2 adds it after all other
 *     sections), SVSM_CAA as ZERO pages, and KERNEL_HASHES as NORMAL pages
 *     holding the SEV hashes table (measure_hashes.c) when a kernel is
 *     booted directly, ZERO pages otherwise. The table sits at the offset
 *     within the page that the footer's hash-table entry gives.
 *  3. One VMSA page per vCPU (measure_vmsa.c): the BSP's first, starting at
 *     the reset vector, then one per AP, starting at OVMF's SEV-ES reset
 *     block address. All APs have the same page, so it is hashed once.
 *
 * The firmware's CPUID and secrets pages have contents the PSP checks or
 * fills; their PAGE_INFO carries zeros for CONTENTS, so the digest does not
 * depend on the CPUID values the host chose (the PSP rejects bad ones).
 *
 * Sources: the SEV-SNP Firmware ABI (SNP_LAUNCH_UPDATE, PAGE_INFO, page
 * types); edk2 OvmfPkg (the footer table, the SEV metadata, the reset
 * block); QEMU target/i386/sev.c (the order of the updates and the hashes
 * table); AMD64 APM vol. 2 (the VMSA); virtee/sev-snp-measure for what EC2
 * and GCE do differently and for the known answers in tests/vectors/measure.
 *
 * Cost: one SHA-384 per 4 KiB of firmware and of kernel-hashes section,
 * one SHA-384 of 112 bytes per page of every other section and per vCPU.
 * A crafted image can name up to 4 GiB of sections (about a million
 * cheap updates, a second or so); the parser admits no more than that.
 */
#include "measure-int.h"

#include <string.h>

static int
check_size(size_t len)
{
	if (len == 0 || len % SNP_MEASURE_PAGE_SIZE != 0 || len > SNP_OVMF_MAX_SIZE)
		return KBS_ERR_MEASURE_OVMF_SIZE;
	return 0;
}

int
snp_ovmf_digest(const uint8_t *ovmf, size_t len, uint8_t ret[SNP_LAUNCH_DIGEST_SIZE])
{
	struct snp_gctx g;
	int r = KBS_ERR_INTERNAL;

	if (ovmf == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = check_size(len)) != 0)
		return r;
	if ((r = snp_gctx_init(&g, NULL)) != 0)
		goto out;
	if ((r = snp_gctx_normal_pages(&g, SNP_FOUR_GIB - len, ovmf, len)) != 0)
		goto out;
	memcpy(ret, g.ld, SNP_LAUNCH_DIGEST_SIZE);
	r = 0;
out:
	snp_gctx_free(&g);
	return r;
}

static const struct snp_ovmf_section *
find_section(const struct snp_ovmf_info *info, uint32_t type)
{
	size_t i;

	for (i = 0; i < info->nsections; i++) {
		if (info->sections[i].type == type)
			return &info->sections[i];
	}
	return NULL;
}

/*
 * hash_table_offset checks that the footer's hash table fits the padded
 * table and lies in the first page of the kernel-hashes section, and
 * returns its offset in that page. QEMU takes the offset from the table's
 * GPA alone; requiring the page to be the section's makes QEMU (which
 * writes the table there) and OVMF (which reads it at its GPA) agree.
 */
static int
hash_table_offset(const struct snp_ovmf_info *info, const struct snp_ovmf_section *s, uint32_t *ret)
{
	uint32_t in_page;

	if (!info->has_hash_table || info->hash_table_size < SNP_HASH_TABLE_PADDED_SIZE)
		return KBS_ERR_MEASURE_HASH_TABLE;
	in_page = info->hash_table_gpa % SNP_MEASURE_PAGE_SIZE;
	if (info->hash_table_gpa - in_page != s->gpa ||
	    SNP_HASH_TABLE_PADDED_SIZE > s->size - in_page)
		return KBS_ERR_MEASURE_HASH_TABLE;
	*ret = in_page;
	return 0;
}

/*
 * measure_hashes_section adds the kernel-hashes section as NORMAL pages:
 * zeros, with the padded table at offset, built one page at a time.
 */
static int
measure_hashes_section(struct snp_gctx *g, const struct snp_ovmf_section *s, uint32_t offset,
    const struct snp_kernel_hashes *h)
{
	uint8_t table[SNP_HASH_TABLE_PADDED_SIZE], page[SNP_MEASURE_PAGE_SIZE];
	uint64_t off, lo, hi, t_end = (uint64_t)offset + sizeof(table);
	int r;

	snp_hash_table_encode(h, table);
	for (off = 0; off < s->size; off += SNP_MEASURE_PAGE_SIZE) {
		memset(page, 0, sizeof(page));
		lo = offset > off ? offset : off;
		hi = t_end < off + sizeof(page) ? t_end : off + sizeof(page);
		if (lo < hi)
			memcpy(page + (lo - off), table + (lo - offset), (size_t)(hi - lo));
		if ((r = snp_gctx_normal_pages(g, s->gpa + off, page, sizeof(page))) != 0)
			return r;
	}
	return 0;
}

static int
measure_section(struct snp_gctx *g, const struct snp_vmm_desc *vmm,
    const struct snp_ovmf_section *s, const struct snp_kernel_hashes *kernel,
    uint32_t hashes_offset)
{
	switch (s->type) {
	case SNP_OVMF_SECTION_SEC_MEM:
		return snp_gctx_blank_pages(g, vmm->sec_mem_page, s->gpa, s->size);
	case SNP_OVMF_SECTION_SECRETS:
		return snp_gctx_blank_pages(g, SNP_PAGE_SECRETS, s->gpa, s->size);
	case SNP_OVMF_SECTION_CPUID:
		return vmm->cpuid_last ? 0
				       : snp_gctx_blank_pages(g, SNP_PAGE_CPUID, s->gpa, s->size);
	case SNP_OVMF_SECTION_SVSM_CAA:
		return snp_gctx_blank_pages(g, SNP_PAGE_ZERO, s->gpa, s->size);
	case SNP_OVMF_SECTION_KERNEL_HASHES:
		if (kernel != NULL)
			return measure_hashes_section(g, s, hashes_offset, kernel);
		return snp_gctx_blank_pages(g, SNP_PAGE_ZERO, s->gpa, s->size);
	default:
		return KBS_ERR_MEASURE_SECTION_TYPE; /* snp_ovmf_parse admits none */
	}
}

static int
measure_vmsas(struct snp_gctx *g, const struct snp_launch_params *p, uint32_t ap_eip)
{
	uint8_t page[SNP_MEASURE_PAGE_SIZE], digest[SNP_LAUNCH_DIGEST_SIZE];
	uint32_t i;
	int r;

	if ((r = snp_vmsa_build(p->vmm, SNP_BSP_EIP, p->vcpu_sig, p->guest_features, page)) != 0 ||
	    (r = snp_gctx_sha384(g, page, sizeof(page), digest)) != 0 ||
	    (r = snp_gctx_update(g, SNP_PAGE_VMSA, SNP_VMSA_GPA, digest)) != 0)
		return r;
	if (p->vcpus < 2)
		return 0;
	if ((r = snp_vmsa_build(p->vmm, ap_eip, p->vcpu_sig, p->guest_features, page)) != 0 ||
	    (r = snp_gctx_sha384(g, page, sizeof(page), digest)) != 0)
		return r;
	for (i = 1; i < p->vcpus; i++) {
		if ((r = snp_gctx_update(g, SNP_PAGE_VMSA, SNP_VMSA_GPA, digest)) != 0)
			return r;
	}
	return 0;
}

int
snp_launch_digest(const struct snp_launch_params *p, uint8_t ret[SNP_LAUNCH_DIGEST_SIZE])
{
	struct snp_ovmf_info info;
	const struct snp_vmm_desc *vmm;
	const struct snp_ovmf_section *hashes;
	struct snp_gctx g;
	uint32_t hashes_offset = 0;
	size_t i;
	int r = KBS_ERR_INTERNAL;

	if (p == NULL || ret == NULL || p->ovmf == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((vmm = snp_vmm_desc(p->vmm)) == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (p->vcpus == 0 || p->vcpus > vmm->max_vcpus)
		return KBS_ERR_MEASURE_VCPU_COUNT;
	if ((p->guest_features & 1) == 0)
		return KBS_ERR_MEASURE_GUEST_FEATURES;
	if ((r = snp_ovmf_parse(p->ovmf, p->ovmf_len, &info)) != 0)
		return r;
	hashes = find_section(&info, SNP_OVMF_SECTION_KERNEL_HASHES);
	if (p->kernel != NULL) {
		if (hashes == NULL)
			return KBS_ERR_MEASURE_NO_KERNEL_HASHES;
		if ((r = hash_table_offset(&info, hashes, &hashes_offset)) != 0)
			return r;
	}
	if (p->ovmf_digest == NULL && (r = check_size(p->ovmf_len)) != 0)
		return r;

	if ((r = snp_gctx_init(&g, p->ovmf_digest)) != 0)
		goto out;
	if (p->ovmf_digest == NULL &&
	    (r = snp_gctx_normal_pages(&g, SNP_FOUR_GIB - p->ovmf_len, p->ovmf, p->ovmf_len)) != 0)
		goto out;
	for (i = 0; i < info.nsections; i++) {
		if ((r = measure_section(&g, vmm, &info.sections[i], p->kernel, hashes_offset)) !=
		    0)
			goto out;
	}
	for (i = 0; vmm->cpuid_last && i < info.nsections; i++) {
		if (info.sections[i].type == SNP_OVMF_SECTION_CPUID &&
		    (r = snp_gctx_blank_pages(
			 &g, SNP_PAGE_CPUID, info.sections[i].gpa, info.sections[i].size)) != 0)
			goto out;
	}
	if ((r = measure_vmsas(&g, p, info.reset_eip)) != 0)
		goto out;
	memcpy(ret, g.ld, SNP_LAUNCH_DIGEST_SIZE);
	r = 0;
out:
	snp_gctx_free(&g);
	return r;
}
