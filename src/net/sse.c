/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Incremental Server-Sent Events parser after the WHATWG HTML "event stream
 * interpretation" rules. It is a byte-level state machine: all state that a
 * split could cut (a pending line, a CR whose LF may come in the next feed, a
 * partly seen BOM) lives in the parser, so every split of a stream yields the
 * same events. Bytes are passed through undecoded; JSON parsing above
 * validates the text.
 */
#include "config.h"

#include <string.h>

#include "net/net.h"

static const uint8_t utf8_bom[3] = {0xef, 0xbb, 0xbf};

void sse_init(sse_parser *p, size_t max_line, size_t max_event, sse_event_fn on_event, void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->on_event = on_event;
    p->ctx = ctx;
    p->max_line = max_line ? max_line : SSE_DEFAULT_MAX_LINE;
    p->max_event = max_event ? max_event : SSE_DEFAULT_MAX_EVENT;
    bytebuf_init(&p->line, p->max_line);
    bytebuf_init(&p->data, p->max_event);
    bytebuf_init(&p->type, p->max_line);
    bytebuf_init(&p->id, p->max_line);
}

void sse_free(sse_parser *p)
{
    if (p == NULL)
        return;
    bytebuf_free(&p->line);
    bytebuf_free(&p->data);
    bytebuf_free(&p->type);
    bytebuf_free(&p->id);
}

uint64_t sse_offset(const sse_parser *p)
{
    return p->offset;
}

int sse_is_done(const sse_event *ev)
{
    return ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0;
}

static p11tee_status fail(sse_parser *p, p11tee_status rc)
{
    p->failed = rc;
    return rc;
}

static p11tee_status nomem(sse_parser *p, p11tee_error *err)
{
    return fail(p, err_set(err, P11TEE_E_NOMEM, "out of memory while parsing the event stream"));
}

static p11tee_status dispatch(sse_parser *p, p11tee_error *err)
{
    sse_event ev;
    p11tee_status rc = P11TEE_OK;

    p->in_event = 0;
    if (p->data.len > 0) {
        /* Drop the "\n" that followed the last data line. */
        p->data.data[--p->data.len] = '\0';
        ev.type = p->type.len ? (const char *)p->type.data : "message";
        ev.type_len = p->type.len ? p->type.len : strlen("message");
        ev.data = (const char *)p->data.data;
        ev.data_len = p->data.len;
        ev.id = p->id.len ? (const char *)p->id.data : "";
        ev.id_len = p->id.len;
        rc = p->on_event(p->ctx, &ev, err);
    }
    bytebuf_reset(&p->data);
    bytebuf_reset(&p->type);
    return rc == P11TEE_OK ? rc : fail(p, rc);
}

static p11tee_status set_buf(bytebuf *b, const uint8_t *v, size_t n)
{
    bytebuf_reset(b);
    return bytebuf_append(b, v, n);
}

/* One complete field line: "name: value", "name:value" or "name". */
static p11tee_status field(sse_parser *p, const uint8_t *line, size_t len, p11tee_error *err)
{
    const uint8_t *colon = memchr(line, ':', len);
    size_t nlen = colon ? (size_t)(colon - line) : len;
    const uint8_t *v = colon ? colon + 1 : line + len;
    size_t vlen = (size_t)(line + len - v);

    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
    p->in_event = 1;
    if (nlen == 4 && memcmp(line, "data", 4) == 0) {
        if (vlen >= p->max_event || p->data.len > p->max_event - vlen - 1)
            return fail(p, err_set(err, P11TEE_E_SSE_EVENT_TOO_LARGE,
                                   "event-stream event data exceeds the %zu-byte limit at "
                                   "stream byte %llu",
                                   p->max_event, (unsigned long long)p->offset));
        if (bytebuf_append(&p->data, v, vlen) != P11TEE_OK ||
            bytebuf_append(&p->data, "\n", 1) != P11TEE_OK)
            return nomem(p, err);
    } else if (nlen == 5 && memcmp(line, "event", 5) == 0) {
        if (set_buf(&p->type, v, vlen) != P11TEE_OK)
            return nomem(p, err);
    } else if (nlen == 2 && memcmp(line, "id", 2) == 0) {
        /* An id containing NUL is ignored, as the WHATWG rules say. */
        if (memchr(v, '\0', vlen) == NULL && set_buf(&p->id, v, vlen) != P11TEE_OK)
            return nomem(p, err);
    }
    /* retry: and unknown fields are ignored. */
    return P11TEE_OK;
}

/* The line in p->line just ended; p->offset is its terminator. */
static p11tee_status line_end(sse_parser *p, p11tee_error *err)
{
    p11tee_status rc = P11TEE_OK;

    if (p->line.len == 0)
        return dispatch(p, err);
    if (p->line.data[0] != ':')
        rc = field(p, p->line.data, p->line.len, err);
    bytebuf_reset(&p->line);
    return rc;
}

static p11tee_status line_append(sse_parser *p, const uint8_t *s, size_t n, p11tee_error *err)
{
    if (n > p->max_line - p->line.len) {
        p->offset += p->max_line - p->line.len;
        return fail(p, err_set(err, P11TEE_E_SSE_LINE_TOO_LONG,
                               "event-stream line exceeds the %zu-byte limit at stream byte %llu",
                               p->max_line, (unsigned long long)p->offset));
    }
    if (bytebuf_append(&p->line, s, n) != P11TEE_OK)
        return nomem(p, err);
    p->offset += n;
    return P11TEE_OK;
}

/* Split bytes into lines at CRLF, LF or CR, even when a CRLF is split. */
static p11tee_status lines(sse_parser *p, const uint8_t *s, size_t n, p11tee_error *err)
{
    size_t i = 0, j;
    p11tee_status rc;

    while (i < n) {
        if (p->after_cr) {
            p->after_cr = 0;
            if (s[i] == '\n') {
                p->offset++;
                i++;
                continue;
            }
        }
        for (j = i; j < n && s[j] != '\r' && s[j] != '\n'; j++)
            ;
        if (j > i && (rc = line_append(p, s + i, j - i, err)) != P11TEE_OK)
            return rc;
        if (j == n)
            break;
        p->after_cr = s[j] == '\r';
        if ((rc = line_end(p, err)) != P11TEE_OK)
            return rc;
        p->offset++;
        i = j + 1;
    }
    return P11TEE_OK;
}

/*
 * Strip one UTF-8 BOM at the very start of the stream, even when it arrives
 * a byte at a time. Returns how many bytes of `s` it consumed; when the
 * start turns out not to be a BOM, the bytes matched so far are parsed as
 * ordinary text.
 */
static size_t bom(sse_parser *p, const uint8_t *s, size_t n, p11tee_status *rc, p11tee_error *err)
{
    size_t i = 0;

    while (i < n && p->bom_seen < sizeof(utf8_bom) && s[i] == utf8_bom[p->bom_seen]) {
        p->bom_seen++;
        i++;
    }
    if (p->bom_seen == sizeof(utf8_bom)) {
        p->done_bom = 1;
        p->offset += sizeof(utf8_bom);
    } else if (i < n) {
        p->done_bom = 1;
        *rc = lines(p, utf8_bom, p->bom_seen, err);
    }
    return i;
}

p11tee_status sse_feed(sse_parser *p, const void *data, size_t len, p11tee_error *err)
{
    const uint8_t *s = data;
    p11tee_status rc = P11TEE_OK;
    size_t used = 0;

    if (p->failed != P11TEE_OK)
        return err_set(err, p->failed, "event-stream parsing already failed (%s)",
                       p11tee_strerror(p->failed));
    if (len == 0)
        return P11TEE_OK;
    if (!p->done_bom)
        used = bom(p, s, len, &rc, err);
    if (rc != P11TEE_OK)
        return rc;
    return lines(p, s + used, len - used, err);
}

p11tee_status sse_sink(void *ctx, const uint8_t *data, size_t len, p11tee_error *err)
{
    return sse_feed(ctx, data, len, err);
}

p11tee_status sse_finish(sse_parser *p, p11tee_error *err)
{
    int partial_bom = !p->done_bom && p->bom_seen > 0;

    if (p->failed != P11TEE_OK)
        return err_set(err, p->failed, "event-stream parsing already failed (%s)",
                       p11tee_strerror(p->failed));
    if (p->line.len > 0 || p->in_event || partial_bom)
        return err_set(err, P11TEE_E_STREAM_INCOMPLETE,
                       "event stream ended in the middle of an event (after %llu bytes)",
                       (unsigned long long)(p->offset + (partial_bom ? p->bom_seen : 0)));
    return P11TEE_OK;
}
