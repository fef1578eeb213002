/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The text filter (src/common/text.c) under each of its flags. Oracles: the
 * output is the same however the input is cut (so is the number of U+FFFD
 * it holds); it is valid UTF-8; without KEEP_CONTROLS it holds no control
 * character (newline and tab only with KEEP_NEWLINES); text that is already
 * valid and allowed comes out unchanged.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "p11tee/p11tee.h"

#define TEXT_FUZZ_CUTS 64

static char *text_fuzz_run(unsigned flags, const uint8_t *data, size_t size, const size_t *cuts,
                           size_t ncuts, size_t *outlen)
{
    p11tee_text_filter f;
    char *out = malloc(3 * size + 16);
    size_t i, from = 0, to, o = 0;

    if (out == NULL)
        fuzz_fail("out of memory");
    p11tee_text_filter_init(&f, flags);
    for (i = 0; i <= ncuts; i++) {
        to = i < ncuts ? cuts[i] : size;
        o += p11tee_text_filter_run(&f, (const char *)data + from, to - from, out + o);
        FUZZ_CHECK(o <= 3 * to + 12, "the filter wrote %zu bytes for %zu", o, to);
        from = to;
    }
    o += p11tee_text_filter_finish(&f, out + o);
    *outlen = o;
    return out;
}

/* 1 when `s` (valid UTF-8) has a character the flags do not let through. */
static int text_has_control(const char *s, size_t len, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i;

    for (i = 0; i < len; i++) {
        if ((p[i] < 0x20 &&
             !((flags & P11TEE_TEXT_KEEP_NEWLINES) && (p[i] == '\n' || p[i] == '\t'))) ||
            p[i] == 0x7f)
            return 1;
        if (p[i] == 0xc2 && i + 1 < len && p[i + 1] <= 0x9f)
            return 1;
    }
    return 0;
}

static void text_fuzz_flags(unsigned flags, const uint8_t *data, size_t size)
{
    size_t cuts[TEXT_FUZZ_CUTS], n, wlen, slen;
    char *whole, *split;

    whole = text_fuzz_run(flags, data, size, NULL, 0, &wlen);
    n = fuzz_cuts(data, size, cuts, TEXT_FUZZ_CUTS);
    split = text_fuzz_run(flags, data, size, cuts, n, &slen);
    FUZZ_CHECK(wlen == slen && memcmp(whole, split, wlen) == 0,
               "flags %u: cut in %zu pieces the output differs (%zu bytes, whole %zu)", flags,
               n + 1, slen, wlen);
    FUZZ_CHECK(fuzz_utf8_valid(whole, wlen), "flags %u: the output is not valid UTF-8", flags);
    if (!(flags & P11TEE_TEXT_KEEP_CONTROLS))
        FUZZ_CHECK(!text_has_control(whole, wlen, flags), "flags %u: a control character passed",
                   flags);
    if (fuzz_utf8_valid((const char *)data, size) &&
        ((flags & P11TEE_TEXT_KEEP_CONTROLS) || !text_has_control((const char *)data, size, flags)))
        FUZZ_CHECK(wlen == size && memcmp(whole, data, size) == 0,
                   "flags %u: valid text was changed", flags);
    free(whole);
    free(split);
}

static int text_fuzz_one(const uint8_t *data, size_t size)
{
    text_fuzz_flags(0, data, size);
    text_fuzz_flags(P11TEE_TEXT_KEEP_NEWLINES, data, size);
    text_fuzz_flags(P11TEE_TEXT_KEEP_CONTROLS, data, size);
    return 0;
}

static const fuzz_seed text_seeds[] = {
    FUZZ_SEED("plain text"),
    FUZZ_SEED("h\xc3\xa9llo \xe6\xbc\xa2 \xf0\x9f\x99\x82"),
    FUZZ_SEED("a\x1b]52;c;ZXZpbA==\x07"
              "b\xc2\x9b"
              "2J\x7f\r\n\t"),
    FUZZ_SEED("bad\xff\x80 overlong\xc0\x80\xe0\x80\x80 surrogate\xed\xa0\x80 "
              "beyond\xf4\x90\x80\x80"),
    /* A cut-short sequence followed by a byte that ends it: one U+FFFD, however it is split. */
    FUZZ_SEED("cut\xe6\xbcx"),
    FUZZ_SEED("\xf0\x9f\x99x\xf0\x9f"),
    FUZZ_SEED("\xe6\xbc\xe6\xbc\xa2"),
};

FUZZ_REGISTER(text, text_fuzz_one, text_seeds)
