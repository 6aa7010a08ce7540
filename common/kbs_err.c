/*
 * kbs_err.c: names and sentences for the codes in kbs_err.h.
 *
 * One table indexed by the negated code; a code missing from the table
 * reads as "unknown error" rather than crashing, and a unit test checks
 * that every code defined in the header has both a name and a sentence.
 */
#include "kbs_err.h"

#include <stddef.h>

#define KBS_ERR_TABLE_SIZE 600

struct kbs_err_entry {
	const char *name;
	const char *text;
};

#define E(code, n, t) [-(code)] = { n, t }

static const struct kbs_err_entry kbs_err_table[KBS_ERR_TABLE_SIZE] = {
	E(KBS_ERR_INTERNAL, "internal", "internal error"),
	E(KBS_ERR_ALLOC, "alloc", "out of memory"),
	E(KBS_ERR_SYSTEM, "system", "system call failed"),
	E(KBS_ERR_INVALID_ARGUMENT, "invalid_argument", "invalid argument"),
	E(KBS_ERR_TRUNCATED, "truncated", "input is truncated"),
	E(KBS_ERR_TRAILING_DATA, "trailing_data", "unexpected bytes after the end of the input"),
	E(KBS_ERR_BAD_HEX, "bad_hex", "malformed hex string"),
	E(KBS_ERR_BAD_BASE64, "bad_base64", "malformed base64 string"),
	E(KBS_ERR_BAD_TIME, "bad_time", "malformed time (RFC 3339 expected)"),
	E(KBS_ERR_TOO_LARGE, "too_large", "input exceeds the size limit"),
	E(KBS_ERR_NOT_FOUND, "not_found", "not found"),
	E(KBS_ERR_EXISTS, "exists", "already exists"),
	E(KBS_ERR_IO, "io", "input/output error"),
	E(KBS_ERR_BUFFER_TOO_SMALL, "buffer_too_small", "output buffer too small"),
	E(KBS_ERR_NUMBER_RANGE, "number_range", "number out of range"),
	E(KBS_ERR_CRYPTO_INIT, "crypto_init", "cryptographic library failed to initialise"),

	E(KBS_ERR_REPORT_LENGTH, "report_length", "attestation report has the wrong length"),
	E(KBS_ERR_REPORT_VERSION, "report_version", "attestation report version is not supported"),
	E(KBS_ERR_REPORT_SIG_ALGO, "report_sig_algo",
	    "attestation report signature algorithm is not ECDSA P-384 with SHA-384"),
	E(KBS_ERR_REPORT_RESERVED, "report_reserved",
	    "attestation report has non-zero reserved bytes"),
	E(KBS_ERR_REPORT_SIGNING_KEY, "report_signing_key",
	    "attestation report names an unsupported signing key"),
	E(KBS_ERR_REPORT_VMPL, "report_vmpl", "attestation report VMPL is out of range"),
	E(KBS_ERR_PRODUCT_UNKNOWN, "product_unknown", "processor product could not be determined"),
	E(KBS_ERR_PRODUCT_MISMATCH, "product_mismatch",
	    "processor product of report and certificate differ"),
	E(KBS_ERR_REPORT_SIG_FORMAT, "report_sig_format",
	    "attestation report signature is malformed"),
	E(KBS_ERR_CERT_PARSE, "cert_parse", "certificate could not be parsed"),
	E(KBS_ERR_CERT_MISSING, "cert_missing", "a required certificate is missing"),
	E(KBS_ERR_CERT_ARK_NOT_PINNED, "cert_ark_not_pinned",
	    "root certificate is not a pinned AMD ARK"),
	E(KBS_ERR_CERT_ARK_SIGNATURE, "cert_ark_signature", "ARK self-signature does not verify"),
	E(KBS_ERR_CERT_ASK_SIGNATURE, "cert_ask_signature",
	    "ASK/ASVK signature does not verify under the ARK"),
	E(KBS_ERR_CERT_VCEK_SIGNATURE, "cert_vcek_signature",
	    "VCEK/VLEK signature does not verify under the ASK/ASVK"),
	E(KBS_ERR_CERT_SIG_ALGORITHM, "cert_sig_algorithm",
	    "certificate signature is not RSASSA-PSS SHA-384 salt 48"),
	E(KBS_ERR_CERT_KEY, "cert_key", "certificate public key has the wrong type or size"),
	E(KBS_ERR_CERT_NOT_YET_VALID, "cert_not_yet_valid", "certificate is not yet valid"),
	E(KBS_ERR_CERT_EXPIRED, "cert_expired", "certificate has expired"),
	E(KBS_ERR_CERT_EXTENSION, "cert_extension",
	    "certificate AMD extension is missing or malformed"),
	E(KBS_ERR_CERT_REVOKED, "cert_revoked", "certificate is revoked"),
	E(KBS_ERR_CERT_ISSUER, "cert_issuer", "certificate issuer does not match its signer"),
	E(KBS_ERR_CERT_SIGNER_KIND, "cert_signer_kind",
	    "report signing key type does not match the certificate (VCEK/VLEK)"),
	E(KBS_ERR_CRL_PARSE, "crl_parse", "CRL could not be parsed"),
	E(KBS_ERR_CRL_SIGNATURE, "crl_signature", "CRL signature does not verify under the ARK"),
	E(KBS_ERR_CRL_STALE, "crl_stale", "CRL is past its next update time"),
	E(KBS_ERR_CRL_NOT_YET_VALID, "crl_not_yet_valid", "CRL is not yet valid"),
	E(KBS_ERR_CRL_ISSUER, "crl_issuer", "CRL issuer is not the ARK"),
	E(KBS_ERR_REPORT_SIGNATURE, "report_signature",
	    "attestation report signature does not verify"),
	E(KBS_ERR_TCB_MISMATCH, "tcb_mismatch",
	    "REPORTED_TCB does not match the VCEK TCB extensions"),
	E(KBS_ERR_CHIP_ID_MISMATCH, "chip_id_mismatch", "CHIP_ID does not match the VCEK hwID"),
	E(KBS_ERR_CERTTABLE_PARSE, "certtable_parse",
	    "extended report certificate table is malformed"),
	E(KBS_ERR_CERTTABLE_DUPLICATE, "certtable_duplicate",
	    "extended report certificate table repeats an entry"),
	E(KBS_ERR_MEASUREMENT_MISMATCH, "measurement_mismatch",
	    "measurement is not the expected value"),

	E(KBS_ERR_POLICY_SYNTAX, "policy_syntax", "policy is not valid JSON"),
	E(KBS_ERR_POLICY_UNKNOWN_KEY, "policy_unknown_key", "policy has an unknown key"),
	E(KBS_ERR_POLICY_DUPLICATE_KEY, "policy_duplicate_key", "policy repeats a key"),
	E(KBS_ERR_POLICY_TYPE, "policy_type", "policy value has the wrong type"),
	E(KBS_ERR_POLICY_VALUE, "policy_value", "policy value is malformed or out of range"),
	E(KBS_ERR_POLICY_MISSING_KEY, "policy_missing_key", "policy lacks a required key"),
	E(KBS_ERR_POLICY_VERSION, "policy_version", "policy language version is not supported"),
	E(KBS_ERR_POLICY_DENIED, "policy_denied", "policy denies the evidence"),
	E(KBS_ERR_POLICY_LIMIT, "policy_limit", "policy exceeds a nesting or length limit"),

	E(KBS_ERR_STORE_OPEN, "store_open", "store could not be opened"),
	E(KBS_ERR_STORE_SCHEMA, "store_schema", "store was written by a newer schema"),
	E(KBS_ERR_STORE_MASTER_KEY, "store_master_key", "master key does not match the store"),
	E(KBS_ERR_STORE_KEY_PERMS, "store_key_perms",
	    "master key file is readable by group or others"),
	E(KBS_ERR_STORE_DIR_OWNER, "store_dir_owner", "data directory is owned by another user"),
	E(KBS_ERR_STORE_INTEGRITY, "store_integrity", "sealed record failed its integrity check"),
	E(KBS_ERR_STORE_FULL, "store_full", "store is out of space"),
	E(KBS_ERR_STORE_NONCE_REUSED, "store_nonce_reused", "nonce was already used"),
	E(KBS_ERR_STORE_AUDIT_CHAIN, "store_audit_chain", "audit chain is broken"),
	E(KBS_ERR_STORE_CORRUPT, "store_corrupt", "store record is corrupt"),
	E(KBS_ERR_STORE_BUSY, "store_busy", "store is busy"),
	E(KBS_ERR_STORE_KEY_FORMAT, "store_key_format",
	    "master key is not 32 bytes or 64 hex digits"),
	E(KBS_ERR_STORE_MAP_FULL, "store_map_full", "store map is full"),
	E(KBS_ERR_STORE_DIR_PERMS, "store_dir_perms",
	    "data directory is writable, or its files readable, by group or others"),
};

#undef E

static const struct kbs_err_entry *
kbs_err_lookup(int code)
{
	if (code >= 0 || code <= -KBS_ERR_TABLE_SIZE)
		return NULL;
	if (kbs_err_table[-code].name == NULL)
		return NULL;
	return &kbs_err_table[-code];
}

const char *
kbs_err_str(int code)
{
	const struct kbs_err_entry *e;

	if (code == 0)
		return "success";
	e = kbs_err_lookup(code);
	return e != NULL ? e->text : "unknown error";
}

const char *
kbs_err_name(int code)
{
	const struct kbs_err_entry *e;

	if (code == 0)
		return "ok";
	e = kbs_err_lookup(code);
	return e != NULL ? e->name : "unknown";
}
