/*
 * cmd_measure.c: `kbs-policy measure`, the expected SNP launch digest of a
 * guest computed from the artifacts it is started with, so that a
 * policy's `measurement` list comes from reviewed files, not from the
 * first boot of an image.
 *
 *   kbs-policy measure --ovmf OVMF.fd [--kernel K [--initrd I] [--append CMDLINE]]
 *       [--vcpus N] [--vcpu-type T | --vcpu-sig HEX | --vcpu-family F
 *       --vcpu-model M --vcpu-stepping S] [--vmm-type qemu|ec2|gce]
 *       [--guest-features HEX] [--snp-ovmf-hash HEX] [--json]
 *   kbs-policy measure --ovmf OVMF.fd --ovmf-hash-only [--json]
 *
 * Prints the digest as 96 lower-case hex digits, the spelling a policy
 * uses, or with --json every input that went into it. The computation is
 * snp_launch_digest (snp/measure.c); this file reads the files and the
 * options. Defaults: 1 vCPU, VMM qemu, guest features 0x1. QEMU puts the
 * vCPU signature into the VMSA, so it needs one of the vCPU options; ec2
 * and gce fix it, and ignore them.
 *
 * Exit status: 0 printed; 1 the image cannot be measured (the firmware is
 * malformed or not SEV-SNP, or has no place for a kernel's hashes);
 * 2 usage, an option value out of range, or a file that cannot be read.
 * An option given twice is a usage error: which one counts would be a
 * guess.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cmd_measure.h"
#include "snp.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define MAX_BOOT_FILE (1024u << 20) /* a kernel or initrd: far above any real one */

static const char usage_text[] =
    "usage: kbs-policy measure --ovmf OVMF.fd [--kernel K [--initrd I] [--append CMDLINE]]\n"
    "           [--vcpus N] [--vcpu-type T | --vcpu-sig HEX |\n"
    "            --vcpu-family F --vcpu-model M --vcpu-stepping S]\n"
    "           [--vmm-type qemu|ec2|gce] [--guest-features HEX] [--snp-ovmf-hash HEX] [--json]\n"
    "       kbs-policy measure --ovmf OVMF.fd --ovmf-hash-only [--json]\n";

struct measure_args {
	const char *ovmf, *kernel, *initrd, *append, *vcpus, *vcpu_type, *vcpu_sig, *vcpu_family,
	    *vcpu_model, *vcpu_stepping, *vmm, *guest_features, *ovmf_hash;
	int json, hash_only;
};

static const struct {
	const char *name;
	size_t offset;
} valued[] = {
	{ "--ovmf", offsetof(struct measure_args, ovmf) },
	{ "--kernel", offsetof(struct measure_args, kernel) },
	{ "--initrd", offsetof(struct measure_args, initrd) },
	{ "--append", offsetof(struct measure_args, append) },
	{ "--vcpus", offsetof(struct measure_args, vcpus) },
	{ "--vcpu-type", offsetof(struct measure_args, vcpu_type) },
	{ "--vcpu-sig", offsetof(struct measure_args, vcpu_sig) },
	{ "--vcpu-family", offsetof(struct measure_args, vcpu_family) },
	{ "--vcpu-model", offsetof(struct measure_args, vcpu_model) },
	{ "--vcpu-stepping", offsetof(struct measure_args, vcpu_stepping) },
	{ "--vmm-type", offsetof(struct measure_args, vmm) },
	{ "--guest-features", offsetof(struct measure_args, guest_features) },
	{ "--snp-ovmf-hash", offsetof(struct measure_args, ovmf_hash) },
};

/* What the digest was computed from, for --json. */
struct measure_facts {
	uint8_t digest[SNP_LAUNCH_DIGEST_SIZE];
	uint8_t ovmf_sha256[SNP_SHA256_SIZE];
	size_t ovmf_len;
	struct snp_ovmf_info info;
	const struct snp_kernel_hashes *kernel;
	uint32_t vcpus, vcpu_sig;
	enum snp_vmm vmm;
	uint64_t guest_features;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* usage_error prints "kbs-policy measure: MESSAGE" and the usage; returns EXIT_USAGE. */
static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kbs-policy measure: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	return EXIT_USAGE;
}

static const char **
valued_slot(struct measure_args *a, size_t k)
{
	return (const char **)(void *)((char *)a + valued[k].offset);
}

static int
parse_args(int argc, char **argv, struct measure_args *a)
{
	int i;
	size_t k;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		for (k = 0; k < KBS_ARRAY_SIZE(valued); k++) {
			if (strcmp(argv[i], valued[k].name) == 0)
				break;
		}
		if (k < KBS_ARRAY_SIZE(valued)) {
			if (*valued_slot(a, k) != NULL)
				return usage_error("%s is given twice", argv[i]);
			if (i + 1 >= argc)
				return usage_error("%s needs a value", argv[i]);
			*valued_slot(a, k) = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
		} else if (strcmp(argv[i], "--ovmf-hash-only") == 0) {
			a->hash_only = 1;
		} else {
			return usage_error("unexpected argument \"%.100s\"", argv[i]);
		}
	}
	if (a->ovmf == NULL)
		return usage_error("%s is required", "--ovmf");
	if (a->hash_only) {
		for (k = 0; k < KBS_ARRAY_SIZE(valued); k++) {
			if (*valued_slot(a, k) != NULL && strcmp(valued[k].name, "--ovmf") != 0)
				return usage_error(
				    "%s does not go with --ovmf-hash-only", valued[k].name);
		}
	}
	if (a->kernel == NULL && (a->initrd != NULL || a->append != NULL))
		return usage_error(
		    "%s needs --kernel", a->initrd != NULL ? "--initrd" : "--append");
	return EXIT_OK;
}

/*
 * parse_number reads a whole decimal (base 10) or hexadecimal (base 16,
 * "0x" optional) number up to max: no sign, no spaces, nothing after.
 */
static int
parse_number(const char *s, int base, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end = NULL;

	if (base == 16 ? !isxdigit((unsigned char)s[0]) : !isdigit((unsigned char)s[0]))
		return KBS_ERR_NUMBER_RANGE;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return KBS_ERR_NUMBER_RANGE;
	*ret = v;
	return 0;
}

static int
option_number(const char *name, const char *value, int base, uint64_t max, uint64_t *ret)
{
	if (parse_number(value, base, max, ret) != 0) {
		fprintf(stderr, "kbs-policy measure: %s \"%.100s\": not a %s number up to %llu\n",
		    name, value, base == 16 ? "hexadecimal" : "decimal", (unsigned long long)max);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* resolve_vcpu_sig: at most one way of naming the vCPU; QEMU needs one. */
static int
resolve_vcpu_sig(const struct measure_args *a, enum snp_vmm vmm, uint32_t *ret)
{
	int fms = a->vcpu_family != NULL || a->vcpu_model != NULL || a->vcpu_stepping != NULL;
	int forms = (a->vcpu_type != NULL) + (a->vcpu_sig != NULL) + fms;
	uint64_t f, m, s, v;
	size_t i;
	int r;

	*ret = 0;
	if (forms > 1)
		return usage_error("%s",
		    "give one of --vcpu-type, --vcpu-sig or "
		    "--vcpu-family/--vcpu-model/--vcpu-stepping");
	if (forms == 0) {
		if (snp_vmm_uses_vcpu_sig(vmm))
			return usage_error(
			    "--vmm-type %s puts the vCPU signature into the VMSA: give "
			    "--vcpu-type, --vcpu-sig or --vcpu-family/--vcpu-model/"
			    "--vcpu-stepping",
			    snp_vmm_name(vmm));
		return EXIT_OK;
	}
	if (a->vcpu_type != NULL) {
		if ((r = snp_vcpu_sig_from_type(a->vcpu_type, ret)) == 0)
			return EXIT_OK;
		fprintf(stderr,
		    "kbs-policy measure: --vcpu-type \"%.100s\": %s (%s); known:", a->vcpu_type,
		    kbs_err_str(r), kbs_err_name(r));
		for (i = 0; snp_vcpu_type_name(i) != NULL; i++)
			fprintf(stderr, " %s", snp_vcpu_type_name(i));
		fprintf(stderr, "\n");
		return EXIT_USAGE;
	}
	if (a->vcpu_sig != NULL) {
		if ((r = option_number("--vcpu-sig", a->vcpu_sig, 16, UINT32_MAX, &v)) != EXIT_OK)
			return r;
		*ret = (uint32_t)v;
		return EXIT_OK;
	}
	if (a->vcpu_family == NULL || a->vcpu_model == NULL || a->vcpu_stepping == NULL)
		return usage_error(
		    "%s", "--vcpu-family, --vcpu-model and --vcpu-stepping go together");
	if ((r = option_number("--vcpu-family", a->vcpu_family, 10, 270, &f)) != EXIT_OK ||
	    (r = option_number("--vcpu-model", a->vcpu_model, 10, 255, &m)) != EXIT_OK ||
	    (r = option_number("--vcpu-stepping", a->vcpu_stepping, 10, 15, &s)) != EXIT_OK)
		return r;
	if ((r = snp_vcpu_sig_from_fms((uint32_t)f, (uint32_t)m, (uint32_t)s, ret)) != 0) {
		fprintf(
		    stderr, "kbs-policy measure: vCPU family/model/stepping: %s\n", kbs_err_str(r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int
read_input(const char *what, const char *path, size_t max, uint8_t **ret_data, size_t *ret_len)
{
	int r = kbs_file_read(path, max, ret_data, ret_len);

	if (r != 0) {
		fprintf(stderr, "kbs-policy measure: cannot read %s %.200s: %s%s%s\n", what, path,
		    kbs_err_str(r), r == KBS_ERR_SYSTEM ? ": " : "",
		    r == KBS_ERR_SYSTEM ? strerror(errno) : "");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* measure_error reports a failed computation: on the option it concerns, or on the OVMF. */
static int
measure_error(const struct measure_args *a, int r)
{
	switch (r) {
	case KBS_ERR_MEASURE_VCPU_COUNT:
		fprintf(stderr, "kbs-policy measure: --vcpus %s: %s (%s)\n",
		    a->vcpus != NULL ? a->vcpus : "1", kbs_err_str(r), kbs_err_name(r));
		return EXIT_USAGE;
	case KBS_ERR_MEASURE_GUEST_FEATURES:
		fprintf(stderr, "kbs-policy measure: --guest-features %s: %s (%s)\n",
		    a->guest_features != NULL ? a->guest_features : "0x1", kbs_err_str(r),
		    kbs_err_name(r));
		return EXIT_USAGE;
	default:
		fprintf(stderr, "kbs-policy measure: %.200s: %s (%s)\n", a->ovmf, kbs_err_str(r),
		    kbs_err_name(r));
		return r == KBS_ERR_ALLOC || r == KBS_ERR_CRYPTO_INIT ? EXIT_USAGE : EXIT_FAIL;
	}
}

static int
add_hex(cJSON *obj, const char *key, const uint8_t *data, size_t len)
{
	char hex[2 * SNP_LAUNCH_DIGEST_SIZE + 1];

	if (len > SNP_LAUNCH_DIGEST_SIZE || kbs_hex_encode(data, len, hex, sizeof(hex)) != 0)
		return -1;
	return cJSON_AddStringToObject(obj, key, hex) != NULL ? 0 : -1;
}

/* add_u64 adds v as a "0x..." string, zero-padded to width hex digits. */
static int
add_u64(cJSON *obj, const char *key, int width, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%0*llx", width, v);
	return cJSON_AddStringToObject(obj, key, buf) != NULL ? 0 : -1;
}

/* add_path_digest adds {"path": path or null, "sha256": hex}. */
static int
add_path_digest(cJSON *root, const char *key, const char *path, const uint8_t *sha256)
{
	cJSON *o = cJSON_AddObjectToObject(root, key);

	if (o == NULL)
		return -1;
	if ((path != NULL ? cJSON_AddStringToObject(o, "path", path)
			  : cJSON_AddNullToObject(o, "path")) == NULL)
		return -1;
	return add_hex(o, "sha256", sha256, SNP_SHA256_SIZE);
}

static int
add_ovmf(
    cJSON *root, const struct measure_args *a, const struct measure_facts *f, const uint8_t *seed)
{
	cJSON *o, *arr, *s;
	size_t i;

	if ((o = cJSON_AddObjectToObject(root, "ovmf")) == NULL ||
	    cJSON_AddStringToObject(o, "path", a->ovmf) == NULL ||
	    cJSON_AddNumberToObject(o, "size", (double)f->ovmf_len) == NULL ||
	    add_hex(o, "sha256", f->ovmf_sha256, SNP_SHA256_SIZE) != 0 ||
	    cJSON_AddStringToObject(o, "pages", seed != NULL ? "from --snp-ovmf-hash" : "hashed") ==
		NULL ||
	    (seed != NULL && add_hex(o, "snp_ovmf_hash", seed, SNP_LAUNCH_DIGEST_SIZE) != 0) ||
	    add_u64(o, "sev_es_reset_eip", 8, f->info.reset_eip) != 0)
		return -1;
	if (f->info.has_hash_table) {
		if ((s = cJSON_AddObjectToObject(o, "hash_table")) == NULL ||
		    add_u64(s, "gpa", 8, f->info.hash_table_gpa) != 0 ||
		    add_u64(s, "size", 0, f->info.hash_table_size) != 0)
			return -1;
	} else if (cJSON_AddNullToObject(o, "hash_table") == NULL) {
		return -1;
	}
	if ((arr = cJSON_AddArrayToObject(o, "sections")) == NULL)
		return -1;
	for (i = 0; i < f->info.nsections; i++) {
		const struct snp_ovmf_section *sec = &f->info.sections[i];

		if ((s = cJSON_CreateObject()) == NULL)
			return -1;
		if (!cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return -1;
		}
		if (cJSON_AddStringToObject(s, "type", snp_ovmf_section_name(sec->type)) == NULL ||
		    add_u64(s, "gpa", 8, sec->gpa) != 0 || add_u64(s, "size", 0, sec->size) != 0)
			return -1;
	}
	return 0;
}

static int
add_launch(cJSON *root, const struct measure_args *a, const struct measure_facts *f)
{
	cJSON *c;

	if (f->kernel == NULL) {
		if (cJSON_AddNullToObject(root, "kernel") == NULL ||
		    cJSON_AddNullToObject(root, "initrd") == NULL ||
		    cJSON_AddNullToObject(root, "cmdline") == NULL)
			return -1;
	} else if (add_path_digest(root, "kernel", a->kernel, f->kernel->kernel) != 0 ||
	    add_path_digest(root, "initrd", a->initrd, f->kernel->initrd) != 0 ||
	    (c = cJSON_AddObjectToObject(root, "cmdline")) == NULL ||
	    cJSON_AddStringToObject(c, "value", a->append != NULL ? a->append : "") == NULL ||
	    add_hex(c, "sha256", f->kernel->cmdline, SNP_SHA256_SIZE) != 0) {
		return -1;
	}
	if (cJSON_AddNumberToObject(root, "vcpus", f->vcpus) == NULL ||
	    (a->vcpu_type != NULL ? cJSON_AddStringToObject(root, "vcpu_type", a->vcpu_type)
				  : cJSON_AddNullToObject(root, "vcpu_type")) == NULL)
		return -1;
	/* The signature is shown only where it enters the VMSA. */
	if (snp_vmm_uses_vcpu_sig(f->vmm)) {
		if (add_u64(root, "vcpu_sig", 8, f->vcpu_sig) != 0)
			return -1;
	} else if (cJSON_AddNullToObject(root, "vcpu_sig") == NULL) {
		return -1;
	}
	if (cJSON_AddStringToObject(root, "vmm", snp_vmm_name(f->vmm)) == NULL ||
	    add_u64(root, "guest_features", 0, f->guest_features) != 0)
		return -1;
	return 0;
}

static int
print_result(const struct measure_args *a, const struct measure_facts *f, const uint8_t *seed)
{
	char hex[2 * SNP_LAUNCH_DIGEST_SIZE + 1], *out = NULL;
	cJSON *root = NULL;
	int r = EXIT_USAGE;

	if (kbs_hex_encode(f->digest, sizeof(f->digest), hex, sizeof(hex)) != 0)
		return EXIT_USAGE;
	if (!a->json) {
		printf("%s\n", hex);
		return EXIT_OK;
	}
	if ((root = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(root, "mode", a->hash_only ? "ovmf-hash" : "snp") == NULL ||
	    cJSON_AddStringToObject(root, "digest", hex) == NULL ||
	    add_ovmf(root, a, f, seed) != 0 || (!a->hash_only && add_launch(root, a, f) != 0) ||
	    (out = cJSON_Print(root)) == NULL) {
		fprintf(stderr, "kbs-policy measure: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		goto out;
	}
	printf("%s\n", out);
	r = EXIT_OK;
out:
	free(out);
	cJSON_Delete(root);
	return r;
}

/* boot_hashes reads the kernel and initrd, hashes them, and frees them again. */
static int
boot_hashes(const struct measure_args *a, struct snp_kernel_hashes *ret)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	int r, ex = EXIT_USAGE;

	if (read_input("kernel", a->kernel, MAX_BOOT_FILE, &kernel, &klen) != EXIT_OK ||
	    (a->initrd != NULL &&
		read_input("initrd", a->initrd, MAX_BOOT_FILE, &initrd, &ilen) != EXIT_OK))
		goto out;
	if ((r = snp_kernel_hashes_compute(kernel, klen, initrd, ilen, a->append, ret)) != 0) {
		fprintf(stderr, "kbs-policy measure: %s\n", kbs_err_str(r));
		goto out;
	}
	ex = EXIT_OK;
out:
	free(kernel);
	free(initrd);
	return ex;
}

int
cmd_measure(int argc, char **argv)
{
	struct measure_args a;
	struct measure_facts f;
	struct snp_kernel_hashes hashes;
	struct snp_launch_params p;
	uint8_t seed[SNP_LAUNCH_DIGEST_SIZE], *ovmf = NULL;
	uint64_t v;
	int r, ex;

	if (argc == 1 && strcmp(argv[0], "--help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if ((ex = parse_args(argc, argv, &a)) != EXIT_OK)
		return ex;
	memset(&f, 0, sizeof(f));
	memset(&p, 0, sizeof(p));
	f.vmm = SNP_VMM_QEMU;
	f.vcpus = 1;
	f.guest_features = 0x1;
	if (a.vmm != NULL && snp_vmm_from_name(a.vmm, &f.vmm) != 0)
		return usage_error("--vmm-type \"%.100s\": must be qemu, ec2 or gce", a.vmm);
	if (a.vcpus != NULL) {
		if ((ex = option_number("--vcpus", a.vcpus, 10, UINT32_MAX, &v)) != EXIT_OK)
			return ex;
		f.vcpus = (uint32_t)v;
	}
	if (a.guest_features != NULL &&
	    (ex = option_number("--guest-features", a.guest_features, 16, UINT64_MAX,
		 &f.guest_features)) != EXIT_OK)
		return ex;
	if (a.ovmf_hash != NULL &&
	    kbs_hex_decode_exact(a.ovmf_hash, strlen(a.ovmf_hash), seed, sizeof(seed)) != 0)
		return usage_error(
		    "--snp-ovmf-hash: %s", "must be exactly 96 hex digits (48 bytes)");
	if (!a.hash_only && (ex = resolve_vcpu_sig(&a, f.vmm, &f.vcpu_sig)) != EXIT_OK)
		return ex;

	if ((ex = read_input("OVMF", a.ovmf, SNP_OVMF_MAX_SIZE, &ovmf, &f.ovmf_len)) != EXIT_OK)
		goto out;
	if (a.json)
		crypto_hash_sha256(f.ovmf_sha256, ovmf, f.ovmf_len);
	if ((r = snp_ovmf_parse(ovmf, f.ovmf_len, &f.info)) != 0) {
		ex = measure_error(&a, r);
		goto out;
	}
	if (a.hash_only) {
		if ((r = snp_ovmf_digest(ovmf, f.ovmf_len, f.digest)) != 0)
			ex = measure_error(&a, r);
		else
			ex = print_result(&a, &f, NULL);
		goto out;
	}
	if (a.kernel != NULL) {
		if ((ex = boot_hashes(&a, &hashes)) != EXIT_OK)
			goto out;
		f.kernel = &hashes;
	}
	p.ovmf = ovmf;
	p.ovmf_len = f.ovmf_len;
	p.ovmf_digest = a.ovmf_hash != NULL ? seed : NULL;
	p.kernel = f.kernel;
	p.vcpus = f.vcpus;
	p.vcpu_sig = f.vcpu_sig;
	p.vmm = f.vmm;
	p.guest_features = f.guest_features;
	if ((r = snp_launch_digest(&p, f.digest)) != 0) {
		ex = measure_error(&a, r);
		goto out;
	}
	ex = print_result(&a, &f, p.ovmf_digest);
out:
	free(ovmf);
	return ex;
}
