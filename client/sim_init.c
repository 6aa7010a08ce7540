/*
 * sim_init.c: `kbs-client sim-init DIR`, making a simulated chip directory
 * (the layout is in sim.h).
 *
 * All or nothing: the directory may exist (it is created 0700 otherwise)
 * but must hold none of the chip's files; each file is created with
 * O_EXCL, and if any step fails every file written is removed again. The
 * VCEK private key is written 0600; the ARK and ASK private keys are never
 * written. Every line printed says "simulated": the output is meant to be
 * pasted into demos and logs, where it must not pass for a real chip.
 */
#include "cli.h"
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

enum chip_part { PART_ARK, PART_ASK, PART_VCEK, PART_KEY, PART_CONF };

/* The chip's files, in the order they are written (and removed on failure). */
static const struct {
	const char *name;
	enum chip_part part;
} chip_files[] = {
	{ SIM_FILE_ARK, PART_ARK },
	{ SIM_FILE_ASK, PART_ASK },
	{ SIM_FILE_VCEK, PART_VCEK },
	{ SIM_FILE_KEY, PART_KEY },
	{ SIM_FILE_CONF, PART_CONF },
};

static int
write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const uint8_t *p = data;
	size_t off = 0;
	ssize_t n;
	int fd, saved, r = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
		return errno == EEXIST ? KBS_ERR_EXISTS : KBS_ERR_SYSTEM;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = KBS_ERR_SYSTEM;
			break;
		}
		off += (size_t)n;
	}
	saved = errno;
	if (close(fd) != 0 && r == 0) {
		r = KBS_ERR_SYSTEM;
		saved = errno;
	}
	/* Never leave a half-written file that a later sim-init would refuse to replace. */
	if (r != 0)
		(void)unlink(path);
	errno = saved;
	return r;
}

/* write_bio writes a memory BIO's contents to a new file. */
static int
write_bio(const char *dir, const char *name, BIO *bio, mode_t mode)
{
	char path[PATH_MAX];
	char *data = NULL;
	long len;
	int r;

	if ((r = sim_path(path, sizeof(path), dir, name)) != 0)
		return r;
	if ((len = BIO_get_mem_data(bio, &data)) <= 0)
		return KBS_ERR_INTERNAL;
	return write_new_file(path, data, (size_t)len, mode);
}

static int
write_cert(const char *dir, const char *name, X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int r = KBS_ERR_INTERNAL;

	if (bio != NULL && PEM_write_bio_X509(bio, x) == 1)
		r = write_bio(dir, name, bio, 0644);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

/* write_key writes the VCEK private key, unencrypted PKCS#8, through a wiped buffer. */
static int
write_key(const char *dir, const char *name, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int r = KBS_ERR_INTERNAL;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
		r = write_bio(dir, name, bio, 0600);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

static int
write_conf(const char *dir, const char *name, const struct sim_config *cfg)
{
	char path[PATH_MAX], *text = NULL;
	int r;

	if ((r = sim_path(path, sizeof(path), dir, name)) != 0 ||
	    (r = sim_config_format(cfg, &text)) != 0)
		return r;
	r = write_new_file(path, text, strlen(text), 0644);
	free(text);
	return r;
}

/* prepare_dir creates dir 0700 if missing; it must then hold none of the chip's files. */
static int
prepare_dir(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int r;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return KBS_ERR_SYSTEM;
	if (stat(dir, &st) != 0)
		return KBS_ERR_SYSTEM;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return KBS_ERR_SYSTEM;
	}
	for (i = 0; i < KBS_ARRAY_SIZE(chip_files); i++) {
		if ((r = sim_path(path, sizeof(path), dir, chip_files[i].name)) != 0)
			return r;
		if (lstat(path, &st) == 0)
			return KBS_ERR_EXISTS;
		if (errno != ENOENT)
			return KBS_ERR_SYSTEM;
	}
	return 0;
}

/* write_part writes one of the chip's files, named name. */
static int
write_part(enum chip_part part, const char *dir, const char *name, const struct sim_chain *chain,
    const struct sim_keys *keys, const struct sim_config *cfg)
{
	switch (part) {
	case PART_ARK:
		return write_cert(dir, name, chain->ark);
	case PART_ASK:
		return write_cert(dir, name, chain->ask);
	case PART_VCEK:
		return write_cert(dir, name, chain->vcek);
	case PART_KEY:
		return write_key(dir, name, keys->vcek);
	case PART_CONF:
		return write_conf(dir, name, cfg);
	}
	return KBS_ERR_INTERNAL;
}

int
sim_init_dir(
    const char *dir, const struct sim_config *cfg, const struct sim_keys *keys, int64_t now)
{
	struct sim_chain chain;
	char path[PATH_MAX];
	size_t done = 0, i;
	int r, saved;

	if (dir == NULL || cfg == NULL || keys == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&chain, 0, sizeof(chain));
	if ((r = sim_config_check(cfg)) != 0 || (r = sim_chain_issue(cfg, keys, now, &chain)) != 0)
		return r;
	if ((r = prepare_dir(dir)) != 0)
		goto out;
	for (done = 0; done < KBS_ARRAY_SIZE(chip_files); done++) {
		if ((r = write_part(chip_files[done].part, dir, chip_files[done].name, &chain, keys,
			 cfg)) != 0)
			goto out;
	}
	r = 0;
out:
	saved = errno;
	/* write_new_file removes a file it created but could not fill; these are whole. */
	for (i = 0; r != 0 && i < done; i++) {
		if (sim_path(path, sizeof(path), dir, chip_files[i].name) == 0)
			(void)unlink(path);
	}
	sim_chain_clear(&chain);
	errno = saved;
	return r;
}

/* ---- the command -------------------------------------------------------------- */

#define SIM_INIT_USAGE \
	"usage: kbs-client sim-init DIR [--product milan|genoa|turin] [--measurement HEX]\n" \
	"       [--policy HEX] [--vmpl N] [--tcb bl=N,tee=N,snp=N,ucode=N[,fmc=N]]\n"

/* parse_policy reads 1..16 hex digits, with or without 0x. */
static int
parse_policy(const char *s, uint64_t *ret)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return sim_u64_hex_parse(s, strlen(s), ret);
}

struct sim_init_args {
	const char *dir;
	enum snp_product product;
	const char *measurement;
	const char *policy;
	const char *vmpl;
	const char *tcb;
};

static int
sim_init_parse_args(int argc, char **argv, struct sim_init_args *a)
{
	static const struct option options[] = {
		{ "product", required_argument, NULL, 'p' },
		{ "measurement", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'P' },
		{ "vmpl", required_argument, NULL, 'v' },
		{ "tcb", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->product = SNP_PRODUCT_MILAN;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (snp_product_from_name(optarg, &a->product) != 0 ||
			    strchr(optarg, '-') != NULL) {
				fprintf(stderr, "kbs-client sim-init: unknown product '%.40s'\n",
				    optarg);
				return -1;
			}
			break;
		case 'm':
			a->measurement = optarg;
			break;
		case 'P':
			a->policy = optarg;
			break;
		case 'v':
			a->vmpl = optarg;
			break;
		case 't':
			a->tcb = optarg;
			break;
		default:
			fprintf(stderr, SIM_INIT_USAGE);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, SIM_INIT_USAGE);
		return -1;
	}
	a->dir = argv[optind];
	return 0;
}

/* sim_init_config applies the options to the product's defaults. */
static int
sim_init_config(const struct sim_init_args *a, struct sim_config *cfg)
{
	if (sim_config_default(a->product, cfg) != 0) {
		fprintf(stderr, "kbs-client sim-init: %s\n", kbs_err_str(KBS_ERR_PRODUCT_UNKNOWN));
		return -1;
	}
	if (a->measurement != NULL &&
	    kbs_hex_decode_exact(a->measurement, strlen(a->measurement), cfg->measurement,
		sizeof(cfg->measurement)) != 0) {
		fprintf(stderr, "kbs-client sim-init: --measurement needs 96 hex digits\n");
		return -1;
	}
	if (a->policy != NULL && parse_policy(a->policy, &cfg->policy) != 0) {
		fprintf(stderr, "kbs-client sim-init: --policy needs 1 to 16 hex digits\n");
		return -1;
	}
	if (a->vmpl != NULL) {
		if (a->vmpl[0] < '0' || a->vmpl[0] > '3' || a->vmpl[1] != '\0') {
			fprintf(stderr, "kbs-client sim-init: --vmpl must be 0, 1, 2 or 3\n");
			return -1;
		}
		cfg->vmpl = (uint32_t)(a->vmpl[0] - '0');
	}
	if (a->tcb != NULL && sim_tcb_parse(a->tcb, a->product, &cfg->tcb) != 0) {
		fprintf(stderr,
		    "kbs-client sim-init: --tcb must be bl=N,tee=N,snp=N,ucode=N%s, each 0..255\n",
		    a->product == SNP_PRODUCT_TURIN ? "[,fmc=N]" : "");
		return -1;
	}
	return 0;
}

static void
print_summary(const char *dir, const struct sim_config *cfg)
{
	const struct sim_product *p = sim_product_info(cfg->product);
	char tcb[64], chip[2 * 64 + 1];

	sim_tcb_format(&cfg->tcb, cfg->product, tcb, sizeof(tcb));
	if (kbs_hex_encode(cfg->chip_id, p->hwid_len, chip, sizeof(chip)) != 0)
		chip[0] = '\0';
	printf("simulated %s chip created in %s: NOT AMD hardware; its reports verify only "
	       "with --trust-root %s/%s\n",
	    snp_product_name(cfg->product), dir, dir, SIM_FILE_ARK);
	printf("simulated ARK (trust root): %s/%s (CN=ARK-%s)\n", dir, SIM_FILE_ARK, p->name);
	printf("simulated ASK: %s/%s (CN=SEV-%s)\n", dir, SIM_FILE_ASK, p->name);
	printf("simulated VCEK: %s/%s, private key %s/%s (mode 0600)\n", dir, SIM_FILE_VCEK, dir,
	    SIM_FILE_KEY);
	printf("simulated chip: %s/%s (report v%u, tcb %s, chip id %s)\n", dir, SIM_FILE_CONF,
	    p->report_version, tcb, chip);
	printf("simulated reports: kbs-client sim-report --attester sim:%s --report-data HEX "
	       "--out R.bin\n",
	    dir);
}

int
cmd_sim_init(int argc, char **argv)
{
	struct sim_init_args a;
	struct sim_config cfg;
	struct sim_keys keys;
	int r, rc = CLI_EXIT_USAGE;

	memset(&keys, 0, sizeof(keys));
	if (sim_init_parse_args(argc, argv, &a) != 0 || sim_init_config(&a, &cfg) != 0)
		return CLI_EXIT_USAGE;
	/* Refuse a bad directory before seconds of RSA key generation. */
	if ((r = prepare_dir(a.dir)) != 0 || (r = sim_keys_generate(&keys)) != 0 ||
	    (r = sim_init_dir(a.dir, &cfg, &keys, kbs_time_now())) != 0) {
		if (r == KBS_ERR_SYSTEM)
			fprintf(stderr, "kbs-client sim-init: %.200s: %s: %s\n", a.dir,
			    kbs_err_str(r), strerror(errno));
		else if (r == KBS_ERR_EXISTS)
			fprintf(stderr,
			    "kbs-client sim-init: %.200s already holds a simulated chip "
			    "(%s): remove it first\n",
			    a.dir, kbs_err_str(r));
		else
			fprintf(stderr, "kbs-client sim-init: %.200s: %s\n", a.dir, kbs_err_str(r));
		goto out;
	}
	print_summary(a.dir, &cfg);
	rc = CLI_EXIT_OK;
out:
	sim_keys_clear(&keys);
	return rc;
}
