/*
 * fuzz_snp_ovmf_digest.c: snp_launch_digest and snp_ovmf_digest end to
 * end on arbitrary firmware bytes.
 *
 * The first three bytes choose the launch: the VMM, the vCPU count (1..8)
 * and flags (bit 0: a kernel, bit 1: start from snp_ovmf_digest instead of
 * hashing the pages); the rest is the image. Aborts when a promise breaks:
 * a digest for a kernel needs a kernel-hashes section; the same inputs give
 * the same digest; starting from the image's own snp_ovmf_digest gives the
 * digest of hashing it; a failure leaves the output alone; the OpenSSL
 * error queue stays empty. Launches that name more than 16 MiB of
 * sections are skipped: correct, only slow for a fuzzer.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snp_ovmf_info info;
	struct snp_kernel_hashes h;
	struct snp_launch_params p;
	uint8_t a[SNP_LAUNCH_DIGEST_SIZE], b[SNP_LAUNCH_DIGEST_SIZE], seed[SNP_LAUNCH_DIGEST_SIZE];
	uint64_t total = 0;
	size_t i;
	int r, has_seed;

	if (size < 3)
		return 0;
	memset(&p, 0, sizeof(p));
	p.vmm = (enum snp_vmm)(data[0] % SNP_VMM_COUNT);
	p.vcpus = 1 + data[1] % 8;
	p.vcpu_sig = 0x00a00f11;
	p.guest_features = 0x21;
	if (data[2] & 1) {
		if (snp_kernel_hashes_compute(data, size, NULL, 0, "console=ttyS0", &h) != 0)
			abort();
		p.kernel = &h;
	}
	p.ovmf = data + 3;
	p.ovmf_len = size - 3;
	if (snp_ovmf_parse(p.ovmf, p.ovmf_len, &info) == 0) {
		for (i = 0; i < info.nsections; i++)
			total += info.sections[i].size;
		if (total > (16u << 20))
			return 0;
	}
	has_seed = snp_ovmf_digest(p.ovmf, p.ovmf_len, seed) == 0;
	if ((data[2] & 2) && has_seed)
		p.ovmf_digest = seed;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	r = snp_launch_digest(&p, a);
	if (r != 0) {
		if (memcmp(a, b, sizeof(a)) != 0)
			abort();
	} else {
		int found = 0;

		for (i = 0; i < info.nsections; i++)
			found |= info.sections[i].type == SNP_OVMF_SECTION_KERNEL_HASHES;
		if (p.kernel != NULL && !found)
			abort();
		if (snp_launch_digest(&p, b) != 0 || memcmp(a, b, sizeof(a)) != 0)
			abort();
		if (has_seed) {
			p.ovmf_digest = p.ovmf_digest == NULL ? seed : NULL;
			if (snp_launch_digest(&p, b) != 0 || memcmp(a, b, sizeof(a)) != 0)
				abort();
		}
	}
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
