/*
 * tcb.c: TCB_VERSION, the 64-bit security patch level vector of the
 * SEV-SNP ABI (CURRENT_TCB, REPORTED_TCB, COMMITTED_TCB, LAUNCH_TCB).
 *
 * Format: a little-endian u64 whose bytes hold one SPL each. The byte
 * positions depend on the product:
 *
 *   byte         0    1    2    3    4    5    6    7
 *   Milan/Genoa  bl   tee  -    -    -    -    snp  ucode
 *   Turin        fmc  bl   tee  snp  -    -    -    ucode
 *
 * "-" bytes are reserved and must be zero. Decoding with the wrong layout
 * silently gives wrong SPLs (a Turin boot loader read as a Milan TEE), so
 * every caller passes the product and an unknown product is an error. The
 * layouts are a table, one row per product.
 */
#include "snp.h"

#define NO_FIELD 0xff /* the field does not exist in this layout */

struct tcb_layout {
	uint8_t fmc, bootloader, tee, snp, microcode; /* byte index or NO_FIELD */
	uint64_t reserved_mask;
};

static const struct tcb_layout layouts[SNP_PRODUCT_COUNT] = {
	[SNP_PRODUCT_MILAN] = { NO_FIELD, 0, 1, 6, 7, 0x0000ffffffff0000ULL },
	[SNP_PRODUCT_GENOA] = { NO_FIELD, 0, 1, 6, 7, 0x0000ffffffff0000ULL },
	[SNP_PRODUCT_TURIN] = { 0, 1, 2, 3, 7, 0x00ffffff00000000ULL },
};

static const struct tcb_layout *
layout_for(enum snp_product product)
{
	if (product != SNP_PRODUCT_MILAN && product != SNP_PRODUCT_GENOA &&
	    product != SNP_PRODUCT_TURIN)
		return NULL;
	return &layouts[product];
}

static uint8_t
byte_at(uint64_t raw, uint8_t idx)
{
	if (idx == NO_FIELD)
		return 0;
	return (uint8_t)(raw >> (8 * idx));
}

static uint64_t
put_byte(uint8_t value, uint8_t idx)
{
	return (uint64_t)value << (8 * idx);
}

int
snp_tcb_decode(uint64_t raw, enum snp_product product, struct snp_tcb *ret)
{
	const struct tcb_layout *l;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((l = layout_for(product)) == NULL)
		return KBS_ERR_PRODUCT_UNKNOWN;
	if ((raw & l->reserved_mask) != 0)
		return KBS_ERR_REPORT_RESERVED;
	ret->fmc = byte_at(raw, l->fmc);
	ret->bootloader = byte_at(raw, l->bootloader);
	ret->tee = byte_at(raw, l->tee);
	ret->snp = byte_at(raw, l->snp);
	ret->microcode = byte_at(raw, l->microcode);
	return 0;
}

int
snp_tcb_encode(const struct snp_tcb *tcb, enum snp_product product, uint64_t *ret)
{
	const struct tcb_layout *l;
	uint64_t raw;

	if (tcb == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((l = layout_for(product)) == NULL)
		return KBS_ERR_PRODUCT_UNKNOWN;
	/* Milan and Genoa have no FMC SPL: a non-zero one cannot be encoded. */
	if (l->fmc == NO_FIELD && tcb->fmc != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	raw = put_byte(tcb->bootloader, l->bootloader) | put_byte(tcb->tee, l->tee) |
	    put_byte(tcb->snp, l->snp) | put_byte(tcb->microcode, l->microcode);
	if (l->fmc != NO_FIELD)
		raw |= put_byte(tcb->fmc, l->fmc);
	*ret = raw;
	return 0;
}
