/*
 * test_report.c: snp_report_parse and snp_report_product.
 *
 * The positive test reads tests/vectors/snp/EXPECTED.tsv at run time and
 * asserts every column it has for every report listed there (a column this
 * test does not know fails the test, so a new column cannot be ignored).
 * The negative tests mutate genuine reports of each version and assert the
 * exact error and that *ret is untouched; one sweep flips every byte of a
 * v2, a v3 and a v5 report and checks the outcome against a table of what
 * each offset means in that version.
 */
#include <sodium.h>

#include "snp.h"
#include "test.h"

#define MAX_COLS 40

/* ---- helpers ----------------------------------------------------------- */

static uint8_t *
load_report(const char *rel)
{
	size_t len = 0;
	uint8_t *data = test_read_vector(rel, &len);

	if (len != SNP_REPORT_SIZE) {
		fprintf(stderr, "%s: %zu bytes, want %d\n", rel, len, SNP_REPORT_SIZE);
		exit(2);
	}
	return data;
}

/* check_parse_fails asserts the exact error and that ret was left alone. */
static void
check_parse_fails(const uint8_t *data, size_t len, int want, const char *what)
{
	static struct snp_report rep, before;
	int r;

	memset(&rep, 0xa5, sizeof(rep));
	memcpy(&before, &rep, sizeof(rep));
	r = snp_report_parse(data, len, &rep);
	if (r != want)
		fprintf(stderr, "case: %s\n", what);
	CHECK_ERR(r, want);
	CHECK(memcmp(&rep, &before, sizeof(rep)) == 0);
}

static int
parse_u64(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*ret = v;
	return 0;
}

static void
check_hex_field(
    const uint8_t *got, size_t len, const char *want, const char *name, const char *file)
{
	char hex[2 * 256 + 1] = "";

	CHECK(len <= 256);
	CHECK_OK(kbs_hex_encode(got, len, hex, sizeof(hex)));
	if (strcmp(hex, want) != 0)
		fprintf(stderr, "%s: %s\n", file, name);
	CHECK_STR_EQ(hex, want);
}

static void
check_u64_field(uint64_t got, const char *want, const char *name, const char *file)
{
	uint64_t v = 0;

	if (parse_u64(want, &v) != 0) {
		fprintf(stderr, "%s: %s: bad number \"%s\" in EXPECTED.tsv\n", file, name, want);
		CHECK(0);
		return;
	}
	if (got != v)
		fprintf(stderr, "%s: %s\n", file, name);
	CHECK_UINT_EQ(got, v);
}

static void
check_fw_field(
    const struct snp_fw_version *fw, const char *want, const char *name, const char *file)
{
	char got[32];

	snprintf(got, sizeof(got), "%u.%u.%u", fw->major, fw->minor, fw->build);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "%s: %s\n", file, name);
	CHECK_STR_EQ(got, want);
}

/* tcb_fields_string formats a decoded TCB the way EXPECTED.tsv writes it. */
static int
tcb_fields_string(uint64_t raw, enum snp_product product, char *out, size_t out_size)
{
	struct snp_tcb t;
	int r;

	if ((r = snp_tcb_decode(raw, product, &t)) != 0)
		return r;
	if (product == SNP_PRODUCT_TURIN)
		snprintf(out, out_size, "fmc=%u,bl=%u,tee=%u,snp=%u,ucode=%u", t.fmc, t.bootloader,
		    t.tee, t.snp, t.microcode);
	else
		snprintf(out, out_size, "bl=%u,tee=%u,snp=%u,ucode=%u", t.bootloader, t.tee, t.snp,
		    t.microcode);
	return 0;
}

/* ---- EXPECTED.tsv ------------------------------------------------------ */

struct row {
	char *cols[MAX_COLS];
	size_t n;
};

static size_t
split_tabs(char *line, char **cols, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == max)
			return max + 1;
		cols[n++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

/* Columns that describe the chain, not the report; other tests use them. */
static const char *const chain_columns[] = {
	"signer",
	"chain",
	"expect_valid",
	"signer_not_before",
	"signer_not_after",
	"verify_at",
};

static int
is_chain_column(const char *name)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(chain_columns); i++) {
		if (strcmp(name, chain_columns[i]) == 0)
			return 1;
	}
	return 0;
}

/* check_column asserts one column; returns 0 if the column was known. */
static int
check_column(const char *name, const char *want, const struct snp_report *rep,
    enum snp_product product, const uint8_t *file_data, const char *file)
{
	char buf[160];

	if (strcmp(name, "report") == 0 || is_chain_column(name))
		return 0;
	if (strcmp(name, "product") == 0) {
		enum snp_product tsv_product = SNP_PRODUCT_UNKNOWN,
				 from_report = SNP_PRODUCT_UNKNOWN;

		CHECK_OK(snp_product_from_name(want, &tsv_product));
		CHECK_INT_EQ(tsv_product, product);
		if (rep->version >= 3) {
			CHECK_OK(snp_report_product(rep, &from_report));
			if (from_report != tsv_product)
				fprintf(stderr, "%s: product from CPUID\n", file);
			CHECK_INT_EQ(from_report, tsv_product);
		} else {
			CHECK_ERR(snp_report_product(rep, &from_report), KBS_ERR_PRODUCT_UNKNOWN);
		}
	} else if (strcmp(name, "version") == 0) {
		check_u64_field(rep->version, want, name, file);
	} else if (strcmp(name, "guest_svn") == 0) {
		check_u64_field(rep->guest_svn, want, name, file);
	} else if (strcmp(name, "policy") == 0) {
		check_u64_field(rep->policy, want, name, file);
	} else if (strcmp(name, "vmpl") == 0) {
		check_u64_field(rep->vmpl, want, name, file);
	} else if (strcmp(name, "signature_algo") == 0) {
		check_u64_field(rep->signature_algo, want, name, file);
	} else if (strcmp(name, "key_info") == 0) {
		check_u64_field(rep->key_info, want, name, file);
	} else if (strcmp(name, "signing_key") == 0) {
		CHECK(strlen(want) < sizeof(buf));
		snprintf(buf, sizeof(buf), "%s", snp_signing_key_name(rep->signing_key));
		/* EXPECTED.tsv spells it upper case. */
		for (size_t i = 0; buf[i] != '\0'; i++)
			buf[i] =
			    (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 'a' + 'A' : buf[i]);
		CHECK_STR_EQ(buf, want);
	} else if (strcmp(name, "platform_info") == 0) {
		check_u64_field(rep->platform_info, want, name, file);
	} else if (strcmp(name, "current_tcb") == 0) {
		check_u64_field(rep->current_tcb, want, name, file);
	} else if (strcmp(name, "reported_tcb") == 0) {
		check_u64_field(rep->reported_tcb, want, name, file);
	} else if (strcmp(name, "committed_tcb") == 0) {
		check_u64_field(rep->committed_tcb, want, name, file);
	} else if (strcmp(name, "launch_tcb") == 0) {
		check_u64_field(rep->launch_tcb, want, name, file);
	} else if (strcmp(name, "reported_tcb_fields") == 0) {
		CHECK_OK(tcb_fields_string(rep->reported_tcb, product, buf, sizeof(buf)));
		if (strcmp(buf, want) != 0)
			fprintf(stderr, "%s: %s\n", file, name);
		CHECK_STR_EQ(buf, want);
	} else if (strcmp(name, "cpuid_fam_mod_step") == 0) {
		snprintf(buf, sizeof(buf), "%02x/%02x/%02x", rep->cpuid_fam_id, rep->cpuid_mod_id,
		    rep->cpuid_step);
		CHECK_STR_EQ(buf, want);
	} else if (strcmp(name, "current_fw") == 0) {
		check_fw_field(&rep->current_fw, want, name, file);
	} else if (strcmp(name, "committed_fw") == 0) {
		check_fw_field(&rep->committed_fw, want, name, file);
	} else if (strcmp(name, "chip_id") == 0) {
		check_hex_field(rep->chip_id, sizeof(rep->chip_id), want, name, file);
	} else if (strcmp(name, "measurement") == 0) {
		check_hex_field(rep->measurement, sizeof(rep->measurement), want, name, file);
	} else if (strcmp(name, "report_data") == 0) {
		check_hex_field(rep->report_data, sizeof(rep->report_data), want, name, file);
	} else if (strcmp(name, "host_data") == 0) {
		check_hex_field(rep->host_data, sizeof(rep->host_data), want, name, file);
	} else if (strcmp(name, "report_sha256") == 0) {
		uint8_t digest[crypto_hash_sha256_BYTES];

		CHECK(crypto_hash_sha256(digest, file_data, SNP_REPORT_SIZE) == 0);
		check_hex_field(digest, sizeof(digest), want, name, file);
		/* The parser keeps the exact bytes, so the copy hashes the same. */
		CHECK(crypto_hash_sha256(digest, rep->raw, SNP_REPORT_SIZE) == 0);
		check_hex_field(digest, sizeof(digest), want, "raw copy", file);
	} else {
		fprintf(stderr, "EXPECTED.tsv column \"%s\" is not checked by this test\n", name);
		return -1;
	}
	return 0;
}

static void
test_expected_tsv(void)
{
	static const char *const required[] = {
		"report",
		"product",
		"version",
		"guest_svn",
		"policy",
		"vmpl",
		"signature_algo",
		"key_info",
		"signing_key",
		"platform_info",
		"current_tcb",
		"reported_tcb",
		"reported_tcb_fields",
		"committed_tcb",
		"launch_tcb",
		"cpuid_fam_mod_step",
		"current_fw",
		"committed_fw",
		"chip_id",
		"measurement",
		"report_data",
		"host_data",
		"report_sha256",
	};
	char *header[MAX_COLS + 1];
	size_t len = 0, ncols, i, rows = 0, versions[6] = { 0 };
	uint8_t *tsv = test_read_vector("EXPECTED.tsv", &len);
	char *save = NULL, *line;
	size_t col_report = MAX_COLS, col_product = MAX_COLS;

	line = strtok_r((char *)tsv, "\n", &save);
	CHECK(line != NULL);
	if (line == NULL)
		goto out;
	ncols = split_tabs(line, header, MAX_COLS);
	CHECK(ncols <= MAX_COLS);
	if (ncols > MAX_COLS)
		goto out;
	for (i = 0; i < KBS_ARRAY_SIZE(required); i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < ncols; j++)
			found |= strcmp(header[j], required[i]) == 0;
		if (!found)
			fprintf(stderr, "EXPECTED.tsv lacks column %s\n", required[i]);
		CHECK(found);
	}
	for (i = 0; i < ncols; i++) {
		if (strcmp(header[i], "report") == 0)
			col_report = i;
		if (strcmp(header[i], "product") == 0)
			col_product = i;
	}
	CHECK(col_report < ncols && col_product < ncols);
	if (col_report >= ncols || col_product >= ncols)
		goto out;

	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *cols[MAX_COLS + 1];
		struct snp_report *rep = calloc(1, sizeof(*rep));
		enum snp_product product = SNP_PRODUCT_UNKNOWN;
		uint8_t *data;
		size_t n;

		CHECK(rep != NULL);
		if (rep == NULL)
			break;
		n = split_tabs(line, cols, MAX_COLS);
		CHECK_UINT_EQ(n, ncols);
		if (n != ncols) {
			free(rep);
			continue;
		}
		data = load_report(cols[col_report]);
		CHECK_OK(snp_product_from_name(cols[col_product], &product));
		if (snp_report_parse(data, SNP_REPORT_SIZE, rep) != 0) {
			fprintf(stderr, "%s does not parse\n", cols[col_report]);
			CHECK(0);
		} else {
			CHECK_MEM_EQ(rep->raw, data, SNP_REPORT_SIZE);
			for (i = 0; i < ncols; i++)
				CHECK(check_column(header[i], cols[i], rep, product, data,
					  cols[col_report]) == 0);
			if (rep->version < KBS_ARRAY_SIZE(versions))
				versions[rep->version]++;
		}
		rows++;
		free(data);
		free(rep);
	}
	/* The vectors hold every accepted version; make sure none went missing. */
	CHECK(rows >= 26);
	CHECK(versions[2] > 0 && versions[3] > 0 && versions[5] > 0);
out:
	free(tsv);
}

/* ---- field details ---------------------------------------------------- */

static void
test_fields_v5_turin(void)
{
	static struct snp_report rep;
	uint8_t *data = load_report("oak/turin_oc_report.bin");
	enum snp_product p = SNP_PRODUCT_UNKNOWN;

	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_UINT_EQ(rep.version, 5);
	CHECK_UINT_EQ(rep.cpuid_fam_id, 0x1a);
	CHECK_UINT_EQ(rep.cpuid_mod_id, 0x02);
	CHECK_UINT_EQ(rep.cpuid_step, 0x01);
	CHECK_OK(snp_report_product(&rep, &p));
	CHECK_INT_EQ(p, SNP_PRODUCT_TURIN);
	/* Signature components: the first 48 bytes from the file, zero padding. */
	CHECK_MEM_EQ(rep.signature_r, data + 0x2a0, SNP_SIG_COMPONENT_SIZE);
	CHECK_MEM_EQ(rep.signature_s, data + 0x2e8, SNP_SIG_COMPONENT_SIZE);
	CHECK_MEM_EQ(rep.family_id, data + 0x10, 16);
	CHECK_MEM_EQ(rep.image_id, data + 0x20, 16);
	CHECK_MEM_EQ(rep.id_key_digest, data + 0xe0, 48);
	CHECK_MEM_EQ(rep.author_key_digest, data + 0x110, 48);
	CHECK_MEM_EQ(rep.report_id, data + 0x140, 32);
	CHECK_MEM_EQ(rep.report_id_ma, data + 0x160, 32);
	free(data);
}

static void
test_mit_vectors_v5(void)
{
	static struct snp_report rep;
	uint8_t *data = load_report("atakit-gcp/milan_report.bin");

	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_UINT_EQ(rep.version, 5);
	CHECK_UINT_EQ(rep.launch_mit_vector, 0x0b);
	CHECK_UINT_EQ(rep.current_mit_vector, 0x0b);
	/* Any value is a valid mitigation vector in v5. */
	memset(data + 0x1f8, 0xff, 16);
	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_UINT_EQ(rep.launch_mit_vector, UINT64_MAX);
	CHECK_UINT_EQ(rep.current_mit_vector, UINT64_MAX);
	free(data);
}

static void
test_v2_fields_zero(void)
{
	static struct snp_report rep;
	uint8_t *data = load_report("go-sev-guest/milan_report.bin");
	enum snp_product p = SNP_PRODUCT_MILAN;

	memset(&rep, 0xa5, sizeof(rep));
	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_UINT_EQ(rep.version, 2);
	CHECK_UINT_EQ(rep.cpuid_fam_id, 0);
	CHECK_UINT_EQ(rep.cpuid_mod_id, 0);
	CHECK_UINT_EQ(rep.cpuid_step, 0);
	CHECK_UINT_EQ(rep.launch_mit_vector, 0);
	CHECK_UINT_EQ(rep.current_mit_vector, 0);
	CHECK_ERR(snp_report_product(&rep, &p), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_INT_EQ(p, SNP_PRODUCT_MILAN);
	free(data);
}

static void
test_report_product_errors(void)
{
	static struct snp_report rep;
	uint8_t *data = load_report("oak/genoa_oc_report.bin");
	enum snp_product p = SNP_PRODUCT_TURIN;

	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_OK(snp_report_product(&rep, &p));
	CHECK_INT_EQ(p, SNP_PRODUCT_GENOA);
	/* A v3+ report with CPUID bytes of no known product. */
	data[0x188] = 0x17; /* Rome family: no SEV-SNP product we pin */
	data[0x189] = 0x31;
	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	p = SNP_PRODUCT_TURIN;
	CHECK_ERR(snp_report_product(&rep, &p), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_INT_EQ(p, SNP_PRODUCT_TURIN);
	data[0x188] = 0;
	data[0x189] = 0;
	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_ERR(snp_report_product(&rep, &p), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_report_product(NULL, &p), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_report_product(&rep, NULL), KBS_ERR_INVALID_ARGUMENT);
	free(data);
}

static void
test_tampered_parse(void)
{
	static const char *const files[] = {
		"tampered/milan_measurement_bitflip.bin",
		"tampered/genoa_signature_bitflip.bin",
		"tampered/turin_reported_tcb_bitflip.bin",
	};
	static struct snp_report rep;
	size_t i;

	/* Their damage is in signed bytes or the signature: only verification finds it. */
	for (i = 0; i < KBS_ARRAY_SIZE(files); i++) {
		uint8_t *data = load_report(files[i]);

		CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
		free(data);
	}
}

/* ---- negative cases ---------------------------------------------------- */

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
test_lengths(void)
{
	uint8_t *data = load_report("oak/genoa_oc_report.bin");
	uint8_t *big = calloc(1, SNP_REPORT_SIZE + 1);
	static struct snp_report rep;

	CHECK(big != NULL);
	if (big == NULL)
		goto out;
	memcpy(big, data, SNP_REPORT_SIZE);
	check_parse_fails(NULL, 0, KBS_ERR_REPORT_LENGTH, "NULL, 0");
	check_parse_fails(data, 0, KBS_ERR_REPORT_LENGTH, "0");
	check_parse_fails(data, 1, KBS_ERR_REPORT_LENGTH, "1");
	check_parse_fails(data, SNP_REPORT_SIZE - 1, KBS_ERR_REPORT_LENGTH, "1183");
	check_parse_fails(big, SNP_REPORT_SIZE + 1, KBS_ERR_REPORT_LENGTH, "1185");
	check_parse_fails(big, 2 * SNP_REPORT_SIZE, KBS_ERR_REPORT_LENGTH, "2368");
	/* The length check comes first, so a huge length is never read. */
	check_parse_fails(data, SIZE_MAX, KBS_ERR_REPORT_LENGTH, "SIZE_MAX");
	check_parse_fails(data, SIZE_MAX / 2, KBS_ERR_REPORT_LENGTH, "SIZE_MAX/2");
	check_parse_fails(NULL, SNP_REPORT_SIZE, KBS_ERR_INVALID_ARGUMENT, "NULL, 1184");
	CHECK_ERR(snp_report_parse(data, SNP_REPORT_SIZE, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(snp_report_parse(big, SNP_REPORT_SIZE, &rep));
out:
	free(big);
	free(data);
}

static void
test_versions(void)
{
	static const uint32_t bad[] = { 0, 1, 4, 6, 7, 0x100, 0x02000000, UINT32_MAX };
	uint8_t *data = load_report("oak/genoa_oc_report.bin");
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		char what[32];

		snprintf(what, sizeof(what), "version %u", bad[i]);
		put_u32(data, bad[i]);
		check_parse_fails(data, SNP_REPORT_SIZE, KBS_ERR_REPORT_VERSION, what);
	}
	free(data);
}

static void
test_sig_algo(void)
{
	static const uint32_t bad[] = { 0, 2, 3, 0x101, UINT32_MAX };
	uint8_t *data = load_report("trustee/milan_vcek_report.bin");
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		put_u32(data + 0x34, bad[i]);
		check_parse_fails(data, SNP_REPORT_SIZE, KBS_ERR_REPORT_SIG_ALGO, "sig algo");
	}
	free(data);
}

static void
test_signing_key(void)
{
	uint8_t *data = load_report("trustee/milan_vlek_report.bin");
	static struct snp_report rep;
	uint32_t k;

	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_INT_EQ(rep.signing_key, SNP_SIGNING_KEY_VLEK);
	for (k = 2; k <= 7; k++) {
		put_u32(data + 0x48, k << 2);
		check_parse_fails(data, SNP_REPORT_SIZE, KBS_ERR_REPORT_SIGNING_KEY, "signing key");
		/* The author-key and mask-chip-key bits do not change that. */
		put_u32(data + 0x48, (k << 2) | 3);
		check_parse_fails(data, SNP_REPORT_SIZE, KBS_ERR_REPORT_SIGNING_KEY, "signing key");
	}
	/* VCEK with author key and masked chip key: both flag bits are legal. */
	put_u32(data + 0x48, 3);
	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_INT_EQ(rep.signing_key, SNP_SIGNING_KEY_VCEK);
	CHECK_UINT_EQ(rep.key_info, 3);
	/* key_info bits 31:5 are reserved. */
	for (k = 5; k < 32; k++) {
		put_u32(data + 0x48, 1u << k);
		check_parse_fails(data, SNP_REPORT_SIZE, KBS_ERR_REPORT_RESERVED, "key_info bit");
	}
	free(data);
}

static void
test_vmpl(void)
{
	static const uint32_t bad[] = { 4, 5, 0x100, 0x80000000u, UINT32_MAX };
	uint8_t *data = load_report("trustee/milan_vlek_report.bin");
	static struct snp_report rep;
	uint32_t v;
	size_t i;

	for (v = 0; v <= 3; v++) {
		put_u32(data + 0x30, v);
		CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
		CHECK_UINT_EQ(rep.vmpl, v);
	}
	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		put_u32(data + 0x30, bad[i]);
		check_parse_fails(data, SNP_REPORT_SIZE, KBS_ERR_REPORT_VMPL, "vmpl");
	}
	free(data);
}

/*
 * What flipping a byte at off means for a report of the given version:
 * 0 (any value is a legal field value) or the error the parser must give.
 */
static int
expected_for_offset(uint32_t version, size_t off)
{
	if (off < 0x04)
		return KBS_ERR_REPORT_VERSION;
	if (off >= 0x30 && off < 0x34)
		return KBS_ERR_REPORT_VMPL;
	if (off >= 0x34 && off < 0x38)
		return KBS_ERR_REPORT_SIG_ALGO;
	if (off == 0x48)
		return KBS_ERR_REPORT_SIGNING_KEY; /* 0xff names signing key 7 */
	if (off >= 0x49 && off < 0x50)
		return KBS_ERR_REPORT_RESERVED; /* key_info bits 31:8, then 0x4C..0x4F */
	if (off >= 0x188 && off < 0x18b)
		return version >= 3 ? 0 : KBS_ERR_REPORT_RESERVED;
	if (off >= 0x18b && off < 0x1a0)
		return KBS_ERR_REPORT_RESERVED;
	if (off == 0x1eb || off == 0x1ef)
		return KBS_ERR_REPORT_RESERVED;
	if (off >= 0x1f8 && off < 0x208)
		return version >= 5 ? 0 : KBS_ERR_REPORT_RESERVED;
	if (off >= 0x208 && off < SNP_REPORT_SIGNED_SIZE)
		return KBS_ERR_REPORT_RESERVED;
	if (off >= 0x2a0 + 48 && off < 0x2a0 + 72)
		return KBS_ERR_REPORT_SIG_FORMAT;
	if (off >= 0x2e8 + 48 && off < 0x2e8 + 72)
		return KBS_ERR_REPORT_SIG_FORMAT;
	if (off >= 0x330)
		return KBS_ERR_REPORT_SIG_FORMAT;
	return 0;
}

static void
sweep(const char *rel, uint32_t want_version)
{
	static struct snp_report rep, before;
	uint8_t *data = load_report(rel);
	size_t off;

	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_UINT_EQ(rep.version, want_version);
	for (off = 0; off < SNP_REPORT_SIZE; off++) {
		int want = expected_for_offset(want_version, off), r;

		data[off] ^= 0xff;
		memset(&rep, 0x5a, sizeof(rep));
		memcpy(&before, &rep, sizeof(rep));
		r = snp_report_parse(data, SNP_REPORT_SIZE, &rep);
		if (r != want)
			fprintf(stderr, "%s: offset 0x%zx\n", rel, off);
		CHECK_ERR(r, want);
		if (want == 0)
			CHECK_MEM_EQ(rep.raw, data, SNP_REPORT_SIZE);
		else
			CHECK(memcmp(&rep, &before, sizeof(rep)) == 0);
		data[off] ^= 0xff;
	}
	free(data);
}

static void
test_sweep_v2(void)
{
	sweep("virtee-sev/milan_report.bin", 2);
}

static void
test_sweep_v3(void)
{
	sweep("trustee-azure/genoa_report.bin", 3);
}

static void
test_sweep_v5(void)
{
	sweep("oak/turin_oc_report.bin", 5);
}

static void
test_reserved_single_bits(void)
{
	/* A single low bit, not just 0xff, in each reserved area is enough. */
	static const struct {
		uint32_t version;
		size_t off;
		int want;
	} cases[] = {
		{ 2, 0x4c, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x4f, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x188, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x18a, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x18b, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x19f, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x1eb, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x1ef, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x1f8, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x207, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x208, KBS_ERR_REPORT_RESERVED },
		{ 2, 0x29f, KBS_ERR_REPORT_RESERVED },
		{ 3, 0x1f8, KBS_ERR_REPORT_RESERVED },
		{ 3, 0x200, KBS_ERR_REPORT_RESERVED },
		{ 3, 0x18b, KBS_ERR_REPORT_RESERVED },
		{ 5, 0x208, KBS_ERR_REPORT_RESERVED },
		{ 5, 0x2a0 + 48, KBS_ERR_REPORT_SIG_FORMAT },
		{ 5, 0x2a0 + 71, KBS_ERR_REPORT_SIG_FORMAT },
		{ 5, 0x2e8 + 48, KBS_ERR_REPORT_SIG_FORMAT },
		{ 5, 0x2e8 + 71, KBS_ERR_REPORT_SIG_FORMAT },
		{ 5, 0x330, KBS_ERR_REPORT_SIG_FORMAT },
		{ 5, 0x49f, KBS_ERR_REPORT_SIG_FORMAT },
	};
	static const char *const by_version[6] = {
		[2] = "go-sev-guest/milan_report.bin",
		[3] = "oak/milan_cb_report.bin",
		[5] = "routex-client-lua/genoa_v5_report.bin",
	};
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		uint8_t *data = load_report(by_version[cases[i].version]);
		char what[64];

		snprintf(what, sizeof(what), "v%u offset 0x%zx", cases[i].version, cases[i].off);
		data[cases[i].off] |= 0x01;
		check_parse_fails(data, SNP_REPORT_SIZE, cases[i].want, what);
		data[cases[i].off] = 0x80;
		check_parse_fails(data, SNP_REPORT_SIZE, cases[i].want, what);
		free(data);
	}
}

static void
test_v3_cpuid_read(void)
{
	static struct snp_report rep;
	uint8_t *data = load_report("go-sev-guest/milan_report.bin");
	enum snp_product p = SNP_PRODUCT_UNKNOWN;

	/* The same bytes that are reserved in v2 are CPUID in v3. */
	data[0x188] = 0x19;
	data[0x189] = 0x01;
	data[0x18a] = 0x01;
	check_parse_fails(data, SNP_REPORT_SIZE, KBS_ERR_REPORT_RESERVED, "v2 with cpuid");
	put_u32(data, 3);
	CHECK_OK(snp_report_parse(data, SNP_REPORT_SIZE, &rep));
	CHECK_UINT_EQ(rep.cpuid_fam_id, 0x19);
	CHECK_UINT_EQ(rep.cpuid_mod_id, 0x01);
	CHECK_UINT_EQ(rep.cpuid_step, 0x01);
	CHECK_OK(snp_report_product(&rep, &p));
	CHECK_INT_EQ(p, SNP_PRODUCT_MILAN);
	free(data);
}

TEST_MAIN(TEST(test_expected_tsv), TEST(test_fields_v5_turin), TEST(test_mit_vectors_v5),
    TEST(test_v2_fields_zero), TEST(test_report_product_errors), TEST(test_tampered_parse),
    TEST(test_lengths), TEST(test_versions), TEST(test_sig_algo), TEST(test_signing_key),
    TEST(test_vmpl), TEST(test_sweep_v2), TEST(test_sweep_v3), TEST(test_sweep_v5),
    TEST(test_reserved_single_bits), TEST(test_v3_cpuid_read))
