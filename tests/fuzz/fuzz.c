/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* What every harness shares: the registry, the oracle failure, the API-key oracle, split points. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "fuzz.h"

const char fuzz_api_key[] = "vk-FUZZ/0p11tee+Key=Slash/Plus+Eq=9876543210";

static fuzz_target *fuzz_list;
char fuzz_now[512];

/* Keep the list sorted by name, so that every run visits the harnesses in one order. */
void fuzz_register(fuzz_target *t)
{
    fuzz_target **p = &fuzz_list;

    while (*p != NULL && strcmp((*p)->name, t->name) < 0)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
}

fuzz_target *fuzz_targets(void)
{
    return fuzz_list;
}

fuzz_target *fuzz_find(const char *name)
{
    fuzz_target *t;

    for (t = fuzz_list; t != NULL; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    if (fuzz_now[0] != '\0')
        fprintf(stderr, "fuzz: replaying %s\n", fuzz_now);
    fputs("fuzz: oracle failed: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/*
 * The character a reader sees at out[*i]: a backslash escape (\/, \uXXXX
 * below U+0080) is read as the character it stands for; -1 for whitespace
 * and control characters, which a reader skips.
 */
static int reader_char(const char *out, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)out[*i];
    int v = 0, k, d;

    (*i)++;
    if (c == '\\' && *i < len) {
        c = (unsigned char)out[(*i)++];
        if (c == 'u' && *i + 4 <= len) {
            for (k = 0; k < 4; k++) {
                if ((d = hex_digit_value((unsigned char)out[*i + (size_t)k])) < 0)
                    return 'u';
                v = v * 16 + d;
            }
            *i += 4;
            if (v >= 0x80)
                return 0x80; /* not a character of the key */
            c = (unsigned char)v;
        } else if (c == 'n' || c == 't' || c == 'r' || c == 'b' || c == 'f') {
            return -1;
        }
    }
    return c <= 0x20 || c == 0x7f ? -1 : c;
}

void fuzz_no_api_key(const char *what, const char *out, size_t len)
{
    size_t klen = strlen(fuzz_api_key), start, i, k;
    int c;

    for (start = 0; start < len; start++) {
        i = start;
        k = 0;
        while (k < klen && i < len) {
            c = reader_char(out, len, &i);
            if (c < 0 && k > 0)
                continue; /* skipped between characters of the key */
            if (c != (unsigned char)fuzz_api_key[k])
                break;
            k++;
        }
        if (k == klen)
            fuzz_fail("%s shows the API key (from offset %zu): %.*s", what, start,
                      (int)(len - start < 200 ? len - start : 200), out + start);
    }
}

/* One spelling of the key (see fuzz_with_key()) appended at out + *o. */
static void fuzz_key_spelling(char how, char *out, size_t *o)
{
    size_t k, klen = strlen(fuzz_api_key);
    unsigned char c;

    for (k = 0; k < klen; k++) {
        c = (unsigned char)fuzz_api_key[k];
        if (how == 'C' && k == 12)
            return;
        if (k > 0 && how == 'W')
            out[(*o)++] = ' ';
        if (k > 0 && how == 'E') {
            memcpy(out + *o, "\\n", 2);
            *o += 2;
        }
        if (how == 'U' || (how == 'P' && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                                           (c >= 'a' && c <= 'z')))) {
            *o += (size_t)sprintf(out + *o, how == 'U' ? "\\u%04x" : "%%%02X", c);
            continue;
        }
        if (how == 'J' && c == '/')
            out[(*o)++] = '\\';
        out[(*o)++] = (char)c;
    }
}

uint8_t *fuzz_with_key(const uint8_t *data, size_t size, size_t *outlen)
{
    size_t cap = size + 1, i, o = 0;
    char *out;

    /* The longest spelling takes 6 bytes per character of the key. */
    for (i = 0; i + 1 < size; i++)
        if (data[i] == '@')
            cap += 6 * sizeof(fuzz_api_key);
    out = malloc(cap);
    i = 0;

    if (out == NULL)
        fuzz_fail("out of memory");
    while (i < size) {
        if (data[i] == '@' && i + 1 < size && data[i + 1] != '\0' &&
            strchr("KJUWEPC", data[i + 1]) != NULL) {
            fuzz_key_spelling((char)data[i + 1], out, &o);
            i += 2;
        } else {
            out[o++] = (char)data[i++];
        }
    }
    *outlen = o;
    return (uint8_t *)out;
}

/* FNV-1a over the input: a deterministic source of split points. */
static uint64_t fnv(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;

    for (i = 0; i < size; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    return h;
}

size_t fuzz_cuts(const uint8_t *data, size_t size, size_t *cuts, size_t max)
{
    uint64_t x = fnv(data, size) | 1;
    size_t n = 0, at = 0, step;

    if (size < 2)
        return 0;
    while (n < max) {
        /* xorshift64 */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        step = 1 + (size_t)(x % (size / 4 + 2)); /* short steps: many small pieces */
        if (at + step >= size)
            break;
        at += step;
        cuts[n++] = at;
    }
    return n;
}

/* An independent reading: decode each code point, then judge its value and length. */
int fuzz_utf8_valid(const char *s, size_t len)
{
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000}; /* shortest form */
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n, k;
    uint32_t cp;

    while (i < len) {
        n = p[i] < 0x80   ? 1
            : p[i] < 0xc0 ? 0
            : p[i] < 0xe0 ? 2
            : p[i] < 0xf0 ? 3
            : p[i] < 0xf8 ? 4
                          : 0;
        if (n == 0 || i + n > len)
            return 0;
        cp = n == 1 ? p[i] : (uint32_t)p[i] & (0x7fu >> n);
        for (k = 1; k < n; k++) {
            if ((p[i + k] >> 6) != 2)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3fu);
        }
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n;
    }
    return 1;
}

void fuzz_same_report(const attest_report *a, const attest_report *b)
{
    size_t i;

    FUZZ_CHECK(a->count == b->count, "two verifications record %zu and %zu checks", a->count,
               b->count);
    for (i = 0; i < a->count; i++) {
        FUZZ_CHECK(a->checks[i].name != NULL && a->checks[i].reason[0] != '\0',
                   "a check without a name or a reason");
        FUZZ_CHECK(a->checks[i].result == b->checks[i].result &&
                       strcmp(a->checks[i].reason, b->checks[i].reason) == 0,
                   "two verifications disagree on %s", a->checks[i].name);
    }
}
