/*
 * certtable-int.h: the extended report certificate table walker, private
 * to snp/ (snp_certtable_parse in certs.c is its public face).
 */
#ifndef SNP_CERTTABLE_INT_H
#define SNP_CERTTABLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

/* The certificate kinds the table names by GUID (GHCB specification). */
enum snp_certtable_kind {
	SNP_CERTTABLE_VCEK = 0,
	SNP_CERTTABLE_VLEK,
	SNP_CERTTABLE_ASK, /* also carries the ASVK for a VLEK: no own GUID */
	SNP_CERTTABLE_ARK,
};
#define SNP_CERTTABLE_KIND_COUNT 4

/* At most this many entries (known or not) before the terminator. */
#define SNP_CERTTABLE_MAX_ENTRIES 16
#define SNP_CERTTABLE_ENTRY_SIZE 24 /* GUID[16], offset u32 LE, length u32 LE */

/* One known entry: data points into the caller's table buffer. */
struct snp_certtable_entry {
	enum snp_certtable_kind kind;
	const uint8_t *data;
	size_t len;
};

/*
 * snp_certtable_entries walks the table in data[0..len) and returns its
 * known entries (VCEK, VLEK, ASK, ARK) in table order in ret[0..*ret_count);
 * entries with other GUIDs are checked for shape and skipped. Nothing is
 * copied: ret[i].data points into data. Errors: KBS_ERR_CERTTABLE_PARSE
 * (no all-zero terminator within len, more than SNP_CERTTABLE_MAX_ENTRIES
 * entries, a zero GUID that is not a full terminator, an entry of length 0,
 * data outside data[0..len) or inside the table itself),
 * KBS_ERR_CERTTABLE_DUPLICATE (a known GUID twice), KBS_ERR_BUFFER_TOO_SMALL
 * (more known entries than max), KBS_ERR_INVALID_ARGUMENT. ret and
 * *ret_count are written only on success.
 */
KBS_MUST_CHECK int snp_certtable_entries(const uint8_t *data, size_t len,
    struct snp_certtable_entry *ret, size_t max, size_t *ret_count);

/* snp_certtable_kind_name: "vcek", "vlek", "ask", "ark" ("unknown" otherwise). */
const char *snp_certtable_kind_name(enum snp_certtable_kind kind);

#endif
