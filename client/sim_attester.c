/*
 * sim_attester.c: the "sim:DIR" attester, a simulated SEV-SNP chip.
 *
 * Each request gets a fresh random REPORT_ID and a report laid out and
 * signed by sim_report_build (sim_report.c, which says how), re-parsed with
 * snp_report_parse before it is returned, with the VCEK and ASK (DER).
 *
 * DIR is read once at open: chip.conf, vcek.pem, ask.pem and vcek.key,
 * which must not be readable by group or others and must be the VCEK's key.
 */
#include "attester-int.h"
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#define SIM_FILE_MAX (64u * 1024)

struct sim_state {
	struct sim_config cfg;
	EVP_PKEY *key;
	struct attester_cert vcek;
	struct attester_cert ask;
};

/* ---- open: the chip directory ------------------------------------------- */

/* no_passphrase refuses encrypted keys rather than prompting on a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* read_cert_der reads one PEM certificate file and returns its DER. */
static int
read_cert_der(const char *dir, const char *name, X509 **ret_x509, struct attester_cert *ret)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL;
	int dlen, r;

	if ((r = sim_path(path, sizeof(path), dir, name)) != 0)
		return r;
	if ((r = kbs_file_read(path, SIM_FILE_MAX, &data, &len)) != 0)
		return r;
	r = KBS_ERR_SIM_KEY;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL)
		goto out;
	if ((dlen = i2d_X509(x, &der)) <= 0)
		goto out;
	if ((ret->der = malloc((size_t)dlen)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	memcpy(ret->der, der, (size_t)dlen);
	ret->len = (size_t)dlen;
	if (ret_x509 != NULL) {
		*ret_x509 = x;
		x = NULL;
	}
	r = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	free(data);
	ERR_clear_error();
	return r;
}

/*
 * read_key reads vcek.key through one descriptor, so the mode checked is
 * that of the file read: group or other access is refused.
 */
static int
read_key(const char *dir, EVP_PKEY **ret)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	ssize_t n;
	struct stat st;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int fd = -1, r, saved;

	if ((r = sim_path(path, sizeof(path), dir, SIM_FILE_KEY)) != 0)
		return r;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return KBS_ERR_SYSTEM;
	r = KBS_ERR_SYSTEM;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (off_t)SIM_FILE_MAX) {
		r = KBS_ERR_SIM_KEY;
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		r = KBS_ERR_SIM_KEY_PERMS;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? KBS_ERR_SYSTEM : KBS_ERR_SIM_KEY;
			goto out;
		}
		len += (size_t)n;
	}
	r = KBS_ERR_SIM_KEY;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL)
		goto out;
	*ret = key;
	key = NULL;
	r = 0;
out:
	saved = errno;
	EVP_PKEY_free(key);
	BIO_free(bio);
	if (buf != NULL) {
		sodium_memzero(buf, (size_t)st.st_size);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	errno = saved;
	return r;
}

static int
read_config(const char *dir, struct sim_config *ret)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if ((r = sim_path(path, sizeof(path), dir, SIM_FILE_CONF)) != 0)
		return r;
	if ((r = kbs_file_read(path, SIM_FILE_MAX, &data, &len)) != 0)
		return r;
	r = sim_config_parse((const char *)data, len, ret, NULL);
	free(data);
	return r;
}

static void
sim_close(void *state)
{
	struct sim_state *s = state;

	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	free(s->vcek.der);
	free(s->ask.der);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static int
sim_open(const char *dir, void **ret_state)
{
	struct sim_state *s = NULL;
	X509 *vcek = NULL;
	EVP_PKEY *pub;
	int r = KBS_ERR_INTERNAL;

	if (dir == NULL || *dir == '\0')
		return KBS_ERR_ATTESTER_SPEC;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = read_config(dir, &s->cfg)) != 0 ||
	    (r = read_cert_der(dir, SIM_FILE_VCEK, &vcek, &s->vcek)) != 0 ||
	    (r = read_cert_der(dir, SIM_FILE_ASK, NULL, &s->ask)) != 0 ||
	    (r = read_key(dir, &s->key)) != 0)
		goto out;
	/* The key must be the VCEK's: else every report would fail its signature check. */
	pub = X509_get0_pubkey(vcek);
	if (pub == NULL || EVP_PKEY_get_base_id(s->key) != EVP_PKEY_EC ||
	    EVP_PKEY_eq(pub, s->key) != 1) {
		r = KBS_ERR_SIM_KEY;
		goto out;
	}
	*ret_state = s;
	s = NULL;
	r = 0;
out:
	X509_free(vcek);
	sim_close(s);
	ERR_clear_error();
	return r;
}

static int
copy_cert(const struct attester_cert *from, struct attester_cert *to)
{
	if ((to->der = malloc(from->len)) == NULL)
		return KBS_ERR_ALLOC;
	memcpy(to->der, from->der, from->len);
	to->len = from->len;
	return 0;
}

static int
sim_get_report(void *state, const uint8_t report_data[64], struct attester_evidence *ret)
{
	struct sim_state *s = state;
	struct attester_evidence e;
	struct snp_report check;
	uint8_t report_id[32];
	int r;

	memset(&e, 0, sizeof(e));
	randombytes_buf(report_id, sizeof(report_id));
	if ((r = sim_report_build(&s->cfg, s->key, report_data, report_id, e.report)) != 0)
		goto out;
	/* What the simulator signs must at least be a report the verifier can parse. */
	if ((r = snp_report_parse(e.report, sizeof(e.report), &check)) != 0)
		goto out;
	if ((r = copy_cert(&s->vcek, &e.certs[0])) != 0)
		goto out;
	e.ncerts = 1;
	if ((r = copy_cert(&s->ask, &e.certs[1])) != 0)
		goto out;
	e.ncerts = 2;
	*ret = e;
	memset(&e, 0, sizeof(e));
	r = 0;
out:
	attester_evidence_clear(&e);
	return r;
}

const struct attester_backend attester_sim_backend = {
	.kind = "sim",
	.needs_arg = 1,
	.simulated = 1,
	.open = sim_open,
	.get_report = sim_get_report,
	.close = sim_close,
};
