/*
 * verify.c: snp_verify_report, the coordinator of the checks.
 *
 * Each check is a step that records its outcome in the result; the first
 * failure stops the run (later checks stay "not run"), a check that does
 * not apply is "skipped". The parsers (report.c, certs.c, amd_ext.c,
 * crl.c) only shape data; decisions are made here, on signature-verified
 * bytes only: the report's fields are compared after its signature
 * verified, the certificate's extensions are decoded after the
 * certificate's signature verified (the product step reads productName
 * alone before that, to choose the ARK; the ARK, ASK and signer checks
 * then verify that same certificate, or find the byte-identical one in
 * the chain cache, so a forged productName fails there).
 *
 * Which certificate is which, in the supplied set:
 *   - signer: the one with an EC key (if several, the one whose subject CN
 *     is SEV-VCEK or SEV-VLEK as key_info says);
 *   - ARK: any self-issued certificate; each must be byte-identical to the
 *     pinned ARK of the product (extra roots: snp_select_extra_root in
 *     chain.c, tried first, takes a chain only if it presents no pinned ARK);
 *   - ASK/ASVK: the certificate whose subject is that of the compiled-in
 *     ASK (VCEK) or ASVK (VLEK) of the product; the compiled-in one when
 *     none is supplied. Other certificates are ignored: they confer no
 *     trust.
 * A verified chain is cached under (signer DER digest, ASK DER digest);
 * on a hit the RSA checks are skipped, everything else runs again.
 */
#include "verify-int.h"

#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include <openssl/err.h>

#include "crl-int.h"

struct vctx {
	struct snp_verifier *v;
	const struct snp_report *report;
	const struct snp_certs *certs;
	const struct snp_verify_options *opts;
	struct snp_verify_result *res;
	enum snp_product product;
	enum snp_signing_key kind;
	X509 *signer;
	const uint8_t *signer_sha256;
	X509 *ark;
	X509 *inter;
	const uint8_t *inter_sha256;
	const char *signer_label;
	const char *inter_label;
	struct snp_chain_facts *facts;
	int facts_uncached; /* facts verified here, not yet in the cache */
};

static void
record(struct vctx *c, enum snp_check check, enum snp_outcome outcome, int err)
{
	struct snp_check_result *cr = &c->res->checks[check];

	cr->outcome = outcome;
	cr->err = err;
	if (outcome == SNP_OUTCOME_FAIL && c->res->err == 0) {
		c->res->err = err;
		c->res->failed_check = check;
	}
}

static char *
detail_of(struct vctx *c, enum snp_check check)
{
	return c->res->checks[check].detail;
}

#define DETAIL(c, check) detail_of((c), (check)), sizeof((c)->res->checks[0].detail)

static int
is_self_issued(X509 *x)
{
	return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

static int
is_ec(X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);

	ERR_clear_error();
	return k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
}

static int
subject_cn_is(X509 *x, const char *cn)
{
	char buf[64];

	snp_name_cn(X509_get_subject_name(x), buf, sizeof(buf));
	return strcmp(buf, cn) == 0;
}

/* find_signer picks the VCEK/VLEK from the set (see the file comment). */
static int
find_signer(struct vctx *c)
{
	const char *want = c->kind == SNP_SIGNING_KEY_VLEK ? "SEV-VLEK" : "SEV-VCEK";
	size_t i, n = snp_certs_count(c->certs), found = 0, named = 0, pick = 0, pick_named = 0;
	const uint8_t *d0 = NULL;
	int distinct = 0;

	for (i = 0; i < n; i++) {
		X509 *x = snp_certs_get(c->certs, i);

		if (!is_ec(x))
			continue;
		if (d0 == NULL)
			d0 = snp_certs_digest(c->certs, i);
		else if (memcmp(d0, snp_certs_digest(c->certs, i), 32) != 0)
			distinct = 1;
		if (found++ == 0)
			pick = i;
		if (subject_cn_is(x, want) && named++ == 0)
			pick_named = i;
	}
	if (found == 0) {
		snp_detail(DETAIL(c, SNP_CHECK_PRODUCT), "no VCEK or VLEK certificate was given");
		return KBS_ERR_CERT_MISSING;
	}
	if (distinct) {
		if (named == 0) {
			snp_detail(DETAIL(c, SNP_CHECK_PRODUCT),
			    "%zu EC certificates given and none has subject CN=%s", found, want);
			return KBS_ERR_CERT_MISSING;
		}
		pick = pick_named;
	}
	c->signer = snp_certs_get(c->certs, pick);
	c->signer_sha256 = snp_certs_digest(c->certs, pick);
	return 0;
}

int
snp_report_cpuid_claim(const struct snp_report *report, enum snp_product *ret)
{
	if (report == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (report->version < 3 || (report->cpuid_fam_id == 0 && report->cpuid_mod_id == 0)) {
		*ret = SNP_PRODUCT_UNKNOWN; /* zero CPUID fields carry no claim */
		return 0;
	}
	return snp_product_from_cpuid(report->cpuid_fam_id, report->cpuid_mod_id, ret);
}

int
snp_product_select(const struct snp_report *report, enum snp_product hint,
    enum snp_product fallback, enum snp_product *ret, enum snp_product_source *ret_source)
{
	enum snp_product claim = SNP_PRODUCT_UNKNOWN;
	int r;

	if (report == NULL || ret == NULL || ret_source == NULL ||
	    (unsigned)hint >= SNP_PRODUCT_COUNT || (unsigned)fallback >= SNP_PRODUCT_COUNT)
		return KBS_ERR_INVALID_ARGUMENT;
	if (hint != SNP_PRODUCT_UNKNOWN) {
		*ret = hint;
		*ret_source = SNP_PRODUCT_FROM_HINT;
		return 0;
	}
	if ((r = snp_report_cpuid_claim(report, &claim)) != 0)
		return r;
	if (claim != SNP_PRODUCT_UNKNOWN) {
		*ret = claim;
		*ret_source = SNP_PRODUCT_FROM_CPUID;
		return 0;
	}
	if (fallback == SNP_PRODUCT_UNKNOWN)
		return KBS_ERR_PRODUCT_UNKNOWN;
	*ret = fallback;
	*ret_source = SNP_PRODUCT_FROM_FALLBACK;
	return 0;
}

static int
step_product(struct vctx *c)
{
	static const char *const sources[] = {
		[SNP_PRODUCT_FROM_HINT] = "option",
		[SNP_PRODUCT_FROM_CPUID] = "report CPUID",
		[SNP_PRODUCT_FROM_FALLBACK] = "certificate productName",
	};
	char name[SNP_PRODUCT_NAME_MAX];
	enum snp_product cert_product = SNP_PRODUCT_UNKNOWN, claim = SNP_PRODUCT_UNKNOWN;
	enum snp_product_source source = SNP_PRODUCT_FROM_HINT;
	int r;

	if ((r = find_signer(c)) != 0)
		return r;
	if ((r = snp_amd_ext_product_name(c->signer, name, sizeof(name))) != 0) {
		snp_detail(DETAIL(c, SNP_CHECK_PRODUCT),
		    "%s productName extension is missing or malformed", c->signer_label);
		return r;
	}
	if (snp_product_from_name(name, &cert_product) != 0) {
		snp_detail(DETAIL(c, SNP_CHECK_PRODUCT), "%s productName \"%.32s\" is unknown",
		    c->signer_label, name);
		return KBS_ERR_PRODUCT_UNKNOWN;
	}
	/* The report's own claim is checked even under an explicit product. */
	if (snp_report_cpuid_claim(c->report, &claim) != 0) {
		snp_detail(DETAIL(c, SNP_CHECK_PRODUCT),
		    "report CPUID family 0x%02x model 0x%02x is not a known product",
		    c->report->cpuid_fam_id, c->report->cpuid_mod_id);
		return KBS_ERR_PRODUCT_UNKNOWN;
	}
	if ((r = snp_product_select(
		 c->report, c->opts->product, cert_product, &c->product, &source)) != 0)
		return r;
	if (claim != SNP_PRODUCT_UNKNOWN && claim != c->product) {
		snp_detail(DETAIL(c, SNP_CHECK_PRODUCT), "report CPUID is %s, expected %s",
		    snp_product_name(claim), snp_product_name(c->product));
		return KBS_ERR_PRODUCT_MISMATCH;
	}
	if (cert_product != c->product) {
		snp_detail(DETAIL(c, SNP_CHECK_PRODUCT),
		    "%s productName \"%.32s\" is %s, expected %s", c->signer_label, name,
		    snp_product_name(cert_product), snp_product_name(c->product));
		return KBS_ERR_PRODUCT_MISMATCH;
	}
	c->res->product = c->product;
	snp_detail(DETAIL(c, SNP_CHECK_PRODUCT), "%s (from the %s)", snp_product_name(c->product),
	    sources[source]);
	return 0;
}

/*
 * select_chain picks the ARK (pinned; every supplied root must be it) and
 * the ASK/ASVK (supplied or compiled in). Errors belong to the ARK check.
 */
static int
select_chain(struct vctx *c)
{
	enum snp_root_kind ik = c->kind == SNP_SIGNING_KEY_VLEK ? SNP_ROOT_ASVK : SNP_ROOT_ASK;
	const struct snp_roots *roots = &c->v->roots;
	const X509_NAME *want = X509_get_subject_name(roots->x[c->product][ik]);
	const struct snp_extra_root *extra = NULL;
	size_t i, n = snp_certs_count(c->certs), p;
	char cn[64];
	int r;

	/* A test or simulated chain (snp_verifier_add_root); never an AMD one. */
	if ((r = snp_select_extra_root(roots, c->certs, c->signer, c->product, &extra, &c->inter,
		 &c->inter_sha256, DETAIL(c, SNP_CHECK_ARK))) != 0)
		return r;
	snp_extra_root_describe(extra, c->res);
	if (extra != NULL) {
		c->ark = extra->x;
		return 0;
	}
	c->ark = roots->x[c->product][SNP_ROOT_ARK];
	c->inter = roots->x[c->product][ik];
	c->inter_sha256 = roots->sha256[c->product][ik];
	for (i = 0; i < n; i++) {
		X509 *x = snp_certs_get(c->certs, i);
		const uint8_t *d = snp_certs_digest(c->certs, i);

		if (x == c->signer)
			continue;
		if (is_self_issued(x)) {
			for (p = 1; p < SNP_PRODUCT_COUNT; p++) {
				if (memcmp(d, roots->sha256[p][SNP_ROOT_ARK], 32) == 0)
					break;
			}
			if (p == SNP_PRODUCT_COUNT) {
				snp_name_cn(X509_get_subject_name(x), cn, sizeof(cn));
				snp_detail(DETAIL(c, SNP_CHECK_ARK),
				    "root CN=%s is not a pinned AMD ARK", cn);
				return KBS_ERR_CERT_ARK_NOT_PINNED;
			}
			if (p != (size_t)c->product) {
				snp_detail(DETAIL(c, SNP_CHECK_ARK),
				    "given root is the pinned %s ARK, the product is %s",
				    snp_product_name((enum snp_product)p),
				    snp_product_name(c->product));
				return KBS_ERR_PRODUCT_MISMATCH;
			}
			continue;
		}
		if (X509_NAME_cmp(X509_get_subject_name(x), want) == 0) {
			c->inter = x;
			c->inter_sha256 = d;
		}
	}
	return 0;
}

/* verify_uncached: the uncached path of the ARK, ASK and SIGNER_CERT checks. */
static int
verify_uncached(struct vctx *c, struct snp_chain_facts *f)
{
	const struct snp_roots *roots = &c->v->roots;
	enum snp_root_kind other = c->kind == SNP_SIGNING_KEY_VLEK ? SNP_ROOT_ASK : SNP_ROOT_ASVK;
	uint8_t point[SNP_P384_POINT_SIZE];
	struct snp_amd_ext *e = &f->ext;
	int r;

	if ((r = snp_check_ark(roots, c->ark, c->product, DETAIL(c, SNP_CHECK_ARK))) != 0) {
		record(c, SNP_CHECK_ARK, SNP_OUTCOME_FAIL, r);
		return r;
	}
	snp_detail(DETAIL(c, SNP_CHECK_ARK), "%s %s ARK, self-signature verified",
	    c->res->extra_root ? "extra (NOT AMD)" : "pinned", snp_product_name(c->product));
	record(c, SNP_CHECK_ARK, SNP_OUTCOME_PASS, 0);

	if ((r = snp_check_issued(c->inter, c->inter_label, c->ark, "ARK",
		 KBS_ERR_CERT_ASK_SIGNATURE, DETAIL(c, SNP_CHECK_ASK))) != 0) {
		record(c, SNP_CHECK_ASK, SNP_OUTCOME_FAIL, r);
		return r;
	}
	snp_detail(DETAIL(c, SNP_CHECK_ASK), "%s%s signed by the %s ARK", c->inter_label,
	    c->inter ==
		    roots->x[c->product]
			    [c->kind == SNP_SIGNING_KEY_VLEK ? SNP_ROOT_ASVK : SNP_ROOT_ASK]
		? " (compiled in)"
		: "",
	    snp_product_name(c->product));
	record(c, SNP_CHECK_ASK, SNP_OUTCOME_PASS, 0);

	/* A VCEK under the ASVK (or a VLEK under the ASK) is a kind mismatch. */
	if (X509_NAME_cmp(X509_get_issuer_name(c->signer),
		X509_get_subject_name(roots->x[c->product][other])) == 0) {
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT),
		    "report key_info names a %s but the certificate is issued by the %s",
		    c->signer_label,
		    c->kind == SNP_SIGNING_KEY_VLEK ? "ASK (a VCEK)" : "ASVK (a VLEK)");
		r = KBS_ERR_CERT_SIGNER_KIND;
		goto fail_signer;
	}
	if ((r = snp_check_issued(c->signer, c->signer_label, c->inter, c->inter_label,
		 KBS_ERR_CERT_VCEK_SIGNATURE, DETAIL(c, SNP_CHECK_SIGNER_CERT))) != 0)
		goto fail_signer;
	if ((r = snp_check_p384(c->signer, point)) != 0) {
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT), "%s key is not an EC P-384 key",
		    c->signer_label);
		goto fail_signer;
	}
	if ((r = snp_amd_ext_parse(c->signer, e)) != 0) {
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT),
		    "%s AMD extensions are missing or malformed", c->signer_label);
		goto fail_signer;
	}
	if (c->kind == SNP_SIGNING_KEY_VLEK && (!e->has_csp_id || e->hwid_len != 0)) {
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT),
		    "report is VLEK-signed but the certificate is not a VLEK (csp_id %s, hwID %s)",
		    e->has_csp_id ? "present" : "missing", e->hwid_len ? "present" : "absent");
		r = KBS_ERR_CERT_SIGNER_KIND;
		goto fail_signer;
	}
	if (c->kind == SNP_SIGNING_KEY_VCEK && (e->has_csp_id || e->hwid_len == 0)) {
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT),
		    "report is VCEK-signed but the certificate is not a VCEK (csp_id %s, hwID %s)",
		    e->has_csp_id ? "present" : "absent", e->hwid_len ? "present" : "missing");
		r = KBS_ERR_CERT_SIGNER_KIND;
		goto fail_signer;
	}
	if ((c->product == SNP_PRODUCT_TURIN) != (e->has_fmc != 0)) {
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT), "%s fmcSPL is %s for %s",
		    c->signer_label, e->has_fmc ? "present" : "missing",
		    snp_product_name(c->product));
		r = KBS_ERR_CERT_EXTENSION;
		goto fail_signer;
	}
	if ((r = snp_p384_pubkey_import(&f->key, point)) != 0) {
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT), "%s public key is not on P-384",
		    c->signer_label);
		goto fail_signer;
	}
	if ((r = snp_cert_times(
		 c->ark, &f->not_before[SNP_FACT_ARK], &f->not_after[SNP_FACT_ARK])) != 0 ||
	    (r = snp_cert_times(
		 c->inter, &f->not_before[SNP_FACT_INTER], &f->not_after[SNP_FACT_INTER])) != 0 ||
	    (r = snp_cert_times(c->signer, &f->not_before[SNP_FACT_SIGNER],
		 &f->not_after[SNP_FACT_SIGNER])) != 0) {
		snp_detail(
		    DETAIL(c, SNP_CHECK_SIGNER_CERT), "a certificate validity is unreadable");
		goto fail_signer;
	}
	if ((f->inter_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(c->inter))) == NULL ||
	    (f->signer_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(c->signer))) == NULL) {
		r = KBS_ERR_ALLOC;
		goto fail_signer;
	}
	memcpy(f->signer_sha256, c->signer_sha256, 32);
	memcpy(f->inter_sha256, c->inter_sha256, 32);
	f->product = c->product;
	f->kind = c->kind;
	f->extra_root = c->res->extra_root;
	snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT), "%s signed by the %s", c->signer_label,
	    c->inter_label);
	record(c, SNP_CHECK_SIGNER_CERT, SNP_OUTCOME_PASS, 0);
	return 0;
fail_signer:
	ERR_clear_error();
	record(c, SNP_CHECK_SIGNER_CERT, SNP_OUTCOME_FAIL, r);
	return r;
}

/* run_chain: ARK, ASK, SIGNER_CERT (cached or not) and VALIDITY. */
static int
run_chain(struct vctx *c)
{
	static const char *const labels[SNP_FACT_CERTS] = { "ARK", NULL, NULL };
	struct snp_chain_facts *f = NULL;
	const char *label;
	int r, i;

	if ((r = select_chain(c)) != 0) {
		record(c, SNP_CHECK_ARK, SNP_OUTCOME_FAIL, r);
		return r;
	}
	f = snp_cache_get(c->v->cache, c->signer_sha256, c->inter_sha256);
	if (f != NULL &&
	    (f->product != c->product || f->kind != c->kind ||
		f->extra_root != c->res->extra_root)) {
		snp_facts_release(f);
		f = NULL;
	}
	if (f != NULL) {
		c->res->chain_cached = 1;
		snp_detail(DETAIL(c, SNP_CHECK_ARK), "%s %s ARK (chain cached)",
		    c->res->extra_root ? "extra (NOT AMD)" : "pinned",
		    snp_product_name(c->product));
		record(c, SNP_CHECK_ARK, SNP_OUTCOME_PASS, 0);
		snp_detail(DETAIL(c, SNP_CHECK_ASK), "%s (chain cached)", c->inter_label);
		record(c, SNP_CHECK_ASK, SNP_OUTCOME_PASS, 0);
		snp_detail(DETAIL(c, SNP_CHECK_SIGNER_CERT), "%s (chain cached)", c->signer_label);
		record(c, SNP_CHECK_SIGNER_CERT, SNP_OUTCOME_PASS, 0);
	} else {
		if ((r = snp_facts_new(&f)) != 0) {
			record(c, SNP_CHECK_ARK, SNP_OUTCOME_FAIL, r);
			return r;
		}
		if ((r = verify_uncached(c, f)) != 0) {
			snp_facts_release(f);
			return r;
		}
		c->facts_uncached = 1;
	}
	c->facts = f;

	for (i = 0; i < SNP_FACT_CERTS; i++) {
		label = i == SNP_FACT_INTER ? c->inter_label
		    : i == SNP_FACT_SIGNER  ? c->signer_label
					    : labels[i];
		if ((r = snp_check_time(label, f->not_before[i], f->not_after[i], c->opts->at,
			 DETAIL(c, SNP_CHECK_VALIDITY))) != 0) {
			record(c, SNP_CHECK_VALIDITY, SNP_OUTCOME_FAIL, r);
			return r;
		}
	}
	snp_detail(DETAIL(c, SNP_CHECK_VALIDITY), "ARK, %s and %s valid at the given time",
	    c->inter_label, c->signer_label);
	record(c, SNP_CHECK_VALIDITY, SNP_OUTCOME_PASS, 0);
	return 0;
}

static void
serial_hex(const ASN1_INTEGER *s, char *out, size_t out_size)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(s, NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(out, out_size, "%.40s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	ERR_clear_error();
}

/*
 * crl_issuer_sig_cached: snp_crl_check_issuer_sig under ark, the RSA
 * check skipped when the CRL's SHA-256 verified before for product (the
 * issuer name is compared every time, and no two trusted ARKs share one,
 * so a success under one ARK never stands in for another's).
 */
static int
crl_issuer_sig_cached(const struct snp_verifier *v, const struct snp_crl *crl, X509 *ark,
    enum snp_product product, char *detail, size_t detail_size)
{
	int cached = snp_cache_crl_verified(v->cache, crl->der_sha256, product), r;

	if ((r = snp_crl_check_issuer_sig(crl, ark, !cached, detail, detail_size)) != 0)
		return r;
	if (!cached)
		snp_cache_crl_mark(v->cache, crl->der_sha256, product);
	return 0;
}

/*
 * step_crl. An AMD KDS CRL is issued by the ARK, so it speaks for the
 * certificates the ARK signed (ASK, ASVK); the VCEK/VLEK serial is looked
 * up as well, as asked of this verifier. Every VCEK/VLEK carries serial 0,
 * so a CRL listing serial 0 revokes them all: fail-closed by design. A CRL
 * of another product's ARK fails its issuer check (KBS_ERR_CRL_ISSUER),
 * and the list of the other chain (the VCEK list for a VLEK-signed report,
 * or the reverse; crl.c says why only the caller knows which it has) its
 * kind check (KBS_ERR_CRL_KIND): neither says anything about this chain,
 * and a caller that passes one has mixed up lists. The signature result
 * is cached by the CRL's SHA-256.
 */
static int
step_crl(struct vctx *c)
{
	const struct snp_crl *crl = c->opts->crl;
	int r;
	char serial[48];

	if (crl == NULL) {
		snp_detail(DETAIL(c, SNP_CHECK_CRL), "no CRL given");
		record(c, SNP_CHECK_CRL, SNP_OUTCOME_SKIPPED, 0);
		return 0;
	}
	if (crl->signer != c->kind) {
		snp_detail(DETAIL(c, SNP_CHECK_CRL),
		    "CRL was given as the %s list (it speaks for the %s); the report is %s-signed",
		    crl->signer == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK",
		    crl->signer == SNP_SIGNING_KEY_VLEK ? "ASVK" : "ASK", c->signer_label);
		r = KBS_ERR_CRL_KIND;
		goto fail;
	}
	if ((r = crl_issuer_sig_cached(c->v, crl, c->ark, c->product, DETAIL(c, SNP_CHECK_CRL))) !=
	    0)
		goto fail;
	if ((r = snp_crl_check_time(
		 crl, c->opts->at, c->opts->allow_stale_crl, DETAIL(c, SNP_CHECK_CRL))) != 0)
		goto fail;
	if (snp_crl_is_revoked(crl, c->facts->inter_serial)) {
		serial_hex(c->facts->inter_serial, serial, sizeof(serial));
		snp_detail(
		    DETAIL(c, SNP_CHECK_CRL), "%s serial 0x%s is revoked", c->inter_label, serial);
		r = KBS_ERR_CERT_REVOKED;
		goto fail;
	}
	if (snp_crl_is_revoked(crl, c->facts->signer_serial)) {
		serial_hex(c->facts->signer_serial, serial, sizeof(serial));
		snp_detail(
		    DETAIL(c, SNP_CHECK_CRL), "%s serial 0x%s is revoked", c->signer_label, serial);
		r = KBS_ERR_CERT_REVOKED;
		goto fail;
	}
	snp_detail(DETAIL(c, SNP_CHECK_CRL), "%s list signed by the %s ARK, %s and %s not revoked",
	    c->signer_label, snp_product_name(c->product), c->inter_label, c->signer_label);
	record(c, SNP_CHECK_CRL, SNP_OUTCOME_PASS, 0);
	return 0;
fail:
	record(c, SNP_CHECK_CRL, SNP_OUTCOME_FAIL, r);
	return r;
}

static int
step_signature(struct vctx *c)
{
	int r;

	r = snp_sig_verify_p384(&c->facts->key, c->report->raw, SNP_REPORT_SIGNED_SIZE,
	    c->report->signature_r, c->report->signature_s);
	if (r != 0) {
		snp_detail(DETAIL(c, SNP_CHECK_REPORT_SIGNATURE),
		    "report signature does not verify with the %s key", c->signer_label);
		record(c, SNP_CHECK_REPORT_SIGNATURE, SNP_OUTCOME_FAIL, r);
		return r;
	}
	snp_detail(DETAIL(c, SNP_CHECK_REPORT_SIGNATURE),
	    "ECDSA P-384 signature verified with the %s", c->signer_label);
	record(c, SNP_CHECK_REPORT_SIGNATURE, SNP_OUTCOME_PASS, 0);
	return 0;
}

/*
 * The ARK a CRL names is chosen by name among the ARKs a chain of product
 * may end at: the pinned one, and the extra roots for product. Names tell
 * them apart (roots.c refuses an extra root with a pinned name or a name
 * another extra root has), so at most one matches, and it is the only key
 * the CRL could have been meant to verify under.
 */
int
snp_verifier_crl_check(const struct snp_verifier *v, const struct snp_crl *crl,
    enum snp_product product, char *detail, size_t detail_size)
{
	const struct snp_extra_root *extra;
	const X509_NAME *issuer;
	X509 *ark;
	char cn[64];

	if (v == NULL || crl == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (product <= SNP_PRODUCT_UNKNOWN || product >= SNP_PRODUCT_COUNT)
		return KBS_ERR_PRODUCT_UNKNOWN;
	issuer = X509_CRL_get_issuer(crl->crl);
	ark = v->roots.x[product][SNP_ROOT_ARK];
	if (X509_NAME_cmp(issuer, X509_get_subject_name(ark)) != 0) {
		extra = snp_roots_extra_by_subject(&v->roots, issuer);
		if (extra == NULL || extra->product != product) {
			snp_name_cn(issuer, cn, sizeof(cn));
			snp_detail(detail, detail_size,
			    "CRL issuer CN=%s is no %s ARK trusted here", cn,
			    snp_product_name(product));
			ERR_clear_error();
			return KBS_ERR_CRL_ISSUER;
		}
		ark = extra->x;
	}
	return crl_issuer_sig_cached(v, crl, ark, product, detail, detail_size);
}

int
snp_check_tcb(uint64_t reported_tcb, enum snp_product product, const struct snp_amd_ext *e,
    const char *signer_label, struct snp_tcb *ret_tcb, char *detail, size_t detail_size)
{
	const struct snp_tcb *spl = &e->spl;
	struct snp_tcb t;
	const char *what = NULL;
	unsigned got = 0, want = 0;
	int r;

	if ((r = snp_tcb_decode(reported_tcb, product, &t)) != 0) {
		snp_detail(detail, detail_size, "REPORTED_TCB 0x%016llx does not decode for %s",
		    (unsigned long long)reported_tcb, snp_product_name(product));
		return r;
	}
	*ret_tcb = t;
	if (t.bootloader != spl->bootloader) {
		what = "boot loader (blSPL)";
		got = t.bootloader;
		want = spl->bootloader;
	} else if (t.tee != spl->tee) {
		what = "TEE (teeSPL)";
		got = t.tee;
		want = spl->tee;
	} else if (t.snp != spl->snp) {
		what = "SNP (snpSPL)";
		got = t.snp;
		want = spl->snp;
	} else if (t.microcode != spl->microcode) {
		what = "microcode (ucodeSPL)";
		got = t.microcode;
		want = spl->microcode;
	} else if (product == SNP_PRODUCT_TURIN && t.fmc != spl->fmc) {
		what = "FMC (fmcSPL)";
		got = t.fmc;
		want = spl->fmc;
	}
	if (what != NULL) {
		snp_detail(detail, detail_size, "REPORTED_TCB %s is %u, the %s says %u", what, got,
		    signer_label, want);
		return KBS_ERR_TCB_MISMATCH;
	}
	snp_detail(detail, detail_size, "REPORTED_TCB equals the %s SPLs", signer_label);
	return 0;
}

static int
step_tcb(struct vctx *c)
{
	int r;

	r = snp_check_tcb(c->report->reported_tcb, c->product, &c->facts->ext, c->signer_label,
	    &c->res->reported_tcb, DETAIL(c, SNP_CHECK_TCB));
	record(c, SNP_CHECK_TCB, r == 0 ? SNP_OUTCOME_PASS : SNP_OUTCOME_FAIL, r);
	return r;
}

/*
 * snp_check_chip_id. A VLEK is not bound to a chip: skipped. With
 * MASK_CHIP_KEY the firmware reports an all-zero CHIP_ID; we then require
 * it to be zero (a non-zero id under the mask is refused: nothing may
 * claim a chip the VCEK does not name) and record the check as skipped,
 * so a policy on chip ids sees that no id was attested. Turin VCEKs carry
 * 8 bytes that must equal CHIP_ID[0:8], and the rest of a Turin CHIP_ID
 * must be zero; Milan and Genoa VCEKs carry all 64 bytes.
 */
int
snp_check_chip_id(enum snp_product product, enum snp_signing_key kind, uint32_t key_info,
    const uint8_t chip_id[64], const struct snp_amd_ext *e, int *ret_skipped, char *detail,
    size_t detail_size)
{
	size_t want = product == SNP_PRODUCT_TURIN ? 8 : 64;

	*ret_skipped = 0;
	if (kind == SNP_SIGNING_KEY_VLEK) {
		snp_detail(detail, detail_size, "VLEK: not bound to a chip");
		*ret_skipped = 1;
		return 0;
	}
	if (key_info & SNP_KEY_INFO_MASK_CHIP_KEY) {
		if (!sodium_is_zero(chip_id, 64)) {
			snp_detail(
			    detail, detail_size, "MASK_CHIP_KEY is set but CHIP_ID is not zero");
			return KBS_ERR_CHIP_ID_MISMATCH;
		}
		snp_detail(detail, detail_size, "MASK_CHIP_KEY set: no chip id reported");
		*ret_skipped = 1;
		return 0;
	}
	if (e->hwid_len != want) {
		snp_detail(detail, detail_size, "VCEK hwID has %zu bytes, %s uses %zu", e->hwid_len,
		    snp_product_name(product), want);
		return KBS_ERR_CHIP_ID_MISMATCH;
	}
	if (memcmp(e->hwid, chip_id, want) != 0 || !sodium_is_zero(chip_id + want, 64 - want)) {
		snp_detail(detail, detail_size, "CHIP_ID differs from the VCEK hwID");
		return KBS_ERR_CHIP_ID_MISMATCH;
	}
	snp_detail(detail, detail_size, "CHIP_ID equals the VCEK hwID (%zu bytes)", want);
	return 0;
}

static int
step_chip_id(struct vctx *c)
{
	int skipped = 0, r;

	r = snp_check_chip_id(c->product, c->kind, c->report->key_info, c->report->chip_id,
	    &c->facts->ext, &skipped, DETAIL(c, SNP_CHECK_CHIP_ID));
	record(c, SNP_CHECK_CHIP_ID,
	    r != 0        ? SNP_OUTCOME_FAIL
		: skipped ? SNP_OUTCOME_SKIPPED
			  : SNP_OUTCOME_PASS,
	    r);
	return r;
}

static void
result_init(struct snp_verify_result *res)
{
	memset(res, 0, sizeof(*res));
	res->failed_check = SNP_CHECK_COUNT;
}

static void
set_kind(struct vctx *c, enum snp_signing_key kind)
{
	c->kind = kind;
	c->res->signer = kind;
	c->signer_label = kind == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK";
	c->inter_label = kind == SNP_SIGNING_KEY_VLEK ? "ASVK" : "ASK";
}

int
snp_verify_report(struct snp_verifier *v, const struct snp_report *report,
    const struct snp_certs *certs, const struct snp_verify_options *opts,
    struct snp_verify_result *ret)
{
	struct snp_report parsed;
	struct vctx c;
	int r = KBS_ERR_INTERNAL;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	result_init(ret);
	memset(&c, 0, sizeof(c));
	c.v = v;
	c.certs = certs;
	c.opts = opts;
	c.res = ret;
	if (v == NULL || report == NULL || opts == NULL ||
	    (unsigned)opts->product >= SNP_PRODUCT_COUNT) {
		r = KBS_ERR_INVALID_ARGUMENT;
		snp_detail(DETAIL(&c, SNP_CHECK_PRODUCT), "invalid arguments");
		record(&c, SNP_CHECK_PRODUCT, SNP_OUTCOME_FAIL, r);
		return r;
	}
	/*
	 * Decide only on the bytes the signature covers: the fields are taken
	 * from a fresh parse of raw, never from the caller's decoded copy.
	 */
	if ((r = snp_report_parse(report->raw, SNP_REPORT_SIZE, &parsed)) != 0) {
		snp_detail(DETAIL(&c, SNP_CHECK_PRODUCT), "report bytes do not parse");
		record(&c, SNP_CHECK_PRODUCT, SNP_OUTCOME_FAIL, r);
		return r;
	}
	report = &parsed;
	c.report = report;
	if (report->signing_key != SNP_SIGNING_KEY_VCEK &&
	    report->signing_key != SNP_SIGNING_KEY_VLEK) {
		r = KBS_ERR_REPORT_SIGNING_KEY;
		snp_detail(
		    DETAIL(&c, SNP_CHECK_PRODUCT), "report names no VCEK or VLEK signing key");
		record(&c, SNP_CHECK_PRODUCT, SNP_OUTCOME_FAIL, r);
		return r;
	}
	set_kind(&c, report->signing_key);

	if ((r = step_product(&c)) != 0) {
		record(&c, SNP_CHECK_PRODUCT, SNP_OUTCOME_FAIL, r);
		goto out;
	}
	record(&c, SNP_CHECK_PRODUCT, SNP_OUTCOME_PASS, 0);
	if ((r = run_chain(&c)) != 0)
		goto out;
	if (c.kind == SNP_SIGNING_KEY_VLEK)
		snprintf(ret->csp_id, sizeof(ret->csp_id), "%s", c.facts->ext.csp_id);
	if ((r = step_crl(&c)) != 0 || (r = step_signature(&c)) != 0)
		goto out;
	/*
	 * Cache a chain only once a report it signed has verified: public
	 * VCEKs with junk reports must not be able to churn the cache and
	 * push real chips back onto the RSA path.
	 */
	if (c.facts_uncached && snp_cache_put(v->cache, c.facts) != 0) {
		/* A failed insert only costs speed on the next report. */
	}
	if ((r = step_tcb(&c)) != 0 || (r = step_chip_id(&c)) != 0)
		goto out;
	r = 0;
out:
	snp_facts_release(c.facts);
	return r;
}

int
snp_verify_chain(struct snp_verifier *v, const struct snp_certs *certs, enum snp_product product,
    enum snp_signing_key kind, int64_t at, struct snp_verify_result *res,
    struct snp_chain_facts **ret_facts)
{
	struct snp_verify_options opts;
	struct vctx c;
	int r;

	if (v == NULL || res == NULL || product == SNP_PRODUCT_UNKNOWN ||
	    (unsigned)product >= SNP_PRODUCT_COUNT ||
	    (kind != SNP_SIGNING_KEY_VCEK && kind != SNP_SIGNING_KEY_VLEK))
		return KBS_ERR_INVALID_ARGUMENT;
	result_init(res);
	memset(&opts, 0, sizeof(opts));
	opts.at = at;
	opts.product = product;
	memset(&c, 0, sizeof(c));
	c.v = v;
	c.certs = certs;
	c.opts = &opts;
	c.res = res;
	c.product = product;
	res->product = product;
	set_kind(&c, kind);
	if ((r = find_signer(&c)) != 0) {
		record(&c, SNP_CHECK_PRODUCT, SNP_OUTCOME_FAIL, r);
		return r;
	}
	snp_detail(DETAIL(&c, SNP_CHECK_PRODUCT), "%s (given)", snp_product_name(product));
	record(&c, SNP_CHECK_PRODUCT, SNP_OUTCOME_PASS, 0);
	if ((r = run_chain(&c)) != 0)
		goto out;
	if (ret_facts != NULL) {
		*ret_facts = c.facts;
		c.facts = NULL;
	}
	r = 0;
out:
	snp_facts_release(c.facts);
	return r;
}

int
snp_verifier_new(struct snp_verifier **ret)
{
	struct snp_verifier *v = NULL;
	int r = KBS_ERR_INTERNAL;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = snp_roots_load(&v->roots)) != 0)
		goto out;
	if ((r = snp_cache_new(SNP_CACHE_MAX_ENTRIES, &v->cache)) != 0 ||
	    (r = snp_certcache_new(&v->certcache)) != 0)
		goto out;
	*ret = v;
	v = NULL;
	r = 0;
out:
	snp_verifier_free(v);
	return r;
}

void
snp_verifier_free(struct snp_verifier *v)
{
	if (v == NULL)
		return;
	snp_cache_free(v->cache);
	snp_certcache_free(v->certcache);
	snp_roots_clear(&v->roots);
	free(v);
}
