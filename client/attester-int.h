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
	/* detail: the last failure's line, or NULL when the backend keeps none. */
	const char *(*detail)(const void *state);
	/* present: 1 when the machine has this attester (for auto); NULL: never picked. */
	int (*present)(void);
};

#define ATTESTER_DETAIL_MAX 160

/*
 * attester_evidence_take_certtable parses table (the platform's extended
 * report certificate table, snp_certtable_parse's format) into e: the VCEK
 * or VLEK first, then the ASK (the ARK is left out: it is the verifier's
 * root); e takes ownership of table on success and on failure frees it.
 * KBS_ERR_CERTTABLE_PARSE, KBS_ERR_CERTTABLE_DUPLICATE, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int attester_evidence_take_certtable(
    struct attester_evidence *e, uint8_t *table, size_t len);

/* sim_attester.c */
extern const struct attester_backend attester_sim_backend;
/* attester_tsm.c */
extern const struct attester_backend attester_tsm_backend;
/* attester_sevguest.c */
extern const struct attester_backend attester_sevguest_backend;

#endif
