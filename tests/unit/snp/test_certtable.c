/*
 * test_certtable.c: snp_certtable_entries, the extended report certificate
 * table walker.
 *
 * Tables are built here from the real DER certificates in tests/vectors/snp
 * (a Milan VCEK, the Milan ASK and ARK, a VLEK and its ASVK), laid out as
 * AMD's host tool lays them out: entries, an all-zero terminator, then the
 * certificates. The GUID bytes are derived in this file from the textual
 * GUIDs in RFC 4122 order, independently of certtable.c's constants.
 * snp_certtable_parse is tested end to end: the certificates it adds from
 * a table verify a genuine VCEK-signed and a genuine VLEK-signed report.
 */
#include "certtable-int.h"
#include "snp.h"
#include "test.h"

#define TABLE_CAP 16384

static const char *const guid_vcek = "63da758d-e664-4564-adc5-f4b93be8accd";
static const char *const guid_vlek = "a8074bc2-a25a-483e-aae6-39c045a0b8a1";
static const char *const guid_ask = "4ab7b379-bbac-4fe4-a02f-05aef327c782";
static const char *const guid_ark = "c0b406a4-a803-4952-9743-3fb6014cd0ae";
/* A CRL GUID some hosts use; not one we take, so it must be skipped. */
static const char *const guid_crl = "92f81bc3-5811-4d3d-97ff-d19f88dc67ea";

struct cert {
	uint8_t *der;
	size_t len;
};

static struct cert vcek, vlek, ask, asvk, ark;

static void
load_certs(void)
{
	if (vcek.der != NULL)
		return;
	vcek.der = test_read_vector("oak/milan_oc_vcek.der", &vcek.len);
	vlek.der = test_read_vector("trustee/milan_vlek.der", &vlek.len);
	ask.der = test_read_vector("amd/ask_milan.der", &ask.len);
	asvk.der = test_read_vector("amd/asvk_milan.der", &asvk.len);
	ark.der = test_read_vector("amd/ark_milan.der", &ark.len);
}

/* guid_bytes: RFC 4122 order, the hex digits as written. */
static void
guid_bytes(const char *text, uint8_t out[16])
{
	char hex[33];
	size_t i, j = 0;

	for (i = 0; text[i] != '\0' && j < 32; i++) {
		if (text[i] != '-')
			hex[j++] = text[i];
	}
	hex[j] = '\0';
	CHECK_UINT_EQ(j, 32);
	CHECK_OK(kbs_hex_decode_exact(hex, 32, out, 16));
}

/* guid_bytes_mixed: the Microsoft/EFI layout (first three groups little-endian). */
static void
guid_bytes_mixed(const char *text, uint8_t out[16])
{
	uint8_t b[16];

	guid_bytes(text, b);
	out[0] = b[3];
	out[1] = b[2];
	out[2] = b[1];
	out[3] = b[0];
	out[4] = b[5];
	out[5] = b[4];
	out[6] = b[7];
	out[7] = b[6];
	memcpy(out + 8, b + 8, 8);
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A table under construction: entries first, certificates after. */
struct table {
	uint8_t buf[TABLE_CAP];
	size_t nentries;
	size_t len; /* bytes used, table and certificates */
};

static void
table_init(struct table *t, size_t nentries)
{
	memset(t->buf, 0, sizeof(t->buf));
	t->nentries = 0;
	t->len = (nentries + 1) * SNP_CERTTABLE_ENTRY_SIZE; /* entries plus terminator */
}

static void
table_entry_raw(struct table *t, const uint8_t guid[16], uint32_t offset, uint32_t length)
{
	uint8_t *e = t->buf + t->nentries * SNP_CERTTABLE_ENTRY_SIZE;

	memcpy(e, guid, 16);
	put_u32(e + 16, offset);
	put_u32(e + 20, length);
	t->nentries++;
}

/* table_add appends data after what is there and adds an entry for it. */
static size_t
table_add(struct table *t, const char *guid, const uint8_t *data, size_t len)
{
	uint8_t g[16];
	size_t off = t->len;

	guid_bytes(guid, g);
	CHECK(len <= TABLE_CAP - t->len);
	memcpy(t->buf + off, data, len);
	t->len += len;
	table_entry_raw(t, g, (uint32_t)off, (uint32_t)len);
	return off;
}

static void
check_fails(const uint8_t *data, size_t len, int want, const char *what)
{
	struct snp_certtable_entry out[4], before[4];
	size_t count = 77;
	int r;

	memset(out, 0xa5, sizeof(out));
	memcpy(before, out, sizeof(out));
	r = snp_certtable_entries(data, len, out, 4, &count);
	if (r != want)
		fprintf(stderr, "case: %s\n", what);
	CHECK_ERR(r, want);
	CHECK_UINT_EQ(count, 77);
	CHECK(memcmp(out, before, sizeof(out)) == 0);
}

static void
check_entry(const struct snp_certtable_entry *e, enum snp_certtable_kind kind,
    const struct table *t, size_t off, const struct cert *c)
{
	CHECK_INT_EQ(e->kind, kind);
	CHECK(e->data == t->buf + off);
	CHECK_UINT_EQ(e->len, c->len);
	if (e->len == c->len)
		CHECK_MEM_EQ(e->data, c->der, c->len);
}

static struct table t; /* large: keep it off the stack */

static void
test_vcek_ask_ark(void)
{
	struct snp_certtable_entry out[4];
	size_t n = 0, off_vcek, off_ask, off_ark;

	load_certs();
	table_init(&t, 3);
	off_vcek = table_add(&t, guid_vcek, vcek.der, vcek.len);
	off_ask = table_add(&t, guid_ask, ask.der, ask.len);
	off_ark = table_add(&t, guid_ark, ark.der, ark.len);
	/* AMD's tool puts the first certificate right after the terminator. */
	CHECK_UINT_EQ(off_vcek, 4 * SNP_CERTTABLE_ENTRY_SIZE);
	CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 4, &n));
	CHECK_UINT_EQ(n, 3);
	check_entry(&out[0], SNP_CERTTABLE_VCEK, &t, off_vcek, &vcek);
	check_entry(&out[1], SNP_CERTTABLE_ASK, &t, off_ask, &ask);
	check_entry(&out[2], SNP_CERTTABLE_ARK, &t, off_ark, &ark);
	/* Page padding after the certificates is ignored. */
	CHECK_OK(snp_certtable_entries(t.buf, 3 * 4096, out, 4, &n));
	CHECK_UINT_EQ(n, 3);
	/* Exactly enough room in ret is fine, one less is not. */
	CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 3, &n));
	check_fails(t.buf, t.len - 1, KBS_ERR_CERTTABLE_PARSE, "last cert one byte short");
	{
		struct snp_certtable_entry small[2];
		size_t count = 9;

		CHECK_ERR(snp_certtable_entries(t.buf, t.len, small, 2, &count),
		    KBS_ERR_BUFFER_TOO_SMALL);
		CHECK_UINT_EQ(count, 9);
	}
	CHECK_STR_EQ(snp_certtable_kind_name(SNP_CERTTABLE_VCEK), "vcek");
	CHECK_STR_EQ(snp_certtable_kind_name(SNP_CERTTABLE_VLEK), "vlek");
	CHECK_STR_EQ(snp_certtable_kind_name(SNP_CERTTABLE_ASK), "ask");
	CHECK_STR_EQ(snp_certtable_kind_name(SNP_CERTTABLE_ARK), "ark");
	CHECK_STR_EQ(snp_certtable_kind_name((enum snp_certtable_kind)9), "unknown");
}

static void
test_vlek_asvk_ark_reordered(void)
{
	struct snp_certtable_entry out[4];
	size_t n = 0, off_vlek, off_asvk, off_ark;

	load_certs();
	/* ARK first, ASVK in the ASK slot (the spec has no ASVK GUID), VLEK last. */
	table_init(&t, 3);
	off_ark = table_add(&t, guid_ark, ark.der, ark.len);
	off_asvk = table_add(&t, guid_ask, asvk.der, asvk.len);
	off_vlek = table_add(&t, guid_vlek, vlek.der, vlek.len);
	CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 4, &n));
	CHECK_UINT_EQ(n, 3);
	check_entry(&out[0], SNP_CERTTABLE_ARK, &t, off_ark, &ark);
	check_entry(&out[1], SNP_CERTTABLE_ASK, &t, off_asvk, &asvk);
	check_entry(&out[2], SNP_CERTTABLE_VLEK, &t, off_vlek, &vlek);
}

static void
test_unknown_guids_skipped(void)
{
	struct snp_certtable_entry out[4];
	uint8_t other[16] = { 0x01 };
	size_t n = 0, off_vcek;

	load_certs();
	table_init(&t, 4);
	(void)table_add(&t, guid_crl, (const uint8_t *)"crl bytes", 9);
	off_vcek = table_add(&t, guid_vcek, vcek.der, vcek.len);
	table_entry_raw(&t, other, (uint32_t)off_vcek, 16); /* may share bytes */
	(void)table_add(&t, "fbb6ed74-e73e-44ab-8893-4252792d737a", (const uint8_t *)"x", 1);
	CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 4, &n));
	CHECK_UINT_EQ(n, 1);
	check_entry(&out[0], SNP_CERTTABLE_VCEK, &t, off_vcek, &vcek);
	/* The same VCEK and VLEK GUIDs under two kinds are not duplicates. */
	table_init(&t, 2);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	(void)table_add(&t, guid_vlek, vlek.der, vlek.len);
	CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 4, &n));
	CHECK_UINT_EQ(n, 2);
}

static void
test_guid_byte_order(void)
{
	struct snp_certtable_entry out[4];
	uint8_t mixed[16];
	size_t n = 9;

	load_certs();
	/* The mixed-endian form of the VCEK GUID names no known certificate. */
	guid_bytes_mixed(guid_vcek, mixed);
	table_init(&t, 1);
	memcpy(t.buf + t.len, vcek.der, vcek.len);
	table_entry_raw(&t, mixed, (uint32_t)t.len, (uint32_t)vcek.len);
	t.len += vcek.len;
	CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 4, &n));
	CHECK_UINT_EQ(n, 0);
	/* The wire bytes of each GUID, pinned. */
	{
		static const uint8_t vcek_wire[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45,
			0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
		uint8_t g[16];

		guid_bytes(guid_vcek, g);
		CHECK_MEM_EQ(g, vcek_wire, 16);
	}
}

static void
test_empty_table(void)
{
	struct snp_certtable_entry out[4];
	uint8_t zero[4096] = { 0 };
	size_t n = 5;

	CHECK_OK(snp_certtable_entries(zero, SNP_CERTTABLE_ENTRY_SIZE, out, 4, &n));
	CHECK_UINT_EQ(n, 0);
	CHECK_OK(snp_certtable_entries(zero, sizeof(zero), out, 4, &n));
	CHECK_UINT_EQ(n, 0);
	/* An empty table needs no room in ret. */
	CHECK_OK(snp_certtable_entries(zero, sizeof(zero), NULL, 0, &n));
}

static void
test_unterminated(void)
{
	uint8_t zero[SNP_CERTTABLE_ENTRY_SIZE] = { 0 };
	size_t i;

	load_certs();
	check_fails(NULL, 0, KBS_ERR_CERTTABLE_PARSE, "empty buffer");
	check_fails(zero, 0, KBS_ERR_CERTTABLE_PARSE, "zero length");
	check_fails(zero, 1, KBS_ERR_CERTTABLE_PARSE, "1 byte");
	check_fails(zero, SNP_CERTTABLE_ENTRY_SIZE - 1, KBS_ERR_CERTTABLE_PARSE, "23 bytes");
	/* A valid table cut anywhere inside its entries or terminator. */
	table_init(&t, 2);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	(void)table_add(&t, guid_ark, ark.der, ark.len);
	for (i = 0; i < 3 * SNP_CERTTABLE_ENTRY_SIZE; i++)
		check_fails(t.buf, i, KBS_ERR_CERTTABLE_PARSE, "cut table");
	/* A non-zero byte anywhere in the terminator: no terminator at all. */
	for (i = 0; i < SNP_CERTTABLE_ENTRY_SIZE; i++) {
		uint8_t *term = t.buf + 2 * SNP_CERTTABLE_ENTRY_SIZE;

		term[i] = 0x01;
		check_fails(t.buf, 3 * SNP_CERTTABLE_ENTRY_SIZE, KBS_ERR_CERTTABLE_PARSE,
		    "terminator byte set, nothing after");
		term[i] = 0;
	}
}

static void
test_zero_guid_not_terminator(void)
{
	uint8_t zero_guid[16] = { 0 };

	load_certs();
	/* A zero GUID with an offset or a length is malformed, not an end. */
	table_init(&t, 2);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	table_entry_raw(&t, zero_guid, (uint32_t)(3 * SNP_CERTTABLE_ENTRY_SIZE), 0);
	check_fails(t.buf, t.len, KBS_ERR_CERTTABLE_PARSE, "zero guid, offset set");
	table_init(&t, 2);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	table_entry_raw(&t, zero_guid, 0, 1);
	check_fails(t.buf, t.len, KBS_ERR_CERTTABLE_PARSE, "zero guid, length set");
}

static void
test_bounds(void)
{
	uint8_t g[16];
	size_t hdr = 2 * SNP_CERTTABLE_ENTRY_SIZE;
	struct snp_certtable_entry out[4];
	size_t n = 0;
	static const struct {
		uint32_t offset, length;
		const char *what;
	} bad[] = {
		{ 0, 1, "offset 0: inside the table" },
		{ SNP_CERTTABLE_ENTRY_SIZE, 4, "inside the terminator" },
		{ 2 * SNP_CERTTABLE_ENTRY_SIZE - 1, 2, "starts in the terminator" },
		{ 2 * SNP_CERTTABLE_ENTRY_SIZE, 0, "zero length" },
		{ 2 * SNP_CERTTABLE_ENTRY_SIZE, 101, "one past the end" },
		{ 2 * SNP_CERTTABLE_ENTRY_SIZE + 100, 1, "starts at the end" },
		{ 2 * SNP_CERTTABLE_ENTRY_SIZE + 101, 1, "starts past the end" },
		{ 2 * SNP_CERTTABLE_ENTRY_SIZE, UINT32_MAX, "huge length" },
		{ UINT32_MAX, 1, "huge offset" },
		{ UINT32_MAX, UINT32_MAX, "both huge (wraps in 32 bits)" },
		{ 0x80000000u, 0x80000000u, "sum wraps to zero in 32 bits" },
	};
	size_t i, len = hdr + 100;

	guid_bytes(guid_vcek, g);
	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		table_init(&t, 1);
		table_entry_raw(&t, g, bad[i].offset, bad[i].length);
		check_fails(t.buf, len, KBS_ERR_CERTTABLE_PARSE, bad[i].what);
	}
	/* The same shape rules hold for an entry we would skip. */
	guid_bytes(guid_crl, g);
	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		table_init(&t, 1);
		table_entry_raw(&t, g, bad[i].offset, bad[i].length);
		check_fails(t.buf, len, KBS_ERR_CERTTABLE_PARSE, bad[i].what);
	}
	/* Boundaries that are fine: right after the terminator, up to the end. */
	guid_bytes(guid_vcek, g);
	table_init(&t, 1);
	table_entry_raw(&t, g, (uint32_t)hdr, 100);
	CHECK_OK(snp_certtable_entries(t.buf, len, out, 4, &n));
	CHECK_UINT_EQ(n, 1);
	CHECK(out[0].data == t.buf + hdr);
	CHECK_UINT_EQ(out[0].len, 100);
	table_init(&t, 1);
	table_entry_raw(&t, g, (uint32_t)(len - 1), 1);
	CHECK_OK(snp_certtable_entries(t.buf, len, out, 4, &n));
	CHECK(out[0].data == t.buf + len - 1);
}

static void
test_too_many_entries(void)
{
	struct snp_certtable_entry out[4];
	size_t i, n = 0;

	load_certs();
	/* SNP_CERTTABLE_MAX_ENTRIES entries are fine... */
	table_init(&t, SNP_CERTTABLE_MAX_ENTRIES);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	for (i = 1; i < SNP_CERTTABLE_MAX_ENTRIES; i++) {
		char guid[40];

		snprintf(guid, sizeof(guid), "%08zx-0000-4000-8000-000000000000", i);
		(void)table_add(&t, guid, (const uint8_t *)"z", 1);
	}
	CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 4, &n));
	CHECK_UINT_EQ(n, 1);
	/* ...one more is not, wherever the terminator comes. */
	table_init(&t, SNP_CERTTABLE_MAX_ENTRIES + 1);
	for (i = 0; i <= SNP_CERTTABLE_MAX_ENTRIES; i++) {
		char guid[40];

		snprintf(guid, sizeof(guid), "%08zx-0000-4000-8000-000000000000", i + 1);
		(void)table_add(&t, guid, (const uint8_t *)"z", 1);
	}
	check_fails(t.buf, t.len, KBS_ERR_CERTTABLE_PARSE, "17 entries");
	/* A buffer full of non-zero entries never terminates. */
	memset(t.buf, 0x11, sizeof(t.buf));
	check_fails(t.buf, sizeof(t.buf), KBS_ERR_CERTTABLE_PARSE, "all 0x11");
}

static void
test_duplicates(void)
{
	static const char *const *const guids[] = { &guid_vcek, &guid_vlek, &guid_ask, &guid_ark };
	size_t i;

	load_certs();
	for (i = 0; i < KBS_ARRAY_SIZE(guids); i++) {
		table_init(&t, 3);
		(void)table_add(&t, *guids[i], ark.der, ark.len);
		(void)table_add(&t, guid_crl, (const uint8_t *)"c", 1);
		(void)table_add(&t, *guids[i], ask.der, ask.len);
		check_fails(t.buf, t.len, KBS_ERR_CERTTABLE_DUPLICATE, "known guid twice");
	}
	/* Unknown GUIDs may repeat. */
	table_init(&t, 2);
	(void)table_add(&t, guid_crl, (const uint8_t *)"c", 1);
	(void)table_add(&t, guid_crl, (const uint8_t *)"d", 1);
	{
		struct snp_certtable_entry out[4];
		size_t n = 3;

		CHECK_OK(snp_certtable_entries(t.buf, t.len, out, 4, &n));
		CHECK_UINT_EQ(n, 0);
	}
}

static void
test_args(void)
{
	struct snp_certtable_entry out[4];
	uint8_t zero[SNP_CERTTABLE_ENTRY_SIZE] = { 0 };
	size_t n = 0;

	CHECK_ERR(snp_certtable_entries(NULL, 24, out, 4, &n), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    snp_certtable_entries(zero, sizeof(zero), out, 4, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_certtable_entries(zero, sizeof(zero), NULL, 4, &n), KBS_ERR_INVALID_ARGUMENT);
}

/* ---- snp_certtable_parse: the table into a certificate set ------------ */

static int64_t
at_time(const char *rfc3339)
{
	int64_t when = 0;

	CHECK_OK(kbs_time_parse_rfc3339(rfc3339, &when));
	return when;
}

/* verify_with_table parses report rel and verifies it with the table's certificates. */
static void
verify_with_table(const char *rel, const char *at, enum snp_signing_key want_signer)
{
	static struct snp_report rep;
	struct snp_verify_result res;
	struct snp_verify_options opts;
	struct snp_verifier *v = NULL;
	struct snp_certs *certs = NULL;
	size_t len = 0;
	uint8_t *data = test_read_vector(rel, &len);

	memset(&opts, 0, sizeof(opts));
	CHECK_OK(snp_report_parse(data, len, &rep));
	CHECK_OK(snp_certs_new(&certs));
	CHECK_OK(snp_verifier_new(&v));
	if (certs == NULL || v == NULL)
		goto out;
	CHECK_OK(snp_certtable_parse(t.buf, t.len, certs));
	CHECK_UINT_EQ(snp_certs_count(certs), 3);
	opts.at = at_time(at);
	CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
	CHECK_INT_EQ(res.signer, want_signer);
	CHECK_INT_EQ(res.product, SNP_PRODUCT_MILAN);
out:
	snp_verifier_free(v);
	snp_certs_free(certs);
	free(data);
}

static void
test_parse_verifies_vcek_report(void)
{
	load_certs();
	table_init(&t, 3);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	(void)table_add(&t, guid_ask, ask.der, ask.len);
	(void)table_add(&t, guid_ark, ark.der, ark.len);
	verify_with_table(
	    "oak/milan_oc_release_report.bin", "2025-02-14T00:00:00Z", SNP_SIGNING_KEY_VCEK);
}

static void
test_parse_verifies_vlek_report(void)
{
	load_certs();
	/* The ASVK travels in the ASK slot; a CRL entry is skipped. */
	table_init(&t, 4);
	(void)table_add(&t, guid_ark, ark.der, ark.len);
	(void)table_add(&t, guid_crl, (const uint8_t *)"not a crl", 9);
	(void)table_add(&t, guid_ask, asvk.der, asvk.len);
	(void)table_add(&t, guid_vlek, vlek.der, vlek.len);
	verify_with_table(
	    "trustee/milan_vlek_report.bin", "2025-01-09T00:00:00Z", SNP_SIGNING_KEY_VLEK);
}

/* check_parse_fails_set: the exact error and the set's size unchanged. */
static void
check_parse_fails_set(struct snp_certs *certs, int want, const char *what)
{
	size_t before = snp_certs_count(certs);
	int r = snp_certtable_parse(t.buf, t.len, certs);

	if (r != want)
		fprintf(stderr, "case: %s\n", what);
	CHECK_ERR(r, want);
	CHECK_UINT_EQ(snp_certs_count(certs), before);
}

static void
test_parse_errors(void)
{
	static const char pem_head[] = "-----BEGIN CERTIFICATE-----\n";
	struct snp_certs *certs = NULL;
	uint8_t *bad_ask = NULL;
	size_t i;

	load_certs();
	CHECK_OK(snp_certs_new(&certs));
	if (certs == NULL)
		return;
	/* One pre-existing certificate must survive every failure. */
	CHECK_OK(snp_certs_add(certs, ark.der, ark.len));

	/* Walker errors come through unchanged. */
	table_init(&t, 2);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	check_parse_fails_set(certs, KBS_ERR_CERTTABLE_DUPLICATE, "duplicate");
	t.len = 30;
	check_parse_fails_set(certs, KBS_ERR_CERTTABLE_PARSE, "unterminated");

	/* A broken ASK after a good VCEK: nothing is added (all or nothing). */
	bad_ask = malloc(ask.len);
	CHECK(bad_ask != NULL);
	if (bad_ask == NULL)
		goto out;
	memcpy(bad_ask, ask.der, ask.len);
	bad_ask[ask.len / 2] ^= 0xff;
	bad_ask[4] ^= 0x01; /* and the outer length, so it no longer parses */
	table_init(&t, 3);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	(void)table_add(&t, guid_ask, bad_ask, ask.len);
	(void)table_add(&t, guid_ark, ark.der, ark.len);
	check_parse_fails_set(certs, KBS_ERR_CERT_PARSE, "corrupt ASK");

	/* The table carries DER: PEM text in an entry is refused. */
	table_init(&t, 1);
	(void)table_add(&t, guid_vcek, (const uint8_t *)pem_head, sizeof(pem_head) - 1);
	check_parse_fails_set(certs, KBS_ERR_CERT_PARSE, "PEM entry");

	/* An entry that is not a certificate at all. */
	table_init(&t, 1);
	(void)table_add(&t, guid_ark, (const uint8_t *)"\x30\x03\x02\x01\x01", 5);
	check_parse_fails_set(certs, KBS_ERR_CERT_PARSE, "not a certificate");

	/* No room for three more: refused before anything is added. */
	for (i = snp_certs_count(certs); i < 14; i++)
		CHECK_OK(snp_certs_add(certs, ark.der, ark.len));
	CHECK_UINT_EQ(snp_certs_count(certs), 14);
	table_init(&t, 3);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	(void)table_add(&t, guid_ask, ask.der, ask.len);
	(void)table_add(&t, guid_ark, ark.der, ark.len);
	check_parse_fails_set(certs, KBS_ERR_TOO_LARGE, "set full");
	/* Two fit exactly. */
	table_init(&t, 2);
	(void)table_add(&t, guid_vcek, vcek.der, vcek.len);
	(void)table_add(&t, guid_ask, ask.der, ask.len);
	CHECK_OK(snp_certtable_parse(t.buf, t.len, certs));
	CHECK_UINT_EQ(snp_certs_count(certs), 16);

	/* An empty table adds nothing and is not an error. */
	table_init(&t, 0);
	CHECK_OK(snp_certtable_parse(t.buf, t.len, certs));
	CHECK_UINT_EQ(snp_certs_count(certs), 16);
	CHECK_ERR(snp_certtable_parse(t.buf, t.len, NULL), KBS_ERR_INVALID_ARGUMENT);
out:
	free(bad_ask);
	snp_certs_free(certs);
}

/* Last: frees what load_certs read, so ASan sees no leak. */
static void
test_cleanup(void)
{
	free(vcek.der);
	free(vlek.der);
	free(ask.der);
	free(asvk.der);
	free(ark.der);
	memset(&vcek, 0, sizeof(vcek));
}

TEST_MAIN(TEST(test_vcek_ask_ark), TEST(test_vlek_asvk_ark_reordered),
    TEST(test_unknown_guids_skipped), TEST(test_guid_byte_order), TEST(test_empty_table),
    TEST(test_unterminated), TEST(test_zero_guid_not_terminator), TEST(test_bounds),
    TEST(test_too_many_entries), TEST(test_duplicates), TEST(test_args),
    TEST(test_parse_verifies_vcek_report), TEST(test_parse_verifies_vlek_report),
    TEST(test_parse_errors), TEST(test_cleanup))
