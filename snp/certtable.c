/*
 * certtable.c: the certificate table of the SNP extended guest request
 * (GHCB specification, "SNP Extended Guest Request"), as a guest receives
 * it from the hypervisor next to its attestation report.
 *
 * Format: a sequence of 24-byte entries
 *     GUID[16]  offset (u32 LE)  length (u32 LE)
 * ended by an all-zero entry, followed by the certificates (DER). Offsets
 * count from the start of the table buffer. The GUIDs name the kind:
 *     VCEK 63da758d-e664-4564-adc5-f4b93be8accd
 *     VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1
 *     ASK  4ab7b379-bbac-4fe4-a02f-05aef327c782
 *     ARK  c0b406a4-a803-4952-9743-3fb6014cd0ae
 * The GHCB specification defines no ASVK GUID: hosts serving a VLEK put the
 * ASVK in the ASK slot (which one it is, the chain code sees from the
 * certificate). Other GUIDs (a CRL, vendor extras) are checked for shape
 * and skipped.
 *
 * Byte order of the GUIDs: the 16 bytes are the hex digits in the order
 * they are written (RFC 4122 / libuuid uuid_parse order, 63 da 75 8d ...),
 * not the mixed-endian Microsoft/EFI GUID layout. AMD's own host tool
 * (AMDESE sev-guest, cert-table.c) fills the entry with uuid_parse(), and
 * virtee/sev writes Uuid::as_bytes() (its table test expects ARK as
 * c0 b4 06 a4 a8 03 49 52 ...). A table written with mixed-endian GUIDs
 * therefore names no known certificate here.
 *
 * Limits and strictness: at most SNP_CERTTABLE_MAX_ENTRIES entries before
 * the terminator; a zero GUID with a non-zero offset or length is not a
 * terminator but an error; every entry (known or not) must have a non-zero
 * length and lie within the buffer, after the table and its terminator, so
 * certificate bytes can never alias table bytes; a known GUID may appear
 * once. Bytes after the last certificate (page padding) are ignored.
 * Nothing is allocated; results point into the caller's buffer.
 */
#include "certtable-int.h"

#include <sodium.h>
#include <string.h>

#include "kbs_common.h"

#define GUID_SIZE 16

struct known_guid {
	uint8_t guid[GUID_SIZE];
	enum snp_certtable_kind kind;
	const char *name;
};

static const struct known_guid known_guids[SNP_CERTTABLE_KIND_COUNT] = {
	{ { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8,
	      0xac, 0xcd },
	    SNP_CERTTABLE_VCEK, "vcek" },
	{ { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0,
	      0xb8, 0xa1 },
	    SNP_CERTTABLE_VLEK, "vlek" },
	{ { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27,
	      0xc7, 0x82 },
	    SNP_CERTTABLE_ASK, "ask" },
	{ { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c,
	      0xd0, 0xae },
	    SNP_CERTTABLE_ARK, "ark" },
};

const char *
snp_certtable_kind_name(enum snp_certtable_kind kind)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(known_guids); i++) {
		if (known_guids[i].kind == kind)
			return known_guids[i].name;
	}
	return "unknown";
}

static const struct known_guid *
lookup_guid(const uint8_t guid[GUID_SIZE])
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(known_guids); i++) {
		if (memcmp(known_guids[i].guid, guid, GUID_SIZE) == 0)
			return &known_guids[i];
	}
	return NULL;
}

struct raw_entry {
	const uint8_t *guid;
	uint32_t offset;
	uint32_t length;
};

/*
 * read_entries reads entries up to and including the terminator into
 * raw[0..*ret_n) (terminator excluded).
 */
static int
read_entries(struct kbs_buf *b, struct raw_entry raw[SNP_CERTTABLE_MAX_ENTRIES], size_t *ret_n)
{
	size_t n = 0;
	int r;

	for (;;) {
		struct raw_entry e;

		if ((r = kbs_buf_get_direct(b, GUID_SIZE, &e.guid)) != 0 ||
		    (r = kbs_buf_get_u32le(b, &e.offset)) != 0 ||
		    (r = kbs_buf_get_u32le(b, &e.length)) != 0)
			return KBS_ERR_CERTTABLE_PARSE; /* ran out before the terminator */
		if (sodium_is_zero(e.guid, GUID_SIZE)) {
			if (e.offset != 0 || e.length != 0)
				return KBS_ERR_CERTTABLE_PARSE;
			*ret_n = n;
			return 0;
		}
		if (n == SNP_CERTTABLE_MAX_ENTRIES)
			return KBS_ERR_CERTTABLE_PARSE;
		raw[n++] = e;
	}
}

int
snp_certtable_entries(
    const uint8_t *data, size_t len, struct snp_certtable_entry *ret, size_t max, size_t *ret_count)
{
	struct raw_entry raw[SNP_CERTTABLE_MAX_ENTRIES];
	struct snp_certtable_entry found[SNP_CERTTABLE_KIND_COUNT];
	int seen[SNP_CERTTABLE_KIND_COUNT] = { 0 };
	size_t n = 0, nfound = 0, header, i;
	struct kbs_buf b;
	int r = KBS_ERR_INTERNAL;

	if ((data == NULL && len != 0) || ret_count == NULL || (ret == NULL && max != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	kbs_buf_init(&b, data, len);
	if ((r = read_entries(&b, raw, &n)) != 0)
		return r;
	/* The table ends after the terminator; no certificate may start before. */
	header = len - kbs_buf_remaining(&b);
	for (i = 0; i < n; i++) {
		const struct known_guid *k;

		if (raw[i].length == 0 || raw[i].offset < header || raw[i].offset > len ||
		    raw[i].length > len - raw[i].offset)
			return KBS_ERR_CERTTABLE_PARSE;
		if ((k = lookup_guid(raw[i].guid)) == NULL)
			continue;
		if (seen[k->kind])
			return KBS_ERR_CERTTABLE_DUPLICATE;
		seen[k->kind] = 1;
		found[nfound].kind = k->kind;
		found[nfound].data = data + raw[i].offset;
		found[nfound].len = raw[i].length;
		nfound++;
	}
	if (nfound > max)
		return KBS_ERR_BUFFER_TOO_SMALL;
	for (i = 0; i < nfound; i++)
		ret[i] = found[i];
	*ret_count = nfound;
	return 0;
}
