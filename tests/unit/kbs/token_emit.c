/*
 * token_emit: prints the broker's JWKS and a token issued now (one line
 * each) for check_pyjwt.py, which verifies the token with PyJWT, an
 * independent JWT library, as a relying party would.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kbs_common.h"
#include "token_fixture.h"

int
main(void)
{
	struct token_fixture f;
	char *jwks = NULL, *t = NULL;
	size_t jl = 0, tl = 0;

	if (kbs_crypto_init() != 0 || token_fixture_init(&f) != 0)
		return 2;
	f.claims.iat = kbs_time_now();
	f.claims.exp = f.claims.iat + KBS_TOKEN_LIFETIME_DEFAULT;
	if (kbs_token_jwks(&f.key, &jwks, &jl) != 0 ||
	    kbs_token_sign(&f.key, f.sk, &f.claims, &t, &tl) != 0)
		return 2;
	printf("%s\n%s\n", jwks, t);
	free(jwks);
	free(t);
	return 0;
}
