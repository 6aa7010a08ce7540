/*
 * fuzz_snp_ovmf.c: snp_ovmf_parse, the OVMF footer table and SEV metadata
 * parser, on arbitrary firmware bytes.
 *
 * Besides "no crash, no out-of-range read" it checks what a successful
 * parse promises and aborts when one breaks: at most SNP_OVMF_MAX_SECTIONS
 * sections, each of a known type, page-aligned, non-empty, whole pages,
 * below 4 GiB, one page for SECRETS and CPUID; unique types once; no two
 * sections overlap, none overlaps the image at the top of 4 GiB; and the
 * same bytes at the end of a larger image parse to the same result (every
 * offset counts from the end).
 */
#include <stdlib.h>
#include <string.h>

#include "snp.h"

#define FOUR_GIB 0x100000000ULL
#define PAGE 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_info(const struct snp_ovmf_info *info, size_t size)
{
	size_t i, j;

	if (info->nsections > SNP_OVMF_MAX_SECTIONS)
		abort();
	for (i = 0; i < info->nsections; i++) {
		const struct snp_ovmf_section *a = &info->sections[i];
		uint64_t end = (uint64_t)a->gpa + a->size;

		if (strcmp(snp_ovmf_section_name(a->type), "unknown") == 0)
			abort();
		if (a->size == 0 || a->gpa % PAGE != 0 || a->size % PAGE != 0 || end > FOUR_GIB)
			abort();
		if ((a->type == SNP_OVMF_SECTION_SECRETS || a->type == SNP_OVMF_SECTION_CPUID) &&
		    a->size != PAGE)
			abort();
		if (end > FOUR_GIB - size)
			abort(); /* reaches into the firmware image */
		for (j = i + 1; j < info->nsections; j++) {
			const struct snp_ovmf_section *b = &info->sections[j];

			if (a->type == b->type && a->type != SNP_OVMF_SECTION_SEC_MEM)
				abort();
			if (a->gpa < (uint64_t)b->gpa + b->size && b->gpa < end)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snp_ovmf_info info, again;
	const size_t pad = 8192;
	uint8_t *bigger;

	if (snp_ovmf_parse(data, size, &info) != 0)
		return 0;
	check_info(&info, size);
	if (size > (1u << 20))
		return 0;
	/* Prepended bytes change nothing but the image's extent. */
	if ((bigger = calloc(1, size + pad)) == NULL)
		return 0;
	memcpy(bigger + pad, data, size);
	memset(&again, 0, sizeof(again));
	if (snp_ovmf_parse(bigger, size + pad, &again) == 0) {
		if (again.reset_eip != info.reset_eip || again.nsections != info.nsections ||
		    again.has_hash_table != info.has_hash_table ||
		    again.hash_table_gpa != info.hash_table_gpa ||
		    again.hash_table_size != info.hash_table_size ||
		    memcmp(again.sections, info.sections,
			info.nsections * sizeof(info.sections[0])) != 0)
			abort();
	} else {
		/* Only the larger image's extent can newly overlap a section. */
		for (size_t i = 0; i < info.nsections; i++) {
			if ((uint64_t)info.sections[i].gpa + info.sections[i].size >
			    FOUR_GIB - size - pad)
				goto out;
		}
		abort();
	}
out:
	free(bigger);
	return 0;
}
