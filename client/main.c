/*
 * main.c: kbs-client, the guest-side and offline tool. Subcommands are
 * dispatched through a table; each owns its option parsing.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{ "verify", cmd_verify,
	    "verify --report R.bin [--vcek CERT] [--chain CHAIN.pem] [--certs-table T.bin] [--crl CRL]\n"
	    "       [--vlek-crl CRL] [--allow-stale-crl] [--require-crl] [--at RFC3339]\n"
	    "       [--product milan|genoa|turin] [--expected-measurement HEX] [--report-data HEX]\n"
	    "       [--policy FILE] [--trust-root ARK.pem]... [--json]",
	    "check an attestation report offline: AMD chain, signature, TCB, chip id, policy" },
	{ "show", cmd_show, "show --report R.bin [--product milan|genoa|turin] [--json]",
	    "decode every field of an attestation report (nothing is verified)" },
	{ "sim-init", cmd_sim_init,
	    "sim-init DIR [--product milan|genoa|turin] [--measurement HEX] [--policy HEX]\n"
	    "       [--vmpl N] [--tcb bl=N,tee=N,snp=N,ucode=N[,fmc=N]]",
	    "make a SIMULATED chip (test ARK, ASK, VCEK) for tests and demos" },
	{ "sim-report", cmd_sim_report,
	    "sim-report --attester sim:DIR --report-data HEX --out R.bin [--certs-out C.pem]",
	    "write a report signed by a simulated chip (verify with --trust-root)" },
	{ "report", cmd_report,
	    "report --out R.bin [--certs-out TABLE.bin] [--report-data HEX]\n"
	    "       [--attester auto|tsm|sev-guest|sim:DIR]",
	    "get an attestation report and its certificate table from this machine" },
	{ "get-secret", cmd_get_secret,
	    "get-secret --url URL --name NAME [--name NAME...] --out FILE|DIR|-\n"
	    "       [--server-key KEY] [--attester SPEC] [--ca FILE] [--timeout S] [--retries N]\n"
	    "       [--token-out FILE]",
	    "attest to the broker and fetch secrets (docs/guest.md)" },
	{ "watch", cmd_watch,
	    "watch --url URL --interval 30s|5m|1h --name NAME [--once] [--count N]\n"
	    "       [--webhook URL --webhook-secret-file FILE] [--server-key KEY] [--attester SPEC]\n"
	    "       [--ca FILE] [--timeout S]",
	    "re-attest every interval; one JSON line per round, optionally posted signed" },
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: kbs-client COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < KBS_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n");
	for (i = 0; i < KBS_ARRAY_SIZE(commands); i++)
		fprintf(out, "kbs-client %s\n", commands[i].usage);
	fprintf(out,
	    "\nexit status of verify and show: 0 genuine, 1 rejected, 2 usage or I/O error\n"
	    "exit status of get-secret: 0 released, 1 denied by policy, 2 usage or I/O error,\n"
	    "  3 broker unreachable, 4 bad evidence or attester, 5 broker not authenticated\n"
	    "  or protocol violation, 6 refused for another reason\n"
	    "exit status of report: 0 written, 2 usage or I/O error, 4 the attester failed\n"
	    "exit status of watch: get-secret's, for the last round\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (kbs_crypto_init() != 0) {
		fprintf(stderr, "kbs-client: %s\n", kbs_err_str(KBS_ERR_CRYPTO_INIT));
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < KBS_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "kbs-client: unknown command '%.40s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
