/*
 * test_measure_vmsa.c: the VMSA reset state per VMM, the VMM table and the
 * vCPU signatures (measure_vmsa.c).
 *
 * The VMSA is checked field by field at the offsets of the APM's SEV-ES
 * save area, and every byte not named is checked to be zero. Signatures are
 * checked against CPUID Fn0000_0001_EAX values of the real processors
 * (family 17h model 01h stepping 2 is 0x00800F12, and so on).
 */
#include "measure_test.h"

static uint64_t
get(const uint8_t *page, size_t off, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = n; i > 0; i--)
		v = (v << 8) | page[off + i - 1];
	return v;
}

static void
test_vcpu_types(void)
{
	static const struct {
		const char *name;
		uint32_t sig;
	} known[] = {
		{ "EPYC", 0x00800f12 },
		{ "EPYC-v4", 0x00800f12 },
		{ "EPYC-Rome", 0x00830f10 },
		{ "EPYC-Rome-v5", 0x00830f10 },
		{ "EPYC-Milan", 0x00a00f11 },
		{ "EPYC-Milan-v3", 0x00a00f11 },
		{ "EPYC-Genoa", 0x00a10f10 },
		{ "EPYC-Genoa-v2", 0x00a10f10 },
		{ "EPYC-Turin", 0x00b00f00 },
	};
	uint32_t sig = 0x12345678;
	size_t i, n;

	for (i = 0; i < KBS_ARRAY_SIZE(known); i++) {
		CHECK_OK(snp_vcpu_sig_from_type(known[i].name, &sig));
		CHECK_UINT_EQ(sig, known[i].sig);
	}
	for (n = 0; snp_vcpu_type_name(n) != NULL; n++)
		CHECK_OK(snp_vcpu_sig_from_type(snp_vcpu_type_name(n), &sig));
	CHECK_UINT_EQ(n, 22);
	sig = 0x12345678;
	CHECK_ERR(snp_vcpu_sig_from_type("epyc-v4", &sig), KBS_ERR_MEASURE_VCPU_TYPE);
	CHECK_ERR(snp_vcpu_sig_from_type("EPYC-v9", &sig), KBS_ERR_MEASURE_VCPU_TYPE);
	CHECK_ERR(snp_vcpu_sig_from_type("", &sig), KBS_ERR_MEASURE_VCPU_TYPE);
	CHECK_ERR(snp_vcpu_sig_from_type("host", &sig), KBS_ERR_MEASURE_VCPU_TYPE);
	CHECK_UINT_EQ(sig, 0x12345678);
	CHECK_ERR(snp_vcpu_sig_from_type(NULL, &sig), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_vcpu_sig_from_fms(void)
{
	uint32_t sig = 0;

	CHECK_OK(snp_vcpu_sig_from_fms(25, 17, 0, &sig));
	CHECK_UINT_EQ(sig, 0x00a10f10);
	CHECK_OK(snp_vcpu_sig_from_fms(6, 0, 0, &sig)); /* KVM's fallback RDX */
	CHECK_UINT_EQ(sig, 0x600);
	CHECK_OK(snp_vcpu_sig_from_fms(15, 255, 15, &sig));
	CHECK_UINT_EQ(sig, 0x000f0fff);
	CHECK_OK(snp_vcpu_sig_from_fms(270, 0, 0, &sig));
	CHECK_UINT_EQ(sig, 0x0ff00f00);
	CHECK_OK(snp_vcpu_sig_from_fms(0, 0, 0, &sig));
	CHECK_UINT_EQ(sig, 0);
	sig = 7;
	CHECK_ERR(snp_vcpu_sig_from_fms(271, 0, 0, &sig), KBS_ERR_NUMBER_RANGE);
	CHECK_ERR(snp_vcpu_sig_from_fms(25, 256, 0, &sig), KBS_ERR_NUMBER_RANGE);
	CHECK_ERR(snp_vcpu_sig_from_fms(25, 1, 16, &sig), KBS_ERR_NUMBER_RANGE);
	CHECK_UINT_EQ(sig, 7);
	CHECK_ERR(snp_vcpu_sig_from_fms(25, 1, 1, NULL), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_vmm_names(void)
{
	enum snp_vmm v = SNP_VMM_GCE;

	CHECK_OK(snp_vmm_from_name("QEMU", &v));
	CHECK_INT_EQ(v, SNP_VMM_QEMU);
	CHECK_OK(snp_vmm_from_name("Ec2", &v));
	CHECK_INT_EQ(v, SNP_VMM_EC2);
	CHECK_OK(snp_vmm_from_name("gce", &v));
	CHECK_INT_EQ(v, SNP_VMM_GCE);
	CHECK_ERR(snp_vmm_from_name("kvm", &v), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_vmm_from_name("", &v), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_vmm_from_name(NULL, &v), KBS_ERR_INVALID_ARGUMENT);
	CHECK_INT_EQ(v, SNP_VMM_GCE);
	CHECK_STR_EQ(snp_vmm_name(SNP_VMM_QEMU), "qemu");
	CHECK_STR_EQ(snp_vmm_name(SNP_VMM_EC2), "ec2");
	CHECK_STR_EQ(snp_vmm_name(SNP_VMM_GCE), "gce");
	CHECK_STR_EQ(snp_vmm_name((enum snp_vmm)3), "unknown");
	CHECK_UINT_EQ(snp_vmm_max_vcpus((enum snp_vmm)3), 0);
	CHECK(snp_vmm_desc((enum snp_vmm)3) == NULL);
}

struct field {
	size_t off, len;
	uint64_t want;
};

/* check_vmsa: every field as given, every other byte zero. */
static void
check_vmsa(const uint8_t *page, const struct field *f, size_t n)
{
	uint8_t rest[SNP_MEASURE_PAGE_SIZE];
	size_t i;

	memcpy(rest, page, sizeof(rest));
	for (i = 0; i < n; i++) {
		if (get(page, f[i].off, f[i].len) != f[i].want)
			fprintf(stderr, "field at 0x%zx\n", f[i].off);
		CHECK_UINT_EQ(get(page, f[i].off, f[i].len), f[i].want);
		memset(rest + f[i].off, 0, f[i].len);
	}
	for (i = 0; i < sizeof(rest); i++) {
		if (rest[i] != 0) {
			fprintf(stderr, "byte 0x%zx is 0x%02x\n", i, rest[i]);
			CHECK(rest[i] == 0);
			break;
		}
	}
}

/*
 * vmsa_fields lists what a launch sets: the segments as (selector,
 * attribute, limit, base), the control and debug registers, RIP, PAT,
 * RDX, SEV_FEATURES, XCR0, MXCSR and the x87 control word.
 */
static size_t
vmsa_fields(struct field *f, uint64_t cs_attr, uint64_t ss_attr, uint64_t tr_attr, uint64_t eip,
    uint64_t g_pat, uint64_t rdx, uint64_t mxcsr, uint64_t fcw, uint64_t features)
{
	static const struct {
		size_t off;
		uint64_t attr;
	} data_segs[] = { { 0x00, 0x93 }, { 0x30, 0x93 }, { 0x40, 0x93 }, { 0x50, 0x93 },
		{ 0x60, 0 }, { 0x70, 0x82 }, { 0x80, 0 } };
	size_t n = 0, i;

	for (i = 0; i < KBS_ARRAY_SIZE(data_segs); i++) {
		f[n++] = (struct field){ data_segs[i].off + 2, 2, data_segs[i].attr };
		f[n++] = (struct field){ data_segs[i].off + 4, 4, 0xffff };
	}
	f[n++] = (struct field){ 0x10, 2, 0xf000 };
	f[n++] = (struct field){ 0x12, 2, cs_attr };
	f[n++] = (struct field){ 0x14, 4, 0xffff };
	f[n++] = (struct field){ 0x18, 8, eip & 0xffff0000 };
	f[n++] = (struct field){ 0x22, 2, ss_attr };
	f[n++] = (struct field){ 0x24, 4, 0xffff };
	f[n++] = (struct field){ 0x92, 2, tr_attr };
	f[n++] = (struct field){ 0x94, 4, 0xffff };
	f[n++] = (struct field){ 0xd0, 8, 0x1000 };      /* EFER.SVME */
	f[n++] = (struct field){ 0x148, 8, 0x40 };       /* CR4.MCE */
	f[n++] = (struct field){ 0x158, 8, 0x10 };       /* CR0.ET */
	f[n++] = (struct field){ 0x160, 8, 0x400 };      /* DR7 */
	f[n++] = (struct field){ 0x168, 8, 0xffff0ff0 }; /* DR6 */
	f[n++] = (struct field){ 0x170, 8, 0x2 };        /* RFLAGS */
	f[n++] = (struct field){ 0x178, 8, eip & 0xffff };
	f[n++] = (struct field){ 0x268, 8, g_pat };
	f[n++] = (struct field){ 0x310, 8, rdx };
	f[n++] = (struct field){ 0x3b0, 8, features };
	f[n++] = (struct field){ 0x3e8, 8, 0x1 }; /* XCR0 */
	f[n++] = (struct field){ 0x408, 4, mxcsr };
	f[n++] = (struct field){ 0x410, 2, fcw };
	return n;
}

static void
test_vmsa_qemu(void)
{
	uint8_t page[SNP_MEASURE_PAGE_SIZE];
	struct field f[64];
	size_t n;

	CHECK_OK(snp_vmsa_build(SNP_VMM_QEMU, SNP_BSP_EIP, 0x00a10f10, 0x21, page));
	n = vmsa_fields(f, 0x9b, 0x93, 0x8b, 0xfffffff0, 0x0007040600070406ULL, 0x00a10f10, 0x1f80,
	    0x37f, 0x21);
	check_vmsa(page, f, n);
	/* An AP starts at the SEV-ES reset block: CS base 0x800000, RIP 0xb004. */
	CHECK_OK(snp_vmsa_build(SNP_VMM_QEMU, 0x80b004, 0x00a10f10, 0x21, page));
	n = vmsa_fields(
	    f, 0x9b, 0x93, 0x8b, 0x80b004, 0x0007040600070406ULL, 0x00a10f10, 0x1f80, 0x37f, 0x21);
	check_vmsa(page, f, n);
	CHECK_UINT_EQ(get(page, SNP_VMSA_CS + 8, 8), 0x800000);
	CHECK_UINT_EQ(get(page, SNP_VMSA_RIP, 8), 0xb004);
}

static void
test_vmsa_ec2(void)
{
	uint8_t page[SNP_MEASURE_PAGE_SIZE];
	struct field f[64];
	size_t n;

	/* The signature does not reach RDX; the BSP's CS is not marked accessed. */
	CHECK_OK(snp_vmsa_build(SNP_VMM_EC2, SNP_BSP_EIP, 0x00a10f10, 0x21, page));
	n = vmsa_fields(f, 0x9a, 0x92, 0x83, 0xfffffff0, 0x0007040600070406ULL, 0x600, 0, 0, 0x21);
	check_vmsa(page, f, n);
	CHECK_OK(snp_vmsa_build(SNP_VMM_EC2, 0x80b004, 0x00a10f10, 0x21, page));
	n = vmsa_fields(f, 0x9b, 0x92, 0x83, 0x80b004, 0x0007040600070406ULL, 0x600, 0, 0, 0x21);
	check_vmsa(page, f, n);
}

static void
test_vmsa_gce(void)
{
	uint8_t page[SNP_MEASURE_PAGE_SIZE];
	struct field f[64];
	size_t n;

	CHECK_OK(snp_vmsa_build(SNP_VMM_GCE, SNP_BSP_EIP, 0x00a10f10, 0x1, page));
	n = vmsa_fields(f, 0x9b, 0x93, 0x8b, 0xfffffff0, 0x00070106, 0x600, 0, 0, 0x1);
	check_vmsa(page, f, n);
	CHECK_ERR(
	    snp_vmsa_build((enum snp_vmm)3, SNP_BSP_EIP, 0, 1, page), KBS_ERR_INVALID_ARGUMENT);
}

TEST_MAIN(TEST(test_vcpu_types), TEST(test_vcpu_sig_from_fms), TEST(test_vmm_names),
    TEST(test_vmsa_qemu), TEST(test_vmsa_ec2), TEST(test_vmsa_gce))
