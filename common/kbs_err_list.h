/*
 * kbs_err_list.h: the single list of error codes, included by kbs_err.h
 * (to define the KBS_ERR_* constants) and kbs_err.c (for the name and
 * sentence table), so a code cannot exist without its name and sentence.
 *
 * KBS_ERR_X(CONSTANT, name, code, "sentence"): the constant is
 * KBS_ERR_<CONSTANT>, name is its lower-case stable name (checked by
 * tests/unit/common/test_kbs_err.c), code the fixed negative number.
 *
 * Each module owns a block so that codes stay stable when another module
 * adds one: common -1..-99, snp -100..-199, policy -200..-299, keystore
 * -300..-399, kbs (daemon) -400..-499, client -500..-599. Codes are part
 * of the wire and audit format: never renumber or reuse one. Sentences
 * never contain secret material, so they are safe in logs, HTTP answers
 * and audit records.
 *
 * No include guard: the includer defines KBS_ERR_X first.
 */

/* common */
KBS_ERR_X(INTERNAL, internal, -1, "internal error")
KBS_ERR_X(ALLOC, alloc, -2, "out of memory")
KBS_ERR_X(SYSTEM, system, -3, "system call failed") /* errno holds the cause */
KBS_ERR_X(INVALID_ARGUMENT, invalid_argument, -4, "invalid argument")
KBS_ERR_X(TRUNCATED, truncated, -5, "input is truncated")
KBS_ERR_X(TRAILING_DATA, trailing_data, -6, "unexpected bytes after the end of the input")
KBS_ERR_X(BAD_HEX, bad_hex, -7, "malformed hex string")
KBS_ERR_X(BAD_BASE64, bad_base64, -8, "malformed base64 string")
KBS_ERR_X(BAD_TIME, bad_time, -9, "malformed time (RFC 3339 expected)")
KBS_ERR_X(TOO_LARGE, too_large, -10, "input exceeds the size limit")
KBS_ERR_X(NOT_FOUND, not_found, -11, "not found")
KBS_ERR_X(EXISTS, exists, -12, "already exists")
KBS_ERR_X(IO, io, -13, "input/output error")
KBS_ERR_X(BUFFER_TOO_SMALL, buffer_too_small, -14, "output buffer too small")
KBS_ERR_X(NUMBER_RANGE, number_range, -15, "number out of range")
KBS_ERR_X(CRYPTO_INIT, crypto_init, -16, "cryptographic library failed to initialise")

/* common: the protocol constructions (kbs_proto.h) */
KBS_ERR_X(WRAP_WEAK_KEY, wrap_weak_key, -20, "the wrapping key agreement produced a weak key")
KBS_ERR_X(WRAP_OPEN, wrap_open, -21, "a wrapped secret failed to decrypt")
KBS_ERR_X(RESPONSE_SIGNATURE, response_signature, -22, "the broker response signature is invalid")

/* snp: report */
KBS_ERR_X(REPORT_LENGTH, report_length, -100, "attestation report has the wrong length")
KBS_ERR_X(REPORT_VERSION, report_version, -101, "attestation report version is not supported")
KBS_ERR_X(REPORT_SIG_ALGO, report_sig_algo, -102,
    "attestation report signature algorithm is not ECDSA P-384 with SHA-384")
KBS_ERR_X(REPORT_RESERVED, report_reserved, -103, "attestation report has non-zero reserved bytes")
KBS_ERR_X(REPORT_SIGNING_KEY, report_signing_key, -104,
    "attestation report names an unsupported signing key")
KBS_ERR_X(REPORT_VMPL, report_vmpl, -105, "attestation report VMPL is out of range")
KBS_ERR_X(PRODUCT_UNKNOWN, product_unknown, -106, "processor product could not be determined")
KBS_ERR_X(
    PRODUCT_MISMATCH, product_mismatch, -107, "processor product of report and certificate differ")
KBS_ERR_X(REPORT_SIG_FORMAT, report_sig_format, -108, "attestation report signature is malformed")

/* snp: certificates and chain */
KBS_ERR_X(CERT_PARSE, cert_parse, -120, "certificate could not be parsed")
KBS_ERR_X(CERT_MISSING, cert_missing, -121, "a required certificate is missing")
KBS_ERR_X(
    CERT_ARK_NOT_PINNED, cert_ark_not_pinned, -122, "root certificate is not a pinned AMD ARK")
KBS_ERR_X(CERT_ARK_SIGNATURE, cert_ark_signature, -123, "ARK self-signature does not verify")
KBS_ERR_X(CERT_ASK_SIGNATURE, cert_ask_signature, -124,
    "ASK/ASVK signature does not verify under the ARK")
KBS_ERR_X(CERT_VCEK_SIGNATURE, cert_vcek_signature, -125,
    "VCEK/VLEK signature does not verify under the ASK/ASVK")
KBS_ERR_X(CERT_SIG_ALGORITHM, cert_sig_algorithm, -126,
    "certificate signature is not RSASSA-PSS SHA-384 salt 48")
KBS_ERR_X(CERT_KEY, cert_key, -127, "certificate public key has the wrong type or size")
KBS_ERR_X(CERT_NOT_YET_VALID, cert_not_yet_valid, -128, "certificate is not yet valid")
KBS_ERR_X(CERT_EXPIRED, cert_expired, -129, "certificate has expired")
KBS_ERR_X(CERT_EXTENSION, cert_extension, -130, "certificate AMD extension is missing or malformed")
KBS_ERR_X(CERT_REVOKED, cert_revoked, -131, "certificate is revoked")
KBS_ERR_X(CERT_ISSUER, cert_issuer, -132, "certificate issuer does not match its signer")
KBS_ERR_X(CERT_SIGNER_KIND, cert_signer_kind, -133,
    "report signing key type does not match the certificate (VCEK/VLEK)")
KBS_ERR_X(CRL_PARSE, crl_parse, -140, "CRL could not be parsed")
KBS_ERR_X(CRL_SIGNATURE, crl_signature, -141, "CRL signature does not verify under the ARK")
KBS_ERR_X(CRL_STALE, crl_stale, -142, "CRL is past its next update time")
KBS_ERR_X(CRL_NOT_YET_VALID, crl_not_yet_valid, -143, "CRL is not yet valid")
KBS_ERR_X(CRL_ISSUER, crl_issuer, -144, "CRL issuer is not the ARK")
KBS_ERR_X(REPORT_SIGNATURE, report_signature, -150, "attestation report signature does not verify")
KBS_ERR_X(TCB_MISMATCH, tcb_mismatch, -151, "REPORTED_TCB does not match the VCEK TCB extensions")
KBS_ERR_X(CHIP_ID_MISMATCH, chip_id_mismatch, -152, "CHIP_ID does not match the VCEK hwID")
KBS_ERR_X(CERTTABLE_PARSE, certtable_parse, -160, "extended report certificate table is malformed")
KBS_ERR_X(CERTTABLE_DUPLICATE, certtable_duplicate, -161,
    "extended report certificate table repeats an entry")
KBS_ERR_X(MEASUREMENT_MISMATCH, measurement_mismatch, -170, "measurement is not the expected value")
KBS_ERR_X(CRL_KIND, crl_kind, -171, "CRL is the list of the other signing-key chain (VCEK or VLEK)")
KBS_ERR_X(CERT_NOT_DER, cert_not_der, -172,
    "certificate is BER, not DER (a non-minimal or indefinite length, or fields that re-encode differently)")
KBS_ERR_X(CRL_NOT_DER, crl_not_der, -173,
    "CRL is BER, not DER (a non-minimal or indefinite length, or fields that re-encode differently)")

/* snp: extra trust roots (snp_verifier_add_root) */
KBS_ERR_X(ROOT_MALFORMED, root_malformed, -176,
    "extra trust root is not one self-signed RSA-4096 RSASSA-PSS CA certificate with CN ARK-<product>")
KBS_ERR_X(ROOT_DUPLICATE, root_duplicate, -177,
    "extra trust root is already trusted (a pinned AMD ARK, or an extra root of the same name)")
KBS_ERR_X(ROOT_AMD_NAME, root_amd_name, -178,
    "extra trust root has the subject name of a pinned AMD certificate")

/* snp: launch digest (expected measurement from the image) */
KBS_ERR_X(MEASURE_NO_KERNEL_HASHES, measure_no_kernel_hashes, -180,
    "a kernel was given, but the OVMF has no SNP kernel-hashes section")
KBS_ERR_X(MEASURE_NO_METADATA, measure_no_metadata, -181,
    "OVMF has no SEV metadata (no GUIDed footer table or no metadata entry)")
KBS_ERR_X(MEASURE_VCPU_TYPE, measure_vcpu_type, -182, "unknown vCPU type")
KBS_ERR_X(MEASURE_VCPU_COUNT, measure_vcpu_count, -183, "vCPU count is 0 or above the VMM's limit")
KBS_ERR_X(MEASURE_OVMF_SIZE, measure_ovmf_size, -184,
    "OVMF image size is not a non-zero multiple of 4 KiB within the size limit")
KBS_ERR_X(MEASURE_FOOTER_TRUNCATED, measure_footer_truncated, -185,
    "OVMF is too short to hold the GUIDed footer table")
KBS_ERR_X(MEASURE_GUEST_FEATURES, measure_guest_features, -186,
    "guest features (SEV_FEATURES) lack SNPActive (bit 0)")
KBS_ERR_X(MEASURE_FOOTER_LENGTH, measure_footer_length, -187,
    "OVMF footer table length points outside the file")
KBS_ERR_X(MEASURE_FOOTER_ENTRY, measure_footer_entry, -188,
    "OVMF footer table entry overruns the table or has the wrong length for its GUID")
KBS_ERR_X(MEASURE_FOOTER_LOOP, measure_footer_loop, -189,
    "OVMF footer table entry length is below its own header (the walk would not advance)")
KBS_ERR_X(
    MEASURE_FOOTER_DUPLICATE, measure_footer_duplicate, -190, "OVMF footer table repeats a GUID")
KBS_ERR_X(MEASURE_METADATA_OFFSET, measure_metadata_offset, -191,
    "SEV metadata offset points outside the OVMF file")
KBS_ERR_X(MEASURE_METADATA_HEADER, measure_metadata_header, -192,
    "SEV metadata header has the wrong signature or version")
KBS_ERR_X(MEASURE_METADATA_TABLE, measure_metadata_table, -193,
    "SEV metadata section table overflows its header, the file or the section limit")
KBS_ERR_X(MEASURE_SECTION_RANGE, measure_section_range, -194,
    "SEV metadata section is empty, unaligned, past 4 GiB or of the wrong size for its type")
KBS_ERR_X(
    MEASURE_SECTION_TYPE, measure_section_type, -195, "SEV metadata section has an unknown type")
KBS_ERR_X(MEASURE_SECTION_DUPLICATE, measure_section_duplicate, -196,
    "SEV metadata repeats a section that must be unique")
KBS_ERR_X(MEASURE_SECTION_OVERLAP, measure_section_overlap, -197,
    "SEV metadata sections overlap each other or the firmware image")
KBS_ERR_X(MEASURE_NO_RESET_BLOCK, measure_no_reset_block, -198,
    "OVMF has no SEV-ES reset block (the AP start address)")
KBS_ERR_X(MEASURE_HASH_TABLE, measure_hash_table, -199,
    "OVMF SEV hash table entry is missing, too small or outside the kernel-hashes section")

/* policy */
KBS_ERR_X(POLICY_SYNTAX, policy_syntax, -200, "policy is not valid JSON")
KBS_ERR_X(POLICY_UNKNOWN_KEY, policy_unknown_key, -201, "policy has an unknown key")
KBS_ERR_X(POLICY_DUPLICATE_KEY, policy_duplicate_key, -202, "policy repeats a key")
KBS_ERR_X(POLICY_TYPE, policy_type, -203, "policy value has the wrong type")
KBS_ERR_X(POLICY_VALUE, policy_value, -204, "policy value is malformed or out of range")
KBS_ERR_X(POLICY_MISSING_KEY, policy_missing_key, -205, "policy lacks a required key")
KBS_ERR_X(POLICY_VERSION, policy_version, -206, "policy language version is not supported")
KBS_ERR_X(POLICY_DENIED, policy_denied, -207, "policy denies the evidence")
KBS_ERR_X(POLICY_LIMIT, policy_limit, -208, "policy exceeds a nesting or length limit")

/* keystore */
KBS_ERR_X(STORE_OPEN, store_open, -300, "store could not be opened")
KBS_ERR_X(STORE_SCHEMA, store_schema, -301, "store was written by a newer schema")
KBS_ERR_X(STORE_MASTER_KEY, store_master_key, -302, "master key does not match the store")
KBS_ERR_X(STORE_KEY_PERMS, store_key_perms, -303, "master key file is readable by group or others")
KBS_ERR_X(STORE_DIR_OWNER, store_dir_owner, -304, "data directory is owned by another user")
KBS_ERR_X(STORE_INTEGRITY, store_integrity, -305, "sealed record failed its integrity check")
KBS_ERR_X(STORE_FULL, store_full, -306, "store is out of space")
KBS_ERR_X(STORE_NONCE_REUSED, store_nonce_reused, -307, "nonce was already used")
KBS_ERR_X(STORE_AUDIT_CHAIN, store_audit_chain, -308, "audit chain is broken")
KBS_ERR_X(STORE_CORRUPT, store_corrupt, -309, "store record is corrupt")
KBS_ERR_X(STORE_BUSY, store_busy, -310, "store is busy")
KBS_ERR_X(STORE_KEY_FORMAT, store_key_format, -311, "master key is not 32 bytes or 64 hex digits")
KBS_ERR_X(STORE_MAP_FULL, store_map_full, -312,
    "store map is full") /* internal: the map is grown and the write retried */
KBS_ERR_X(STORE_DIR_PERMS, store_dir_perms, -313,
    "data directory is writable, or its files readable, by group or others")
KBS_ERR_X(STORE_OPEN_TWICE, store_open_twice, -314, "store is already open in this process")
KBS_ERR_X(STORE_AUDIT_ROLLBACK, store_audit_rollback, -315,
    "audit log does not extend the expected head (rolled back or replaced)")
KBS_ERR_X(STORE_RECORD_STALE, store_record_stale, -316,
    "a current record is not the one its last audit record names")
KBS_ERR_X(STORE_SCHEMA_OLD, store_schema_old, -317,
    "store was written by an older schema that this version does not read")
KBS_ERR_X(STORE_TOKEN_REVOKED, store_token_revoked, -318, "token is revoked")

/* kbs: the broker daemon (-440..-469 are the nonce, token and metrics pieces) */
KBS_ERR_X(CONFIG, config, -400, "the configuration is invalid")
KBS_ERR_X(LISTEN, listen, -401, "cannot listen on the configured address")
KBS_ERR_X(BAD_REQUEST, bad_request, -402, "the request is malformed")
KBS_ERR_X(METHOD, method, -403, "the method is not allowed for this route")
KBS_ERR_X(RATE_LIMITED, rate_limited, -404, "too many requests from this address")
KBS_ERR_X(
    UNAVAILABLE, unavailable, -405, "the broker cannot record the decision; nothing was released")
KBS_ERR_X(REPORT_DATA_NONCE, report_data_nonce, -407, "REPORT_DATA does not carry the nonce sent")
KBS_ERR_X(TLS, tls, -408, "the TLS certificate or key cannot be loaded")
KBS_ERR_X(UNAUTHORIZED, unauthorized, -409, "the admin token is missing, unknown or revoked")
KBS_ERR_X(FORBIDDEN, forbidden, -410, "the admin token's role does not allow this")
KBS_ERR_X(EVIDENCE, evidence, -411, "the evidence failed verification")
KBS_ERR_X(NO_POLICY, no_policy, -412, "the secret is not bound to a policy")
KBS_ERR_X(STATE_FILE, state_file, -413,
    "a key file in the data directory is malformed or has unsafe permissions")
KBS_ERR_X(NONCE_REPLAYED, nonce_replayed, -414, "the nonce was already used")
KBS_ERR_X(POLICY_LINT, policy_lint, -415, "the policy has lint errors and was not stored")
KBS_ERR_X(RELOAD_RESTART, reload_restart, -416,
    "the new configuration changes a setting that only a restart applies")
KBS_ERR_X(RELOAD_BUSY, reload_busy, -417,
    "listeners replaced by earlier reloads are still finishing their connections")

/* kbs: webhooks (common/kbs_webhook_sig.h, kbs/webhook.h; -420..-429) */
KBS_ERR_X(WEBHOOK_SIGNATURE, webhook_signature, -420,
    "the webhook signature is malformed or does not match the body")
KBS_ERR_X(WEBHOOK_KEY_FILE, webhook_key_file, -421,
    "the webhook secret file is not ours, is open to others, or is not 32 to 64 bytes (raw or hex)")

/* kbs: replication through etcd (kbs/etcd.h, kbs/replica.h) */
KBS_ERR_X(ETCD_CONFLICT, etcd_conflict, -430,
    "the object changed since the revision the request expected; nothing was written")
KBS_ERR_X(ETCD_UNAVAILABLE, etcd_unavailable, -431,
    "etcd cannot be reached: admin writes are refused until it is back")
KBS_ERR_X(ETCD_PROTOCOL, etcd_protocol, -432, "etcd answered something this broker cannot read")
KBS_ERR_X(ETCD_RECORD, etcd_record, -433,
    "a replicated record is malformed or does not open under this replica's master key")
KBS_ERR_X(ETCD_COMPACTED, etcd_compacted, -434,
    "the revision to resume from was compacted away in etcd (a full read follows)")
KBS_ERR_X(ETCD_IF_MATCH, etcd_if_match, -435, "If-Match must be one revision number")
KBS_ERR_X(ETCD_NOT_SYNCED, etcd_not_synced, -436,
    "this replica has not read etcd yet: admin writes wait until it has")
KBS_ERR_X(ETCD_LOCAL_ONLY, etcd_local_only, -437,
    "this replica holds secrets etcd lacks: its first sync would delete them")
KBS_ERR_X(ETCD_TLS_FILE, etcd_tls_file, -438,
    "an etcd ca_file or cert_file cannot be read or holds no PEM certificate")
KBS_ERR_X(ETCD_KEY_FILE, etcd_key_file, -439,
    "the etcd key_file is not a private, unencrypted PEM key of cert_file (a regular "
    "file of this user, closed to group and others)")
KBS_ERR_X(ETCD_ROLLBACK, etcd_rollback, -444,
    "a replicated value older than (or conflicting with) the one this replica applied: not "
    "applied")

/* kbs: stateless nonces (kbs/nonce.h) */
KBS_ERR_X(NONCE_MALFORMED, nonce_malformed, -440, "nonce is not 32 bytes")
KBS_ERR_X(NONCE_OTHER_REPLICA, nonce_other_replica, -441, "nonce was issued by another replica")
KBS_ERR_X(NONCE_MAC, nonce_mac, -442, "nonce was not issued by this broker or was altered")
KBS_ERR_X(NONCE_EXPIRED, nonce_expired, -443, "nonce has expired")

/* kbs: the attestation token (kbs/token.h) */
KBS_ERR_X(TOKEN_MALFORMED, token_malformed, -450, "token is not a well-formed compact JWT")
KBS_ERR_X(TOKEN_HEADER, token_header, -451, "token header is not EdDSA with this broker's key id")
KBS_ERR_X(TOKEN_SIGNATURE, token_signature, -452, "token signature does not verify")
KBS_ERR_X(TOKEN_EXPIRED, token_expired, -453, "token has expired or is not yet valid")
KBS_ERR_X(TOKEN_CLAIMS, token_claims, -454, "token claims are missing or malformed")

/* kbs: attack and fault hardening (-455..-469) */
KBS_ERR_X(REQUEST_DEADLINE, request_deadline, -455,
    "the request was not received whole within request_deadline; its connection was closed")

/* kbs: the broker daemon, review fixes (-470..-489) */
KBS_ERR_X(TOKEN_INVALID, token_invalid, -470,
    "the bearer token is missing, malformed, expired, not ours, or not for this secret")

/* kbs: certificates from AMD KDS and CRL refresh (kbs/kds.h, -480..-498) */
KBS_ERR_X(KDS_UNAVAILABLE, kds_unavailable, -480,
    "AMD KDS is rate limiting or unavailable; retry after the time the answer gives")
KBS_ERR_X(KDS_TIMEOUT, kds_timeout, -481, "AMD KDS did not answer within kds_timeout")
KBS_ERR_X(KDS_HTTP, kds_http, -482, "AMD KDS answered with an error status")
KBS_ERR_X(KDS_CONTENT, kds_content, -483,
    "AMD KDS answered with the wrong content type or a body that does not parse")
KBS_ERR_X(KDS_WRONG_CERT, kds_wrong_cert, -484,
    "the fetched or cached certificate is for another chip, TCB or product than the report")
KBS_ERR_X(KDS_OFFLINE, kds_offline, -485,
    "no certificate for this chip and TCB is cached and fetching from AMD KDS is off")
KBS_ERR_X(KDS_NO_KEY, kds_no_key, -486,
    "the report names no VCEK KDS can serve (no CPUID product, a masked chip id, or a VLEK)")
KBS_ERR_X(CRL_EXPIRED, crl_expired, -487,
    "the CRL is past its nextUpdate plus crl_grace and could not be refreshed")
KBS_ERR_X(KDS_LAYOUT, kds_layout, -488,
    "the file's path is not in a known certificate cache layout, or its contents disagree with it")
KBS_ERR_X(KDS_BUSY, kds_busy, -489, "too many AMD KDS fetches are in flight")
KBS_ERR_X(KDS_BUDGET, kds_budget, -490,
    "this address has used its budget of AMD KDS fetches (kds_fetches_per_minute)")
KBS_ERR_X(CRL_OTHER_ARK, crl_other_ark, -491,
    "a list from another trusted ARK is held for this product and chain (one list is held per product and chain)")
KBS_ERR_X(CRL_ROLLBACK, crl_rollback, -492, "a CRL older than the one held was refused")

/* client: attesters and the simulated chip */
KBS_ERR_X(ATTESTER_SPEC, attester_spec, -500,
    "attester is unknown or malformed (expected KIND:ARG, e.g. sim:DIR)")
KBS_ERR_X(SIM_CONFIG, sim_config, -501, "simulated chip configuration is malformed")
KBS_ERR_X(
    SIM_KEY, sim_key, -502, "simulated chip key or certificate is missing, malformed or mismatched")
KBS_ERR_X(SIM_KEY_PERMS, sim_key_perms, -503,
    "simulated VCEK private key file is readable by group or others")

/* client: libkbsclient, kbs-client get-secret and kbs-admin (-530..-569) */
KBS_ERR_X(CLIENT_UNREACHABLE, client_unreachable, -530,
    "the broker could not be reached (connection, timeout or server error, after retries)")
KBS_ERR_X(CLIENT_DENIED, client_denied, -531, "the broker's policy denied the request")
KBS_ERR_X(CLIENT_EVIDENCE_REJECTED, client_evidence_rejected, -532,
    "the broker rejected the attestation evidence")
KBS_ERR_X(CLIENT_ATTESTER, client_attester, -533, "the attester could not produce a report")
KBS_ERR_X(CLIENT_ATTESTER_UNAVAILABLE, client_attester_unavailable, -534,
    "the requested attester is not available in this build")
KBS_ERR_X(CLIENT_REFUSED, client_refused, -535, "the broker refused the request")
KBS_ERR_X(CLIENT_HTTP_STATUS, client_http_status, -536,
    "the broker answered with an unexpected HTTP status")
KBS_ERR_X(CLIENT_TLS, client_tls, -537, "the broker's TLS certificate could not be verified")
KBS_ERR_X(
    CLIENT_RESPONSE_MALFORMED, client_response_malformed, -538, "the broker response is malformed")
KBS_ERR_X(CLIENT_RESPONSE_VERSION, client_response_version, -539,
    "the broker response has an unsupported protocol version")
KBS_ERR_X(CLIENT_RESPONSE_BINDING, client_response_binding, -540,
    "the broker response does not echo this exchange's nonce or token")
KBS_ERR_X(CLIENT_SECRET_MISSING, client_secret_missing, -541,
    "the broker response lacks a requested secret")
KBS_ERR_X(CLIENT_SECRET_UNEXPECTED, client_secret_unexpected, -542,
    "the broker response carries a secret that was not requested, or one twice")
KBS_ERR_X(CLIENT_SERVER_KEY, client_server_key, -543,
    "the broker identity key is not a 32-byte Ed25519 key (base64url, a JWK or a JWK set)")
KBS_ERR_X(CLIENT_TOKEN_MALFORMED, client_token_malformed, -544,
    "the token is not a well-formed EdDSA JWT")
KBS_ERR_X(CLIENT_TOKEN_KID, client_token_kid, -545, "the token's key id is not in the key set")
KBS_ERR_X(
    CLIENT_TOKEN_SIGNATURE, client_token_signature, -546, "the token signature does not verify")
KBS_ERR_X(CLIENT_TOKEN_EXPIRED, client_token_expired, -547, "the token has expired")
KBS_ERR_X(CLIENT_TOKEN_CLAIMS, client_token_claims, -548,
    "the token lacks a required claim, or a claim has the wrong type or value")
KBS_ERR_X(CLIENT_JWKS, client_jwks, -549, "the key set is malformed or holds no Ed25519 key")
KBS_ERR_X(
    CLIENT_OUT_TERMINAL, client_out_terminal, -550, "refusing to write a secret to a terminal")
KBS_ERR_X(CLIENT_URL, client_url, -551, "the broker URL is not http://, https:// or unix:PATH")
KBS_ERR_X(CLIENT_OUT_UNSAFE, client_out_unsafe, -552,
    "refusing to write a secret in place to a symbolic link or to a file this user does not own")
KBS_ERR_X(CLIENT_REPORT_DATA_MISMATCH, client_report_data_mismatch, -553,
    "the report's REPORT_DATA is not the expected value")
KBS_ERR_X(CLIENT_CRL_REQUIRED, client_crl_required, -554,
    "a CRL is required but none was given for this report's chain (revocation not checked)")

/* client: the real attesters, configfs-tsm and /dev/sev-guest (-570..-589) */
KBS_ERR_X(ATTESTER_NONE, attester_none, -570,
    "no attester on this machine: neither configfs-tsm nor /dev/sev-guest is present")
KBS_ERR_X(TSM_MKDIR, tsm_mkdir, -571, "configfs-tsm: cannot create a report entry")
KBS_ERR_X(TSM_PRIVLEVEL, tsm_privlevel, -572,
    "configfs-tsm: cannot read privlevel_floor or write privlevel")
KBS_ERR_X(TSM_INBLOB, tsm_inblob, -573, "configfs-tsm: cannot write inblob")
KBS_ERR_X(TSM_OUTBLOB, tsm_outblob, -574,
    "configfs-tsm: cannot read outblob, or it is not one attestation report")
KBS_ERR_X(TSM_AUXBLOB, tsm_auxblob, -575, "configfs-tsm: cannot read auxblob")
KBS_ERR_X(TSM_PROVIDER, tsm_provider, -576,
    "configfs-tsm: the provider is unreadable or is not sev_guest")
KBS_ERR_X(TSM_GENERATION, tsm_generation, -577,
    "configfs-tsm: the entry's generation is unreadable or changed: another writer used it")
KBS_ERR_X(TSM_RMDIR, tsm_rmdir, -578, "configfs-tsm: cannot remove the report entry")
KBS_ERR_X(SEV_GUEST_OPEN, sev_guest_open, -579, "sev-guest: cannot open the device")
KBS_ERR_X(SEV_GUEST_IOCTL, sev_guest_ioctl, -580, "sev-guest: the SNP_GET_EXT_REPORT ioctl failed")
KBS_ERR_X(SEV_GUEST_FIRMWARE, sev_guest_firmware, -581,
    "sev-guest: the firmware or the hypervisor returned an error")
KBS_ERR_X(SEV_GUEST_CERTS_LEN, sev_guest_certs_len, -582,
    "sev-guest: the certificate table does not fit the bounded buffer after retries")
KBS_ERR_X(SEV_GUEST_RESPONSE, sev_guest_response, -583,
    "sev-guest: the report response has a non-zero status or a wrong report size")

/* client: kbs-client watch (-584..-589) */
KBS_ERR_X(CLIENT_WATCH_INTERVAL, client_watch_interval, -584,
    "the interval is not a whole number followed by s, m or h (from 1s to 24h)")
