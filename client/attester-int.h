/*
 * attester-int.h: the backend table behind attester.h, private to client/.
 *
 * A backend turns the ARG of its spec into state, reports, and nothing
 * else: attester.c owns the spec syntax and the handle.
 */
#ifndef KBS_CLIENT_ATTESTER_INT_H
#define KBS_CLIENT_ATTESTER_INT_H

#include "attester.h"

struct attester_backend {
	const char *kind; /* the spec up to ':' */
	int needs_arg;    /* 1: "KIND:ARG" with a non-empty ARG is required */
	int simulated;    /* 1: not a real chip */
	/* open: arg is NULL when the spec had none. */
	int (*open)(const char *arg, void **ret_state);
	int (*get_report)(
	    void *state, const uint8_t report_data[64], struct attester_evidence *ret);
	void (*close)(void *state);
};

/* sim_attester.c */
extern const struct attester_backend attester_sim_backend;

#endif
