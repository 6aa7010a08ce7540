/*
 * measure_test.h: helpers for the launch digest tests (header only).
 *
 * The fixtures are the last 4 KiB of two edk2 OVMF builds
 * (tests/vectors/measure, next to tests/vectors/snp). Negative cases are
 * made by editing a copy: the helpers find the footer entries by their
 * GUIDs, derived here from the text form in the EFI byte order (first
 * three groups little-endian), independently of measure_ovmf.c's tables.
 */
#ifndef MEASURE_TEST_H
#define MEASURE_TEST_H

#include "measure-int.h"
#include "test.h"

#define GUID_FOOTER "96b582de-1fb2-45f7-baea-a366c55a082d"
#define GUID_RESET_BLOCK "00f771de-1a7e-4fcb-890e-68c77e2fb44e"
#define GUID_HASH_TABLE "7255371f-3a3b-4b04-927b-1da6efa8d454"
#define GUID_METADATA "dc886566-984a-4798-a75e-5585a7bf67cc"
#define GUID_SECRET_BLOCK "4c2eb361-7d9b-4cc3-8081-127c90d3d294"
#define GUID_TDX_METADATA "e47a6535-984a-4798-865e-4685a7bf8ec2"

#define FIXTURE_AMDSEV "ovmf_AmdSev_suffix.bin"
#define FIXTURE_OVMFX64 "ovmf_OvmfX64_suffix.bin"

/* measure_path: a file under tests/vectors/measure. */
static inline const char *
measure_path(const char *name)
{
	static char rel[512];

	snprintf(rel, sizeof(rel), "../measure/%s", name);
	return test_vector_path(rel);
}

static inline uint8_t *
measure_read(const char *name, size_t *ret_len)
{
	return test_read(measure_path(name), ret_len);
}

/* guid_le: the 16 bytes of a textual GUID in the EFI (mixed-endian) layout. */
static inline void
guid_le(const char *text, uint8_t out[16])
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t be[16];
	char hex[33];
	size_t i, j = 0;

	for (i = 0; text[i] != '\0' && j < 32; i++) {
		if (text[i] != '-')
			hex[j++] = text[i];
	}
	hex[j] = '\0';
	if (j != 32 || kbs_hex_decode_exact(hex, 32, be, 16) != 0) {
		fprintf(stderr, "bad GUID text %s\n", text);
		exit(2);
	}
	for (i = 0; i < 16; i++)
		out[i] = be[order[i]];
}

static inline void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * entry_at returns the offset of the u16 length that precedes the last
 * occurrence of the GUID in img (an entry's header is length, GUID), or
 * exits: a missing GUID is a broken test.
 */
static inline size_t
entry_at(const uint8_t *img, size_t len, const char *guid_text)
{
	uint8_t g[16];
	size_t i;

	guid_le(guid_text, g);
	for (i = len - 16; i >= 2; i--) {
		if (memcmp(img + i, g, 16) == 0)
			return i - 2;
	}
	fprintf(stderr, "GUID %s not found\n", guid_text);
	exit(2);
}

/* metadata_at returns the offset of the "ASEV" header the metadata entry names. */
static inline size_t
metadata_at(const uint8_t *img, size_t len)
{
	size_t e = entry_at(img, len, GUID_METADATA);

	return len - get_u32(img + e - 4);
}

/* section_at returns the offset of section i of the metadata. */
static inline size_t
section_at(const uint8_t *img, size_t len, size_t i)
{
	return metadata_at(img, len) + 16 + 12 * i;
}

/* hex_is: the 48-byte digest d spelled as lower-case hex equals want. */
static inline int
hex_is(const uint8_t *d, size_t n, const char *want)
{
	char hex[2 * 64 + 1];

	if (n > 64 || kbs_hex_encode(d, n, hex, sizeof(hex)) != 0)
		return 0;
	if (strcmp(hex, want) != 0) {
		fprintf(stderr, "  got  %s\n  want %s\n", hex, want);
		return 0;
	}
	return 1;
}

#endif
