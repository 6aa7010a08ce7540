/*
 * measure_ovmf.c: the GUIDed footer table and the SEV metadata of an edk2
 * OVMF image (OvmfPkg/ResetVector: ResetVectorVtf0.asm, OvmfSevMetadata.asm).
 * The image is untrusted input: every read goes through the kbs_buf
 * cursor, every offset is checked in subtraction form before use.
 *
 * The image is mapped so that it ends at 4 GiB. Its last 32 bytes are the
 * reset vector and padding; the 18 bytes before them are the footer entry:
 *
 *     u16 length   GUID 96b582de-1fb2-45f7-baea-a366c55a082d
 *
 * where length counts the whole table, entries and footer. The entries lie
 * directly before the footer and are read backwards from it: each ends
 * with its own u16 length (of the entry, data included) and GUID, the data
 * before them. Entries this code reads (GUIDs in the EFI byte order):
 *
 *   00f771de-1a7e-4fcb-890e-68c77e2fb44e  SEV-ES reset block: u32 AP EIP
 *   7255371f-3a3b-4b04-927b-1da6efa8d454  SEV hash table: u32 GPA, u32 size
 *   dc886566-984a-4798-a75e-5585a7bf67cc  SEV metadata: u32 offset from the
 *                                         end of the image
 *
 * The SEV metadata is "ASEV", u32 length, u32 version (1), u32 count, then
 * count sections of u32 GPA, u32 size, u32 type (snp.h lists the types).
 *
 * Strictness, and why:
 *  - A known entry must have exactly its data length, and appear once: a
 *    second metadata or reset-block entry would make the result depend on
 *    which one a reader takes. Other GUIDs (the SEV secret block, TDX
 *    metadata) are skipped after their length is checked.
 *  - An entry shorter than its own header could not move the walk forward
 *    (a loop in a naive reader): its own error. Bytes before the first
 *    entry that do not form an entry are an error, not ignored.
 *  - The metadata length must be exactly 16 + 12 * count: version 1 has no
 *    room for anything else. At most SNP_OVMF_MAX_SECTIONS sections.
 *  - Every section must be page-aligned, non-empty, a multiple of 4 KiB and
 *    end at or below 4 GiB; SECRETS and CPUID are exactly one page; the
 *    unique types (all but SEC_MEM) appear once; no two sections overlap,
 *    and none overlaps the firmware image. The firmware would refuse to add
 *    a page twice, so a digest for such a layout would describe no guest.
 *  - Unknown section types are errors. QEMU adds them as zero pages;
 *    guessing like that could produce a digest for a layout nobody checked.
 * Offsets count from the end, so the tail of an image (the last 4 KiB, as
 * the test fixtures are) parses the same as the whole image.
 */
#include "measure-int.h"

#include <string.h>

#include "kbs_common.h"

#define FOOTER_TAIL 32  /* reset vector and padding after the table */
#define ENTRY_HEADER 18 /* u16 length + GUID, at the end of each entry */
#define META_HEADER 16  /* "ASEV", length, version, count */
#define META_SECTION 12 /* GPA, size, type */
#define META_VERSION 1

static const uint8_t guid_footer[SNP_GUID_SIZE] = { 0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };

enum known_entry { ENTRY_RESET_BLOCK = 0, ENTRY_HASH_TABLE, ENTRY_METADATA, ENTRY_COUNT };

static const struct {
	uint8_t guid[SNP_GUID_SIZE];
	size_t data_len;
} known_entries[ENTRY_COUNT] = {
	[ENTRY_RESET_BLOCK] = { { 0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f, 0x89, 0x0e, 0x68,
				    0xc7, 0x7e, 0x2f, 0xb4, 0x4e },
	    4 },
	[ENTRY_HASH_TABLE] = { { 0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b, 0x92, 0x7b, 0x1d,
				   0xa6, 0xef, 0xa8, 0xd4, 0x54 },
	    8 },
	[ENTRY_METADATA] = { { 0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47, 0xa7, 0x5e, 0x55,
				 0x85, 0xa7, 0xbf, 0x67, 0xcc },
	    4 },
};

/* The section types, whether each may repeat, and whether it is one page. */
static const struct {
	uint32_t type;
	const char *name;
	int unique;
	int one_page;
} section_types[] = {
	{ SNP_OVMF_SECTION_SEC_MEM, "sec_mem", 0, 0 },
	{ SNP_OVMF_SECTION_SECRETS, "secrets", 1, 1 },
	{ SNP_OVMF_SECTION_CPUID, "cpuid", 1, 1 },
	{ SNP_OVMF_SECTION_SVSM_CAA, "svsm_caa", 1, 0 },
	{ SNP_OVMF_SECTION_KERNEL_HASHES, "kernel_hashes", 1, 0 },
};

static int
section_type_index(uint32_t type, size_t *ret)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(section_types); i++) {
		if (section_types[i].type == type) {
			*ret = i;
			return 0;
		}
	}
	return KBS_ERR_MEASURE_SECTION_TYPE;
}

const char *
snp_ovmf_section_name(uint32_t type)
{
	size_t i;

	return section_type_index(type, &i) == 0 ? section_types[i].name : "unknown";
}

/* Where each known entry's data lies in the image (found[k] NULL: absent). */
struct entries {
	const uint8_t *data[ENTRY_COUNT];
};

static int
lookup_entry(const uint8_t *guid, enum known_entry *ret)
{
	size_t k;

	for (k = 0; k < ENTRY_COUNT; k++) {
		if (memcmp(known_entries[k].guid, guid, SNP_GUID_SIZE) == 0) {
			*ret = (enum known_entry)k;
			return 1;
		}
	}
	return 0;
}

/* read_entry_header reads the u16 length and GUID of the 18 bytes at p. */
static int
read_entry_header(const uint8_t *p, uint16_t *ret_len, const uint8_t **ret_guid)
{
	struct kbs_buf b;
	int r;

	kbs_buf_init(&b, p, ENTRY_HEADER);
	if ((r = kbs_buf_get_u16le(&b, ret_len)) != 0 ||
	    (r = kbs_buf_get_direct(&b, SNP_GUID_SIZE, ret_guid)) != 0)
		return r;
	return kbs_buf_expect_end(&b);
}

/*
 * walk_footer finds the footer and walks the entries before it, from the
 * footer backwards, recording the known ones.
 */
static int
walk_footer(const uint8_t *data, size_t len, struct entries *ret)
{
	const uint8_t *guid;
	uint16_t table_len, entry_len;
	size_t footer_at, start, end;
	enum known_entry k;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (len < FOOTER_TAIL + ENTRY_HEADER)
		return KBS_ERR_MEASURE_FOOTER_TRUNCATED;
	footer_at = len - FOOTER_TAIL - ENTRY_HEADER;
	if ((r = read_entry_header(data + footer_at, &table_len, &guid)) != 0)
		return r;
	if (memcmp(guid, guid_footer, SNP_GUID_SIZE) != 0)
		return KBS_ERR_MEASURE_NO_METADATA;
	if (table_len < ENTRY_HEADER || (size_t)table_len - ENTRY_HEADER > footer_at)
		return KBS_ERR_MEASURE_FOOTER_LENGTH;
	start = footer_at - ((size_t)table_len - ENTRY_HEADER);
	end = footer_at;
	while (end > start) {
		if (end - start < ENTRY_HEADER)
			return KBS_ERR_MEASURE_FOOTER_ENTRY;
		if ((r = read_entry_header(data + end - ENTRY_HEADER, &entry_len, &guid)) != 0)
			return r;
		if (entry_len < ENTRY_HEADER)
			return KBS_ERR_MEASURE_FOOTER_LOOP;
		if ((size_t)entry_len > end - start)
			return KBS_ERR_MEASURE_FOOTER_ENTRY;
		if (lookup_entry(guid, &k)) {
			if (ret->data[k] != NULL)
				return KBS_ERR_MEASURE_FOOTER_DUPLICATE;
			if ((size_t)entry_len - ENTRY_HEADER != known_entries[k].data_len)
				return KBS_ERR_MEASURE_FOOTER_ENTRY;
			ret->data[k] = data + end - entry_len;
		}
		end -= entry_len;
	}
	return 0;
}

/* entry_u32 reads the idx-th u32 of a known entry's data (its length was checked). */
static uint32_t
entry_u32(const uint8_t *p, size_t idx)
{
	struct kbs_buf b;
	uint32_t v = 0;

	kbs_buf_init(&b, p + 4 * idx, 4);
	if (kbs_buf_get_u32le(&b, &v) != 0)
		return 0; /* cannot happen: 4 bytes were given */
	return v;
}

static int
check_section(const struct snp_ovmf_section *s)
{
	size_t t;
	int r;

	if ((r = section_type_index(s->type, &t)) != 0)
		return r;
	if (s->size == 0 || s->gpa % SNP_MEASURE_PAGE_SIZE != 0 ||
	    s->size % SNP_MEASURE_PAGE_SIZE != 0 || (uint64_t)s->gpa + s->size > SNP_FOUR_GIB)
		return KBS_ERR_MEASURE_SECTION_RANGE;
	if (section_types[t].one_page && s->size != SNP_MEASURE_PAGE_SIZE)
		return KBS_ERR_MEASURE_SECTION_RANGE;
	return 0;
}

static int
ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int
type_is_unique(uint32_t type)
{
	size_t t;

	return section_type_index(type, &t) == 0 && section_types[t].unique;
}

/* check_layout: unique types once, no overlaps among sections or with the image. */
static int
check_layout(const struct snp_ovmf_info *info, size_t image_len)
{
	size_t i, j;

	for (i = 0; i < info->nsections; i++) {
		for (j = i + 1; j < info->nsections; j++) {
			if (info->sections[i].type == info->sections[j].type &&
			    type_is_unique(info->sections[i].type))
				return KBS_ERR_MEASURE_SECTION_DUPLICATE;
		}
	}
	for (i = 0; i < info->nsections; i++) {
		const struct snp_ovmf_section *a = &info->sections[i];

		if (ranges_overlap(a->gpa, a->size, SNP_FOUR_GIB - image_len, image_len))
			return KBS_ERR_MEASURE_SECTION_OVERLAP;
		for (j = i + 1; j < info->nsections; j++) {
			const struct snp_ovmf_section *b = &info->sections[j];

			if (ranges_overlap(a->gpa, a->size, b->gpa, b->size))
				return KBS_ERR_MEASURE_SECTION_OVERLAP;
		}
	}
	return 0;
}

static int
parse_metadata(const uint8_t *data, size_t len, uint32_t offset, struct snp_ovmf_info *info)
{
	const uint8_t *sig;
	uint32_t meta_len, version, count, i;
	struct kbs_buf b;
	int r;

	if (offset > len || offset < META_HEADER)
		return KBS_ERR_MEASURE_METADATA_OFFSET;
	/* The cursor spans the metadata to the end of the image. */
	kbs_buf_init(&b, data + (len - offset), offset);
	if ((r = kbs_buf_get_direct(&b, 4, &sig)) != 0 ||
	    (r = kbs_buf_get_u32le(&b, &meta_len)) != 0 ||
	    (r = kbs_buf_get_u32le(&b, &version)) != 0 || (r = kbs_buf_get_u32le(&b, &count)) != 0)
		return KBS_ERR_MEASURE_METADATA_OFFSET; /* cannot happen: offset >= 16 */
	if (memcmp(sig, "ASEV", 4) != 0 || version != META_VERSION)
		return KBS_ERR_MEASURE_METADATA_HEADER;
	if (count > SNP_OVMF_MAX_SECTIONS ||
	    (uint64_t)meta_len != META_HEADER + (uint64_t)count * META_SECTION || meta_len > offset)
		return KBS_ERR_MEASURE_METADATA_TABLE;
	for (i = 0; i < count; i++) {
		struct snp_ovmf_section *s = &info->sections[i];

		if ((r = kbs_buf_get_u32le(&b, &s->gpa)) != 0 ||
		    (r = kbs_buf_get_u32le(&b, &s->size)) != 0 ||
		    (r = kbs_buf_get_u32le(&b, &s->type)) != 0)
			return KBS_ERR_MEASURE_METADATA_TABLE; /* cannot happen: meta_len <= offset
								*/
		if ((r = check_section(s)) != 0)
			return r;
	}
	info->nsections = count;
	return check_layout(info, len);
}

int
snp_ovmf_parse(const uint8_t *data, size_t len, struct snp_ovmf_info *ret)
{
	struct snp_ovmf_info info;
	struct entries e;
	int r;

	if (data == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (len > SNP_OVMF_MAX_SIZE)
		return KBS_ERR_MEASURE_OVMF_SIZE;
	memset(&info, 0, sizeof(info));
	if ((r = walk_footer(data, len, &e)) != 0)
		return r;
	if (e.data[ENTRY_METADATA] == NULL)
		return KBS_ERR_MEASURE_NO_METADATA;
	if (e.data[ENTRY_RESET_BLOCK] == NULL)
		return KBS_ERR_MEASURE_NO_RESET_BLOCK;
	info.reset_eip = entry_u32(e.data[ENTRY_RESET_BLOCK], 0);
	if (e.data[ENTRY_HASH_TABLE] != NULL) {
		info.has_hash_table = 1;
		info.hash_table_gpa = entry_u32(e.data[ENTRY_HASH_TABLE], 0);
		info.hash_table_size = entry_u32(e.data[ENTRY_HASH_TABLE], 1);
	}
	if ((r = parse_metadata(data, len, entry_u32(e.data[ENTRY_METADATA], 0), &info)) != 0)
		return r;
	*ret = info;
	return 0;
}
