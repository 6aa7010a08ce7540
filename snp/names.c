/*
 * names.c: stable names for snp enums, used in text and JSON output.
 * Tables, not if-chains; an out-of-range value gets a fixed fallback.
 */
#include "snp.h"

static const char *const product_names[SNP_PRODUCT_COUNT] = {
	[SNP_PRODUCT_UNKNOWN] = "unknown",
	[SNP_PRODUCT_MILAN] = "milan",
	[SNP_PRODUCT_GENOA] = "genoa",
	[SNP_PRODUCT_TURIN] = "turin",
};

const char *
snp_product_name(enum snp_product product)
{
	if ((unsigned)product >= SNP_PRODUCT_COUNT)
		return "unknown";
	return product_names[product];
}

const char *
snp_signing_key_name(enum snp_signing_key key)
{
	switch (key) {
	case SNP_SIGNING_KEY_VCEK:
		return "vcek";
	case SNP_SIGNING_KEY_VLEK:
		return "vlek";
	case SNP_SIGNING_KEY_NONE:
		return "none";
	}
	return "unknown";
}

static const char *const check_names[SNP_CHECK_COUNT] = {
	[SNP_CHECK_PRODUCT] = "product",
	[SNP_CHECK_ARK] = "ark",
	[SNP_CHECK_ASK] = "ask",
	[SNP_CHECK_SIGNER_CERT] = "signer_cert",
	[SNP_CHECK_VALIDITY] = "validity",
	[SNP_CHECK_CRL] = "crl",
	[SNP_CHECK_REPORT_SIGNATURE] = "report_signature",
	[SNP_CHECK_TCB] = "tcb",
	[SNP_CHECK_CHIP_ID] = "chip_id",
};

const char *
snp_check_name(enum snp_check check)
{
	if ((unsigned)check >= SNP_CHECK_COUNT)
		return "unknown";
	return check_names[check];
}

static const char *const outcome_names[] = {
	[SNP_OUTCOME_NOT_RUN] = "not_run",
	[SNP_OUTCOME_PASS] = "pass",
	[SNP_OUTCOME_FAIL] = "fail",
	[SNP_OUTCOME_SKIPPED] = "skipped",
};

const char *
snp_outcome_name(enum snp_outcome outcome)
{
	if ((unsigned)outcome >= KBS_ARRAY_SIZE(outcome_names))
		return "unknown";
	return outcome_names[outcome];
}
