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

/*
 * attester_sevguest_take_response reads what SNP_GET_EXT_REPORT returned:
 * resp[0..resp_len) the response message (status u32, report size u32,
 * 24 reserved bytes, the report), certs[0..certs_len) the certificate
 * buffer (taken: owned by *ret on success, freed otherwise). A buffer that
 * starts with the table's terminator means no certificates. On failure
 * detail names what was wrong. KBS_ERR_SEV_GUEST_RESPONSE (errno
 * EBADMSG) for a status other than 0 or a report size other than
 * SNP_REPORT_SIZE; attester_evidence_take_certtable's codes.
 */
KBS_MUST_CHECK int attester_sevguest_take_response(const uint8_t *resp, size_t resp_len,
    uint8_t *certs, size_t certs_len, struct attester_evidence *ret, char *detail,
    size_t detail_size);

/*
 * attester_tsm_parse_text reads a short configfs attribute's content
 * buf[0..len) into out (size bytes, NUL-terminated) without its trailing
 * newlines or NULs; attester_tsm_parse_u64 reads one as a decimal number
 * (generation, privlevel_floor). Both return 0, or -1 with errno EBADMSG
 * for content that does not fit or holds a NUL or, for the number,
 * anything but digits in range.
 */
int attester_tsm_parse_text(const uint8_t *buf, size_t len, char *out, size_t size);
int attester_tsm_parse_u64(const uint8_t *buf, size_t len, unsigned long long *ret);

/* sim_attester.c */
extern const struct attester_backend attester_sim_backend;
/* attester_tsm.c */
extern const struct attester_backend attester_tsm_backend;
/* attester_sevguest.c */
extern const struct attester_backend attester_sevguest_backend;

#endif
