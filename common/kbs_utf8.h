/*
 * kbs_utf8.h: well-formed UTF-8 for text that leaves the process.
 *
 * Strings that reach a JSON writer often hold bytes nobody checked (a
 * client address, a request id, a name read back from a file that anyone
 * with write access can edit); what the project writes must still be
 * valid UTF-8, the same in every reader. Every string handed to cJSON for
 * output goes through kbs_utf8_sanitize first.
 *
 * Well-formed means RFC 3629 (Unicode Table 3-7): no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no sequence cut
 * short. Replacement follows the Unicode Standard's "substitution of
 * maximal subparts" (chapter 3, U+FFFD): each maximal prefix of a
 * well-formed sequence that is cut short, and each byte that cannot begin
 * one, becomes one U+FFFD (EF BF BD), which is also what the WHATWG
 * decoder in browsers and Python's "replace" handler produce.
 */
#ifndef KBS_UTF8_H
#define KBS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

/* The replacement character U+FFFD as UTF-8. */
#define KBS_UTF8_REPLACEMENT "\xef\xbf\xbd"

/* kbs_utf8_valid reports whether s[0..len) is well-formed UTF-8 (s may be NULL if len is 0). */
bool kbs_utf8_valid(const uint8_t *s, size_t len);

/*
 * kbs_utf8_sanitize copies s[0..len) into a malloc'd, NUL-terminated
 * string (free()) with every ill-formed subpart replaced by U+FFFD, and
 * every NUL byte too, so the result is a C string that holds all of the
 * input. *ret_replaced (may be NULL) receives the number of replacements.
 * Well-formed input comes back byte for byte. KBS_ERR_INVALID_ARGUMENT
 * (s NULL with len > 0, or ret_str NULL), KBS_ERR_TOO_LARGE (len above
 * KBS_UTF8_MAX), KBS_ERR_ALLOC.
 */
#define KBS_UTF8_MAX ((size_t)1 << 30)
KBS_MUST_CHECK int kbs_utf8_sanitize(
    const uint8_t *s, size_t len, char **ret_str, size_t *ret_replaced);

#endif
