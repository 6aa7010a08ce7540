/*
 * measure_hashes.c: the SEV hashes table, through which a directly booted
 * kernel, its initrd and command line enter the launch digest.
 *
 * With `-kernel` (and kernel-hashes=on) QEMU writes the SHA-256 of the
 * kernel, the initrd and the command line into a table inside a page that
 * OVMF's SEV metadata names (section SNP_KERNEL_HASHES); the page is then
 * measured as a NORMAL page, so the firmware, which checks what it loads
 * against the table, extends the measurement to the kernel. Layout (QEMU
 * target/i386/sev.c, SevHashTable; GUIDs in the EFI byte order):
 *
 *   0    GUID 9438d606-4f22-4cc9-b479-a793d411fd21   table header
 *   16   u16 168                                     table length
 *   18   GUID 97d02dd8-bd20-4c94-aa78-e7714d36ab2a, u16 50, SHA-256  cmdline
 *   68   GUID 44baf731-3a2f-4bd7-9af1-41e29169781d, u16 50, SHA-256  initrd
 *   118  GUID 4de79437-abd2-427f-b835-d5b172d2045b, u16 50, SHA-256  kernel
 *   168  8 zero bytes: QEMU copies the table padded to 16 bytes
 *
 * What is hashed: the kernel file as given; the initrd file (no initrd is
 * hashed as the empty string); the command line with its terminating NUL
 * (no command line, or an empty one, is the single NUL byte QEMU passes).
 */
#include "measure-int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

static const uint8_t guid_table[SNP_GUID_SIZE] = { 0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
	0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21 };
static const uint8_t guid_cmdline[SNP_GUID_SIZE] = { 0xd8, 0x2d, 0xd0, 0x97, 0x20, 0xbd, 0x94, 0x4c,
	0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a };
static const uint8_t guid_initrd[SNP_GUID_SIZE] = { 0x31, 0xf7, 0xba, 0x44, 0x2f, 0x3a, 0xd7, 0x4b,
	0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d };
static const uint8_t guid_kernel[SNP_GUID_SIZE] = { 0x37, 0x94, 0xe7, 0x4d, 0xd2, 0xab, 0x7f, 0x42,
	0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b };

static int
sha256(const uint8_t *data, size_t len, uint8_t out[SNP_SHA256_SIZE])
{
	static const uint8_t empty[1];
	unsigned int n = 0;

	if (EVP_Digest(len > 0 ? data : empty, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != SNP_SHA256_SIZE) {
		ERR_clear_error();
		return KBS_ERR_CRYPTO_INIT;
	}
	return 0;
}

int
snp_kernel_hashes_compute(const uint8_t *kernel, size_t kernel_len, const uint8_t *initrd,
    size_t initrd_len, const char *cmdline, struct snp_kernel_hashes *ret)
{
	static const uint8_t nul[1] = { 0 };
	struct snp_kernel_hashes h;
	int r;

	if (ret == NULL || (kernel == NULL && kernel_len != 0) ||
	    (initrd == NULL && initrd_len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = sha256(kernel, kernel_len, h.kernel)) != 0 ||
	    (r = sha256(initrd, initrd_len, h.initrd)) != 0)
		return r;
	if (cmdline == NULL || cmdline[0] == '\0')
		r = sha256(nul, sizeof(nul), h.cmdline);
	else
		r = sha256((const uint8_t *)cmdline, strlen(cmdline) + 1, h.cmdline);
	if (r != 0)
		return r;
	*ret = h;
	return 0;
}

static uint8_t *
put_entry(uint8_t *p, const uint8_t guid[SNP_GUID_SIZE], uint16_t len, const uint8_t *digest)
{
	memcpy(p, guid, SNP_GUID_SIZE);
	p[16] = (uint8_t)(len & 0xff);
	p[17] = (uint8_t)(len >> 8);
	if (digest != NULL)
		memcpy(p + 18, digest, SNP_SHA256_SIZE);
	return p + 18 + (digest != NULL ? SNP_SHA256_SIZE : 0);
}

void
snp_hash_table_encode(const struct snp_kernel_hashes *h, uint8_t out[SNP_HASH_TABLE_PADDED_SIZE])
{
	uint8_t *p = out;

	memset(out, 0, SNP_HASH_TABLE_PADDED_SIZE);
	p = put_entry(p, guid_table, SNP_HASH_TABLE_SIZE, NULL);
	p = put_entry(p, guid_cmdline, SNP_HASH_TABLE_ENTRY_SIZE, h->cmdline);
	p = put_entry(p, guid_initrd, SNP_HASH_TABLE_ENTRY_SIZE, h->initrd);
	(void)put_entry(p, guid_kernel, SNP_HASH_TABLE_ENTRY_SIZE, h->kernel);
}
