/*
 * measure_gctx.c: the launch digest chain of the SEV-SNP firmware
 * (SEV-SNP Firmware ABI, SNP_LAUNCH_START / SNP_LAUNCH_UPDATE and the
 * PAGE_INFO structure).
 *
 * SNP_LAUNCH_START sets the guest context's launch digest to 48 zero
 * bytes. Every page the host adds with SNP_LAUNCH_UPDATE replaces it with
 * SHA-384 of a 0x70-byte PAGE_INFO that holds the current digest, the
 * SHA-384 of the page (NORMAL and VMSA pages; zeros for the other types),
 * the page type and the guest physical address. The digest after the last
 * update is the MEASUREMENT of every report the guest gets. Pages are
 * 4 KiB; a larger region is one update per page, in address order.
 *
 * SHA-384 comes from OpenSSL, fetched once per chain so the per-page cost
 * is the hash alone. On failure the OpenSSL error queue is cleared: snp/
 * never leaves errors behind for an unrelated caller to find.
 */
#include "measure-int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "kbs_le.h"

void
snp_page_info_encode(const uint8_t digest_cur[SNP_LAUNCH_DIGEST_SIZE],
    const uint8_t contents[SNP_LAUNCH_DIGEST_SIZE], enum snp_page_type type, uint64_t gpa,
    uint8_t out[SNP_PAGE_INFO_SIZE])
{
	memcpy(out, digest_cur, SNP_LAUNCH_DIGEST_SIZE);
	memcpy(out + 0x30, contents, SNP_LAUNCH_DIGEST_SIZE);
	kbs_le_put(out + 0x60, SNP_PAGE_INFO_SIZE, 2);
	out[0x62] = (uint8_t)type;
	/* IMI_PAGE, VMPL3_PERMS, VMPL2_PERMS, VMPL1_PERMS, reserved: all 0. */
	memset(out + 0x63, 0, 5);
	kbs_le_put(out + 0x68, gpa, 8);
}

int
snp_gctx_init(struct snp_gctx *g, const uint8_t *seed)
{
	memset(g, 0, sizeof(*g));
	if (seed != NULL)
		memcpy(g->ld, seed, SNP_LAUNCH_DIGEST_SIZE);
	if ((g->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL)) == NULL) {
		ERR_clear_error();
		return KBS_ERR_CRYPTO_INIT;
	}
	if ((g->ctx = EVP_MD_CTX_new()) == NULL) {
		ERR_clear_error();
		return KBS_ERR_ALLOC;
	}
	return 0;
}

void
snp_gctx_free(struct snp_gctx *g)
{
	if (g == NULL)
		return;
	EVP_MD_CTX_free(g->ctx);
	EVP_MD_free(g->sha384);
	g->ctx = NULL;
	g->sha384 = NULL;
}

int
snp_gctx_sha384(
    struct snp_gctx *g, const uint8_t *data, size_t len, uint8_t out[SNP_LAUNCH_DIGEST_SIZE])
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex2(g->ctx, g->sha384, NULL) != 1 ||
	    EVP_DigestUpdate(g->ctx, data, len) != 1 || EVP_DigestFinal_ex(g->ctx, out, &n) != 1 ||
	    n != SNP_LAUNCH_DIGEST_SIZE) {
		ERR_clear_error();
		return KBS_ERR_CRYPTO_INIT;
	}
	return 0;
}

int
snp_gctx_update(struct snp_gctx *g, enum snp_page_type type, uint64_t gpa,
    const uint8_t contents[SNP_LAUNCH_DIGEST_SIZE])
{
	uint8_t info[SNP_PAGE_INFO_SIZE];

	snp_page_info_encode(g->ld, contents, type, gpa, info);
	return snp_gctx_sha384(g, info, sizeof(info), g->ld);
}

int
snp_gctx_normal_pages(struct snp_gctx *g, uint64_t gpa, const uint8_t *data, size_t len)
{
	uint8_t digest[SNP_LAUNCH_DIGEST_SIZE];
	size_t off;
	int r;

	if (len % SNP_MEASURE_PAGE_SIZE != 0 || gpa % SNP_MEASURE_PAGE_SIZE != 0 ||
	    (data == NULL && len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	for (off = 0; off < len; off += SNP_MEASURE_PAGE_SIZE) {
		if ((r = snp_gctx_sha384(g, data + off, SNP_MEASURE_PAGE_SIZE, digest)) != 0 ||
		    (r = snp_gctx_update(g, SNP_PAGE_NORMAL, gpa + off, digest)) != 0)
			return r;
	}
	return 0;
}

int
snp_gctx_blank_pages(struct snp_gctx *g, enum snp_page_type type, uint64_t gpa, uint64_t len)
{
	static const uint8_t zeros[SNP_LAUNCH_DIGEST_SIZE];
	uint64_t off;
	int r;

	if (type == SNP_PAGE_NORMAL || type == SNP_PAGE_VMSA || len % SNP_MEASURE_PAGE_SIZE != 0 ||
	    gpa % SNP_MEASURE_PAGE_SIZE != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	for (off = 0; off < len; off += SNP_MEASURE_PAGE_SIZE) {
		if ((r = snp_gctx_update(g, type, gpa + off, zeros)) != 0)
			return r;
	}
	return 0;
}
