/*
 * certcache.c: the verifier's parse cache of certificates given as DER
 * (snp_verifier_certs_add, snp.h).
 *
 * Why: a guest sends its VCEK and ASK with every report, and parsing them
 * (d2i_X509, whose public key goes through OpenSSL 3.0's provider decoder,
 * then the strict-DER re-encode and the SHA-256 identity) costs about 0.6
 * of the one P-384 verification an attestation must pay, even when the
 * chain itself is cached (docs/performance.md).
 *
 * What makes a hit equivalent to a parse: only input that snp_certs_add
 * reads as exactly one strict-DER certificate is cached, under the
 * SHA-256 of the input bytes. DER has one encoding per value and
 * snp_certs_add accepts nothing else, so equal bytes always parse to the
 * same certificate with the same identity digest; any other input (PEM,
 * several certificates, errors, a full set) takes snp_certs_add's own
 * path, so its codes are unchanged.
 *
 * Sharing: a cached X509 is handed out by reference (X509_up_ref) and only
 * read afterwards, as the compiled-in roots are read by every thread;
 * OpenSSL guards its lazily computed extension data with the object's own
 * lock. The table is direct-mapped (CERTCACHE_SLOTS slots by the first
 * bytes of the key, a newcomer replaces the slot's entry), so it is
 * bounded whatever an attacker sends: a miss costs what a parse costs now.
 */
#include "verify-int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define SNP_CERT_INPUT_MAX (1u << 20) /* as certs.c */
#define DER_SEQUENCE 0x30

struct certcache_slot {
	int used;
	uint8_t key[32];        /* SHA-256 of the input bytes */
	uint8_t der_sha256[32]; /* the identity snp_certs_add computed */
	X509 *x509;             /* one reference held by the cache */
};

struct snp_certcache {
	pthread_mutex_t lock;
	size_t hits, misses;
	struct certcache_slot slot[SNP_CERTCACHE_SLOTS];
};

int
snp_certcache_new(struct snp_certcache **ret)
{
	struct snp_certcache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return KBS_ERR_ALLOC;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return KBS_ERR_INTERNAL;
	}
	*ret = c;
	return 0;
}

void
snp_certcache_free(struct snp_certcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < SNP_CERTCACHE_SLOTS; i++)
		X509_free(c->slot[i].x509);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
snp_certcache_stats(struct snp_certcache *c, size_t *ret_hits, size_t *ret_misses)
{
	pthread_mutex_lock(&c->lock);
	*ret_hits = c->hits;
	*ret_misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}

static size_t
slot_of(const uint8_t key[32])
{
	return ((size_t)key[0] | (size_t)key[1] << 8) % SNP_CERTCACHE_SLOTS;
}

int
snp_verifier_certs_add(
    struct snp_verifier *v, struct snp_certs *certs, const uint8_t *data, size_t len)
{
	struct snp_certcache *c;
	struct certcache_slot *s;
	uint8_t key[32];
	unsigned int mdlen = 0;
	X509 *hit = NULL;
	int r;

	if (v == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	c = v->certcache;
	/* Everything but one plausible DER certificate into a set with room: the plain path. */
	if (certs == NULL || data == NULL || len == 0 || len > SNP_CERT_INPUT_MAX ||
	    data[0] != DER_SEQUENCE || certs->n >= SNP_CERTS_MAX)
		return snp_certs_add(certs, data, len);
	if (EVP_Digest(data, len, key, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return KBS_ERR_INTERNAL;
	s = &c->slot[slot_of(key)];
	pthread_mutex_lock(&c->lock);
	if (s->used && memcmp(s->key, key, 32) == 0 && X509_up_ref(s->x509) == 1) {
		hit = s->x509;
		memcpy(certs->e[certs->n].der_sha256, s->der_sha256, 32);
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->lock);
	if (hit != NULL) {
		certs->e[certs->n].x509 = hit;
		certs->n++;
		return 0;
	}
	if ((r = snp_certs_add(certs, data, len)) != 0)
		return r;
	/* DER input is exactly one certificate (certs.c), the one just appended. */
	pthread_mutex_lock(&c->lock);
	/* Another thread may have parsed the same bytes meanwhile: keep its entry. */
	if (!(s->used && memcmp(s->key, key, 32) == 0) &&
	    X509_up_ref(certs->e[certs->n - 1].x509) == 1) {
		X509_free(s->x509);
		s->x509 = certs->e[certs->n - 1].x509;
		memcpy(s->key, key, 32);
		memcpy(s->der_sha256, certs->e[certs->n - 1].der_sha256, 32);
		s->used = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}
