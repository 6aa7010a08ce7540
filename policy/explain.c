/*
 * explain.c: the policy in plain English, one sentence per rule, for a
 * reviewer who does not read JSON. The sentences come from each rule
 * kind's explain operation, in table order, so what is explained is what
 * is evaluated.
 */
#include "policy-int.h"

/*
 * hidden_char says whether code point cp must not reach a reviewer's
 * terminal as is: C0 and C1 controls and DEL (line breaks, terminal
 * escapes: U+009B is CSI), Unicode line and paragraph separators, and the
 * bidirectional marks and overrides that reorder what is displayed.
 */
static int
hidden_char(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e ||
	    cp == 0x200f || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/* put_description writes s (valid UTF-8, as the JSON reader checked), hidden characters as spaces.
 */
static void
put_description(FILE *f, const unsigned char *s)
{
	while (*s != 0) {
		size_t n = *s < 0x80 ? 1 : *s < 0xe0 ? 2 : *s < 0xf0 ? 3 : 4;
		uint32_t cp = n == 1 ? *s : (uint32_t)(*s & (0x7f >> n));
		size_t i;

		for (i = 1; i < n && s[i] != 0; i++)
			cp = (cp << 6) | (s[i] & 0x3f);
		if (i < n)
			return; /* truncated: cannot happen after the reader's check */
		if (hidden_char(cp))
			fputc(' ', f);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
}

int
policy_explain(FILE *f, const struct policy *p)
{
	char line[512];
	size_t i;

	fprintf(f, "Policy \"%s\" (sha256 %s).\n", p->name, p->hash);
	if (p->description != NULL && p->description[0] != 0) {
		/*
		 * Control characters become spaces, so a description cannot
		 * forge lines or terminal escapes in what a reviewer reads.
		 */
		fputs("Description: ", f);
		put_description(f, (const unsigned char *)p->description);
		fputc('\n', f);
	}
	fprintf(f, "A secret bound to this policy is released only if all of these hold:\n");
	/*
	 * Revocation is checked only against a CRL that someone supplied, so
	 * the sentence claims it only when the policy demands one (and then
	 * the revocation rule says so in its own line).
	 */
	fprintf(f,
	    "- The report must carry a valid AMD signature that chains to a pinned AMD "
	    "root key, with certificates valid at the time of the check%s, and its reported "
	    "TCB must not exceed the TCB the firmware currently runs.\n",
	    p->revocation == PR_REQUIRED ? ""
					 : " (revoked ones are refused only if a revocation "
					   "list is supplied: this policy does not require one)");
	for (i = 0; i < policy_rule_count; i++) {
		const struct policy_rule *rule = &policy_rules[i];

		if (!rule->ops->active(p, rule))
			continue;
		line[0] = 0;
		rule->ops->explain(p, rule, line, sizeof(line));
		fprintf(f, "- %s\n", line);
	}
	return ferror(f) ? KBS_ERR_IO : 0;
}
