/*
 * Unit tests for common/kbs_webhook_sig.c: the known answers of
 * tests/vectors/webhook/webhook.json (made by gen_webhook.py with Python's
 * hmac), verification of each and its refusal when one byte of the body,
 * the timestamp, the key or the signature changes or the header is
 * malformed, the three header lines, and the key file rules (hex or raw,
 * lengths, mode, symlink).
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbs_webhook_sig.h"
#include "test.h"

static cJSON *vec;

static const char *
vstr(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(it)) {
		fprintf(stderr, "webhook.json: %s missing\n", key);
		exit(2);
	}
	return it->valuestring;
}

/* vhex decodes a hex member into out (at most max bytes); returns its length. */
static size_t
vhex(const cJSON *o, const char *key, uint8_t *out, size_t max)
{
	const char *s = vstr(o, key);
	size_t n = strlen(s) / 2;

	if (n > max || kbs_hex_decode_exact(s, strlen(s), out, n) != 0) {
		fprintf(stderr, "webhook.json: %s is not hex of at most %zu bytes\n", key, max);
		exit(2);
	}
	return n;
}

static const cJSON *
cases(void)
{
	char path[4096];
	uint8_t *data;
	size_t len;

	if (vec == NULL) {
		snprintf(path, sizeof(path), "%s/../webhook/webhook.json", getenv("KBS_VECTORS"));
		data = test_read(path, &len);
		vec = cJSON_ParseWithLength((const char *)data, len);
		free(data);
		if (vec == NULL)
			exit(2);
	}
	return cJSON_GetObjectItemCaseSensitive(vec, "cases");
}

struct vcase {
	uint8_t key[64], body[256];
	size_t key_len, body_len;
	uint64_t ts;
	const char *sig;
};

static void
vcase_load(const cJSON *c, struct vcase *v)
{
	v->key_len = vhex(c, "key", v->key, sizeof(v->key));
	v->body_len = vhex(c, "body", v->body, sizeof(v->body));
	v->ts = strtoull(vstr(c, "timestamp"), NULL, 10);
	v->sig = vstr(c, "signature");
}

static void
test_known_answers(void)
{
	const cJSON *c;
	struct vcase v;
	char hex[KBS_WEBHOOK_SIG_HEX_SIZE], header[80];
	int n = 0;

	cJSON_ArrayForEach(c, cases())
	{
		vcase_load(c, &v);
		CHECK_OK(kbs_webhook_sign(v.key, v.key_len, v.ts, v.body, v.body_len, hex));
		CHECK_STR_EQ(hex, v.sig);
		snprintf(header, sizeof(header), "v1=%s", v.sig);
		CHECK_OK(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header));
		n++;
	}
	CHECK_INT_EQ(n, 4);
}

static void
test_verify_refuses_changes(void)
{
	struct vcase v;
	char header[80];
	size_t i;

	vcase_load(cJSON_GetArrayItem(cases(), 0), &v);
	snprintf(header, sizeof(header), "v1=%s", v.sig);
	v.body[3] ^= 1;
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	v.body[3] ^= 1;
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len - 1, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts + 1, v.body, v.body_len, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	v.key[31] ^= 0x80;
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	v.key[31] ^= 0x80;
	/* Every digit of the signature counts. */
	for (i = 3; i < strlen(header); i++) {
		char keep = header[i];

		header[i] = keep == '0' ? '1' : '0';
		CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header),
		    KBS_ERR_WEBHOOK_SIGNATURE);
		header[i] = keep;
	}
	CHECK_OK(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header));
}

static void
test_verify_refuses_malformed(void)
{
	struct vcase v;
	char header[96];

	vcase_load(cJSON_GetArrayItem(cases(), 0), &v);
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, v.sig),
	    KBS_ERR_WEBHOOK_SIGNATURE); /* no "v1=" */
	snprintf(header, sizeof(header), "v2=%s", v.sig);
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	snprintf(header, sizeof(header), "v1=%s0", v.sig);
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	snprintf(header, sizeof(header), "v1=%.63s", v.sig);
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	snprintf(header, sizeof(header), "v1=%.63sg", v.sig);
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	CHECK_ERR(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, NULL),
	    KBS_ERR_WEBHOOK_SIGNATURE);
	/* Upper-case digits are the same signature. */
	snprintf(header, sizeof(header), "v1=%s", v.sig);
	for (size_t i = 3; header[i] != '\0'; i++)
		if (header[i] >= 'a' && header[i] <= 'f')
			header[i] = (char)(header[i] - 'a' + 'A');
	CHECK_OK(kbs_webhook_verify(v.key, v.key_len, v.ts, v.body, v.body_len, header));
}

static void
test_key_lengths(void)
{
	uint8_t key[65] = { 0 };
	char hex[KBS_WEBHOOK_SIG_HEX_SIZE] = "untouched";

	CHECK_ERR(kbs_webhook_sign(key, 31, 1, NULL, 0, hex), KBS_ERR_INVALID_ARGUMENT);
	CHECK_STR_EQ(hex, "untouched");
	CHECK_ERR(kbs_webhook_sign(key, 65, 1, NULL, 0, hex), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_webhook_sign(NULL, 32, 1, NULL, 0, hex), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_webhook_sign(key, 32, 1, NULL, 1, hex), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_webhook_verify(key, 31, 1, NULL, 0, "v1="), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(kbs_webhook_sign(key, 32, 1, NULL, 0, hex));
	CHECK_OK(kbs_webhook_sign(key, 64, 1, NULL, 0, hex));
}

static void
test_headers(void)
{
	struct kbs_webhook_headers h;
	struct vcase v;
	char id[KBS_WEBHOOK_ID_SIZE], id2[KBS_WEBHOOK_ID_SIZE], want[128];

	vcase_load(cJSON_GetArrayItem(cases(), 0), &v);
	kbs_webhook_new_id(id);
	kbs_webhook_new_id(id2);
	CHECK_INT_EQ(strlen(id), 32);
	CHECK(strcmp(id, id2) != 0);
	CHECK_OK(kbs_webhook_headers_make(v.key, v.key_len, id, v.ts, v.body, v.body_len, &h));
	snprintf(want, sizeof(want), "KBS-Webhook-Id: %s", id);
	CHECK_STR_EQ(h.id, want);
	CHECK_STR_EQ(h.timestamp, "KBS-Webhook-Timestamp: 1764547200");
	snprintf(want, sizeof(want), "KBS-Webhook-Signature: v1=%s", v.sig);
	CHECK_STR_EQ(h.signature, want);
	CHECK_ERR(kbs_webhook_headers_make(v.key, v.key_len, "abc", v.ts, v.body, v.body_len, &h),
	    KBS_ERR_INVALID_ARGUMENT);
	id[0] = 'A';
	CHECK_ERR(kbs_webhook_headers_make(v.key, v.key_len, id, v.ts, v.body, v.body_len, &h),
	    KBS_ERR_INVALID_ARGUMENT);
}

/* write_key writes a key file of len bytes with mode; returns its path (static). */
static const char *
write_key(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[4096];
	const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	int fd;

	snprintf(path, sizeof(path), "%s/test_webhook_%d_%s", dir, (int)getpid(), name);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0 || close(fd) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
	return path;
}

static void
test_key_file(void)
{
	static const char hex64[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	uint8_t key[64], raw[65], want[32];
	char text[160], link_path[4200];
	size_t len = 0, i;
	const char *p;

	for (i = 0; i < 32; i++)
		want[i] = (uint8_t)i;
	p = write_key("hex", hex64, strlen(hex64), 0600);
	CHECK_OK(kbs_webhook_key_load(p, key, &len));
	CHECK_INT_EQ(len, 32);
	CHECK_MEM_EQ(key, want, 32);
	unlink(p);
	/* Without the newline, and upper case. */
	p = write_key(
	    "hexup", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", 64, 0400);
	CHECK_OK(kbs_webhook_key_load(p, key, &len));
	CHECK_INT_EQ(len, 32);
	CHECK_MEM_EQ(key, want, 32);
	unlink(p);
	/* 128 digits: a 64-byte key. */
	for (i = 0; i < 128; i++)
		text[i] = "0123456789abcdef"[i % 16];
	p = write_key("hex128", text, 128, 0600);
	CHECK_OK(kbs_webhook_key_load(p, key, &len));
	CHECK_INT_EQ(len, 64);
	unlink(p);
	/* Raw bytes: 32 and 64, a newline being part of the key. */
	memset(raw, 0xa5, sizeof(raw));
	raw[0] = '\n';
	p = write_key("raw32", raw, 32, 0600);
	CHECK_OK(kbs_webhook_key_load(p, key, &len));
	CHECK_INT_EQ(len, 32);
	CHECK_MEM_EQ(key, raw, 32);
	unlink(p);
	p = write_key("raw64", raw, 64, 0600);
	CHECK_OK(kbs_webhook_key_load(p, key, &len));
	CHECK_INT_EQ(len, 64);
	unlink(p);
	/* Too short, too long, odd or short hex (read as raw, and too short/long). */
	len = 7;
	p = write_key("raw31", raw, 31, 0600);
	CHECK_ERR(kbs_webhook_key_load(p, key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	CHECK_INT_EQ(len, 7);
	unlink(p);
	p = write_key("raw65", raw, 65, 0600);
	CHECK_ERR(kbs_webhook_key_load(p, key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	unlink(p);
	p = write_key("empty", raw, 0, 0600);
	CHECK_ERR(kbs_webhook_key_load(p, key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	unlink(p);
	memset(text, 'a', sizeof(text));
	p = write_key("hex130", text, 130, 0600);
	CHECK_ERR(kbs_webhook_key_load(p, key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	unlink(p);
	/* Open to the group or others. */
	p = write_key("mode", hex64, strlen(hex64), 0640);
	CHECK_ERR(kbs_webhook_key_load(p, key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	unlink(p);
	p = write_key("mode2", hex64, strlen(hex64), 0604);
	CHECK_ERR(kbs_webhook_key_load(p, key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	unlink(p);
	/* A symlink to a good file, a directory, a missing file. */
	p = write_key("target", hex64, strlen(hex64), 0600);
	snprintf(link_path, sizeof(link_path), "%s.link", p);
	unlink(link_path);
	CHECK(symlink(p, link_path) == 0);
	CHECK_ERR(kbs_webhook_key_load(link_path, key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	unlink(link_path);
	unlink(p);
	CHECK_ERR(kbs_webhook_key_load("/", key, &len), KBS_ERR_WEBHOOK_KEY_FILE);
	CHECK_ERR(kbs_webhook_key_load("/nonexistent/webhook.key", key, &len), KBS_ERR_SYSTEM);
}

static void
test_cleanup(void)
{
	cJSON_Delete(vec);
	vec = NULL;
}

TEST_MAIN(TEST(test_known_answers), TEST(test_verify_refuses_changes),
    TEST(test_verify_refuses_malformed), TEST(test_key_lengths), TEST(test_headers),
    TEST(test_key_file), TEST(test_cleanup))
