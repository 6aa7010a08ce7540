/*
 * etcd_parse.c: decoding the v3 JSON gateway's answers (etcd.h).
 *
 * The gateway prints protobuf messages as JSON (grpc-gateway): 64-bit
 * integers are decimal strings, bytes are standard base64, members at
 * their default (0, false, empty, the enum's first value PUT) are left
 * out. So a missing number is 0 and a missing "type" is a PUT. Only the
 * members below are read:
 *
 *   range  {"header":{"revision":"N"}, "kvs":[KV...], "count":"N"}
 *   txn    {"header":{"revision":"N"}, "succeeded":true}
 *   watch  {"result":{"header":{...}, "created":true, "canceled":true,
 *           "compact_revision":"N", "events":[{"type":"DELETE","kv":KV}]}}
 *   KV     {"key":B64, "value":B64, "mod_revision":"N", "version":"N"}
 *
 * An error answer ({"error":..., "code":N}) has none of them and fails
 * on the missing header. Lengths are checked before anything is decoded.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcd.h"

void
kbs_etcd_msg_clear(struct kbs_etcd_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->kvs[i].value);
	free(m->kvs);
	memset(m, 0, sizeof(*m));
}

/* get_int reads member name of o, a decimal string (or absent: 0) of a non-negative int64. */
static int
get_int(const cJSON *o, const char *name, int64_t *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	unsigned long long n;
	char *end = NULL;
	const char *s;

	*ret = 0;
	if (v == NULL)
		return 0;
	/* The gateway writes strings; a plain number is accepted when it is an exact integer. */
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 0 || v->valuedouble > 9007199254740991.0 ||
		    v->valuedouble != (double)(int64_t)v->valuedouble)
			return KBS_ERR_ETCD_PROTOCOL;
		*ret = (int64_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v) || (s = v->valuestring) == NULL || s[0] < '0' || s[0] > '9' ||
	    strlen(s) > 19)
		return KBS_ERR_ETCD_PROTOCOL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > INT64_MAX)
		return KBS_ERR_ETCD_PROTOCOL;
	*ret = (int64_t)n;
	return 0;
}

static int
get_bool(const cJSON *o, const char *name, int *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	*ret = 0;
	if (v == NULL)
		return 0;
	if (!cJSON_IsBool(v))
		return KBS_ERR_ETCD_PROTOCOL;
	*ret = cJSON_IsTrue(v);
	return 0;
}

/* b64 decodes member name of o (absent: empty) into a malloc'd buffer of at most max bytes. */
static int
get_b64(const cJSON *o, const char *name, size_t max, uint8_t **ret, size_t *ret_len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	uint8_t *out = NULL;
	size_t n, cap, len = 0;

	*ret = NULL;
	*ret_len = 0;
	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return KBS_ERR_ETCD_PROTOCOL;
	n = strlen(v->valuestring);
	if (n == 0)
		return 0;
	if (n % 4 != 0 || n / 4 > (max + 2) / 3)
		return KBS_ERR_ETCD_PROTOCOL;
	cap = n / 4 * 3;
	if ((out = malloc(cap)) == NULL)
		return KBS_ERR_ALLOC;
	if (kbs_b64_decode(v->valuestring, n, out, cap, &len) != 0 || len > max) {
		free(out);
		return KBS_ERR_ETCD_PROTOCOL;
	}
	*ret = out;
	*ret_len = len;
	return 0;
}

static int
parse_kv(const cJSON *o, struct kbs_etcd_kv *kv)
{
	uint8_t *key = NULL;
	size_t klen = 0;
	int r;

	if (!cJSON_IsObject(o))
		return KBS_ERR_ETCD_PROTOCOL;
	if ((r = get_b64(o, "key", KBS_ETCD_KEY_MAX, &key, &klen)) != 0)
		return r;
	if (klen == 0 || memchr(key, '\0', klen) != NULL) {
		free(key);
		return KBS_ERR_ETCD_PROTOCOL;
	}
	memcpy(kv->key, key, klen);
	kv->key[klen] = '\0';
	free(key);
	if ((r = get_int(o, "mod_revision", &kv->mod_revision)) != 0 ||
	    (r = get_int(o, "version", &kv->version)) != 0 ||
	    (r = get_b64(o, "value", KBS_ETCD_VALUE_MAX, &kv->value, &kv->value_len)) != 0)
		return r;
	return 0;
}

static int
get_header(const cJSON *o, struct kbs_etcd_msg *m, int required)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "header");

	if (h == NULL)
		return required ? KBS_ERR_ETCD_PROTOCOL : 0;
	if (!cJSON_IsObject(h))
		return KBS_ERR_ETCD_PROTOCOL;
	return get_int(h, "revision", &m->revision);
}

/* parse_list reads array member name of o: KVs, or watch events when events is 1. */
static int
parse_list(const cJSON *o, const char *name, int events, struct kbs_etcd_msg *m)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, name), *it;
	size_t n, i = 0;
	int r;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return KBS_ERR_ETCD_PROTOCOL;
	n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0)
		return 0;
	if (n > KBS_ETCD_MAX_ITEMS)
		return KBS_ERR_ETCD_PROTOCOL;
	if ((m->kvs = calloc(n, sizeof(*m->kvs))) == NULL)
		return KBS_ERR_ALLOC;
	cJSON_ArrayForEach(it, arr)
	{
		struct kbs_etcd_kv *kv = &m->kvs[i];
		const cJSON *kvo = it, *type;

		if (i == n)
			return KBS_ERR_ETCD_PROTOCOL;
		m->n = ++i; /* counted before parsing, so clear frees a half-read value */
		if (events) {
			if (!cJSON_IsObject(it))
				return KBS_ERR_ETCD_PROTOCOL;
			type = cJSON_GetObjectItemCaseSensitive(it, "type");
			if (type != NULL) {
				if (!cJSON_IsString(type) || type->valuestring == NULL)
					return KBS_ERR_ETCD_PROTOCOL;
				if (strcmp(type->valuestring, "DELETE") == 0)
					kv->deleted = 1;
				else if (strcmp(type->valuestring, "PUT") != 0)
					return KBS_ERR_ETCD_PROTOCOL;
			}
			if ((kvo = cJSON_GetObjectItemCaseSensitive(it, "kv")) == NULL)
				return KBS_ERR_ETCD_PROTOCOL;
		}
		if ((r = parse_kv(kvo, kv)) != 0)
			return r;
	}
	return 0;
}

enum answer { A_RANGE, A_TXN, A_WATCH };

static int
parse(const char *json, size_t len, enum answer kind, struct kbs_etcd_msg *ret)
{
	struct kbs_etcd_msg m;
	cJSON *root = NULL;
	const cJSON *o;
	int r = KBS_ERR_ETCD_PROTOCOL;

	memset(&m, 0, sizeof(m));
	memset(ret, 0, sizeof(*ret));
	if (json == NULL || len == 0 || len > KBS_ETCD_ANSWER_MAX)
		return KBS_ERR_ETCD_PROTOCOL;
	if ((root = cJSON_ParseWithLengthOpts(json, len, NULL, 0)) == NULL || !cJSON_IsObject(root))
		goto out;
	o = root;
	switch (kind) {
	case A_RANGE:
		if ((r = get_header(o, &m, 1)) != 0 || (r = parse_list(o, "kvs", 0, &m)) != 0)
			goto out;
		break;
	case A_TXN:
		if ((r = get_header(o, &m, 1)) != 0 ||
		    (r = get_bool(o, "succeeded", &m.succeeded)) != 0)
			goto out;
		break;
	case A_WATCH:
		r = KBS_ERR_ETCD_PROTOCOL;
		if ((o = cJSON_GetObjectItemCaseSensitive(root, "result")) == NULL ||
		    !cJSON_IsObject(o))
			goto out;
		/* A canceled watch's answer may lack the revision; the others carry it. */
		if ((r = get_header(o, &m, 0)) != 0 ||
		    (r = get_bool(o, "created", &m.created)) != 0 ||
		    (r = get_bool(o, "canceled", &m.canceled)) != 0 ||
		    (r = get_int(o, "compact_revision", &m.compact_revision)) != 0 ||
		    (r = parse_list(o, "events", 1, &m)) != 0)
			goto out;
		break;
	}
	*ret = m;
	memset(&m, 0, sizeof(m));
	r = 0;
out:
	kbs_etcd_msg_clear(&m);
	cJSON_Delete(root);
	return r;
}

int
kbs_etcd_parse_range(const char *json, size_t len, struct kbs_etcd_msg *ret)
{
	return parse(json, len, A_RANGE, ret);
}

int
kbs_etcd_parse_txn(const char *json, size_t len, struct kbs_etcd_msg *ret)
{
	return parse(json, len, A_TXN, ret);
}

int
kbs_etcd_parse_watch(const char *json, size_t len, struct kbs_etcd_msg *ret)
{
	return parse(json, len, A_WATCH, ret);
}
