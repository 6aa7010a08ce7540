/*
 * kbs_buf.c: the bounded read cursor (see kbs_buf.h).
 */
#include "kbs_buf.h"

#include <string.h>

void
kbs_buf_init(struct kbs_buf *b, const uint8_t *data, size_t len)
{
	b->data = data;
	b->len = data != NULL ? len : 0;
	b->off = 0;
}

size_t
kbs_buf_remaining(const struct kbs_buf *b)
{
	return b->len - b->off;
}

int
kbs_buf_get_direct(struct kbs_buf *b, size_t n, const uint8_t **ret)
{
	if (n > b->len - b->off)
		return KBS_ERR_TRUNCATED;
	*ret = b->data + b->off;
	b->off += n;
	return 0;
}

int
kbs_buf_get_bytes(struct kbs_buf *b, void *out, size_t n)
{
	const uint8_t *p;
	int r;

	if ((r = kbs_buf_get_direct(b, n, &p)) != 0)
		return r;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
kbs_buf_skip(struct kbs_buf *b, size_t n)
{
	const uint8_t *p;

	return kbs_buf_get_direct(b, n, &p);
}

int
kbs_buf_skip_zero(struct kbs_buf *b, size_t n, int errcode)
{
	size_t i;

	if (n > b->len - b->off)
		return KBS_ERR_TRUNCATED;
	for (i = 0; i < n; i++) {
		if (b->data[b->off + i] != 0)
			return errcode;
	}
	b->off += n;
	return 0;
}

int
kbs_buf_get_u8(struct kbs_buf *b, uint8_t *ret)
{
	return kbs_buf_get_bytes(b, ret, 1);
}

static uint64_t
load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

int
kbs_buf_get_u16le(struct kbs_buf *b, uint16_t *ret)
{
	const uint8_t *p;
	int r;

	if ((r = kbs_buf_get_direct(b, 2, &p)) != 0)
		return r;
	*ret = (uint16_t)load_le(p, 2);
	return 0;
}

int
kbs_buf_get_u32le(struct kbs_buf *b, uint32_t *ret)
{
	const uint8_t *p;
	int r;

	if ((r = kbs_buf_get_direct(b, 4, &p)) != 0)
		return r;
	*ret = (uint32_t)load_le(p, 4);
	return 0;
}

int
kbs_buf_get_u64le(struct kbs_buf *b, uint64_t *ret)
{
	const uint8_t *p;
	int r;

	if ((r = kbs_buf_get_direct(b, 8, &p)) != 0)
		return r;
	*ret = load_le(p, 8);
	return 0;
}

int
kbs_buf_expect_end(const struct kbs_buf *b)
{
	return b->off == b->len ? 0 : KBS_ERR_TRAILING_DATA;
}
