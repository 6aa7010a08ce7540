/*
 * report_fmt.c: every report field for people (text) and programs (JSON).
 *
 * Flag tables drive both outputs, so a bit added here appears in both.
 * Nothing here verifies anything: show prints what the bytes say.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "cli.h"

struct flag_desc {
	uint64_t bit;
	const char *key;  /* JSON key */
	const char *text; /* human label */
};

static const struct flag_desc policy_flags[] = {
	{ SNP_POLICY_SMT, "smt_allowed", "SMT allowed" },
	{ SNP_POLICY_MIGRATE_MA, "migration_agent_allowed", "migration agent allowed" },
	{ SNP_POLICY_DEBUG, "debug_allowed", "debug allowed" },
	{ SNP_POLICY_SINGLE_SOCKET, "single_socket_required", "single socket required" },
	{ SNP_POLICY_CXL_ALLOW, "cxl_allowed", "CXL allowed" },
	{ SNP_POLICY_MEM_AES_256_XTS, "aes_256_xts_required",
	    "AES-256-XTS memory encryption required" },
	{ SNP_POLICY_RAPL_DIS, "rapl_disable_required", "RAPL disable required" },
	{ SNP_POLICY_CIPHERTEXT_HIDING, "ciphertext_hiding_required",
	    "ciphertext hiding required" },
	{ SNP_POLICY_PAGE_SWAP_DISABLE, "page_swap_disabled", "page swap disabled" },
};

static const struct flag_desc platform_flags[] = {
	{ SNP_PLATFORM_SMT_EN, "smt_enabled", "SMT enabled" },
	{ SNP_PLATFORM_TSME_EN, "tsme_enabled", "TSME enabled" },
	{ SNP_PLATFORM_ECC_EN, "ecc_enabled", "ECC memory" },
	{ SNP_PLATFORM_RAPL_DIS, "rapl_disabled", "RAPL disabled" },
	{ SNP_PLATFORM_CIPHERTEXT_HIDING_EN, "ciphertext_hiding_enabled",
	    "ciphertext hiding enabled" },
	{ SNP_PLATFORM_ALIAS_CHECK_COMPLETE, "alias_check_complete", "alias check complete" },
};

struct bytes_field {
	const char *key;
	size_t off; /* offset in struct snp_report */
	size_t len;
};

#define BF(name) \
	{ \
#name, offsetof(struct snp_report, name), sizeof(((struct snp_report *)0)->name) \
	}

static const struct bytes_field bytes_fields[] = {
	BF(measurement),
	BF(report_data),
	BF(host_data),
	BF(family_id),
	BF(image_id),
	BF(id_key_digest),
	BF(author_key_digest),
	BF(report_id),
	BF(report_id_ma),
	BF(chip_id),
};

struct tcb_field {
	const char *key;
	size_t off;
};

#define TF(name) \
	{ \
#name, offsetof(struct snp_report, name) \
	}

static const struct tcb_field tcb_fields[] = {
	TF(current_tcb),
	TF(reported_tcb),
	TF(committed_tcb),
	TF(launch_tcb),
};

static void
hex_of(const uint8_t *p, size_t len, char *out, size_t out_size)
{
	if (kbs_hex_encode(p, len, out, out_size) != 0)
		out[0] = '\0';
}

static const char *
product_label(enum snp_product product, const char *source)
{
	if (strncmp(source, "assumed", 7) == 0)
		return "milan or genoa";
	return snp_product_name(product);
}

static cJSON *
tcb_to_json(uint64_t raw, enum snp_product product)
{
	struct snp_tcb t;
	char hex[19];
	cJSON *o = cJSON_CreateObject();
	int r;

	snprintf(hex, sizeof(hex), "0x%016" PRIx64, raw);
	cJSON_AddStringToObject(o, "raw", hex);
	if ((r = snp_tcb_decode(raw, product, &t)) != 0) {
		cJSON_AddStringToObject(o, "error",
		    r == KBS_ERR_PRODUCT_UNKNOWN ? "product unknown" : "reserved bytes set");
		return o;
	}
	if (product == SNP_PRODUCT_TURIN)
		cJSON_AddNumberToObject(o, "fmc", t.fmc);
	cJSON_AddNumberToObject(o, "bootloader", t.bootloader);
	cJSON_AddNumberToObject(o, "tee", t.tee);
	cJSON_AddNumberToObject(o, "snp", t.snp);
	cJSON_AddNumberToObject(o, "microcode", t.microcode);
	return o;
}

static void
tcb_to_text(uint64_t raw, enum snp_product product, char *out, size_t out_size)
{
	struct snp_tcb t;
	int r;

	if ((r = snp_tcb_decode(raw, product, &t)) != 0) {
		snprintf(out, out_size, "0x%016" PRIx64 " (%s)", raw,
		    r == KBS_ERR_PRODUCT_UNKNOWN ? "product unknown: not decoded"
						 : "reserved bytes set");
	} else if (product == SNP_PRODUCT_TURIN) {
		snprintf(out, out_size, "0x%016" PRIx64 " (fmc=%u bl=%u tee=%u snp=%u ucode=%u)",
		    raw, t.fmc, t.bootloader, t.tee, t.snp, t.microcode);
	} else {
		snprintf(out, out_size, "0x%016" PRIx64 " (bl=%u tee=%u snp=%u ucode=%u)", raw,
		    t.bootloader, t.tee, t.snp, t.microcode);
	}
}

static void
fw_to_text(const struct snp_fw_version *fw, char *out, size_t out_size)
{
	snprintf(out, out_size, "%u.%u.%u", fw->major, fw->minor, fw->build);
}

static cJSON *
flags_to_json(uint64_t value, const struct flag_desc *flags, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddBoolToObject(o, flags[i].key, (value & flags[i].bit) != 0);
	return o;
}

cJSON *
report_to_json(
    const struct snp_report *report, enum snp_product product, const char *product_source)
{
	cJSON *o = cJSON_CreateObject(), *pol, *ki;
	char hex[2 * 64 + 1], buf[32];
	size_t i;

	cJSON_AddNumberToObject(o, "version", report->version);
	cJSON_AddStringToObject(o, "product", product_label(product, product_source));
	cJSON_AddStringToObject(o, "product_source", product_source);
	cJSON_AddNumberToObject(o, "guest_svn", report->guest_svn);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, report->policy);
	pol = flags_to_json(report->policy, policy_flags, KBS_ARRAY_SIZE(policy_flags));
	cJSON_AddStringToObject(pol, "raw", buf);
	snprintf(buf, sizeof(buf), "%u.%u",
	    (unsigned)((report->policy & SNP_POLICY_ABI_MAJOR_MASK) >> SNP_POLICY_ABI_MAJOR_SHIFT),
	    (unsigned)(report->policy & SNP_POLICY_ABI_MINOR_MASK));
	cJSON_AddStringToObject(pol, "abi_min", buf);
	cJSON_AddItemToObject(o, "policy", pol);
	cJSON_AddNumberToObject(o, "vmpl", report->vmpl);
	cJSON_AddNumberToObject(o, "signature_algo", report->signature_algo);
	ki = cJSON_CreateObject();
	snprintf(buf, sizeof(buf), "0x%x", report->key_info);
	cJSON_AddStringToObject(ki, "raw", buf);
	cJSON_AddStringToObject(ki, "signing_key", snp_signing_key_name(report->signing_key));
	cJSON_AddBoolToObject(
	    ki, "author_key_en", (report->key_info & SNP_KEY_INFO_AUTHOR_KEY_EN) != 0);
	cJSON_AddBoolToObject(
	    ki, "mask_chip_key", (report->key_info & SNP_KEY_INFO_MASK_CHIP_KEY) != 0);
	cJSON_AddItemToObject(o, "key_info", ki);
	pol = flags_to_json(report->platform_info, platform_flags, KBS_ARRAY_SIZE(platform_flags));
	snprintf(buf, sizeof(buf), "0x%" PRIx64, report->platform_info);
	cJSON_AddStringToObject(pol, "raw", buf);
	cJSON_AddItemToObject(o, "platform_info", pol);
	for (i = 0; i < KBS_ARRAY_SIZE(tcb_fields); i++) {
		uint64_t raw;

		memcpy(&raw, (const uint8_t *)report + tcb_fields[i].off, sizeof(raw));
		cJSON_AddItemToObject(o, tcb_fields[i].key, tcb_to_json(raw, product));
	}
	snprintf(buf, sizeof(buf), "%02x/%02x/%02x", report->cpuid_fam_id, report->cpuid_mod_id,
	    report->cpuid_step);
	cJSON_AddStringToObject(o, "cpuid_fam_mod_step", buf);
	fw_to_text(&report->current_fw, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "current_fw", buf);
	fw_to_text(&report->committed_fw, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "committed_fw", buf);
	snprintf(buf, sizeof(buf), "0x%016" PRIx64, report->launch_mit_vector);
	cJSON_AddStringToObject(o, "launch_mit_vector", buf);
	snprintf(buf, sizeof(buf), "0x%016" PRIx64, report->current_mit_vector);
	cJSON_AddStringToObject(o, "current_mit_vector", buf);
	for (i = 0; i < KBS_ARRAY_SIZE(bytes_fields); i++) {
		hex_of((const uint8_t *)report + bytes_fields[i].off, bytes_fields[i].len, hex,
		    sizeof(hex));
		cJSON_AddStringToObject(o, bytes_fields[i].key, hex);
	}
	return o;
}

static void
print_flags(FILE *out, uint64_t value, const struct flag_desc *flags, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(
		    out, "    %-40s %s\n", flags[i].text, (value & flags[i].bit) ? "yes" : "no");
}

void
report_print_text(FILE *out, const struct snp_report *report, enum snp_product product,
    const char *product_source)
{
	char hex[2 * 64 + 1], buf[96];
	size_t i;

	fprintf(out, "report version       %u\n", report->version);
	if (product == SNP_PRODUCT_UNKNOWN) {
		fprintf(out,
		    "product              unknown (report CPUID %02x/%02x names no known product)\n",
		    report->cpuid_fam_id, report->cpuid_mod_id);
	} else {
		fprintf(out, "product              %s (%s)\n",
		    product_label(product, product_source), product_source);
	}
	fprintf(out, "measurement          ");
	hex_of(report->measurement, sizeof(report->measurement), hex, sizeof(hex));
	fprintf(out, "%s\n", hex);
	fprintf(out, "guest policy         0x%" PRIx64 " (ABI minimum %u.%u)\n", report->policy,
	    (unsigned)((report->policy & SNP_POLICY_ABI_MAJOR_MASK) >> SNP_POLICY_ABI_MAJOR_SHIFT),
	    (unsigned)(report->policy & SNP_POLICY_ABI_MINOR_MASK));
	print_flags(out, report->policy, policy_flags, KBS_ARRAY_SIZE(policy_flags));
	fprintf(out, "VMPL                 %u\n", report->vmpl);
	fprintf(out, "guest SVN            %u\n", report->guest_svn);
	fprintf(out, "signing key          %s%s%s\n", snp_signing_key_name(report->signing_key),
	    (report->key_info & SNP_KEY_INFO_AUTHOR_KEY_EN) ? ", author key enabled" : "",
	    (report->key_info & SNP_KEY_INFO_MASK_CHIP_KEY) ? ", chip key masked" : "");
	fprintf(out, "platform info        0x%" PRIx64 "\n", report->platform_info);
	print_flags(out, report->platform_info, platform_flags, KBS_ARRAY_SIZE(platform_flags));
	for (i = 0; i < KBS_ARRAY_SIZE(tcb_fields); i++) {
		uint64_t raw;

		memcpy(&raw, (const uint8_t *)report + tcb_fields[i].off, sizeof(raw));
		tcb_to_text(raw, product, buf, sizeof(buf));
		fprintf(out, "%-20s %s\n", tcb_fields[i].key, buf);
	}
	fprintf(out, "cpuid fam/mod/step   %02x/%02x/%02x\n", report->cpuid_fam_id,
	    report->cpuid_mod_id, report->cpuid_step);
	fw_to_text(&report->current_fw, buf, sizeof(buf));
	fprintf(out, "current firmware     %s\n", buf);
	fw_to_text(&report->committed_fw, buf, sizeof(buf));
	fprintf(out, "committed firmware   %s\n", buf);
	if (report->version >= 5) {
		fprintf(out, "launch mit. vector   0x%016" PRIx64 "\n", report->launch_mit_vector);
		fprintf(out, "current mit. vector  0x%016" PRIx64 "\n", report->current_mit_vector);
	}
	for (i = 0; i < KBS_ARRAY_SIZE(bytes_fields); i++) {
		if (strcmp(bytes_fields[i].key, "measurement") == 0)
			continue;
		hex_of((const uint8_t *)report + bytes_fields[i].off, bytes_fields[i].len, hex,
		    sizeof(hex));
		fprintf(out, "%-20s %s\n", bytes_fields[i].key, hex);
	}
}

int
cli_print_json(cJSON *root)
{
	char *text = cJSON_Print(root);

	cJSON_Delete(root);
	if (text == NULL) {
		fprintf(stderr, "kbs-client: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		return CLI_EXIT_USAGE;
	}
	printf("%s\n", text);
	cJSON_free(text);
	return CLI_EXIT_OK;
}
