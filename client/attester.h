/*
 * attester.h: where kbs-client gets attestation reports from.
 *
 * An attester is opened from a spec string "KIND" or "KIND:ARG" and
 * dispatched through a table keyed by KIND (attester.c):
 *   tsm       Linux configfs-tsm (attester_tsm.c); its root
 *             /sys/kernel/config/tsm/report is replaced by $KBS_TSM_ROOT
 *             (for tests only)
 *   sev-guest the SNP_GET_EXT_REPORT ioctl of /dev/sev-guest
 *             (attester_sevguest.c); the device is replaced by
 *             $KBS_SEV_GUEST_DEVICE (for tests only)
 *   auto      tsm if its report directory exists, else sev-guest if the
 *             device exists, else KBS_ERR_ATTESTER_NONE; never the
 *             simulator. attester_kind says which was picked.
 *   sim:DIR   the simulated chip made by `kbs-client sim-init DIR`
 *             (tests and demos only: its reports verify only against
 *             DIR/ark.pem given as an extra trust root)
 * A handle is used by one thread at a time.
 *
 * Errors are KBS_ERR_* codes; functions that can fail are KBS_MUST_CHECK;
 * destructors accept NULL.
 */
#ifndef KBS_CLIENT_ATTESTER_H
#define KBS_CLIENT_ATTESTER_H

#include <stddef.h>
#include <stdint.h>

#include "snp.h"

#define ATTESTER_SPEC_MAX 4096 /* bytes of a spec string */
#define ATTESTER_CERTS_MAX 4

/* One DER certificate, malloc'd. */
struct attester_cert {
	uint8_t *der;
	size_t len;
};

/*
 * What one request returns: the 1184-byte report and the certificates
 * that come with it, DER, signer first: the VCEK (or VLEK), then its
 * ASK/ASVK. The ARK is never included: it is the verifier's trust root.
 * Free the certificates with attester_evidence_clear.
 */
struct attester_evidence {
	uint8_t report[SNP_REPORT_SIZE];
	struct attester_cert certs[ATTESTER_CERTS_MAX];
	size_t ncerts;
	/* The raw certificate table as the platform returned it (tsm, sev-guest), malloc'd; else
	 * NULL. */
	uint8_t *certtable;
	size_t certtable_len;
};

struct attester;

/*
 * attester_open opens the attester named by spec. KBS_ERR_ATTESTER_SPEC for
 * an unknown KIND, a missing or empty ARG where the kind needs one, or a
 * spec longer than ATTESTER_SPEC_MAX; otherwise the kind's own errors
 * (sim: KBS_ERR_SYSTEM with errno for an unreadable file, KBS_ERR_SIM_CONFIG,
 * KBS_ERR_SIM_KEY, KBS_ERR_SIM_KEY_PERMS; tsm: KBS_ERR_TSM_MKDIR with errno
 * when the report directory is missing; sev-guest: KBS_ERR_SEV_GUEST_OPEN
 * with errno; auto: KBS_ERR_ATTESTER_NONE).
 */
KBS_MUST_CHECK int attester_open(const char *spec, struct attester **ret);

/*
 * attester_get_report asks for a fresh report carrying report_data (64
 * bytes; the broker protocol puts a public key and the nonce there) and
 * fills *ret (written only on success; clear it with
 * attester_evidence_clear). A failing step of tsm or sev-guest returns its
 * own code (KBS_ERR_TSM_*, KBS_ERR_SEV_GUEST_*) with errno kept for the
 * system call that failed; attester_detail then says more.
 */
KBS_MUST_CHECK int attester_get_report(
    struct attester *a, const uint8_t report_data[64], struct attester_evidence *ret);

/* attester_evidence_clear frees the certificates and zeroes *e (NULL accepted). */
void attester_evidence_clear(struct attester_evidence *e);

/*
 * attester_detail: one printable line on the last failure of a, or "" (the
 * step and strerror, a firmware error code). Valid until the next call on a.
 */
const char *attester_detail(const struct attester *a);

/*
 * attester_certtable_build lays out e's certificates as an extended report
 * certificate table (certs[0] as the VCEK, certs[1] as the ASK, then the
 * all-zero entry), for evidence that came without one (sim). *ret is
 * malloc'd. KBS_ERR_INVALID_ARGUMENT for more than two certificates.
 */
KBS_MUST_CHECK int attester_certtable_build(
    const struct attester_evidence *e, uint8_t **ret, size_t *ret_len);

/*
 * attester_err_has_errno: 1 when errno explains code (KBS_ERR_SYSTEM, the
 * KBS_ERR_TSM_* and KBS_ERR_SEV_GUEST_* steps that failed a system call).
 */
int attester_err_has_errno(int code);

/* attester_kind returns the KIND the attester runs as ("sim", "tsm", "sev-guest"). */
const char *attester_kind(const struct attester *a);

/*
 * attester_is_simulated returns 1 for an attester that is not a real chip
 * (sim), so callers can say so in every output; 0 otherwise.
 */
int attester_is_simulated(const struct attester *a);

/* attester_close releases the attester and wipes its keys (NULL accepted). */
void attester_close(struct attester *a);

#endif
