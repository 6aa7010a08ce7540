/*
 * product.c: which AMD EPYC product line (Milan, Genoa, Turin) produced a
 * report or a certificate. The product selects the pinned ARK, the TCB
 * layout and the KDS path, so it must never be guessed.
 *
 * Names: the lower-case names of snp_product_name() as used on the command
 * line and in policies, and the VCEK/VLEK productName extension forms
 * ("Milan-B0", "Genoa", "Turin", VLEK "Milan"): the part before the first
 * '-' is compared case-insensitively (ASCII only, locale-independent); an
 * optional suffix after '-' must be 1..8 letters or digits (the stepping).
 * Near misses ("milanx", "Milan_B0", "Milan-", "") are unknown.
 *
 * CPUID: the report (v3 and later) carries the extended family and the
 * combined model (extended model << 4 | base model) of CPUID Fn0000_0001_EAX.
 * Each product name covers a block of models: AMD's KDS knows only Milan,
 * Genoa and Turin, and serves Genoa-X, Bergamo and Siena VCEKs under
 * "Genoa" (virtee's snpguest maps its Bergamo and Siena generations to the
 * Genoa KDS path the same way):
 *
 *   family 0x19 (Zen 3 / Zen 4)
 *     models 0x00..0x0F  Milan: EPYC 7003 is model 0x01 (steppings 0 and 1,
 *                        B0/B1); Milan-X (EPYC 7xx3X) is model 0x01
 *                        stepping 2 (B2).
 *     models 0x10..0x1F  Genoa: EPYC 9004 is model 0x11 (stepping 1, B1);
 *                        Genoa-X (EPYC 9x84X) is model 0x11 too.
 *     models 0xA0..0xAF  Genoa line, Zen 4c: Bergamo (EPYC 97x4) and Siena
 *                        (EPYC 8004), reported as model 0xA0.
 *   family 0x1A (Zen 5)
 *     models 0x00..0x0F  Turin: EPYC 9005 (Zen 5) is model 0x02.
 *     models 0x10..0x1F  Turin dense: EPYC 9005 (Zen 5c, e.g. 9965),
 *                        reported as model 0x11.
 * Whole blocks are mapped, not single models, so a new stepping or SKU of a
 * known die does not break verification; the exact Bergamo/Siena and
 * Turin-dense model numbers above could not be confirmed from a primary
 * AMD source and do not matter for the mapping.
 *
 * Sources: the vectors' CPUID bytes (Milan 19/01/01, Genoa 19/11/01, Turin
 * 1a/02/01); QEMU's EPYC-Milan (25/1/1) and EPYC-Genoa (25/17/0) models as
 * listed by sev-snp-measure; Linux arch/x86/kernel/cpu/amd.c bsp_init_amd(),
 * whose Zen generation table puts family 0x19 models 0x00..0x0F (server
 * Zen 3) with Zen 3, 0x10..0x1F and 0xA0..0xAF (server Zen 4) with Zen 4,
 * and family 0x1A models 0x00..0x0F, later widened by AMD to 0x00..0x2F for
 * the 0x10..0x1F dense parts, with Zen 5. The other blocks of those families
 * (Zen 3 0x20..0x5F, Zen 4 0x60..0x9F, Zen 5 0x20..0x7F) are client parts
 * without SEV-SNP, and family 0x1A models 0x50.. and 0x80.. are Zen 6, a
 * product we do not know yet: all unknown here, as is the 0/0 of a v2
 * report. Unknown must stay an error: a wrong product picks the wrong ARK
 * and TCB layout.
 */
#include "snp.h"

#include <string.h>

#define NAME_MAX_LEN 64
#define SUFFIX_MAX_LEN 8

struct cpuid_range {
	uint8_t family;
	uint8_t model_lo, model_hi;
	enum snp_product product;
};

static const struct cpuid_range cpuid_ranges[] = {
	{ 0x19, 0x00, 0x0f, SNP_PRODUCT_MILAN },
	{ 0x19, 0x10, 0x1f, SNP_PRODUCT_GENOA },
	{ 0x19, 0xa0, 0xaf, SNP_PRODUCT_GENOA },
	{ 0x1a, 0x00, 0x1f, SNP_PRODUCT_TURIN },
};

struct product_name {
	const char *name;
	enum snp_product product;
};

static const struct product_name product_names[] = {
	{ "milan", SNP_PRODUCT_MILAN },
	{ "genoa", SNP_PRODUCT_GENOA },
	{ "turin", SNP_PRODUCT_TURIN },
};

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int
ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* prefix_equals compares s[0..n) with the lower-case word, ignoring ASCII case. */
static int
prefix_equals(const char *s, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return 0;
	for (i = 0; i < n; i++) {
		if (ascii_lower(s[i]) != word[i])
			return 0;
	}
	return 1;
}

int
snp_product_from_name(const char *name, enum snp_product *ret)
{
	const char *dash;
	size_t len, base_len, i;

	if (name == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	len = strnlen(name, NAME_MAX_LEN + 1);
	if (len == 0 || len > NAME_MAX_LEN)
		return KBS_ERR_PRODUCT_UNKNOWN;
	dash = memchr(name, '-', len);
	base_len = dash != NULL ? (size_t)(dash - name) : len;
	if (dash != NULL) {
		/* The suffix is a stepping such as "B0": short and alphanumeric. */
		size_t suffix_len = len - base_len - 1;

		if (suffix_len == 0 || suffix_len > SUFFIX_MAX_LEN)
			return KBS_ERR_PRODUCT_UNKNOWN;
		for (i = base_len + 1; i < len; i++) {
			if (!ascii_alnum(name[i]))
				return KBS_ERR_PRODUCT_UNKNOWN;
		}
	}
	for (i = 0; i < KBS_ARRAY_SIZE(product_names); i++) {
		if (prefix_equals(name, base_len, product_names[i].name)) {
			*ret = product_names[i].product;
			return 0;
		}
	}
	return KBS_ERR_PRODUCT_UNKNOWN;
}

int
snp_product_from_cpuid(uint8_t family, uint8_t model, enum snp_product *ret)
{
	size_t i;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < KBS_ARRAY_SIZE(cpuid_ranges); i++) {
		const struct cpuid_range *c = &cpuid_ranges[i];

		if (family == c->family && model >= c->model_lo && model <= c->model_hi) {
			*ret = c->product;
			return 0;
		}
	}
	return KBS_ERR_PRODUCT_UNKNOWN;
}
