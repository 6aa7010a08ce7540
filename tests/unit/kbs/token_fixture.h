/*
 * token_fixture.h: fixed claims and keys for the token tests, the PyJWT
 * cross-check emitter and the fuzz seeds (header only, test code).
 */
#ifndef KBS_TOKEN_FIXTURE_H
#define KBS_TOKEN_FIXTURE_H

#include <sodium.h>
#include <string.h>

#include "token.h"

#define FIX_IAT 1760000000

struct token_fixture {
	uint8_t pk[32], sk[64];
	struct kbs_token_key key;
	struct kbs_token_secret secrets[2];
	struct kbs_token_claims claims;
};

static inline void
fix_seq(uint8_t *out, size_t n, uint8_t start)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(start + i);
}

/* token_fixture_init: identity seed 70..8f, a VCEK report, two secrets. Returns 0 or -1. */
static inline int
token_fixture_init(struct token_fixture *f)
{
	uint8_t seed[32];
	struct kbs_token_evidence *e = &f->claims.evidence;

	memset(f, 0, sizeof(*f));
	fix_seq(seed, 32, 0x70);
	if (crypto_sign_seed_keypair(f->pk, f->sk, seed) != 0 ||
	    kbs_token_key_init(f->pk, &f->key) != 0)
		return -1;
	snprintf(f->secrets[0].name, sizeof(f->secrets[0].name), "disk-key");
	snprintf(f->secrets[0].policy, sizeof(f->secrets[0].policy), "prod-disk-unlock");
	f->secrets[0].version = 3;
	fix_seq(f->secrets[0].sha256, 32, 0x00);
	snprintf(f->secrets[1].name, sizeof(f->secrets[1].name), "mpc/share-2");
	snprintf(f->secrets[1].policy, sizeof(f->secrets[1].policy), "mpc-party");
	f->secrets[1].version = 1;
	fix_seq(f->secrets[1].sha256, 32, 0x80);
	f->claims.iat = FIX_IAT;
	f->claims.exp = FIX_IAT + KBS_TOKEN_LIFETIME_DEFAULT;
	f->claims.jti = "0123456789abcdef0123456789abcdef";
	f->claims.build = "kbs 0.1.0";
	e->product = "genoa";
	e->report_version = 3;
	fix_seq(e->measurement, 48, 0xa0);
	fix_seq(e->host_data, 32, 0x10);
	e->signer = KBS_TOKEN_SIGNER_VCEK;
	fix_seq(e->chip_id, 64, 0x40);
	e->reported_tcb = 0x1500000000000004ULL;
	e->committed_tcb = 0x1500000000000004ULL;
	e->launch_tcb = 0x1400000000000003ULL;
	e->vmpl = 0;
	e->guest_svn = 7;
	e->policy = 0x30000;
	e->extra_root = true;
	fix_seq(f->claims.cnf_x25519, 32, 0xc0);
	f->claims.secret_count = 2;
	f->claims.secrets = f->secrets;
	return 0;
}

#endif
