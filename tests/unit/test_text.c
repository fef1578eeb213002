/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The text filter: what reaches a terminal or a JSON document is UTF-8 without controls. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <p11tee/p11tee.h>

#include "testlib.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

static char *filter(unsigned flags, const char *in, size_t len)
{
    p11tee_text_filter f;
    char *out = malloc(3 * len + 16);
    size_t n;

    p11tee_text_filter_init(&f, flags);
    n = p11tee_text_filter_run(&f, in, len, out);
    n += p11tee_text_filter_finish(&f, out + n);
    out[n] = '\0';
    return out;
}

/* The same text cut at every pair of points must give the same output. */
static void every_split(unsigned flags, const char *in, size_t len, const char *want)
{
    size_t a, b;

    for (a = 0; a <= len; a++)
        for (b = a; b <= len; b++) {
            p11tee_text_filter f;
            char *out = malloc(3 * len + 16);
            size_t n;

            p11tee_text_filter_init(&f, flags);
            n = p11tee_text_filter_run(&f, in, a, out);
            n += p11tee_text_filter_run(&f, in + a, b - a, out + n);
            n += p11tee_text_filter_run(&f, in + b, len - b, out + n);
            n += p11tee_text_filter_finish(&f, out + n);
            out[n] = '\0';
            if (strcmp(out, want) != 0)
                fail_msg("split at %zu,%zu: got \"%s\", want \"%s\"", a, b, out, want);
            free(out);
        }
}

static const struct {
    const char *in;
    unsigned flags;
    const char *want;
} cases[] = {
    {"plain text", 0, "plain text"},
    {"h\xc3\xa9llo \xe6\xbc\xa2 \xf0\x9f\x99\x82", 0, "h\xc3\xa9llo \xe6\xbc\xa2 \xf0\x9f\x99\x82"},
    {"a\x1b]52;c;ZXZpbA==\x07"
     "b",
     0, "a" R "]52;c;ZXZpbA==" R "b"},
    {"line\nnext\ttab\r", 0, "line" R "next" R "tab" R},
    {"line\nnext\ttab\r", P11TEE_TEXT_KEEP_NEWLINES, "line\nnext\ttab" R},
    {"csi\xc2\x9b"
     "2J nbsp\xc2\xa0",
     0, "csi" R "2J nbsp\xc2\xa0"},
    {"del\x7f", 0, "del" R},
    {"bad\xff\x80", 0, "bad" R R},
    {"overlong\xc0\x80\xe0\x80\x80", 0, "overlong" R R R R R},
    {"surrogate\xed\xa0\x80", 0, "surrogate" R R R},
    {"beyond\xf4\x90\x80\x80", 0, "beyond" R R R R},
    {"cut\xe6\xbc", 0, "cut" R},
    /*
     * A sequence that begins well and breaks is one U+FFFD (its maximal
     * subpart), the byte that broke it read afresh: the same whether the
     * text arrives whole or cut inside the sequence (the count used to
     * depend on the cut).
     */
    {"cut\xe6\xbcx", 0, "cut" R "x"},
    {"\xf0\x9f\x99x\xf0\x9f", 0, R "x" R},
    {"\xe6\xbc\xe6\xbc\xa2", 0, R "\xe6\xbc\xa2"},
    {"\xf4\x8f\xbf\xc3\xa9", 0, R "\xc3\xa9"},
    {"esc kept\x1b[2J\xff", P11TEE_TEXT_KEEP_CONTROLS, "esc kept\x1b[2J" R},
};

static void known_answers(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = filter(cases[i].flags, cases[i].in, strlen(cases[i].in));

        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
        free(out);
    }
}

static void splits(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        every_split(cases[i].flags, cases[i].in, strlen(cases[i].in), cases[i].want);
}

static void random_bytes_stay_bounded(void **state)
{
    char in[512];
    int round;

    (void)state;
    for (round = 0; round < 200; round++) {
        char *out;
        size_t i;

        test_random(in, sizeof(in));
        out = filter(0, in, sizeof(in));
        /* no control byte and no byte 0x80..0x9f outside a multi-byte sequence survives */
        for (i = 0; out[i] != '\0'; i++)
            assert_false((unsigned char)out[i] < 0x20 || (unsigned char)out[i] == 0x7f);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answers),
        cmocka_unit_test(splits),
        cmocka_unit_test(random_bytes_stay_bounded),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
