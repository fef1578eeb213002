/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Internal helpers shared by every layer of libp11tee: filling the error
 * object, and a bounded growable byte buffer. Not part of the public API.
 */
#ifndef P11TEE_COMMON_H
#define P11TEE_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#include <stdint.h>

#include <json-c/json.h>

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
 * err->detail ("lib:reason; lib:reason"), leaving the queue empty. When the
 * failure was an allocation (err_openssl_oom()) the code is P11TEE_E_NOMEM
 * instead, and the message says so: out of memory is never a crypto verdict.
 */
p11tee_status err_openssl(p11tee_error *err, p11tee_status code, const char *fmt, ...)
    P11TEE_PRINTF(3, 4);

/*
 * 1 when the OpenSSL call that just failed ran out of memory: errno is
 * ENOMEM (set errno to 0 before the call) or the newest error on the queue
 * is ERR_R_MALLOC_FAILURE. Tells "out of memory" from "invalid input" where
 * OpenSSL gives both the same return value.
 */
int err_openssl_oom(void);

/*
 * This thread's memory of a failed allocation, for long computations (an
 * attestation's every check) that record failures as verdicts: reset it
 * before, ask it after, and answer P11TEE_E_NOMEM instead of a verdict if
 * it saw one. err_set() with P11TEE_E_NOMEM, err_openssl_oom() and
 * err_openssl_clear() feed it; errno ENOMEM counts too.
 */
void err_oom_reset(void);
int err_oom_seen(void);
/* Tell it of an allocation failure found out some other way. */
void err_oom_note(void);
/*
 * errno = 0 where an operation starts, so that ENOMEM afterwards is its own;
 * an ENOMEM still in errno is noted first (err_oom_note()), so that a
 * failure before it still counts for err_oom_seen(). Use it for every such
 * reset in the library.
 */
void err_errno_reset(void);
/* ERR_clear_error(), noting an allocation failure among the errors it drops or in errno. */
void err_openssl_clear(void);

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

/* Bounds on what a peer may make us parse. */
#define SJSON_DOC_MAX   (4u * 1024 * 1024) /* one JSON document */
#define SJSON_DOC_DEPTH 24                 /* nesting */

/* A view of a JSON string: p == NULL when the field is absent. */
typedef struct strview {
    const char *p;
    size_t len;
} strview;

/* ---- sjson.c: strict, bounded JSON and typed field access over json-c ---- */

/*
 * Parse exactly `len` bytes as one JSON value (trailing bytes refused), at
 * most `max` bytes and SJSON_DOC_DEPTH levels. `what` names the document in
 * errors ("attestation response"). Errors: P11TEE_E_JSON, P11TEE_E_TOO_LARGE.
 */
p11tee_status sjson_parse(const char *buf, size_t len, size_t max, const char *what,
                          json_object **out, p11tee_error *err);

/*
 * sjson_raw.c: the exact bytes of the value of member `key` at the top
 * level of the JSON object in `buf` (what a signature over that member
 * covers, as Intel signs "tcbInfo" inside a PCS response). The document is
 * parsed strictly first, as sjson_parse() does. Errors: those of
 * sjson_parse(), P11TEE_E_JSON (not an object, the member twice),
 * P11TEE_E_JSON_FIELD (no such member).
 */
p11tee_status sjson_raw_member(const char *buf, size_t len, size_t max, const char *what,
                               const char *key, strview *out, p11tee_error *err);

/*
 * sjson_parse(), then redact_json() with `secret` (the API key; NULL: none),
 * for every response whose strings may be shown or serialised.
 */
p11tee_status sjson_parse_redacted(const char *buf, size_t len, size_t max, const char *what,
                                   const char *secret, json_object **out, p11tee_error *err);

/* A reusable parser for many small documents (stream chunks). */
typedef struct sjson_parser sjson_parser;
sjson_parser *sjson_parser_new(void);
void sjson_parser_free(sjson_parser *p);
p11tee_status sjson_parser_parse(sjson_parser *p, const char *buf, size_t len, const char *what,
                                 json_object **out, p11tee_error *err);

/*
 * Field getters. A missing field is fine unless `required`; a field of the
 * wrong type is always P11TEE_E_JSON_FIELD, named as `what`.`key`.
 */
p11tee_status sjson_get_str(json_object *obj, const char *key, int required, const char *what,
                            strview *out, p11tee_error *err);
p11tee_status sjson_get_bool(json_object *obj, const char *key, const char *what, int *present,
                             int *value, p11tee_error *err);
p11tee_status sjson_get_int(json_object *obj, const char *key, const char *what, int *present,
                            int64_t *value, p11tee_error *err);
p11tee_status sjson_get_obj(json_object *obj, const char *key, json_type type, int required,
                            const char *what, json_object **out, p11tee_error *err);

/*
 * A JSON string of untrusted text: bytes that are not UTF-8 become U+FFFD,
 * so the document stays valid (json-c would copy them). NULL when out of memory.
 */
json_object *sjson_new_string_valid(const char *s, size_t len);

/* ---- jcs.c: RFC 8785 canonical JSON (ACI keysets, statements, receipts) ---- */

#define JCS_NUMBER_MAX 32 /* longest number text, NUL included */

/*
 * The canonical form of `v` (RFC 8785) appended to `out`: members sorted by
 * the UTF-16 code units of their names, ECMAScript string escapes, numbers
 * as ECMAScript prints the double they denote. Errors: P11TEE_E_JSON_FIELD
 * (a number that is not finite, a string that is not UTF-8, nesting deeper
 * than 64), P11TEE_E_TOO_LARGE (past out->max), P11TEE_E_NOMEM.
 */
p11tee_status jcs_write(json_object *v, bytebuf *out, p11tee_error *err);
/* SHA-256 of the canonical form of `v` (at most SJSON_DOC_MAX bytes). */
p11tee_status jcs_sha256(json_object *v, uint8_t digest[32], p11tee_error *err);
/*
 * ECMAScript's Number.prototype.toString of `x`: the shortest digits that
 * read back as x, in "1e+21" / "0.000001" / "1e-7" form; -0 is "0". The
 * length, or -1 for NaN and the infinities.
 */
int jcs_format_double(double x, char out[JCS_NUMBER_MAX]);

/* 0..15 for a hex digit (either case), -1 for any other character. */
int hex_digit_value(unsigned char c);

/*
 * Building a document that comes out whole or not at all: a NULL value
 * (its constructor ran out of memory) or a failed add clears *ok, and the
 * value is freed, instead of leaving a hole or a null in its place. Start
 * with ok = 1 and the root, end with sjson_finish(). Keys are not copied:
 * they must outlive the document (literals, static tables), which also
 * spares json-c 0.16's leak of a key copy when its table cannot grow.
 */
void sjson_set(json_object *o, const char *key, json_object *v, int *ok);
/* sjson_set(), or with `present` 0 a member that is null on purpose (`v` is then NULL). */
void sjson_set_nullable(json_object *o, const char *key, int present, json_object *v, int *ok);
void sjson_push(json_object *array, json_object *v, int *ok);
/* The document as malloc'd text, or NULL when !ok or out of memory; `root` is freed. */
char *sjson_finish(json_object *root, int flags, int ok);
/*
 * json-c's text of `v` (owned by `v`, valid until `v` changes) and its
 * length, or NULL when json-c could not make it whole: its serialiser goes
 * on when its buffer cannot grow and leaves a piece out, so the text is
 * read back and must be `v`. Never serialise what is sent, compared, sealed
 * or written with json-c directly.
 */
const char *sjson_text(json_object *v, int flags, size_t *len);

/* 1 when the view equals the NUL-terminated `s`. */
int strview_eq(strview a, const char *s);

/* ---- digest.c: SHA-256 ---- */

/*
 * SHA-256 of `len` bytes (`data` may be NULL when `len` is 0). When OpenSSL
 * cannot compute it (out of memory: P11TEE_E_NOMEM, which err_oom_seen()
 * then reports; no provider: P11TEE_E_CRYPTO) `out` is zeroed and the error
 * set: never use OpenSSL's SHA256() directly, whose failure leaves its
 * output unwritten.
 */
p11tee_status digest_sha256(const void *data, size_t len, uint8_t out[32], p11tee_error *err);

/* ---- secmem.c: memory for secrets ---- */

/*
 * Zero-filled memory on pages of its own, locked where the system allows,
 * excluded from core dumps; secmem_free() cleanses and unmaps it (NULL is
 * fine). For the API key and what may hold a PIN, never for bulk data.
 */
void *secmem_alloc(size_t len);
void secmem_free(void *p);
/* Copies into secret memory; NULL when `s` is NULL or out of memory. */
char *secmem_strdup(const char *s);
char *secmem_strndup(const char *s, size_t n);

/* ---- redact.c: the API key out of untrusted text ---- */

#define REDACTED "[REDACTED]"
/* A cut-off start of the secret this long at the end of a text is redacted too. */
#define REDACT_MIN_TAIL 6

/*
 * Length of text (from text[0]) to replace because it spells `secret`, 0
 * when it does not: read as a person reads it, so JSON and percent escapes
 * (\/, \u002f, %2F) count as the characters they stand for, and whitespace
 * and control characters (also escaped: \n, \u0009) between the secret's
 * characters are skipped. A text that ends after at least REDACT_MIN_TAIL
 * characters of the secret matches to its end.
 */
size_t redact_match(const char *text, size_t len, const char *secret, size_t slen);

/*
 * A NUL-terminated copy of `in` with every match of `secret` (may be NULL)
 * replaced by REDACTED; NULL when out of memory.
 */
char *redact_dup(const char *in, size_t len, const char *secret, size_t *outlen);

/*
 * Redact `secret` from every string of a JSON tree, member names included,
 * before it is serialised (JSON escaping would hide a '/' of it).
 * P11TEE_E_NOMEM leaves the tree partly redacted: do not show it then.
 */
p11tee_status redact_json(json_object *o, const char *secret);

#endif /* P11TEE_COMMON_H */
