/*
 * Internal helpers shared by every layer of libp11tee: filling the error
 * object, and a bounded growable byte buffer. Not part of the public API.
 */
#ifndef P11TEE_COMMON_H
#define P11TEE_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#include "p11tee/error.h"

#if defined(__GNUC__)
#define P11TEE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define P11TEE_PRINTF(f, a)
#endif

#define P11TEE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Set err->code and err->message (printf-style) and clear err->detail.
 * Returns `code`, so that `return err_set(err, P11TEE_E_..., "...");` reads
 * as one statement. `err` may be NULL.
 */
p11tee_status err_set(p11tee_error *err, p11tee_status code, const char *fmt, ...)
    P11TEE_PRINTF(3, 4);

/* Replace err->detail (printf-style); keeps code and message. */
void err_detail(p11tee_error *err, const char *fmt, ...) P11TEE_PRINTF(2, 3);

/*
 * Like err_set(), and moves OpenSSL's error queue of this thread into
 * err->detail ("lib:reason; lib:reason"), leaving the queue empty.
 */
p11tee_status err_openssl(p11tee_error *err, p11tee_status code, const char *fmt, ...)
    P11TEE_PRINTF(3, 4);

/*
 * A growable byte buffer that refuses to grow past `max` bytes, so that no
 * peer can make the client allocate without bound. `data` is always
 * NUL-terminated (one byte beyond `len`), so text can be used in place.
 */
typedef struct bytebuf {
    unsigned char *data;
    size_t len;
    size_t cap;
    size_t max;
} bytebuf;

void bytebuf_init(bytebuf *b, size_t max);
/* Returns P11TEE_E_TOO_LARGE past the bound, P11TEE_E_NOMEM on allocation failure. */
p11tee_status bytebuf_append(bytebuf *b, const void *data, size_t len);
p11tee_status bytebuf_append_str(bytebuf *b, const char *s);
void bytebuf_reset(bytebuf *b);
/* Frees the storage; the contents are cleansed first (they may be plaintext). */
void bytebuf_free(bytebuf *b);
/* Hands the storage to the caller (NUL-terminated) and leaves `b` empty. */
char *bytebuf_take(bytebuf *b, size_t *len);

#endif /* P11TEE_COMMON_H */
