/*
 * sim_config.c: the simulated chip's products and its chip.conf file.
 *
 * chip.conf format: plain ASCII text, at most SIM_CONF_MAX_LINES lines
 * of at most SIM_CONF_MAX_LINE bytes; each line is blank, a '#' comment, or
 * "key = value" (spaces or tabs around '=' and at either end are ignored).
 * Only printable ASCII and tabs may appear. Every key below must appear
 * exactly once; an unknown key, a repeat, a missing key or a malformed
 * value is an error naming the line. Values:
 *   format              the literal "kbs-sim-chip 1"
 *   product             milan | genoa | turin
 *   chip_id             128 hex digits (Turin: the last 112 are zero on a real chip)
 *   tcb                 bl=N,tee=N,snp=N,ucode=N[,fmc=N] (fmc: Turin only)
 *   firmware            MAJOR.MINOR.BUILD, decimal, each 0..255
 *   measurement, id_key_digest, author_key_digest   96 hex digits
 *   family_id, image_id 32 hex digits;  host_data 64 hex digits
 *   policy, platform_info, launch_mit_vector, current_mit_vector
 *                       0x and 1..16 hex digits (mitigation vectors: 0x0
 *                       unless Turin, whose v5 reports carry them)
 *   vmpl                0..3;  guest_svn 0..4294967295, decimal
 * The file is written by sim-init and read by the sim attester; it is
 * local, but parsed as strictly as untrusted input (tests/fuzz covers it).
 */
#include "sim.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_CONF_MAX_LINES 256
#define SIM_CONF_MAX_LINE 512
#define SIM_CONF_FORMAT "kbs-sim-chip 1"

/*
 * Defaults follow real machines: the TCBs and firmware versions of the
 * bundled genuine reports (tests/vectors/snp), and their CPUID bytes
 * (Milan 19/01/01, Genoa 19/11/01, Turin 1a/02/01).
 */
static const struct sim_product products[] = {
	{ SNP_PRODUCT_MILAN, "Milan", "Milan-B0", 0, 64, 0x19, 0x01, 0x01, 3,
	    { .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115 },
	    { .build = 4, .minor = 52, .major = 1 } },
	{ SNP_PRODUCT_GENOA, "Genoa", "Genoa", 0, 64, 0x19, 0x11, 0x01, 3,
	    { .bootloader = 10, .tee = 0, .snp = 25, .microcode = 84 },
	    { .build = 43, .minor = 55, .major = 1 } },
	{ SNP_PRODUCT_TURIN, "Turin", "Turin", 1, 8, 0x1a, 0x02, 0x01, 5,
	    { .fmc = 0, .bootloader = 1, .tee = 0, .snp = 2, .microcode = 71 },
	    { .build = 61, .minor = 55, .major = 1 } },
};

const struct sim_product *
sim_product_info(enum snp_product product)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(products); i++) {
		if (products[i].product == product)
			return &products[i];
	}
	return NULL;
}

int
sim_config_default(enum snp_product product, struct sim_config *ret)
{
	static const char tag[] = "kbs-client sim-init: simulated launch measurement";
	const struct sim_product *p = sim_product_info(product);
	struct sim_config c;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (p == NULL)
		return KBS_ERR_PRODUCT_UNKNOWN;
	memset(&c, 0, sizeof(c));
	c.product = product;
	randombytes_buf(c.chip_id, p->hwid_len);
	c.tcb = p->tcb;
	c.firmware = p->firmware;
	/* A fixed, obviously made-up launch digest, so demos and policies can name it. */
	if (EVP_Digest(tag, sizeof(tag) - 1, c.measurement, NULL, EVP_sha384(), NULL) != 1)
		return KBS_ERR_INTERNAL;
	c.policy = SNP_POLICY_SMT | SNP_POLICY_RESERVED_ONE;
	c.platform_info = SNP_PLATFORM_SMT_EN;
	*ret = c;
	return 0;
}

int
sim_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? KBS_ERR_TOO_LARGE : 0;
}

int
sim_config_check(const struct sim_config *cfg)
{
	if (cfg == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (sim_product_info(cfg->product) == NULL)
		return KBS_ERR_PRODUCT_UNKNOWN;
	if (cfg->vmpl > 3)
		return KBS_ERR_INVALID_ARGUMENT;
	/* Milan and Genoa have no FMC SPL and their v3 reports no mitigation vectors. */
	if (cfg->product != SNP_PRODUCT_TURIN &&
	    (cfg->tcb.fmc != 0 || cfg->launch_mit_vector != 0 || cfg->current_mit_vector != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	return 0;
}

/* ---- TCB option ------------------------------------------------------------ */

/* parse_decimal reads s[0..len) as a decimal number <= max (no sign, no leading junk). */
static int
parse_decimal(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return KBS_ERR_INVALID_ARGUMENT;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max || (len > 1 && s[0] == '0'))
		return KBS_ERR_INVALID_ARGUMENT;
	*ret = v;
	return 0;
}

int
sim_tcb_parse(const char *s, enum snp_product product, struct snp_tcb *ret)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "bl", offsetof(struct snp_tcb, bootloader) },
		{ "tee", offsetof(struct snp_tcb, tee) },
		{ "snp", offsetof(struct snp_tcb, snp) },
		{ "ucode", offsetof(struct snp_tcb, microcode) },
		{ "fmc", offsetof(struct snp_tcb, fmc) },
	};
	struct snp_tcb t;
	unsigned seen = 0, required = 0xf; /* bl, tee, snp, ucode */
	const char *p = s, *end, *eq;
	unsigned long v;
	size_t i, klen;

	if (s == NULL || ret == NULL || sim_product_info(product) == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(&t, 0, sizeof(t));
	for (;;) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			return KBS_ERR_INVALID_ARGUMENT;
		klen = (size_t)(eq - p);
		for (i = 0; i < KBS_ARRAY_SIZE(fields); i++) {
			if (strlen(fields[i].name) == klen && memcmp(fields[i].name, p, klen) == 0)
				break;
		}
		if (i == KBS_ARRAY_SIZE(fields) || (seen & (1u << i)) != 0)
			return KBS_ERR_INVALID_ARGUMENT;
		/* Milan and Genoa TCBs have no FMC field. */
		if (fields[i].off == offsetof(struct snp_tcb, fmc) && product != SNP_PRODUCT_TURIN)
			return KBS_ERR_INVALID_ARGUMENT;
		if (parse_decimal(eq + 1, (size_t)(end - eq - 1), 255, &v) != 0)
			return KBS_ERR_INVALID_ARGUMENT;
		((uint8_t *)&t)[fields[i].off] = (uint8_t)v;
		seen |= 1u << i;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	if ((seen & required) != required)
		return KBS_ERR_INVALID_ARGUMENT;
	*ret = t;
	return 0;
}

void
sim_tcb_format(const struct snp_tcb *tcb, enum snp_product product, char *out, size_t size)
{
	if (product == SNP_PRODUCT_TURIN)
		snprintf(out, size, "bl=%u,tee=%u,snp=%u,ucode=%u,fmc=%u", tcb->bootloader,
		    tcb->tee, tcb->snp, tcb->microcode, tcb->fmc);
	else
		snprintf(out, size, "bl=%u,tee=%u,snp=%u,ucode=%u", tcb->bootloader, tcb->tee,
		    tcb->snp, tcb->microcode);
}

/* ---- chip.conf ---------------------------------------------------------------- */

enum conf_type {
	CONF_FORMAT,
	CONF_PRODUCT,
	CONF_HEX,  /* fixed-size bytes, 2*size hex digits */
	CONF_TCB,  /* needs the product: converted after it */
	CONF_FW,   /* MAJOR.MINOR.BUILD */
	CONF_U64X, /* 0x-prefixed hex */
	CONF_U32,  /* decimal */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;
	size_t size; /* CONF_HEX bytes; CONF_U32 maximum */
};

#define F(field) offsetof(struct sim_config, field)
#define SZ(field) sizeof(((struct sim_config *)0)->field)

/* In conversion order: product before tcb. Also the order sim_config_format writes. */
static const struct conf_key keys[] = {
	{ "format", CONF_FORMAT, 0, 0 },
	{ "product", CONF_PRODUCT, F(product), 0 },
	{ "chip_id", CONF_HEX, F(chip_id), SZ(chip_id) },
	{ "tcb", CONF_TCB, F(tcb), 0 },
	{ "firmware", CONF_FW, F(firmware), 0 },
	{ "measurement", CONF_HEX, F(measurement), SZ(measurement) },
	{ "policy", CONF_U64X, F(policy), 0 },
	{ "vmpl", CONF_U32, F(vmpl), 3 },
	{ "guest_svn", CONF_U32, F(guest_svn), UINT32_MAX },
	{ "platform_info", CONF_U64X, F(platform_info), 0 },
	{ "family_id", CONF_HEX, F(family_id), SZ(family_id) },
	{ "image_id", CONF_HEX, F(image_id), SZ(image_id) },
	{ "host_data", CONF_HEX, F(host_data), SZ(host_data) },
	{ "id_key_digest", CONF_HEX, F(id_key_digest), SZ(id_key_digest) },
	{ "author_key_digest", CONF_HEX, F(author_key_digest), SZ(author_key_digest) },
	{ "launch_mit_vector", CONF_U64X, F(launch_mit_vector), 0 },
	{ "current_mit_vector", CONF_U64X, F(current_mit_vector), 0 },
};

#undef F
#undef SZ

#define NKEYS KBS_ARRAY_SIZE(keys)

static size_t
key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS && strcmp(keys[i].name, name) != 0; i++)
		;
	return i;
}

struct conf_value {
	const char *p;
	size_t len;
	unsigned line;
};

static int
conf_fail(struct sim_config_error *err, unsigned line, const char *msg, const char *key)
{
	if (err != NULL) {
		err->line = line;
		snprintf(err->message, sizeof(err->message), "%s%s%s", key != NULL ? key : "",
		    key != NULL ? ": " : "", msg);
	}
	return KBS_ERR_SIM_CONFIG;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
sim_u64_hex_parse(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;
	char c;

	if (s == NULL || ret == NULL || len == 0 || len > 16)
		return KBS_ERR_BAD_HEX;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint64_t)(c - 'A' + 10);
		else
			return KBS_ERR_BAD_HEX;
	}
	*ret = v;
	return 0;
}

static int
parse_fw(const char *s, size_t len, struct snp_fw_version *ret)
{
	const char *d1 = memchr(s, '.', len), *d2;
	unsigned long major, minor, build;

	if (d1 == NULL || (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s))) == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (parse_decimal(s, (size_t)(d1 - s), 255, &major) != 0 ||
	    parse_decimal(d1 + 1, (size_t)(d2 - d1 - 1), 255, &minor) != 0 ||
	    parse_decimal(d2 + 1, len - (size_t)(d2 + 1 - s), 255, &build) != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	ret->major = (uint8_t)major;
	ret->minor = (uint8_t)minor;
	ret->build = (uint8_t)build;
	return 0;
}

/* convert stores one value into c; a message for the error otherwise. */
static int
convert(const struct conf_key *k, const struct conf_value *v, struct sim_config *c,
    const char **ret_msg)
{
	uint8_t *field = (uint8_t *)c + k->off;
	char buf[SIM_CONF_MAX_LINE + 1];
	unsigned long u;
	uint64_t x;
	uint32_t u32;

	switch (k->type) {
	case CONF_FORMAT:
		*ret_msg = "must be \"" SIM_CONF_FORMAT "\"";
		return v->len == strlen(SIM_CONF_FORMAT) &&
			memcmp(v->p, SIM_CONF_FORMAT, v->len) == 0
		    ? 0
		    : KBS_ERR_SIM_CONFIG;
	case CONF_PRODUCT:
		*ret_msg = "must be milan, genoa or turin";
		memcpy(buf, v->p, v->len);
		buf[v->len] = '\0';
		if (snp_product_from_name(buf, &c->product) != 0 ||
		    sim_product_info(c->product) == NULL || strchr(buf, '-') != NULL)
			return KBS_ERR_SIM_CONFIG;
		return 0;
	case CONF_HEX:
		*ret_msg = "wrong number of hex digits, or not hex";
		return kbs_hex_decode_exact(v->p, v->len, field, k->size) == 0 ? 0
									       : KBS_ERR_SIM_CONFIG;
	case CONF_TCB:
		*ret_msg =
		    "must be bl=N,tee=N,snp=N,ucode=N (and fmc=N on Turin only), each 0..255";
		memcpy(buf, v->p, v->len);
		buf[v->len] = '\0';
		return sim_tcb_parse(buf, c->product, &c->tcb) == 0 ? 0 : KBS_ERR_SIM_CONFIG;
	case CONF_FW:
		*ret_msg = "must be MAJOR.MINOR.BUILD, each 0..255";
		return parse_fw(v->p, v->len, &c->firmware) == 0 ? 0 : KBS_ERR_SIM_CONFIG;
	case CONF_U64X:
		*ret_msg = "must be 0x and 1..16 hex digits";
		if (v->len < 2 || v->p[0] != '0' || v->p[1] != 'x' ||
		    sim_u64_hex_parse(v->p + 2, v->len - 2, &x) != 0)
			return KBS_ERR_SIM_CONFIG;
		memcpy(field, &x, sizeof(x));
		return 0;
	case CONF_U32:
		*ret_msg = k->size == 3 ? "must be 0..3" : "must be a decimal number below 2^32";
		if (parse_decimal(v->p, v->len, k->size, &u) != 0)
			return KBS_ERR_SIM_CONFIG;
		u32 = (uint32_t)u;
		memcpy(field, &u32, sizeof(u32));
		return 0;
	}
	*ret_msg = "internal error";
	return KBS_ERR_INTERNAL;
}

/* split_line finds key and value of one "key = value" line, or fails with a message. */
static int
split_line(const char *p, size_t len, const struct conf_key **ret_key, struct conf_value *ret_v,
    const char **ret_msg)
{
	const char *eq = memchr(p, '=', len), *ks = p, *ke, *vs, *ve = p + len;
	size_t i;

	*ret_msg = "expected \"key = value\"";
	if (eq == NULL)
		return KBS_ERR_SIM_CONFIG;
	ke = eq;
	while (ks < ke && is_blank(*ks))
		ks++;
	while (ke > ks && is_blank(ke[-1]))
		ke--;
	vs = eq + 1;
	while (vs < ve && is_blank(*vs))
		vs++;
	while (ve > vs && is_blank(ve[-1]))
		ve--;
	if (ke == ks || ve == vs)
		return KBS_ERR_SIM_CONFIG;
	for (i = 0; i < NKEYS; i++) {
		if (strlen(keys[i].name) == (size_t)(ke - ks) &&
		    memcmp(keys[i].name, ks, (size_t)(ke - ks)) == 0)
			break;
	}
	if (i == NKEYS) {
		*ret_msg = "unknown key";
		return KBS_ERR_SIM_CONFIG;
	}
	*ret_key = &keys[i];
	ret_v->p = vs;
	ret_v->len = (size_t)(ve - vs);
	return 0;
}

int
sim_config_parse(const char *text, size_t len, struct sim_config *ret, struct sim_config_error *err)
{
	struct conf_value vals[NKEYS];
	const struct conf_key *k = NULL;
	struct conf_value v;
	struct sim_config c;
	const char *msg = NULL, *line, *nl, *end = text + len, *q;
	unsigned lineno = 0;
	size_t i, ll;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (text == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	memset(vals, 0, sizeof(vals));
	memset(&c, 0, sizeof(c));
	for (line = text; line < end; line = nl + 1) {
		if (++lineno > SIM_CONF_MAX_LINES)
			return conf_fail(err, lineno, "too many lines", NULL);
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		ll = (size_t)(nl - line);
		if (ll > SIM_CONF_MAX_LINE)
			return conf_fail(err, lineno, "line too long", NULL);
		for (q = line; q < nl; q++) {
			if ((*q < 0x20 || *q > 0x7e) && *q != '\t')
				return conf_fail(err, lineno, "not printable ASCII", NULL);
		}
		for (q = line; q < nl && is_blank(*q); q++)
			;
		if (q == nl || *q == '#')
			continue;
		if (split_line(line, ll, &k, &v, &msg) != 0)
			return conf_fail(err, lineno, msg, NULL);
		i = (size_t)(k - keys);
		if (vals[i].p != NULL)
			return conf_fail(err, lineno, "repeated key", k->name);
		v.line = lineno;
		vals[i] = v;
	}
	for (i = 0; i < NKEYS; i++) {
		if (vals[i].p == NULL)
			return conf_fail(err, 0, "missing key", keys[i].name);
		if (convert(&keys[i], &vals[i], &c, &msg) != 0)
			return conf_fail(err, vals[i].line, msg, keys[i].name);
	}
	/* v3 reports (Milan, Genoa) have no mitigation vectors: those bytes are reserved. */
	if (c.product != SNP_PRODUCT_TURIN &&
	    (c.launch_mit_vector != 0 || c.current_mit_vector != 0)) {
		i = key_index(
		    c.launch_mit_vector != 0 ? "launch_mit_vector" : "current_mit_vector");
		return conf_fail(err, vals[i].line,
		    "exists only in Turin (v5) reports, must be 0x0 for this product",
		    keys[i].name);
	}
	if (sim_config_check(&c) != 0)
		return conf_fail(err, 0, "inconsistent fields", NULL);
	*ret = c;
	return 0;
}

static int append(char *buf, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *used)
		return KBS_ERR_BUFFER_TOO_SMALL;
	*used += (size_t)n;
	return 0;
}

int
sim_config_format(const struct sim_config *cfg, char **ret)
{
	enum { SIZE = 4096 };
	char *buf = NULL, hex[2 * 64 + 1], tcb[64];
	const uint8_t *field;
	size_t used = 0, i;
	uint64_t x;
	uint32_t u;
	int r = KBS_ERR_INTERNAL;

	if (cfg == NULL || ret == NULL || sim_product_info(cfg->product) == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((buf = malloc(SIZE)) == NULL)
		return KBS_ERR_ALLOC;
	if ((r = append(buf, SIZE, &used,
		 "# A SIMULATED SEV-SNP chip made by kbs-client sim-init: NOT AMD hardware.\n"
		 "# Its reports verify only against ark.pem given as an extra trust root\n"
		 "# (kbs-client verify --trust-root, kbs --trust-root).\n"
		 "# product, chip_id and tcb are what the VCEK was issued for: changing them\n"
		 "# makes reports that verifiers refuse. The guest fields may be edited.\n")) != 0)
		goto out;
	for (i = 0; i < NKEYS; i++) {
		field = (const uint8_t *)cfg + keys[i].off;
		switch (keys[i].type) {
		case CONF_FORMAT:
			r = append(buf, SIZE, &used, "format = %s\n", SIM_CONF_FORMAT);
			break;
		case CONF_PRODUCT:
			r = append(
			    buf, SIZE, &used, "product = %s\n", snp_product_name(cfg->product));
			break;
		case CONF_HEX:
			if ((r = kbs_hex_encode(field, keys[i].size, hex, sizeof(hex))) == 0)
				r = append(buf, SIZE, &used, "%s = %s\n", keys[i].name, hex);
			break;
		case CONF_TCB:
			sim_tcb_format(&cfg->tcb, cfg->product, tcb, sizeof(tcb));
			r = append(buf, SIZE, &used, "tcb = %s\n", tcb);
			break;
		case CONF_FW:
			r = append(buf, SIZE, &used, "firmware = %u.%u.%u\n", cfg->firmware.major,
			    cfg->firmware.minor, cfg->firmware.build);
			break;
		case CONF_U64X:
			memcpy(&x, field, sizeof(x));
			r = append(buf, SIZE, &used, "%s = 0x%016llx\n", keys[i].name,
			    (unsigned long long)x);
			break;
		case CONF_U32:
			memcpy(&u, field, sizeof(u));
			r = append(buf, SIZE, &used, "%s = %u\n", keys[i].name, u);
			break;
		}
		if (r != 0)
			goto out;
	}
	*ret = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}
