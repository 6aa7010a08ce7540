/*
 * kds_url.c: the names of AMD KDS resources, the cache keys they are
 * stored under, and the layouts of pre-loaded directories. Pure string
 * work, unit-tested against the KDS interface specification (AMD 57230,
 * "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface"):
 *   GET /vcek/v1/{product_name}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=
 *       (Turin adds fmcSPL, and its hwid is the first 8 bytes of CHIP_ID)
 *   GET /vcek/v1/{product_name}/cert_chain   ASK then ARK, PEM
 *   GET /vcek/v1/{product_name}/crl          DER
 *   GET /vlek/v1/{product_name}/cert_chain   ASVK then ARK, PEM
 *   GET /vlek/v1/{product_name}/crl          DER
 * Directory layouts: kds.h (struct kbs_kds_file).
 */
#include "kds.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const segments[SNP_PRODUCT_COUNT] = {
	[SNP_PRODUCT_MILAN] = "Milan",
	[SNP_PRODUCT_GENOA] = "Genoa",
	[SNP_PRODUCT_TURIN] = "Turin",
};

const char *
kbs_kds_product_segment(enum snp_product product)
{
	if ((unsigned)product >= SNP_PRODUCT_COUNT)
		return NULL;
	return segments[product];
}

/* put: snprintf that says whether it fitted. */
__attribute__((format(printf, 3, 4))) static int
put(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? KBS_ERR_INVALID_ARGUMENT : 0;
}

int
kbs_kds_hwid_hex(enum snp_product product, const uint8_t chip_id[64], char out[129])
{
	static const char hex[] = "0123456789abcdef";
	size_t n, i;
	uint8_t any = 0, tail = 0;

	if (kbs_kds_product_segment(product) == NULL || chip_id == NULL)
		return KBS_ERR_KDS_NO_KEY;
	n = product == SNP_PRODUCT_TURIN ? 8 : 64;
	for (i = 0; i < 64; i++) {
		any |= chip_id[i];
		if (i >= n)
			tail |= chip_id[i];
	}
	if (any == 0 || tail != 0)
		return KBS_ERR_KDS_NO_KEY;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[chip_id[i] >> 4];
		out[2 * i + 1] = hex[chip_id[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

int
kbs_kds_tcb_name(enum snp_product product, const struct snp_tcb *tcb, char *out, size_t size)
{
	int r;

	if (tcb == NULL ||
	    (r = put(out, size, "bl%02u_tee%02u_snp%02u_ucode%02u", tcb->bootloader, tcb->tee,
		 tcb->snp, tcb->microcode)) != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if (product == SNP_PRODUCT_TURIN)
		return put(out + strlen(out), size - strlen(out), "_fmc%02u", tcb->fmc);
	return 0;
}

int
kbs_kds_vcek_path(enum snp_product product, const uint8_t chip_id[64], const struct snp_tcb *tcb,
    char *out, size_t size)
{
	char hwid[129], fmc[16] = "";
	int r;

	if (tcb == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = kbs_kds_hwid_hex(product, chip_id, hwid)) != 0)
		return r;
	if (product == SNP_PRODUCT_TURIN)
		snprintf(fmc, sizeof(fmc), "fmcSPL=%u&", tcb->fmc);
	return put(out, size, "/vcek/v1/%s/%s?%sblSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u",
	    kbs_kds_product_segment(product), hwid, fmc, tcb->bootloader, tcb->tee, tcb->snp,
	    tcb->microcode);
}

static const char *
chain_segment(enum snp_signing_key signer)
{
	if (signer == SNP_SIGNING_KEY_VCEK)
		return "vcek";
	if (signer == SNP_SIGNING_KEY_VLEK)
		return "vlek";
	return NULL;
}

static int
product_path(
    enum snp_product product, enum snp_signing_key signer, const char *leaf, char *out, size_t size)
{
	const char *p = kbs_kds_product_segment(product), *c = chain_segment(signer);

	if (p == NULL || c == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	return put(out, size, "/%s/v1/%s/%s", c, p, leaf);
}

int
kbs_kds_chain_path(enum snp_product product, enum snp_signing_key signer, char *out, size_t size)
{
	return product_path(product, signer, "cert_chain", out, size);
}

int
kbs_kds_crl_path(enum snp_product product, enum snp_signing_key signer, char *out, size_t size)
{
	return product_path(product, signer, "crl", out, size);
}

int
kbs_kds_vcek_key(
    enum snp_product product, const char *hwid, const char *tcb, char *out, size_t size)
{
	const char *p = kbs_kds_product_segment(product);

	if (p == NULL || hwid == NULL || tcb == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	return put(out, size, "vcek/%s/%s/%s", p, hwid, tcb);
}

int
kbs_kds_item_key(enum kbs_kds_item item, enum snp_product product, enum snp_signing_key signer,
    char *out, size_t size)
{
	const char *p = kbs_kds_product_segment(product), *c = chain_segment(signer);

	if (p == NULL || c == NULL || (item != KBS_KDS_CHAIN && item != KBS_KDS_CRL))
		return KBS_ERR_INVALID_ARGUMENT;
	return put(out, size, "%s/%s/%s", item == KBS_KDS_CHAIN ? "chain" : "crl", c, p);
}

/* ---- directory layouts ------------------------------------------------ */

#define MAX_PARTS 6

/* split cuts rel at '/' into at most MAX_PARTS non-empty parts (copied into buf). */
static size_t
split(const char *rel, char *buf, size_t size, char *parts[MAX_PARTS])
{
	size_t n = 0;
	char *s;

	if (put(buf, size, "%s", rel) != 0 || buf[0] == '\0')
		return 0;
	s = buf;
	for (;;) {
		char *slash = strchr(s, '/');

		if (n == MAX_PARTS || *s == '\0')
			return 0; /* too deep, or an empty part ("a//b", a trailing '/') */
		parts[n++] = s;
		if (slash == NULL)
			return n;
		*slash = '\0';
		s = slash + 1;
	}
}

/* hwid_ok: 16 or 128 lower-case hex digits. */
static int
hwid_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n != 16 && n != 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * tcb_file: "{tcb}_vcek.der" with {tcb} as kbs_kds_tcb_name writes it
 * (letters, digits, '_'); *ret gets {tcb}.
 */
static int
tcb_file(const char *name, char *ret, size_t size)
{
	static const char suffix[] = "_vcek.der";
	size_t n = strlen(name), s = sizeof(suffix) - 1, i;

	if (n <= s || strcmp(name + n - s, suffix) != 0 || strncmp(name, "bl", 2) != 0 ||
	    n - s >= size)
		return 0;
	for (i = 0; i < n - s; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
			name[i] == '_'))
			return 0;
	memcpy(ret, name, n - s);
	ret[n - s] = '\0';
	return 1;
}

static int
product_of_segment(const char *s, enum snp_product *ret)
{
	enum snp_product p;

	for (p = SNP_PRODUCT_MILAN; p < SNP_PRODUCT_COUNT; p++)
		if (strcmp(s, segments[p]) == 0) {
			*ret = p;
			return 1;
		}
	return 0;
}

int
kbs_kds_file_parse(const char *rel, struct kbs_kds_file *ret)
{
	struct kbs_kds_file f;
	char buf[KBS_KDS_PATH_MAX], *p[MAX_PARTS];
	size_t n;

	if (rel == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&f, 0, sizeof(f));
	n = split(rel, buf, sizeof(buf), p);
	if (n == 4 && (strcmp(p[0], "vcek") == 0 || strcmp(p[0], "vlek") == 0) &&
	    strcmp(p[1], "v1") == 0 && product_of_segment(p[2], &f.product) &&
	    (strcmp(p[3], "cert_chain") == 0 || strcmp(p[3], "crl") == 0)) {
		f.item = strcmp(p[3], "crl") == 0 ? KBS_KDS_CRL : KBS_KDS_CHAIN;
		f.chain = p[0][1] == 'c' ? SNP_SIGNING_KEY_VCEK : SNP_SIGNING_KEY_VLEK;
		*ret = f;
		return 0;
	}
	if (n == 5 && strcmp(p[0], "vcek") == 0 && strcmp(p[1], "v1") == 0 &&
	    product_of_segment(p[2], &f.product) && hwid_ok(p[3]) &&
	    tcb_file(p[4], f.tcb, sizeof(f.tcb))) {
		f.item = KBS_KDS_VCEK;
		f.chain = SNP_SIGNING_KEY_VCEK;
		memcpy(f.hwid, p[3], strlen(p[3]) + 1);
		*ret = f;
		return 0;
	}
	if (n == 3 && strcmp(p[0], "vcek") == 0 && hwid_ok(p[1]) &&
	    (strcmp(p[2], "vcek.der") == 0 || tcb_file(p[2], f.tcb, sizeof(f.tcb)))) {
		f.item = KBS_KDS_VCEK;
		f.product = SNP_PRODUCT_UNKNOWN;
		f.chain = SNP_SIGNING_KEY_VCEK;
		memcpy(f.hwid, p[1], strlen(p[1]) + 1);
		*ret = f;
		return 0;
	}
	return KBS_ERR_KDS_LAYOUT;
}
