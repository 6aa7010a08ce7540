/*
 * bench_chips.c: many simulated chips under one root, for kbs-bench's cold
 * attestations.
 *
 *   bench_chips DIR N
 *
 * `kbs-client sim-init` makes a whole new chain (new RSA-4096 ARK and ASK)
 * per chip, and a broker trusts only the roots it was started with, so N
 * sim-init chips would need N roots. The broker caches a verified chain
 * per (signer certificate, ASK) pair (snp/cache-int.h), so what makes an
 * attestation cold is a VCEK it has not seen. This program makes one ARK
 * and ASK key pair and DIR/chip-0000 .. chip-(N-1), each a sim chip
 * directory (sim_init_dir) with those two keys, its own P-384 VCEK key and
 * a random chip id, and copies chip-0000's ark.pem to DIR/ark.pem for the
 * broker's --trust-root. Every chip's ARK certificate carries the same key
 * and subject, so every chip's ASK verifies under DIR/ark.pem.
 * Exit 0, 1 on a failure, 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "kbs_file.h"
#include "sim.h"

#define CHIPS_MAX 100000

int
main(int argc, char **argv)
{
	struct sim_keys keys;
	struct sim_config cfg;
	char path[4200], src[4200];
	uint8_t *ark = NULL;
	size_t ark_len = 0;
	unsigned long n, i;
	int64_t now = (int64_t)time(NULL);
	char *end;
	FILE *f;
	int r;

	if (argc != 3 || (errno = 0, n = strtoul(argv[2], &end, 10), errno != 0) || *end != '\0' ||
	    argv[2][0] < '0' || argv[2][0] > '9' || n < 1 || n > CHIPS_MAX ||
	    strlen(argv[1]) > 4000) {
		fprintf(stderr, "usage: bench_chips DIR N   (N from 1 to %d)\n", CHIPS_MAX);
		return 2;
	}
	if (mkdir(argv[1], 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_chips: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if ((r = sim_keys_generate(&keys)) != 0) {
		fprintf(stderr, "bench_chips: key generation: %s\n", kbs_err_str(r));
		return 1;
	}
	for (i = 0; i < n; i++) {
		EVP_PKEY_free(keys.vcek);
		if ((keys.vcek = EVP_EC_gen("P-384")) == NULL) {
			fprintf(stderr, "bench_chips: P-384 key generation failed\n");
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/chip-%04lu", argv[1], i);
		if ((r = sim_config_default(SNP_PRODUCT_MILAN, &cfg)) != 0 ||
		    (r = sim_init_dir(path, &cfg, &keys, now)) != 0) {
			fprintf(stderr, "bench_chips: %s: %s\n", path, kbs_err_str(r));
			goto fail;
		}
	}
	snprintf(src, sizeof(src), "%s/chip-0000/%s", argv[1], SIM_FILE_ARK);
	snprintf(path, sizeof(path), "%s/%s", argv[1], SIM_FILE_ARK);
	if (kbs_file_read(src, 1 << 16, &ark, &ark_len) != 0 || (f = fopen(path, "w")) == NULL ||
	    fwrite(ark, 1, ark_len, f) != ark_len || fclose(f) != 0) {
		fprintf(stderr, "bench_chips: cannot write %s\n", path);
		free(ark);
		goto fail;
	}
	free(ark);
	sim_keys_clear(&keys);
	printf("bench_chips: %lu chips under %s, root %s\n", n, argv[1], path);
	return 0;
fail:
	sim_keys_clear(&keys);
	return 1;
}
