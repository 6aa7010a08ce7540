/*
 * test_measure.c: snp_launch_digest and snp_ovmf_digest, the coordinator
 * (measure.c).
 *
 * Every case of tests/vectors/measure/EXPECTED.tsv must give its digest
 * exactly; the OvmfX64 fixture (no kernel-hashes section) must refuse a
 * kernel. The negative cases assert the exact error and that the output
 * buffer is untouched. Consistency properties: starting from
 * snp_ovmf_digest gives the same digest as hashing the image, also for a
 * 4 MiB image whose tail is a fixture.
 */
#include "measure_test.h"

#define TSV_COLUMNS 12
#define UNTOUCHED 0xA5

struct tsv_case {
	char line[2048];
	char *col[TSV_COLUMNS];
};

static int
split_tsv(struct tsv_case *c)
{
	char *p = c->line;
	size_t n = 0;

	c->line[strcspn(c->line, "\r\n")] = '\0';
	while (n < TSV_COLUMNS) {
		c->col[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n == TSV_COLUMNS && p == NULL ? 0 : -1;
}

/* read_input reads a TSV file column: "-" is none, "/dev/null" an empty file. */
static uint8_t *
read_input(const char *col, size_t *len, int *given)
{
	*len = 0;
	*given = strcmp(col, "-") != 0;
	if (!*given)
		return NULL;
	return test_read(col[0] == '/' ? col : measure_path(col), len);
}

static void
run_case(struct tsv_case *c)
{
	const char *name = c->col[0], *mode = c->col[1];
	uint8_t *ovmf, *kernel = NULL, *initrd = NULL, digest[SNP_LAUNCH_DIGEST_SIZE];
	uint8_t ovmf_hash[SNP_LAUNCH_DIGEST_SIZE];
	struct snp_kernel_hashes hashes;
	struct snp_launch_params p;
	size_t ovmf_len, klen = 0, ilen = 0;
	int has_kernel = 0, has_initrd = 0;
	const char *append = NULL;

	fprintf(stderr, "case %s\n", name);
	ovmf = measure_read(c->col[5], &ovmf_len);
	if (strcmp(mode, "snp:ovmf-hash") == 0) {
		CHECK_OK(snp_ovmf_digest(ovmf, ovmf_len, digest));
		CHECK(hex_is(digest, sizeof(digest), c->col[11]));
		free(ovmf);
		return;
	}
	CHECK_STR_EQ(mode, "snp");
	memset(&p, 0, sizeof(p));
	p.ovmf = ovmf;
	p.ovmf_len = ovmf_len;
	p.vcpus = (uint32_t)strtoul(c->col[2], NULL, 10);
	if (strcmp(c->col[3], "-") != 0)
		CHECK_OK(snp_vcpu_sig_from_type(c->col[3], &p.vcpu_sig));
	CHECK_OK(snp_vmm_from_name(c->col[4], &p.vmm));
	kernel = read_input(c->col[6], &klen, &has_kernel);
	initrd = read_input(c->col[7], &ilen, &has_initrd);
	if (strcmp(c->col[8], "(empty)") == 0)
		append = "";
	else if (strcmp(c->col[8], "-") != 0)
		append = c->col[8];
	if (has_kernel) {
		CHECK_OK(snp_kernel_hashes_compute(kernel, klen, initrd, ilen, append, &hashes));
		p.kernel = &hashes;
	} else {
		CHECK(!has_initrd && append == NULL);
	}
	p.guest_features = strtoull(c->col[9], NULL, 16);
	if (strcmp(c->col[10], "-") != 0) {
		CHECK_OK(kbs_hex_decode_exact(c->col[10], strlen(c->col[10]), ovmf_hash, 48));
		p.ovmf_digest = ovmf_hash;
	}
	CHECK_OK(snp_launch_digest(&p, digest));
	CHECK(hex_is(digest, sizeof(digest), c->col[11]));
	free(kernel);
	free(initrd);
	free(ovmf);
}

static void
test_expected_tsv(void)
{
	FILE *f = fopen(measure_path("EXPECTED.tsv"), "r");
	struct tsv_case c;
	int n = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK(fgets(c.line, sizeof(c.line), f) != NULL); /* header */
	while (fgets(c.line, sizeof(c.line), f) != NULL) {
		if (split_tsv(&c) != 0) {
			CHECK(!"malformed EXPECTED.tsv line");
			continue;
		}
		run_case(&c);
		n++;
	}
	fclose(f);
	CHECK_INT_EQ(n, 8);
}

/* base_params: the qemu-1vcpu-nokernel case of EXPECTED.tsv. */
static void
base_params(struct snp_launch_params *p, const uint8_t *ovmf, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->ovmf = ovmf;
	p->ovmf_len = len;
	p->vcpus = 1;
	p->vcpu_sig = 0x00800f12; /* EPYC-v4 */
	p->vmm = SNP_VMM_QEMU;
	p->guest_features = 0x21;
}

/* expect_err: snp_launch_digest fails with want and leaves the output alone. */
static void
expect_err(const struct snp_launch_params *p, int want)
{
	uint8_t out[SNP_LAUNCH_DIGEST_SIZE], untouched[SNP_LAUNCH_DIGEST_SIZE];

	memset(out, UNTOUCHED, sizeof(out));
	memset(untouched, UNTOUCHED, sizeof(untouched));
	CHECK_ERR(snp_launch_digest(p, out), want);
	CHECK_MEM_EQ(out, untouched, sizeof(out));
}

static void
test_kernel_without_hashes_section(void)
{
	struct snp_kernel_hashes h;
	struct snp_launch_params p;
	size_t len;
	uint8_t *ovmf = measure_read(FIXTURE_OVMFX64, &len);

	CHECK_OK(snp_kernel_hashes_compute(NULL, 0, NULL, 0, NULL, &h));
	base_params(&p, ovmf, len);
	p.kernel = &h;
	expect_err(&p, KBS_ERR_MEASURE_NO_KERNEL_HASHES);
	free(ovmf);
}

static void
test_vcpu_count(void)
{
	struct snp_launch_params p;
	uint8_t out[SNP_LAUNCH_DIGEST_SIZE];
	size_t len;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);
	int v;

	base_params(&p, ovmf, len);
	p.vcpus = 0;
	expect_err(&p, KBS_ERR_MEASURE_VCPU_COUNT);
	for (v = 0; v < SNP_VMM_COUNT; v++) {
		p.vmm = (enum snp_vmm)v;
		p.vcpus = snp_vmm_max_vcpus(p.vmm);
		CHECK(p.vcpus >= 192);
		CHECK_OK(snp_launch_digest(&p, out));
		p.vcpus++;
		expect_err(&p, KBS_ERR_MEASURE_VCPU_COUNT);
	}
	CHECK_UINT_EQ(snp_vmm_max_vcpus(SNP_VMM_QEMU), 4096);
	free(ovmf);
}

static void
test_bad_arguments(void)
{
	struct snp_launch_params p;
	uint8_t out[SNP_LAUNCH_DIGEST_SIZE];
	size_t len;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);

	base_params(&p, ovmf, len);
	p.guest_features = 0x20; /* SNPActive missing */
	expect_err(&p, KBS_ERR_MEASURE_GUEST_FEATURES);
	base_params(&p, ovmf, len);
	p.vmm = (enum snp_vmm)SNP_VMM_COUNT;
	expect_err(&p, KBS_ERR_INVALID_ARGUMENT);
	base_params(&p, NULL, 0);
	expect_err(&p, KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_launch_digest(NULL, out), KBS_ERR_INVALID_ARGUMENT);
	base_params(&p, ovmf, len);
	CHECK_ERR(snp_launch_digest(&p, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_ovmf_digest(NULL, 4096, out), KBS_ERR_INVALID_ARGUMENT);
	free(ovmf);
}

/*
 * The image must be whole pages to be hashed; its tail still parses (the
 * offsets count from the end), so with a given OVMF digest any tail works.
 */
static void
test_ovmf_size(void)
{
	struct snp_launch_params p;
	uint8_t out[SNP_LAUNCH_DIGEST_SIZE], seed[SNP_LAUNCH_DIGEST_SIZE];
	size_t len;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);

	memset(out, UNTOUCHED, sizeof(out));
	CHECK_ERR(snp_ovmf_digest(ovmf + 1, len - 1, out), KBS_ERR_MEASURE_OVMF_SIZE);
	CHECK_ERR(snp_ovmf_digest(ovmf, 0, out), KBS_ERR_MEASURE_OVMF_SIZE);
	CHECK_ERR(snp_ovmf_digest(ovmf, (size_t)SNP_OVMF_MAX_SIZE + 4096, out),
	    KBS_ERR_MEASURE_OVMF_SIZE);
	base_params(&p, ovmf + 1, len - 1);
	expect_err(&p, KBS_ERR_MEASURE_OVMF_SIZE);
	CHECK_OK(snp_ovmf_digest(ovmf, len, seed));
	p.ovmf_digest = seed;
	CHECK_OK(snp_launch_digest(&p, out));
	CHECK(hex_is(out, sizeof(out),
	    "e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b"));
	free(ovmf);
}

/* A hash table the padded table does not fit, or outside the section's first page. */
static void
test_hash_table(void)
{
	struct snp_kernel_hashes h;
	struct snp_launch_params p;
	size_t len, e;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);
	uint8_t *img = malloc(len);
	uint32_t gpa, size;

	CHECK(img != NULL);
	CHECK_OK(snp_kernel_hashes_compute(NULL, 0, NULL, 0, NULL, &h));
	e = entry_at(ovmf, len, GUID_HASH_TABLE);
	gpa = get_u32(ovmf + e - 8);
	size = get_u32(ovmf + e - 4);
	CHECK_UINT_EQ(gpa, 0x810c00);
	CHECK_UINT_EQ(size, 0x400);

	memcpy(img, ovmf, len);
	put_u32(img + e - 4, SNP_HASH_TABLE_PADDED_SIZE - 1);
	base_params(&p, img, len);
	p.kernel = &h;
	expect_err(&p, KBS_ERR_MEASURE_HASH_TABLE);
	/* Without a kernel the table does not matter. */
	p.kernel = NULL;
	CHECK_OK(snp_launch_digest(&p, (uint8_t[SNP_LAUNCH_DIGEST_SIZE]){ 0 }));

	memcpy(img, ovmf, len);
	put_u32(img + e - 8, 0x811c00); /* the page after the section */
	p.kernel = &h;
	expect_err(&p, KBS_ERR_MEASURE_HASH_TABLE);

	memcpy(img, ovmf, len);
	put_u32(img + e - 8, 0x810f60); /* 176 bytes from 0xf60 cross the section end */
	expect_err(&p, KBS_ERR_MEASURE_HASH_TABLE);
	put_u32(img + e - 8, 0x810f50); /* exactly fits */
	CHECK_OK(snp_launch_digest(&p, (uint8_t[SNP_LAUNCH_DIGEST_SIZE]){ 0 }));

	/* The footer without a hash table entry: rename its GUID. */
	memcpy(img, ovmf, len);
	img[e + 2] ^= 0xff;
	expect_err(&p, KBS_ERR_MEASURE_HASH_TABLE);
	free(img);
	free(ovmf);
}

/*
 * The table's offset decides the page's hash: moving it changes the
 * digest; a different command line changes it too.
 */
static void
test_hash_table_position_matters(void)
{
	struct snp_kernel_hashes h;
	struct snp_launch_params p;
	uint8_t a[SNP_LAUNCH_DIGEST_SIZE], b[SNP_LAUNCH_DIGEST_SIZE];
	size_t len, e;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);

	CHECK_OK(snp_kernel_hashes_compute(NULL, 0, NULL, 0, NULL, &h));
	base_params(&p, ovmf, len);
	p.kernel = &h;
	CHECK_OK(snp_launch_digest(&p, a));
	e = entry_at(ovmf, len, GUID_HASH_TABLE);
	put_u32(ovmf + e - 8, 0x810c10);
	CHECK_OK(snp_launch_digest(&p, b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	put_u32(ovmf + e - 8, 0x810c00);
	CHECK_OK(snp_launch_digest(&p, b));
	CHECK_MEM_EQ(a, b, sizeof(a));
	CHECK_OK(snp_kernel_hashes_compute(NULL, 0, NULL, 0, "quiet", &h));
	CHECK_OK(snp_launch_digest(&p, b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	free(ovmf);
}

/*
 * A 4 MiB image ending in the fixture: hashing it, or starting from its
 * snp_ovmf_digest with only the fixture as the image, gives one digest.
 */
static void
test_ovmf_digest_reuse(void)
{
	const size_t big = 4u << 20;
	struct snp_kernel_hashes h;
	struct snp_launch_params p;
	uint8_t a[SNP_LAUNCH_DIGEST_SIZE], b[SNP_LAUNCH_DIGEST_SIZE], seed[SNP_LAUNCH_DIGEST_SIZE];
	size_t len, i;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);
	uint8_t *img = malloc(big);

	CHECK(img != NULL && len == 4096);
	for (i = 0; i < big - len; i++)
		img[i] = (uint8_t)(i * 131 + (i >> 12));
	memcpy(img + big - len, ovmf, len);
	CHECK_OK(snp_kernel_hashes_compute((const uint8_t *)"kernel", 6, NULL, 0, "ro", &h));
	base_params(&p, img, big);
	p.kernel = &h;
	p.vcpus = 8;
	CHECK_OK(snp_launch_digest(&p, a));
	CHECK_OK(snp_ovmf_digest(img, big, seed));
	p.ovmf = ovmf;
	p.ovmf_len = len;
	p.ovmf_digest = seed;
	CHECK_OK(snp_launch_digest(&p, b));
	CHECK_MEM_EQ(a, b, sizeof(a));
	/* The fixture's own digest is another start, so another result. */
	CHECK_OK(snp_ovmf_digest(ovmf, len, seed));
	CHECK_OK(snp_launch_digest(&p, b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	free(img);
	free(ovmf);
}

/* Parser errors reach the caller unchanged (one example per layer). */
static void
test_parse_errors_pass_through(void)
{
	struct snp_launch_params p;
	size_t len;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);

	base_params(&p, ovmf, 40);
	expect_err(&p, KBS_ERR_MEASURE_FOOTER_TRUNCATED);
	put_u32(ovmf + section_at(ovmf, len, 2) + 8, 0x7); /* secrets becomes type 7 */
	base_params(&p, ovmf, len);
	expect_err(&p, KBS_ERR_MEASURE_SECTION_TYPE);
	free(ovmf);
}

/* The vCPU type does not enter the digest where the VMM fixes RDX. */
static void
test_vcpu_sig_ignored_by_cloud_vmms(void)
{
	struct snp_launch_params p;
	uint8_t a[SNP_LAUNCH_DIGEST_SIZE], b[SNP_LAUNCH_DIGEST_SIZE];
	size_t len;
	uint8_t *ovmf = measure_read(FIXTURE_AMDSEV, &len);
	int v;

	for (v = 0; v < SNP_VMM_COUNT; v++) {
		base_params(&p, ovmf, len);
		p.vmm = (enum snp_vmm)v;
		p.vcpus = 2;
		CHECK_OK(snp_launch_digest(&p, a));
		p.vcpu_sig = 0x00a00f11;
		CHECK_OK(snp_launch_digest(&p, b));
		CHECK_INT_EQ(memcmp(a, b, sizeof(a)) != 0, snp_vmm_uses_vcpu_sig(p.vmm));
	}
	CHECK_INT_EQ(snp_vmm_uses_vcpu_sig(SNP_VMM_QEMU), 1);
	CHECK_INT_EQ(snp_vmm_uses_vcpu_sig(SNP_VMM_EC2), 0);
	CHECK_INT_EQ(snp_vmm_uses_vcpu_sig(SNP_VMM_GCE), 0);
	free(ovmf);
}

TEST_MAIN(TEST(test_expected_tsv), TEST(test_kernel_without_hashes_section), TEST(test_vcpu_count),
    TEST(test_bad_arguments), TEST(test_ovmf_size), TEST(test_hash_table),
    TEST(test_hash_table_position_matters), TEST(test_ovmf_digest_reuse),
    TEST(test_parse_errors_pass_through), TEST(test_vcpu_sig_ignored_by_cloud_vmms))
