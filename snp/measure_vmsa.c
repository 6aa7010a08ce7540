/*
 * measure_vmsa.c: the initial vCPU state (VMSA) each VMM measures, the
 * VMMs' differences, and the vCPU signatures of QEMU's CPU models.
 *
 * An SNP guest's vCPUs start from VMSA pages the host adds last, one per
 * vCPU, each measured as page type VMSA (SHA-384 of the 4 KiB page). The
 * page is the AMD64 "State Save Area for SEV-ES" (APM vol. 2, appendix B)
 * filled with the x86 reset state: real mode, CS selector 0xF000, segment
 * limits 0xFFFF, CR0.ET, DR6/DR7 and RFLAGS at their reset values,
 * EFER.SVME (KVM sets it), CR4.MCE (KVM sets it), the default PAT, XCR0
 * x87, and SEV_FEATURES as the host chose them. RDX holds CPUID
 * Fn0000_0001_EAX, the processor signature, as after a hardware reset.
 *
 * The BSP starts at the reset vector 0xFFFFFFF0 (CS base 0xFFFF0000, RIP
 * 0xFFF0). The APs start where OVMF's SEV-ES reset block says: CS base is
 * its upper 16 bits, RIP its lower 16 bits. So the BSP's page and the APs'
 * page differ, and all APs share one.
 *
 * Where the VMMs differ (as virtee/sev-snp-measure models them; its known
 * answers for each are in tests/vectors/measure):
 *   QEMU/KVM: CS attribute 0x9B, SS 0x93, TR 0x8B, RDX the vCPU
 *     signature of the -cpu model, MXCSR 0x1F80 and x87 FCW 0x37F.
 *   EC2: CS 0x9A for the BSP (0x9B for APs), SS 0x92, TR 0x83, RDX 0x600
 *     (the signature of family 6, KVM's value when no CPU model is set),
 *     MXCSR and FCW 0; and its CPUID page is added after every other
 *     section.
 *   GCE: the QEMU attributes, RDX 0x600, MXCSR and FCW 0, its own PAT
 *     (0x00070106), and SEC_MEM sections added as UNMEASURED pages.
 *
 * vCPU limits (snp_vmm_max_vcpus): QEMU 4096, the most its q35 machine
 * accepts; EC2 192 and GCE 384, generous bounds above the AMD instance
 * sizes either offers. They catch typing errors (0, an extra digit), they
 * are not a table of instance types.
 */
#include "measure-int.h"

#include <string.h>
#include <strings.h>

#include "kbs_common.h"
#include "kbs_le.h"

static const struct snp_vmm_desc vmms[SNP_VMM_COUNT] = {
	[SNP_VMM_QEMU] = {
	    .name = "qemu",
	    .max_vcpus = 4096,
	    .cs_attrib_bsp = 0x9b,
	    .cs_attrib_ap = 0x9b,
	    .ss_attrib = 0x93,
	    .tr_attrib = 0x8b,
	    .g_pat = 0x0007040600070406ULL,
	    .rdx_is_sig = 1,
	    .mxcsr = 0x1f80,
	    .x87_fcw = 0x37f,
	    .sec_mem_page = SNP_PAGE_ZERO,
	},
	[SNP_VMM_EC2] = {
	    .name = "ec2",
	    .max_vcpus = 192,
	    .cs_attrib_bsp = 0x9a,
	    .cs_attrib_ap = 0x9b,
	    .ss_attrib = 0x92,
	    .tr_attrib = 0x83,
	    .g_pat = 0x0007040600070406ULL,
	    .rdx_fixed = 0x600,
	    .sec_mem_page = SNP_PAGE_ZERO,
	    .cpuid_last = 1,
	},
	[SNP_VMM_GCE] = {
	    .name = "gce",
	    .max_vcpus = 384,
	    .cs_attrib_bsp = 0x9b,
	    .cs_attrib_ap = 0x9b,
	    .ss_attrib = 0x93,
	    .tr_attrib = 0x8b,
	    .g_pat = 0x00070106ULL,
	    .rdx_fixed = 0x600,
	    .sec_mem_page = SNP_PAGE_UNMEASURED,
	},
};

const struct snp_vmm_desc *
snp_vmm_desc(enum snp_vmm vmm)
{
	return (unsigned)vmm < SNP_VMM_COUNT ? &vmms[vmm] : NULL;
}

const char *
snp_vmm_name(enum snp_vmm vmm)
{
	const struct snp_vmm_desc *d = snp_vmm_desc(vmm);

	return d != NULL ? d->name : "unknown";
}

int
snp_vmm_from_name(const char *name, enum snp_vmm *ret)
{
	size_t i;

	if (name == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < SNP_VMM_COUNT; i++) {
		if (strcasecmp(name, vmms[i].name) == 0) {
			*ret = (enum snp_vmm)i;
			return 0;
		}
	}
	return KBS_ERR_INVALID_ARGUMENT;
}

uint32_t
snp_vmm_max_vcpus(enum snp_vmm vmm)
{
	const struct snp_vmm_desc *d = snp_vmm_desc(vmm);

	return d != NULL ? d->max_vcpus : 0;
}

int
snp_vmm_uses_vcpu_sig(enum snp_vmm vmm)
{
	const struct snp_vmm_desc *d = snp_vmm_desc(vmm);

	return d != NULL && d->rdx_is_sig;
}

/*
 * QEMU's AMD EPYC models (target/i386/cpu.c, builtin_x86_defs) with their
 * family, model and stepping. The versioned names (-v1, -v2, ...) change
 * features and cache data, never the signature.
 */
static const struct {
	const char *name;
	uint8_t family, model, stepping;
} vcpu_types[] = {
	{ "EPYC", 23, 1, 2 },
	{ "EPYC-v1", 23, 1, 2 },
	{ "EPYC-v2", 23, 1, 2 },
	{ "EPYC-v3", 23, 1, 2 },
	{ "EPYC-v4", 23, 1, 2 },
	{ "EPYC-v5", 23, 1, 2 },
	{ "EPYC-IBPB", 23, 1, 2 },
	{ "EPYC-Rome", 23, 49, 0 },
	{ "EPYC-Rome-v1", 23, 49, 0 },
	{ "EPYC-Rome-v2", 23, 49, 0 },
	{ "EPYC-Rome-v3", 23, 49, 0 },
	{ "EPYC-Rome-v4", 23, 49, 0 },
	{ "EPYC-Rome-v5", 23, 49, 0 },
	{ "EPYC-Milan", 25, 1, 1 },
	{ "EPYC-Milan-v1", 25, 1, 1 },
	{ "EPYC-Milan-v2", 25, 1, 1 },
	{ "EPYC-Milan-v3", 25, 1, 1 },
	{ "EPYC-Genoa", 25, 17, 0 },
	{ "EPYC-Genoa-v1", 25, 17, 0 },
	{ "EPYC-Genoa-v2", 25, 17, 0 },
	{ "EPYC-Turin", 26, 0, 0 },
	{ "EPYC-Turin-v1", 26, 0, 0 },
};

int
snp_vcpu_sig_from_fms(uint32_t family, uint32_t model, uint32_t stepping, uint32_t *ret)
{
	uint32_t base_family, ext_family;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	/* Families above 15 are 15 in the base field plus the 8-bit extended field. */
	if (family > 15 + 255 || model > 255 || stepping > 15)
		return KBS_ERR_NUMBER_RANGE;
	base_family = family > 15 ? 15 : family;
	ext_family = family > 15 ? family - 15 : 0;
	*ret = (ext_family << 20) | ((model >> 4) << 16) | (base_family << 8) |
	    ((model & 0xf) << 4) | stepping;
	return 0;
}

int
snp_vcpu_sig_from_type(const char *name, uint32_t *ret)
{
	size_t i;

	if (name == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < KBS_ARRAY_SIZE(vcpu_types); i++) {
		if (strcmp(name, vcpu_types[i].name) == 0)
			return snp_vcpu_sig_from_fms(
			    vcpu_types[i].family, vcpu_types[i].model, vcpu_types[i].stepping, ret);
	}
	return KBS_ERR_MEASURE_VCPU_TYPE;
}

const char *
snp_vcpu_type_name(size_t i)
{
	return i < KBS_ARRAY_SIZE(vcpu_types) ? vcpu_types[i].name : NULL;
}

/* put_seg writes a VMCB segment: selector u16, attribute u16, limit u32, base u64. */
static void
put_seg(
    uint8_t *page, size_t off, uint16_t selector, uint16_t attrib, uint32_t limit, uint64_t base)
{
	kbs_le_put(page + off, selector, 2);
	kbs_le_put(page + off + 2, attrib, 2);
	kbs_le_put(page + off + 4, limit, 4);
	kbs_le_put(page + off + 8, base, 8);
}

int
snp_vmsa_build(enum snp_vmm vmm, uint32_t eip, uint32_t vcpu_sig, uint64_t sev_features,
    uint8_t page[SNP_MEASURE_PAGE_SIZE])
{
	const struct snp_vmm_desc *d = snp_vmm_desc(vmm);

	if (d == NULL || page == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(page, 0, SNP_MEASURE_PAGE_SIZE);
	put_seg(page, SNP_VMSA_ES, 0, 0x93, 0xffff, 0);
	put_seg(page, SNP_VMSA_CS, 0xf000, eip == SNP_BSP_EIP ? d->cs_attrib_bsp : d->cs_attrib_ap,
	    0xffff, eip & 0xffff0000u);
	put_seg(page, SNP_VMSA_SS, 0, d->ss_attrib, 0xffff, 0);
	put_seg(page, SNP_VMSA_DS, 0, 0x93, 0xffff, 0);
	put_seg(page, SNP_VMSA_FS, 0, 0x93, 0xffff, 0);
	put_seg(page, SNP_VMSA_GS, 0, 0x93, 0xffff, 0);
	put_seg(page, SNP_VMSA_GDTR, 0, 0, 0xffff, 0);
	put_seg(page, SNP_VMSA_LDTR, 0, 0x82, 0xffff, 0);
	put_seg(page, SNP_VMSA_IDTR, 0, 0, 0xffff, 0);
	put_seg(page, SNP_VMSA_TR, 0, d->tr_attrib, 0xffff, 0);
	kbs_le_put(page + SNP_VMSA_EFER, 0x1000, 8);
	kbs_le_put(page + SNP_VMSA_CR4, 0x40, 8);
	kbs_le_put(page + SNP_VMSA_CR0, 0x10, 8);
	kbs_le_put(page + SNP_VMSA_DR7, 0x400, 8);
	kbs_le_put(page + SNP_VMSA_DR6, 0xffff0ff0, 8);
	kbs_le_put(page + SNP_VMSA_RFLAGS, 0x2, 8);
	kbs_le_put(page + SNP_VMSA_RIP, eip & 0xffffu, 8);
	kbs_le_put(page + SNP_VMSA_G_PAT, d->g_pat, 8);
	kbs_le_put(page + SNP_VMSA_RDX, d->rdx_is_sig ? vcpu_sig : d->rdx_fixed, 8);
	kbs_le_put(page + SNP_VMSA_SEV_FEATURES, sev_features, 8);
	kbs_le_put(page + SNP_VMSA_XCR0, 0x1, 8);
	kbs_le_put(page + SNP_VMSA_MXCSR, d->mxcsr, 4);
	kbs_le_put(page + SNP_VMSA_X87_FCW, d->x87_fcw, 2);
	return 0;
}
