/*
 * sim_test.h: what the client tests share: one scratch directory and one
 * set of simulated-chip keys per program (RSA-4096 generation takes
 * seconds, so it happens once, in sim_test_setup).
 */
#ifndef KBS_SIM_TEST_H
#define KBS_SIM_TEST_H

#include <stdlib.h>

#include "sim.h"
#include "test.h"

static char sim_test_base[256];
static struct sim_keys sim_test_keys;

/* sim_test_setup makes the scratch directory (named after what) and the keys, once. */
static inline int
sim_test_setup(const char *what)
{
	const char *tmp = getenv("TMPDIR");

	if (sim_test_keys.ark != NULL)
		return 0;
	snprintf(sim_test_base, sizeof(sim_test_base), "%s/kbs-test-%s-XXXXXX",
	    tmp != NULL ? tmp : "/tmp", what);
	CHECK(mkdtemp(sim_test_base) != NULL);
	CHECK_OK(sim_keys_generate(&sim_test_keys));
	return 1;
}

/* sim_test_teardown frees the keys and removes the scratch directory. */
static inline void
sim_test_teardown(void)
{
	char cmd[400];

	sim_keys_clear(&sim_test_keys);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sim_test_base);
	CHECK(system(cmd) == 0);
}

#endif
