/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * dstack's event log (PROTOCOL.md section 2, check 5): what was measured into
 * the RTMRs, event by event. RTMR3 holds the runtime events (app-id,
 * compose-hash, instance-id, os-image-hash, key-provider, ...); replaying
 * their digests gives RTMR3, and then, and only then, their names and
 * payloads say what the quote measured.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "attest/workload.h"
#include "crypto/crypto.h"

#define WHAT "event log"

const char *const attest_event_names[ATTEST_EVENTS] = {
    [ATTEST_EVENT_COMPOSE_HASH] = "compose-hash",
    [ATTEST_EVENT_OS_IMAGE_HASH] = "os-image-hash",
    [ATTEST_EVENT_KEY_PROVIDER] = "key-provider",
    [ATTEST_EVENT_INSTANCE_ID] = "instance-id",
    [ATTEST_EVENT_APP_ID] = "app-id",
};

/* An integer member in [0, max]. */
static p11tee_status evlog_int(json_object *e, const char *key, size_t i, int64_t max, int64_t *out,
                               p11tee_error *err)
{
    int present;
    p11tee_status rc = sjson_get_int(e, key, WHAT " entry", &present, out, err);

    if (rc == P11TEE_OK && present && (*out < 0 || *out > max))
        rc = err_set(err, P11TEE_E_JSON_FIELD, "event log entry %zu: %s %lld is out of range", i,
                     key, (long long)*out);
    return rc;
}

/* A hex member of at most `max` bytes; "" when absent. */
static p11tee_status evlog_hex(json_object *e, const char *key, size_t i, size_t max, strview *out,
                               p11tee_error *err)
{
    p11tee_status rc = sjson_get_str(e, key, 0, WHAT " entry", out, err);

    if (rc != P11TEE_OK)
        return rc;
    if (out->p == NULL) {
        out->p = "";
        out->len = 0;
    }
    if (!hex_is_valid(out->p, out->len) || out->len > 2 * max)
        return err_set(err, P11TEE_E_JSON_FIELD,
                       "event log entry %zu: %s is not hex of at most %zu bytes", i, key, max);
    return P11TEE_OK;
}

static p11tee_status evlog_entry(json_object *e, size_t i, evlog_event *ev, p11tee_error *err)
{
    int64_t imr = 0, type = 0;
    strview digest;
    p11tee_status rc;

    if (!json_object_is_type(e, json_type_object))
        return err_set(err, P11TEE_E_JSON_FIELD, "event log entry %zu is not an object", i);
    rc = evlog_int(e, "imr", i, 3, &imr, err);
    if (rc == P11TEE_OK)
        rc = evlog_int(e, "event_type", i, UINT32_MAX, &type, err);
    if (rc == P11TEE_OK)
        rc = evlog_hex(e, "digest", i, TDX_MR_BYTES, &digest, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "event", 0, WHAT " entry", &ev->name, err);
    if (rc == P11TEE_OK)
        rc = evlog_hex(e, "event_payload", i, EVLOG_PAYLOAD_MAX, &ev->payload_hex, err);
    if (rc != P11TEE_OK)
        return rc;
    if (ev->name.p == NULL)
        ev->name = (strview){"", 0};
    ev->imr = (int)imr;
    ev->type = (uint32_t)type;
    memset(ev->digest, 0, sizeof(ev->digest));
    return hex_decode(digest.p, digest.len, ev->digest, sizeof(ev->digest), NULL, err);
}

p11tee_status evlog_parse(const char *text, size_t len, evlog *out, p11tee_error *err)
{
    json_object *list;
    size_t i;
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    rc = sjson_parse(text, len, EVLOG_TEXT_MAX, WHAT, &out->root, err);
    /* The usual transport: a JSON string whose text is the array. */
    if (rc == P11TEE_OK && json_object_is_type(out->root, json_type_string)) {
        json_object *inner = NULL;

        rc = sjson_parse(json_object_get_string(out->root),
                         (size_t)json_object_get_string_len(out->root), EVLOG_TEXT_MAX, WHAT,
                         &inner, err);
        json_object_put(out->root);
        out->root = inner;
    }
    list = out->root;
    if (rc == P11TEE_OK && !json_object_is_type(list, json_type_array))
        rc = err_set(err, P11TEE_E_JSON_FIELD, "the event log is not a list of events");
    if (rc == P11TEE_OK && json_object_array_length(list) > EVLOG_EVENTS_MAX)
        rc = err_set(err, P11TEE_E_TOO_LARGE, "the event log holds more than %d events",
                     EVLOG_EVENTS_MAX);
    if (rc == P11TEE_OK &&
        (out->ev = calloc(json_object_array_length(list) + 1, sizeof(*out->ev))) == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory reading the event log");
    for (i = 0; rc == P11TEE_OK && i < json_object_array_length(list); i++) {
        rc = evlog_entry(json_object_array_get_idx(list, i), i, &out->ev[i], err);
        out->n += rc == P11TEE_OK;
    }
    if (rc != P11TEE_OK)
        evlog_free(out);
    return rc;
}

void evlog_free(evlog *l)
{
    json_object_put(l->root);
    free(l->ev);
    memset(l, 0, sizeof(*l));
}

/*
 * dstack's digest of a runtime event: SHA-384(type LE || ":" || name || ":"
 * || payload). 1 when the event's digest is that, 0 when not, -1 when it
 * could not be computed (out of memory: no verdict).
 */
static int evlog_digest_covers(const evlog_event *e)
{
    uint8_t le[4] = {(uint8_t)e->type, (uint8_t)(e->type >> 8), (uint8_t)(e->type >> 16),
                     (uint8_t)(e->type >> 24)};
    uint8_t payload[EVLOG_PAYLOAD_MAX], md[TDX_MR_BYTES];
    size_t plen = 0;
    unsigned mdlen = 0;
    EVP_MD_CTX *ctx;
    int computed;

    if (hex_decode(e->payload_hex.p, e->payload_hex.len, payload, sizeof(payload), &plen, NULL) !=
        P11TEE_OK)
        return 0;
    ctx = EVP_MD_CTX_new();
    computed = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) == 1 &&
               EVP_DigestUpdate(ctx, le, sizeof(le)) == 1 && EVP_DigestUpdate(ctx, ":", 1) == 1 &&
               EVP_DigestUpdate(ctx, e->name.p, e->name.len) == 1 &&
               EVP_DigestUpdate(ctx, ":", 1) == 1 && EVP_DigestUpdate(ctx, payload, plen) == 1 &&
               EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof(md);
    EVP_MD_CTX_free(ctx);
    if (!computed)
        return -1;
    return CRYPTO_memcmp(md, e->digest, sizeof(md)) == 0;
}

p11tee_status evlog_replay_rtmr3(const evlog *l, uint8_t out[TDX_MR_BYTES], size_t *events,
                                 p11tee_error *err)
{
    uint8_t buf[2 * TDX_MR_BYTES];
    unsigned mdlen = 0;
    size_t i;
    int covers;

    memset(out, 0, TDX_MR_BYTES);
    *events = 0;
    for (i = 0; i < l->n; i++) {
        const evlog_event *e = &l->ev[i];

        if (e->imr != ATTEST_RTMR3_IMR)
            continue;
        covers = e->type == EVLOG_RUNTIME_TYPE ? evlog_digest_covers(e) : 1;
        if (covers < 0)
            return err_openssl(err, P11TEE_E_CRYPTO, "SHA-384 failed checking the event log");
        if (covers == 0)
            return err_set(err, P11TEE_E_MEASUREMENT,
                           "event %zu (%.*s) has a digest that does not cover its name and "
                           "payload",
                           i, (int)(e->name.len > 64 ? 64 : e->name.len), e->name.p);
        memcpy(buf, out, TDX_MR_BYTES);
        memcpy(buf + TDX_MR_BYTES, e->digest, TDX_MR_BYTES);
        if (EVP_Digest(buf, sizeof(buf), out, &mdlen, EVP_sha384(), NULL) != 1)
            return err_openssl(err, P11TEE_E_CRYPTO, "SHA-384 failed replaying the event log");
        (*events)++;
    }
    return P11TEE_OK;
}

static int strview_same(strview a, strview b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

int evlog_equal(const evlog *a, const evlog *b)
{
    size_t i;

    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++)
        if (a->ev[i].imr != b->ev[i].imr || a->ev[i].type != b->ev[i].type ||
            memcmp(a->ev[i].digest, b->ev[i].digest, TDX_MR_BYTES) != 0 ||
            !strview_same(a->ev[i].name, b->ev[i].name) ||
            !strview_same(a->ev[i].payload_hex, b->ev[i].payload_hex))
            return 0;
    return 1;
}

/* Printable ASCII text, as key-provider's JSON payload is. */
static int evlog_is_text(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
    return n > 0 && (p[0] == '{' || p[0] == '[' || p[0] == '"');
}

void evlog_event_text(const evlog *l, const char *name, char out[ATTEST_EVENT_TEXT_MAX])
{
    const evlog_event *e = NULL;
    uint8_t payload[EVLOG_PAYLOAD_MAX];
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < l->n; i++)
        if (l->ev[i].imr == ATTEST_RTMR3_IMR && strview_eq(l->ev[i].name, name))
            e = &l->ev[i];
    if (e == NULL || hex_decode(e->payload_hex.p, e->payload_hex.len, payload, sizeof(payload), &n,
                                NULL) != P11TEE_OK)
        return;
    if (evlog_is_text(payload, n))
        snprintf(out, ATTEST_EVENT_TEXT_MAX, "%.*s", (int)n, (const char *)payload);
    else
        hex_encode(payload,
                   n < (ATTEST_EVENT_TEXT_MAX - 1) / 2 ? n : (ATTEST_EVENT_TEXT_MAX - 1) / 2, out,
                   ATTEST_EVENT_TEXT_MAX);
}
