/*
 * amd_ext.c: the AMD X.509 extensions of VCEK and VLEK certificates.
 *
 * Format (AMD "Versioned Chip Endorsement Key" spec; observed on every
 * vector in tests/vectors/snp): each extension's extnValue holds
 *   .1       structVersion  DER INTEGER (0 Milan/Genoa, 1 Turin)
 *   .2       productName    DER IA5String ("Milan-B0", "Genoa", "Turin", VLEK "Milan")
 *   .3.1     blSPL          DER INTEGER 0..255
 *   .3.2     teeSPL         DER INTEGER
 *   .3.3     snpSPL         DER INTEGER
 *   .3.8     ucodeSPL       DER INTEGER
 *   .3.9     fmcSPL         DER INTEGER (Turin)
 *   .3.4-.7  reserved SPLs  ignored
 *   .4       hwID           RAW bytes, no inner tag: 64 (Milan, Genoa) or
 *                           8 (Turin, == chip_id[0:8]). A chip id may start
 *                           with 0x04, so nothing is "unwrapped".
 *   .5       csp_id         DER IA5String (VLEK only)
 * Limits: every DER value must be consumed exactly (no trailing bytes),
 * SPLs fit a byte, names are printable ASCII shorter than their buffers,
 * and no AMD extension may appear twice. Unknown OIDs under the arc are
 * ignored (AMD adds reserved ones).
 */
#include "amd_ext-int.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#define AMD_ARC "1.3.6.1.4.1.3704.1."

/*
 * find_ext returns the extnValue of the single extension with the dotted
 * OID, NULL in *ret when absent; KBS_ERR_CERT_EXTENSION when it repeats.
 */
static int
find_ext(X509 *x, const char *oid, const ASN1_OCTET_STRING **ret)
{
	ASN1_OBJECT *obj = NULL;
	X509_EXTENSION *ext;
	int idx, r = KBS_ERR_CERT_EXTENSION;

	if ((obj = OBJ_txt2obj(oid, 1)) == NULL) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	*ret = NULL;
	idx = X509_get_ext_by_OBJ(x, obj, -1);
	if (idx >= 0) {
		if (X509_get_ext_by_OBJ(x, obj, idx) >= 0)
			goto out; /* repeated */
		if ((ext = X509_get_ext(x, idx)) == NULL)
			goto out;
		*ret = X509_EXTENSION_get_data(ext);
	}
	r = 0;
out:
	ASN1_OBJECT_free(obj);
	return r;
}

/* der_integer decodes a strict DER INTEGER filling all of v, 0..max. */
static int
der_integer(const ASN1_OCTET_STRING *v, int64_t max, int64_t *ret)
{
	const unsigned char *p = ASN1_STRING_get0_data(v);
	const unsigned char *start = p;
	long len = ASN1_STRING_length(v);
	ASN1_INTEGER *i = NULL;
	int64_t val = 0;
	int r = KBS_ERR_CERT_EXTENSION;

	if (len < 3 || p[0] != V_ASN1_INTEGER)
		goto out;
	if ((i = d2i_ASN1_INTEGER(NULL, &p, len)) == NULL || p - start != len)
		goto out;
	if (ASN1_INTEGER_get_int64(&val, i) != 1 || val < 0 || val > max)
		goto out;
	*ret = val;
	r = 0;
out:
	ASN1_INTEGER_free(i);
	return r;
}

/* der_ia5 decodes a strict DER IA5String of printable ASCII into out. */
static int
der_ia5(const ASN1_OCTET_STRING *v, char *out, size_t out_size)
{
	const unsigned char *p = ASN1_STRING_get0_data(v);
	const unsigned char *start = p;
	long len = ASN1_STRING_length(v);
	ASN1_IA5STRING *s = NULL;
	const unsigned char *d;
	int n, k, r = KBS_ERR_CERT_EXTENSION;

	if (len < 2 || p[0] != V_ASN1_IA5STRING)
		goto out;
	if ((s = d2i_ASN1_IA5STRING(NULL, &p, len)) == NULL || p - start != len)
		goto out;
	n = ASN1_STRING_length(s);
	d = ASN1_STRING_get0_data(s);
	if (n <= 0 || (size_t)n >= out_size)
		goto out;
	for (k = 0; k < n; k++) {
		if (d[k] < 0x20 || d[k] > 0x7e)
			goto out;
	}
	memcpy(out, d, (size_t)n);
	out[n] = '\0';
	r = 0;
out:
	ASN1_IA5STRING_free(s);
	return r;
}

static int
get_int(X509 *x, const char *oid, int required, int64_t max, int64_t *ret, int *ret_present)
{
	const ASN1_OCTET_STRING *v;
	int r;

	if ((r = find_ext(x, oid, &v)) != 0)
		return r;
	if (v == NULL) {
		*ret_present = 0;
		return required ? KBS_ERR_CERT_EXTENSION : 0;
	}
	if ((r = der_integer(v, max, ret)) != 0)
		return r;
	*ret_present = 1;
	return 0;
}

int
snp_amd_ext_product_name(X509 *x, char *out, size_t out_size)
{
	const ASN1_OCTET_STRING *v;
	int r;

	if (x == NULL || out == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = find_ext(x, AMD_ARC "2", &v)) != 0)
		goto out;
	if (v == NULL) {
		r = KBS_ERR_CERT_EXTENSION;
		goto out;
	}
	r = der_ia5(v, out, out_size);
out:
	ERR_clear_error();
	return r;
}

int
snp_amd_ext_parse(X509 *x, struct snp_amd_ext *ret)
{
	static const struct {
		const char *oid;
		size_t off;
		int required;
	} spls[] = {
		{ AMD_ARC "3.1", offsetof(struct snp_tcb, bootloader), 1 },
		{ AMD_ARC "3.2", offsetof(struct snp_tcb, tee), 1 },
		{ AMD_ARC "3.3", offsetof(struct snp_tcb, snp), 1 },
		{ AMD_ARC "3.8", offsetof(struct snp_tcb, microcode), 1 },
		{ AMD_ARC "3.9", offsetof(struct snp_tcb, fmc), 0 },
	};
	struct snp_amd_ext e;
	const ASN1_OCTET_STRING *v;
	int64_t val;
	int present, r = KBS_ERR_INTERNAL;
	size_t i;

	if (x == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&e, 0, sizeof(e));
	if ((r = get_int(x, AMD_ARC "1", 1, UINT32_MAX, &val, &present)) != 0)
		goto out;
	e.struct_version = (uint32_t)val;
	if ((r = snp_amd_ext_product_name(x, e.product_name, sizeof(e.product_name))) != 0)
		goto out;
	for (i = 0; i < KBS_ARRAY_SIZE(spls); i++) {
		if ((r = get_int(x, spls[i].oid, spls[i].required, 255, &val, &present)) != 0)
			goto out;
		if (present)
			((uint8_t *)&e.spl)[spls[i].off] = (uint8_t)val;
		if (spls[i].off == offsetof(struct snp_tcb, fmc))
			e.has_fmc = present;
	}
	if ((r = find_ext(x, AMD_ARC "4", &v)) != 0)
		goto out;
	if (v != NULL) {
		int n = ASN1_STRING_length(v);

		if (n != 8 && n != SNP_HWID_MAX) {
			r = KBS_ERR_CERT_EXTENSION;
			goto out;
		}
		memcpy(e.hwid, ASN1_STRING_get0_data(v), (size_t)n);
		e.hwid_len = (size_t)n;
	}
	if ((r = find_ext(x, AMD_ARC "5", &v)) != 0)
		goto out;
	if (v != NULL) {
		if ((r = der_ia5(v, e.csp_id, sizeof(e.csp_id))) != 0)
			goto out;
		e.has_csp_id = 1;
	}
	*ret = e;
	r = 0;
out:
	ERR_clear_error();
	return r;
}
