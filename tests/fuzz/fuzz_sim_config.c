/*
 * fuzz_sim_config.c: sim_config_parse (chip.conf of the simulated chip) on
 * arbitrary bytes; what parses must format and parse back to the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_config cfg, back;
	struct sim_config_error err;
	char *text = NULL;

	if (sim_config_parse((const char *)data, size, &cfg, &err) != 0) {
		if (err.message[0] == '\0' ||
		    memchr(err.message, '\0', sizeof(err.message)) == NULL)
			__builtin_trap(); /* every refusal says why */
		return 0;
	}
	if (sim_config_format(&cfg, &text) != 0 ||
	    sim_config_parse(text, strlen(text), &back, NULL) != 0 ||
	    memcmp(&cfg, &back, sizeof(cfg)) != 0)
		__builtin_trap();
	free(text);
	return 0;
}
