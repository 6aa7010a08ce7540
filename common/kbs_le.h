/*
 * kbs_le.h: little-endian stores, the writers' side of kbs_buf's getters.
 *
 * Every format the project writes (records, MAC inputs, replica values,
 * simulated reports, measured pages) stores its integers little-endian;
 * they all go through this one function, so no writer has its own loop.
 */
#ifndef KBS_LE_H
#define KBS_LE_H

#include <stddef.h>
#include <stdint.h>

/* kbs_le_put stores the low n bytes of v (n at most 8) at p, least significant first. */
static inline void
kbs_le_put(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < sizeof(v); i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
