/*
 * measure-int.h: the pieces of the launch digest, private to snp/
 * (snp_launch_digest in measure.c is their public face): the PAGE_INFO
 * chain, the SEV hashes table, the VMSA of each VMM and the GUIDs of
 * edk2's footer table. Tests include this header to check each layout
 * on its own.
 */
#ifndef SNP_MEASURE_INT_H
#define SNP_MEASURE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "snp.h"

#define SNP_GUID_SIZE 16
#define SNP_FOUR_GIB 0x100000000ULL

/*
 * PAGE_INFO.PAGE_TYPE (SEV-SNP Firmware ABI, SNP_LAUNCH_UPDATE). Every page
 * type extends the digest; only NORMAL and VMSA pages put the SHA-384 of
 * their contents into it, the others contribute zeros for CONTENTS.
 */
enum snp_page_type {
	SNP_PAGE_NORMAL = 0x01,
	SNP_PAGE_VMSA = 0x02,
	SNP_PAGE_ZERO = 0x03,
	SNP_PAGE_UNMEASURED = 0x04,
	SNP_PAGE_SECRETS = 0x05,
	SNP_PAGE_CPUID = 0x06,
};

#define SNP_PAGE_INFO_SIZE 0x70
/*
 * The GPA the firmware records for a VMSA page: the VMSA has no guest
 * address, so the chain uses (u64)-1 page-aligned and cut to bit 51.
 */
#define SNP_VMSA_GPA 0x0000FFFFFFFFF000ULL
#define SNP_BSP_EIP 0xFFFFFFF0u /* the x86 reset vector, where the BSP starts */

/*
 * snp_page_info_encode lays out one PAGE_INFO: DIGEST_CUR[48],
 * CONTENTS[48], LENGTH u16 (0x70), PAGE_TYPE u8, IMI_PAGE u8 (0), the
 * VMPL3/2/1 permissions u8 each (0: no lower VMPL gets access at launch),
 * a reserved byte, GPA u64; little-endian.
 */
void snp_page_info_encode(const uint8_t digest_cur[SNP_LAUNCH_DIGEST_SIZE],
    const uint8_t contents[SNP_LAUNCH_DIGEST_SIZE], enum snp_page_type type, uint64_t gpa,
    uint8_t out[SNP_PAGE_INFO_SIZE]);

/* The guest context's launch digest as SNP_LAUNCH_UPDATE extends it. */
struct snp_gctx {
	uint8_t ld[SNP_LAUNCH_DIGEST_SIZE];
	EVP_MD_CTX *ctx;
	EVP_MD *sha384;
};

/*
 * snp_gctx_init starts a chain at seed (NULL: 48 zero bytes, as the
 * firmware's SNP_LAUNCH_START does). KBS_ERR_CRYPTO_INIT or KBS_ERR_ALLOC
 * if OpenSSL cannot provide SHA-384. Release with snp_gctx_free, also
 * after a failed init.
 */
KBS_MUST_CHECK int snp_gctx_init(struct snp_gctx *g, const uint8_t *seed);
void snp_gctx_free(struct snp_gctx *g);

/* snp_gctx_sha384 hashes data with the chain's context (KBS_ERR_CRYPTO_INIT). */
KBS_MUST_CHECK int snp_gctx_sha384(
    struct snp_gctx *g, const uint8_t *data, size_t len, uint8_t out[SNP_LAUNCH_DIGEST_SIZE]);

/* snp_gctx_update extends the digest by one PAGE_INFO. */
KBS_MUST_CHECK int snp_gctx_update(struct snp_gctx *g, enum snp_page_type type, uint64_t gpa,
    const uint8_t contents[SNP_LAUNCH_DIGEST_SIZE]);

/*
 * snp_gctx_normal_pages measures data as NORMAL pages from gpa on, one
 * PAGE_INFO per 4 KiB. KBS_ERR_INVALID_ARGUMENT unless len is a multiple
 * of 4 KiB and gpa page-aligned.
 */
KBS_MUST_CHECK int snp_gctx_normal_pages(
    struct snp_gctx *g, uint64_t gpa, const uint8_t *data, size_t len);

/*
 * snp_gctx_blank_pages measures len bytes from gpa as pages of a type
 * whose CONTENTS field is zero (ZERO, UNMEASURED, SECRETS, CPUID).
 */
KBS_MUST_CHECK int snp_gctx_blank_pages(
    struct snp_gctx *g, enum snp_page_type type, uint64_t gpa, uint64_t len);

/* ---- The SEV hashes table (QEMU target/i386/sev.c) ------------------- */

#define SNP_HASH_TABLE_ENTRY_SIZE 50   /* GUID, u16 length, SHA-256 */
#define SNP_HASH_TABLE_SIZE 168        /* GUID, u16 length, three entries */
#define SNP_HASH_TABLE_PADDED_SIZE 176 /* rounded up to 16 bytes, as QEMU copies it */

/*
 * snp_hash_table_encode writes the padded table: header GUID, length 168,
 * then the command line, initrd and kernel entries (GUID, length 50,
 * digest), then 8 zero bytes.
 */
void snp_hash_table_encode(
    const struct snp_kernel_hashes *h, uint8_t out[SNP_HASH_TABLE_PADDED_SIZE]);

/* ---- The VMSA and the VMMs ------------------------------------------- */

/* What differs between the VMMs' vCPU reset state and launch sequence. */
struct snp_vmm_desc {
	const char *name;
	uint32_t max_vcpus;
	uint16_t cs_attrib_bsp; /* VMCB segment attribute of CS for the BSP */
	uint16_t cs_attrib_ap;
	uint16_t ss_attrib;
	uint16_t tr_attrib;
	uint64_t g_pat;
	int rdx_is_sig; /* RDX holds the vCPU signature; else rdx_fixed */
	uint64_t rdx_fixed;
	uint32_t mxcsr;
	uint16_t x87_fcw;
	enum snp_page_type sec_mem_page; /* how SEC_MEM sections are added */
	int cpuid_last;                  /* the CPUID page after every other section */
};

/* snp_vmm_desc returns the VMM's row, NULL for an unknown value. */
const struct snp_vmm_desc *snp_vmm_desc(enum snp_vmm vmm);

/*
 * Offsets in the VMSA page (AMD64 APM vol. 2, "VMSA Layout, State Save
 * Area for SEV-ES"), the fields a launch sets. Exported for the tests.
 */
enum snp_vmsa_offset {
	SNP_VMSA_ES = 0x000,
	SNP_VMSA_CS = 0x010,
	SNP_VMSA_SS = 0x020,
	SNP_VMSA_DS = 0x030,
	SNP_VMSA_FS = 0x040,
	SNP_VMSA_GS = 0x050,
	SNP_VMSA_GDTR = 0x060,
	SNP_VMSA_LDTR = 0x070,
	SNP_VMSA_IDTR = 0x080,
	SNP_VMSA_TR = 0x090,
	SNP_VMSA_EFER = 0x0D0,
	SNP_VMSA_CR4 = 0x148,
	SNP_VMSA_CR0 = 0x158,
	SNP_VMSA_DR7 = 0x160,
	SNP_VMSA_DR6 = 0x168,
	SNP_VMSA_RFLAGS = 0x170,
	SNP_VMSA_RIP = 0x178,
	SNP_VMSA_G_PAT = 0x268,
	SNP_VMSA_RDX = 0x310,
	SNP_VMSA_SEV_FEATURES = 0x3B0,
	SNP_VMSA_XCR0 = 0x3E8,
	SNP_VMSA_MXCSR = 0x408,
	SNP_VMSA_X87_FCW = 0x410,
};

/*
 * snp_vmsa_build fills page with the VMSA a vCPU starting at eip has
 * under vmm (every other byte zero). KBS_ERR_INVALID_ARGUMENT for an
 * unknown VMM.
 */
KBS_MUST_CHECK int snp_vmsa_build(enum snp_vmm vmm, uint32_t eip, uint32_t vcpu_sig,
    uint64_t sev_features, uint8_t page[SNP_MEASURE_PAGE_SIZE]);

#endif
