/*
 * kbs_crypto_init.c: one place that initialises libsodium.
 */
#include "kbs_common.h"

#include <sodium.h>

int
kbs_crypto_init(void)
{
	return sodium_init() < 0 ? KBS_ERR_CRYPTO_INIT : 0;
}
