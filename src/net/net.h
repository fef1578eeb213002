/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * net/: HTTP transfers over libcurl (client.c, trust.c, request.c, log.c,
 * transfer.c; their shared internals are in transfer.h, private to the layer)
 * and the incremental Server-Sent Events parser (sse.c). Only this layer
 * includes curl; this is the one header it offers.
 *
 * Transfers: a net_client holds what every request shares (base URL, API key,
 * trust anchors, timeouts, log callback); net_perform() runs one request and
 * either streams the body to a sink as it arrives or collects it, bounded.
 * One client may be used by several threads at once (see net_client_new).
 *
 * SSE: a pure parser over byte chunks; feed any split of the stream and the
 * same events come out. Its sink adapter plugs straight into net_request.
 */
#ifndef P11TEE_NET_H
#define P11TEE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ==== transfers (client.c ... transfer.c) ================================== */

#define NET_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define NET_DEFAULT_IDLE_TIMEOUT_MS    60000L
#define NET_DEFAULT_MAX_RESPONSE       ((size_t)16 * 1024 * 1024)
#define NET_DEFAULT_COLLECT_TIMEOUT_MS 120000L
/* How much of a non-2xx body is kept to explain the error. */
#define NET_ERROR_BODY_MAX   ((size_t)16 * 1024)
#define NET_ERROR_TEXT_MAX   256
#define NET_ERROR_TYPE_MAX   64
#define NET_CONTENT_TYPE_MAX 128
/* Response headers a request may ask to keep, and the longest value kept. */
#define NET_KEEP_HEADERS_MAX   4
#define NET_KEPT_HEADER_MAX    ((size_t)64 * 1024)
#define NET_STREAM_THREADS_MAX 64

/*
 * One line of -v output, without a trailing newline. Request lines start
 * with "> ", response lines with "< ", timing and failures with "* ". The
 * API key and credential headers are already redacted. When a client is
 * shared by threads, the callback is called from each of them.
 */
typedef void (*net_log_fn)(void *ctx, const char *line);
typedef void (*net_turn_fn)(void *ctx);

typedef struct net_options {
    /* "https://host[:port]/prefix"; http:// only for 127.0.0.1, ::1, localhost,
       and never through a proxy (the proxy would see the API key). */
    const char *base_url;
    /* Sent as "Authorization: Bearer <key>"; NULL or "" sends none. Copied. */
    const char *api_key;
    /*
     * PEM file of certificates trusted IN ADDITION to the system roots
     * (OpenSSL's default verify paths, which honour SSL_CERT_FILE and
     * SSL_CERT_DIR). Read once, by net_client_new. NULL: system roots only.
     */
    const char *ca_file;
    /*
     * The proxy for https:// ("http://proxy:3128", "socks5h://host:1080"),
     * overriding libcurl's environment variables; NULL: those variables.
     * Credentials are refused here (they belong in https_proxy). Loopback
     * http:// never goes through any proxy.
     */
    const char *proxy;
    long connect_timeout_ms; /* TCP + TLS handshake; 0: NET_DEFAULT_CONNECT_TIMEOUT_MS */
    long idle_timeout_ms;    /* longest silence once connected; 0: NET_DEFAULT_IDLE_TIMEOUT_MS */
    long total_timeout_ms;   /* whole request; 0: none */
    /* whole request when the body is collected (no sink) and total_timeout_ms is 0;
       0: NET_DEFAULT_COLLECT_TIMEOUT_MS. Streams have no default limit. */
    long collect_timeout_ms;
    size_t max_response; /* collected bodies only; 0: NET_DEFAULT_MAX_RESPONSE */
    /* Idle connections kept for the next requests (one per multi handle, so each running
       request has its own); 0: 4. At most 1024. */
    size_t pool_max;
    /*
     * 0: every transfer runs on its caller's thread. N (at most NET_STREAM_THREADS_MAX):
     * streamed transfers (those with a sink) are read by N threads of the client, each
     * reading many, and their sinks are called there; the caller's thread waits. For
     * a gateway with many streams: a thread wakes per batch of arrived bytes, not one
     * per stream and chunk. A sink must then not wait for long (it holds up the
     * others of its thread).
     */
    size_t stream_threads;
    /* Each stream thread's end of a turn: after its sinks ran for what arrived,
       before it waits and before a transfer it read returns to its caller. */
    net_turn_fn turn_end;
    void *turn_ctx;
    net_log_fn log; /* NULL: silent */
    void *log_ctx;
} net_options;

typedef struct net_client net_client;

/*
 * Cancelling a running transfer from another thread (cancel.c). A request
 * that names a net_cancel stops at once when net_cancel_trigger() is called
 * (also before it started): net_perform() returns P11TEE_E_CANCELLED. One
 * net_cancel serves one transfer at a time; a triggered one stays triggered.
 */
typedef struct net_cancel net_cancel;
net_cancel *net_cancel_new(void);
void net_cancel_free(net_cancel *c); /* no transfer may be attached; accepts NULL */
void net_cancel_trigger(net_cancel *c);
int net_cancel_triggered(const net_cancel *c);
/*
 * Holding a streamed transfer (backpressure, from any thread): once the bytes at
 * hand have reached the sink, nothing more is read until the hold is lifted; the
 * idle timeout does not run while held (the silence is ours). Lifting it wakes
 * the transfer. The total timeout still runs.
 */
void net_cancel_hold(net_cancel *c, int hold);
int net_cancel_held(const net_cancel *c);
/* For transfer.c: attach the running multi handle (1: already triggered), detach it. */
int net_cancel_attach(net_cancel *c, void *multi);
void net_cancel_detach(net_cancel *c);

/*
 * Body bytes of a 2xx response, in order, as they arrive. A non-OK return
 * aborts the transfer and net_perform() returns that status and `err` as the
 * sink filled them.
 */
typedef p11tee_status (*net_sink_fn)(void *ctx, const uint8_t *data, size_t len, p11tee_error *err);

typedef struct net_request {
    const char *method; /* "GET", "POST", ... (upper-case letters only) */
    /* Appended to the base URL: "/models?type=text". Must start with '/'. */
    const char *path;
    /*
     * Extra "Name: value" headers, NULL-terminated, or NULL. A body without a
     * Content-Type header is sent as "application/json".
     */
    const char *const *headers;
    const void *body; /* NULL: no body */
    size_t body_len;
    net_sink_fn sink; /* NULL: collect the body into net_response.body */
    void *sink_ctx;
    net_cancel *cancel; /* NULL: the transfer cannot be cancelled */
    /*
     * Response headers to keep, by name (case-insensitive), NULL-terminated,
     * at most NET_KEEP_HEADERS_MAX; NULL: none. Their values arrive in
     * net_response.kept, in the same order.
     */
    const char *const *keep_headers;
} net_request;

typedef struct net_response {
    /* Final HTTP status; 0 when no response arrived. Set before the first sink call. */
    long status;
    /* The Content-Type header (printable, truncated). Set before the first sink call. */
    char content_type[NET_CONTENT_TYPE_MAX];
    /* 2xx without a sink: the body. Non-2xx: at most NET_ERROR_BODY_MAX bytes of it. */
    bytebuf body;
    /*
     * Non-2xx only: the server's error text ("E2EE requires streaming") from
     * {"error": "..."} or {"error": {"message": "..."}}, else a printable
     * excerpt of the body; "" when the body was empty.
     */
    char error_text[NET_ERROR_TEXT_MAX];
    /* Non-2xx only: error.type of {"error": {"type": ...}} (printable), else "". */
    char error_type[NET_ERROR_TYPE_MAX];
    /*
     * The values of the request's keep_headers (the last one of each name,
     * without surrounding blanks), malloc'd, or NULL when the response had
     * none. A value longer than NET_KEPT_HEADER_MAX fails the transfer
     * (P11TEE_E_RESPONSE_TOO_LARGE).
     */
    char *kept[NET_KEEP_HEADERS_MAX];
} net_response;

/*
 * Check the options and build a client. Errors: P11TEE_E_CONFIG (bad or
 * non-https non-loopback URL, named without credentials; unreadable CA file;
 * control characters in the API key; a proxy URL that is not
 * http/https/socks or carries credentials), P11TEE_E_INVALID_ARG (negative
 * timeouts), P11TEE_E_NOMEM, P11TEE_E_NET (libcurl could not initialise).
 *
 * Threads: the client is immutable after creation except for a locked pool
 * of idle libcurl multi handles (each with its own connection cache), so any
 * number of threads may call net_perform() on one client concurrently.
 * The process should not call curl_global_cleanup() while clients exist.
 */
p11tee_status net_client_new(const net_options *o, net_client **out, p11tee_error *err);

/* Cleanses the API key. Accepts NULL. No transfer may be running. */
void net_client_free(net_client *c);

/*
 * Perform one request. `resp` (required) is always initialised (free it with
 * net_response_free, whatever the result). Errors:
 *   P11TEE_E_INVALID_ARG       bad method, path or header (CR/LF, no colon)
 *   P11TEE_E_NET_CONNECT       refused, unresolvable, or connect timeout
 *   P11TEE_E_NET_TLS           certificate not trusted, handshake failed
 *   P11TEE_E_NET_IDLE_TIMEOUT  no byte for idle_timeout_ms once connected
 *   P11TEE_E_NET_TIMEOUT       total_timeout_ms elapsed
 *   P11TEE_E_NET               connection dropped before the response ended
 *   P11TEE_E_RESPONSE_TOO_LARGE collected body above max_response
 *   P11TEE_E_HTTP_UNAUTHORIZED 401 or 403; P11TEE_E_HTTP other non-2xx
 *                              ("server answered HTTP 400: <server's text>")
 *   P11TEE_E_CANCELLED         req->cancel was triggered
 *   whatever the sink returned.
 * Redirects are not followed (a 3xx is an HTTP error).
 */
p11tee_status net_perform(net_client *c, const net_request *req, net_response *resp,
                          p11tee_error *err);

void net_response_free(net_response *resp);

/* ---- helpers for untrusted text (http_error.c), pure ---------------------- */

/*
 * Copy `in` into `out` (`cap` bytes with the NUL) as one printable ASCII
 * line: whitespace runs become one space (none at the ends), other bytes
 * outside 0x21-0x7e become '?', every occurrence of `secret` becomes
 * "[REDACTED]" (as redact_match() finds it: also escaped, with whitespace or
 * controls between its characters, or a cut-off tail of at least 6 bytes
 * that starts it), and a text that does not fit ends in "...". `secret` may
 * be NULL.
 */
void net_printable(char *out, size_t cap, const void *in, size_t inlen, const char *secret);

/*
 * The error for a non-2xx response with this (bounded) body: code
 * P11TEE_E_HTTP_UNAUTHORIZED for 401/403, else P11TEE_E_HTTP; message
 * "server answered HTTP <status>: <text>"; detail "details: <json>" when the
 * body has a "details" member. `text` receives the server's error string, or
 * a printable excerpt of a body that is not such JSON. Returns the code.
 */
p11tee_status net_http_error(long status, const void *body, size_t len, const char *secret,
                             char *text, size_t textcap, p11tee_error *err);

/*
 * error.type of an error body {"error": {"type": "e2ee_model_key_mismatch", ...}},
 * printable and bounded like net_printable(), into `type`; "" when there is none.
 */
void net_error_type(const void *body, size_t len, const char *secret, char *type, size_t cap);

/* ==== Server-Sent Events (sse.c) =========================================== */

#define SSE_DEFAULT_MAX_LINE  ((size_t)256 * 1024)
#define SSE_DEFAULT_MAX_EVENT ((size_t)1024 * 1024)

typedef struct sse_event {
    const char *type; /* "message" unless an event: field said otherwise */
    size_t type_len;
    const char *data; /* data: lines joined with "\n"; NUL-terminated */
    size_t data_len;
    const char *id; /* the last id: seen so far in the stream ("" if none) */
    size_t id_len;
} sse_event;

/* A non-OK return stops parsing; sse_feed() returns it with `err` as filled. */
typedef p11tee_status (*sse_event_fn)(void *ctx, const sse_event *ev, p11tee_error *err);

/* Parser state; treat as opaque. Lives on the caller's stack or in a struct. */
typedef struct sse_parser {
    sse_event_fn on_event;
    void *ctx;
    size_t max_line;
    size_t max_event;
    bytebuf line;         /* the current, unterminated line */
    bytebuf data;         /* data buffer of the current event, each line + "\n" */
    bytebuf type;         /* event type buffer */
    bytebuf id;           /* last event id buffer (persists across events) */
    uint64_t offset;      /* stream bytes consumed so far */
    unsigned bom_seen;    /* leading bytes matched against the UTF-8 BOM */
    int after_cr;         /* the previous byte was CR: a following LF is part of it */
    int in_event;         /* a field line arrived since the last blank line */
    int done_bom;         /* the stream start is behind us */
    p11tee_status failed; /* sticky: every later feed returns it */
} sse_parser;

/*
 * Initialise; `max_line` bounds one line (without its terminator) and
 * `max_event` an event's data buffer (data values plus their "\n"
 * separators); 0 selects SSE_DEFAULT_MAX_LINE / SSE_DEFAULT_MAX_EVENT.
 */
void sse_init(sse_parser *p, size_t max_line, size_t max_event, sse_event_fn on_event, void *ctx);

/*
 * Parse the next bytes of the stream; events complete in them are delivered
 * before this returns. Errors: P11TEE_E_SSE_LINE_TOO_LONG,
 * P11TEE_E_SSE_EVENT_TOO_LARGE (the message names the limit and the stream
 * byte offset where it was crossed), P11TEE_E_NOMEM, or the callback's
 * status. After an error every call returns the same status.
 */
p11tee_status sse_feed(sse_parser *p, const void *data, size_t len, p11tee_error *err);

/* sse_feed() with the signature of a net_sink_fn; `ctx` is the sse_parser. */
p11tee_status sse_sink(void *ctx, const uint8_t *data, size_t len, p11tee_error *err);

/*
 * End of stream. P11TEE_OK when it ended between events;
 * P11TEE_E_STREAM_INCOMPLETE when a line or an event was cut off (the
 * pending event is discarded, as the WHATWG rules say); a sticky error
 * from sse_feed() is returned again.
 */
p11tee_status sse_finish(sse_parser *p, p11tee_error *err);

/* Stream bytes consumed; after an error, the offset of the offending byte. */
uint64_t sse_offset(const sse_parser *p);

/* Cleanses and frees the buffers. The parser may be re-initialised. */
void sse_free(sse_parser *p);

/* 1 when the event's data is exactly "[DONE]" (the OpenAI end marker). */
int sse_is_done(const sse_event *ev);

#endif /* P11TEE_NET_H */
