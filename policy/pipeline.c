/*
 * pipeline.c: policy_verify, the one path from evidence bytes to the
 * verified evidence that policy_eval judges (policy.h), shared by the
 * broker, `kbs-policy test` and `kbs-client verify`.
 *
 * Order, failing at the first input that cannot be taken: the report
 * (parsed once; the verifier re-parses the same bytes, and the report
 * kept is this parse of exactly those bytes), the certificate blobs in
 * order, the certificate table, then both CRL slots. Then one
 * verification. The input limits are policy.h's POLICY_INPUT_*; nothing
 * here reads a file or a clock.
 *
 * Which CRL is checked: the slot of the report's signer (key_info). When
 * that slot is empty but the other is not, the other list is passed on,
 * so the verifier names the caller's mix-up (KBS_ERR_CRL_KIND) instead of
 * skipping the check as if no list had been given.
 */
#include <stdlib.h>
#include <string.h>

#include "verified-int.h"

static int
input_err(struct policy_input_error *where, enum policy_input_part part, size_t index, int r)
{
	where->part = part;
	where->index = index;
	return r;
}

/* load_crl fills *ret_crl from one slot: the caller's parsed list, or its bytes loaded into *own.
 */
static int
load_crl(const struct policy_crl_input *in, enum snp_signing_key signer, struct snp_crl **own,
    const struct snp_crl **ret_crl)
{
	int r;

	*ret_crl = NULL;
	if (in->parsed != NULL && in->data != NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (in->parsed != NULL) {
		*ret_crl = in->parsed;
		return 0;
	}
	if (in->data == NULL)
		return in->len == 0 ? 0 : KBS_ERR_INVALID_ARGUMENT;
	if (in->len > POLICY_INPUT_CRL_MAX)
		return KBS_ERR_TOO_LARGE;
	if ((r = snp_crl_load_for(in->data, in->len, signer, own)) != 0)
		return r;
	*ret_crl = *own;
	return 0;
}

static int
load_certs(struct snp_verifier *verifier, const struct policy_input *in, struct snp_certs *certs,
    struct policy_input_error *where)
{
	size_t i;
	int r;

	for (i = 0; i < in->cert_count; i++) {
		const struct policy_blob *b = &in->certs[i];

		if (b->data == NULL && b->len != 0)
			return input_err(where, POLICY_INPUT_CERT, i, KBS_ERR_INVALID_ARGUMENT);
		if (b->len > POLICY_INPUT_CERT_MAX)
			return input_err(where, POLICY_INPUT_CERT, i, KBS_ERR_TOO_LARGE);
		/* Through the verifier's parse cache: a chip's certificates come with every report.
		 */
		if ((r = snp_verifier_certs_add(verifier, certs, b->data, b->len)) != 0)
			return input_err(where, POLICY_INPUT_CERT, i, r);
	}
	if (in->certtable == NULL && in->certtable_len != 0)
		return input_err(where, POLICY_INPUT_CERTTABLE, 0, KBS_ERR_INVALID_ARGUMENT);
	if (in->certtable == NULL)
		return 0;
	if (in->certtable_len > POLICY_INPUT_CERTTABLE_MAX)
		return input_err(where, POLICY_INPUT_CERTTABLE, 0, KBS_ERR_TOO_LARGE);
	if ((r = snp_certtable_parse(in->certtable, in->certtable_len, certs)) != 0)
		return input_err(where, POLICY_INPUT_CERTTABLE, 0, r);
	return 0;
}

int
policy_verify(struct snp_verifier *verifier, const struct policy_input *in,
    struct policy_verified **ret, struct policy_input_error *ret_where)
{
	struct policy_input_error where = { POLICY_INPUT_NONE, 0 };
	struct policy_verified *ev = NULL;
	struct snp_certs *certs = NULL;
	struct snp_crl *own_vcek = NULL, *own_vlek = NULL;
	const struct snp_crl *vcek_crl = NULL, *vlek_crl = NULL;
	struct snp_verify_options opts;
	int r = KBS_ERR_INTERNAL;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	*ret = NULL;
	if (verifier == NULL || in == NULL || (in->report == NULL && in->report_len != 0) ||
	    (in->certs == NULL && in->cert_count != 0) ||
	    in->cert_count > POLICY_INPUT_CERT_BLOBS_MAX ||
	    (unsigned)in->product >= SNP_PRODUCT_COUNT) {
		r = KBS_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if ((ev = calloc(1, sizeof(*ev))) == NULL || (r = snp_certs_new(&certs)) != 0) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	if (in->report_len > POLICY_INPUT_REPORT_MAX) {
		r = input_err(&where, POLICY_INPUT_REPORT, 0, KBS_ERR_TOO_LARGE);
		goto out;
	}
	if ((r = snp_report_parse(in->report, in->report_len, &ev->report)) != 0) {
		r = input_err(&where, POLICY_INPUT_REPORT, 0, r);
		goto out;
	}
	if ((r = load_certs(verifier, in, certs, &where)) != 0)
		goto out;
	if ((r = load_crl(&in->vcek_crl, SNP_SIGNING_KEY_VCEK, &own_vcek, &vcek_crl)) != 0) {
		r = input_err(&where, POLICY_INPUT_VCEK_CRL, 0, r);
		goto out;
	}
	if ((r = load_crl(&in->vlek_crl, SNP_SIGNING_KEY_VLEK, &own_vlek, &vlek_crl)) != 0) {
		r = input_err(&where, POLICY_INPUT_VLEK_CRL, 0, r);
		goto out;
	}
	memset(&opts, 0, sizeof(opts));
	opts.at = in->at;
	opts.product = in->product;
	opts.allow_stale_crl = in->allow_stale_crl;
	if (ev->report.signing_key == SNP_SIGNING_KEY_VLEK)
		opts.crl = vlek_crl != NULL ? vlek_crl : vcek_crl;
	else
		opts.crl = vcek_crl != NULL ? vcek_crl : vlek_crl;
	r = snp_verify_report(verifier, &ev->report, certs, &opts, &ev->result);
	/* Verification ran: the caller gets the evidence, genuine or not. */
	*ret = ev;
	ev = NULL;
out:
	if (ret_where != NULL)
		*ret_where = where;
	snp_crl_free(own_vcek);
	snp_crl_free(own_vlek);
	snp_certs_free(certs);
	free(ev);
	return r;
}

void
policy_verified_free(struct policy_verified *ev)
{
	free(ev);
}

const struct snp_report *
policy_verified_report(const struct policy_verified *ev)
{
	if (ev == NULL || ev->result.err != 0)
		return NULL;
	return &ev->report;
}

const struct snp_report *
policy_verified_report_unchecked(const struct policy_verified *ev)
{
	return ev == NULL ? NULL : &ev->report;
}

const struct snp_verify_result *
policy_verified_result(const struct policy_verified *ev)
{
	return ev == NULL ? NULL : &ev->result;
}
