/*
 * kbs_buf.h: a bounded read cursor over caller-owned bytes.
 *
 * Every binary parser in the project reads untrusted input only through
 * this cursor. Each read first checks what remains (in subtraction form,
 * so no addition can overflow) and advances only on success: a failed read
 * leaves the cursor where it was, so the caller can report the offset.
 * The cursor never allocates and never owns the bytes.
 */
#ifndef KBS_BUF_H
#define KBS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

struct kbs_buf {
	const uint8_t *data;
	size_t len;
	size_t off;
};

/* kbs_buf_init points the cursor at data[0..len). data may be NULL only if len is 0. */
void kbs_buf_init(struct kbs_buf *b, const uint8_t *data, size_t len);

/* kbs_buf_remaining returns the number of unread bytes. */
size_t kbs_buf_remaining(const struct kbs_buf *b);

/* Each getter returns 0 or KBS_ERR_TRUNCATED; integers are little-endian. */
KBS_MUST_CHECK int kbs_buf_get_u8(struct kbs_buf *b, uint8_t *ret);
KBS_MUST_CHECK int kbs_buf_get_u16le(struct kbs_buf *b, uint16_t *ret);
KBS_MUST_CHECK int kbs_buf_get_u32le(struct kbs_buf *b, uint32_t *ret);
KBS_MUST_CHECK int kbs_buf_get_u64le(struct kbs_buf *b, uint64_t *ret);
/* kbs_buf_get_bytes copies n bytes into out. */
KBS_MUST_CHECK int kbs_buf_get_bytes(struct kbs_buf *b, void *out, size_t n);
/* kbs_buf_get_direct points *ret into the buffer for n bytes and advances. */
KBS_MUST_CHECK int kbs_buf_get_direct(struct kbs_buf *b, size_t n, const uint8_t **ret);
/* kbs_buf_skip advances n bytes. */
KBS_MUST_CHECK int kbs_buf_skip(struct kbs_buf *b, size_t n);
/*
 * kbs_buf_skip_zero advances n bytes that must all be zero: KBS_ERR_TRUNCATED
 * if fewer remain, errcode (cursor unchanged) if any byte is non-zero.
 */
KBS_MUST_CHECK int kbs_buf_skip_zero(struct kbs_buf *b, size_t n, int errcode);
/* kbs_buf_expect_end returns 0 if nothing remains, else KBS_ERR_TRAILING_DATA. */
KBS_MUST_CHECK int kbs_buf_expect_end(const struct kbs_buf *b);

#endif
