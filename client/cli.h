/*
 * cli.h: private declarations shared by the kbs-client subcommands.
 *
 * Exit codes are the contract scripts rely on: 0 the evidence is genuine
 * (and matches what was asked), 1 the evidence was rejected (one line
 * names the check), 2 usage or I/O error.
 */
#ifndef KBS_CLIENT_CLI_H
#define KBS_CLIENT_CLI_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "policy.h"
#include "snp.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_REJECTED 1
#define CLI_EXIT_USAGE 2

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

int cmd_verify(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_sim_init(int argc, char **argv);
int cmd_sim_report(int argc, char **argv);
int cmd_report(int argc, char **argv);

int cmd_get_secret(int argc, char **argv);
int cmd_watch(int argc, char **argv);

struct kbs_client;

/* How get-secret and watch build their libkbsclient context. */
struct cli_client_opts {
	const char *url;
	const char *ca_file;    /* NULL: the system bundle */
	const char *server_key; /* NULL: not authenticated (a warning is printed) */
	unsigned total_ms;      /* per request; connecting gets at most 5 s of it */
	unsigned retries;
	int retries_set; /* 0: libkbsclient's default retries */
};

/*
 * cli_client_setup makes the context for o: the URL, the timeouts, the
 * retries, the CA file and the pinned server key, with the warning when
 * none is pinned. On failure it prints "PROG: ..." and returns the usage
 * exit code (2); 0 with *ret set otherwise.
 */
int cli_client_setup(const char *prog, const struct cli_client_opts *o, struct kbs_client **ret);

/* cli_parse_uint reads a decimal number min..max (no sign, nothing after it): 0 or -1. */
int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);

struct kbs_client_evidence_source;

/*
 * get_secret_attester_open fills *ret_src with the evidence source that
 * --attester SPEC names, and *ret_handle with what
 * get_secret_attester_close releases: the built-in "test:unsigned", or
 * any spec of client/attester.h (tsm, sev-guest, the default auto,
 * sim:DIR) through attester_open. An attester that cannot be opened is
 * printed with its cause and returned as KBS_ERR_CLIENT_ATTESTER (exit 4).
 */
KBS_MUST_CHECK int get_secret_attester_open(
    const char *spec, struct kbs_client_evidence_source *ret_src, void **ret_handle);
void get_secret_attester_close(void *handle);

/*
 * get_secret_check_fd refuses a terminal as the destination of a secret:
 * 0, or KBS_ERR_CLIENT_OUT_TERMINAL when fd is a terminal.
 */
KBS_MUST_CHECK int get_secret_check_fd(int fd);

/*
 * cli_read_file reads an evidence file named on the command line with the
 * cap of its part (policy.h, POLICY_INPUT_*_MAX); on failure it prints
 * "cannot read WHAT PATH: reason" and returns the KBS_ERR_* code.
 */
KBS_MUST_CHECK int cli_read_file(const char *path, const char *what, enum policy_input_part part,
    uint8_t **ret_data, size_t *ret_len);

/*
 * cli_read_report reads and parses a report file (for show, which
 * verifies nothing). On an I/O error it prints the reason and returns
 * CLI_EXIT_USAGE; on a parse error it returns the KBS_ERR_* code through
 * *ret_parse_err with CLI_EXIT_REJECTED.
 */
int cli_read_report(const char *path, struct snp_report *ret, int *ret_parse_err);

/*
 * cli_report_product: the product to decode TCBs with: explicit, else from
 * CPUID, else (v2, or zero CPUID bytes) the Milan/Genoa layout, marked
 * "assumed". A v3+ report whose CPUID names no known product gives
 * SNP_PRODUCT_UNKNOWN (source "unknown_cpuid"): its TCBs stay raw.
 */
enum snp_product cli_report_product(
    const struct snp_report *report, enum snp_product explicit_product, const char **ret_source);

/* report_to_json builds an object with every field of the report, decoded. */
cJSON *report_to_json(
    const struct snp_report *report, enum snp_product product, const char *product_source);

/* report_print_text prints every field of the report for people. */
void report_print_text(FILE *out, const struct snp_report *report, enum snp_product product,
    const char *product_source);

/* cli_print_json prints a cJSON tree (indented) with a trailing newline and deletes it. */
int cli_print_json(cJSON *root);

#endif
