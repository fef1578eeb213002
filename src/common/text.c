/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Untrusted text made safe to show: bytes that are not UTF-8, and (unless
 * asked to keep them) control characters become U+FFFD. Streaming: a
 * sequence cut at the end of one call is completed by the next, since
 * servers may split a character across fields; the output does not depend
 * on where the text was split (one U+FFFD per maximal subpart of an invalid
 * sequence, as the WHATWG decoder writes).
 */
#include "config.h"

#include <string.h>

#include "p11tee/p11tee.h"

static const char text_repl[3] = {'\xef', '\xbf', '\xbd'}; /* U+FFFD */

/* Bounds of the second byte after a lead byte (the first is the tightest: no overlongs). */
static int text_second_ok(unsigned char lead, unsigned char b)
{
    if (lead == 0xe0)
        return b >= 0xa0 && b <= 0xbf; /* no overlong three-byte forms */
    if (lead == 0xed)
        return b >= 0x80 && b <= 0x9f; /* no surrogates */
    if (lead == 0xf0)
        return b >= 0x90 && b <= 0xbf; /* no overlong four-byte forms */
    if (lead == 0xf4)
        return b >= 0x80 && b <= 0x8f; /* nothing past U+10FFFF */
    return (b & 0xc0) == 0x80;
}

/*
 * The UTF-8 sequence at s[0..n): its length (1..4) when valid; -1 when all
 * n bytes begin a valid sequence that is cut short; otherwise 0, with *bad
 * the length of the maximal subpart to replace by one U+FFFD (the bytes
 * that began a valid sequence, at least one). One U+FFFD per maximal
 * subpart, as the WHATWG decoder writes, is the rule that does not depend
 * on where the text is split.
 */
static int text_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0];
    size_t len, i;

    *bad = 1;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    for (i = 1; i < len && i < n; i++) {
        if (i == 1 ? !text_second_ok(c, s[1]) : (s[i] & 0xc0) != 0x80) {
            *bad = i;
            return 0;
        }
    }
    return n < len ? -1 : (int)len;
}

/* C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F). */
static int text_is_control(const unsigned char *s, int len, int keep_newlines)
{
    if (len == 1)
        return (s[0] < 0x20 && !(keep_newlines && (s[0] == '\n' || s[0] == '\t'))) || s[0] == 0x7f;
    return len == 2 && s[0] == 0xc2 && s[1] <= 0x9f;
}

static size_t text_emit(p11tee_text_filter *f, const unsigned char *s, int len, char *out)
{
    if (!(f->flags & P11TEE_TEXT_KEEP_CONTROLS) &&
        text_is_control(s, len, f->flags & P11TEE_TEXT_KEEP_NEWLINES)) {
        memcpy(out, text_repl, sizeof(text_repl));
        return sizeof(text_repl);
    }
    memcpy(out, s, (size_t)len);
    return (size_t)len;
}

void p11tee_text_filter_init(p11tee_text_filter *f, unsigned flags)
{
    memset(f, 0, sizeof(*f));
    f->flags = flags;
}

size_t p11tee_text_filter_run(p11tee_text_filter *f, const char *in, size_t len, char *out)
{
    unsigned char buf[4];
    size_t o = 0, i = 0, bad;
    int n;

    /* First complete the sequence the previous call held back. */
    while (f->nheld > 0 && i < len) {
        memcpy(buf, f->held, f->nheld);
        buf[f->nheld] = (unsigned char)in[i];
        n = text_seq(buf, f->nheld + 1, &bad);
        if (n < 0) {
            f->held[f->nheld++] = (unsigned char)in[i++];
            continue;
        }
        if (n > 0) {
            o += text_emit(f, buf, n, out + o);
            i++;
        } else {
            /* The held bytes are the maximal subpart; in[i] starts afresh. */
            memcpy(out + o, text_repl, sizeof(text_repl));
            o += sizeof(text_repl);
        }
        f->nheld = 0;
    }
    while (i < len) {
        n = text_seq((const unsigned char *)in + i, len - i, &bad);
        if (n < 0) {
            f->nheld = len - i;
            memcpy(f->held, in + i, f->nheld);
            break;
        }
        if (n == 0) {
            memcpy(out + o, text_repl, sizeof(text_repl));
            o += sizeof(text_repl);
            i += bad;
            continue;
        }
        o += text_emit(f, (const unsigned char *)in + i, n, out + o);
        i += (size_t)n;
    }
    return o;
}

size_t p11tee_text_filter_finish(p11tee_text_filter *f, char *out)
{
    size_t had = f->nheld;

    f->nheld = 0;
    if (had == 0)
        return 0;
    memcpy(out, text_repl, sizeof(text_repl));
    return sizeof(text_repl);
}
