/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The library's client behind a holder that SIGHUP replaces (a new client
 * reads the policy file again; requests in flight finish on the old one),
 * the filtered model list, the attestation reports chats relied on, and the
 * warm-up that makes the gateway ready: the token logged in and at least
 * one E2EE model attested.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "serve/gateway.h"

#define GW_MODELS_TTL_NS  (60ull * 1000000000ull)
#define GW_MODELS_MAX     256
#define GW_ATTEST_ENTRIES 64

struct gw_upstream {
    atomic_uint refs;
    p11tee_client *client;
};

typedef struct gw_model_entry {
    char id[GW_MODEL_MAX];
    int e2ee;
} gw_model_entry;

typedef struct gw_attest_entry {
    char model[GW_MODEL_MAX];
    char nonce[2 * P11TEE_NONCE_BYTES + 1];
    char header[GW_HEADER_MAX];
    char *json;
    uint64_t at;
} gw_attest_entry;

static struct {
    const serve_options *o;
    const p11tee_config *cfg;
    pthread_mutex_t lock; /* everything below; never held across I/O */
    gw_upstream *cur;
    char *models_json;
    uint64_t models_at;
    gw_model_entry models[GW_MODELS_MAX];
    size_t n_models;
    gw_attest_entry att[GW_ATTEST_ENTRIES];
    atomic_int ready;
} u = {.lock = PTHREAD_MUTEX_INITIALIZER};

static gw_upstream *gw_upstream_new(p11tee_error *err)
{
    gw_upstream *up = calloc(1, sizeof(*up));

    if (up == NULL) {
        snprintf(err->message, sizeof(err->message), "out of memory");
        err->code = P11TEE_E_NOMEM;
        return NULL;
    }
    atomic_init(&up->refs, 1);
    if (p11tee_client_new(u.cfg, &up->client, err) != P11TEE_OK) {
        free(up);
        return NULL;
    }
    return up;
}

int gw_upstream_start(const serve_options *o, const p11tee_config *cfg, p11tee_error *err)
{
    u.o = o;
    u.cfg = cfg;
    u.cur = gw_upstream_new(err);
    return u.cur != NULL ? 0 : -1;
}

gw_upstream *gw_upstream_get(void)
{
    gw_upstream *up;

    pthread_mutex_lock(&u.lock);
    up = u.cur;
    atomic_fetch_add(&up->refs, 1);
    pthread_mutex_unlock(&u.lock);
    return up;
}

void gw_upstream_put(gw_upstream *up)
{
    if (up != NULL && atomic_fetch_sub(&up->refs, 1) == 1) {
        p11tee_client_free(up->client);
        free(up);
    }
}

p11tee_client *gw_upstream_client(const gw_upstream *up)
{
    return up->client;
}

int gw_upstream_reload(p11tee_error *err)
{
    gw_upstream *up = gw_upstream_new(err), *old;

    if (up == NULL)
        return -1;
    if (gw_warm(up, err) != P11TEE_OK)
        gw_logf("error", "reload", "the new client cannot use the token: %s", err->message);
    pthread_mutex_lock(&u.lock);
    old = u.cur;
    u.cur = up;
    free(u.models_json); /* the new client lists afresh */
    u.models_json = NULL;
    pthread_mutex_unlock(&u.lock);
    gw_upstream_put(old);
    return 0;
}

void gw_upstream_stop(void)
{
    size_t i;

    gw_upstream_put(u.cur);
    u.cur = NULL;
    free(u.models_json);
    u.models_json = NULL;
    for (i = 0; i < GW_ATTEST_ENTRIES; i++) {
        free(u.att[i].json);
        u.att[i].json = NULL;
    }
}

/* ---- models ------------------------------------------------------------------ */

static void gw_model_json(gw_buf *out, const p11tee_models *ms, size_t i,
                          const p11tee_model_info *info, int first)
{
    const char *text = p11tee_models_json(ms, i); /* NULL: no memory, the defaults below */
    json_object *entry = text != NULL ? json_tokener_parse(text) : NULL, *v = NULL;

    gw_buf_str(out, first ? "{\"id\":" : ",{\"id\":");
    gw_buf_json_text(out, info->id, strlen(info->id));
    gw_buf_str(out, ",\"object\":\"model\",\"created\":");
    if (entry != NULL && json_object_object_get_ex(entry, "created", &v) &&
        json_object_is_type(v, json_type_int))
        gw_buf_printf(out, "%lld", (long long)json_object_get_int64(v));
    else
        gw_buf_str(out, "0");
    gw_buf_str(out, ",\"owned_by\":");
    if (entry != NULL && json_object_object_get_ex(entry, "owned_by", &v) &&
        json_object_is_type(v, json_type_string))
        gw_buf_json_text(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    else
        gw_buf_str(out, "\"p11tee\"");
    gw_buf_printf(out, ",\"p11tee\":{\"mode\":\"%s\"", info->e2ee ? "e2ee" : "tee");
    if (info->context_tokens > 0)
        gw_buf_printf(out, ",\"context_tokens\":%lld", info->context_tokens);
    gw_buf_str(out, "}}");
    json_object_put(entry);
}

/* Which models the policy can be met for: E2EE, and TEE-only ones when allowed. */
static void gw_models_build(const p11tee_models *ms, gw_buf *out, gw_model_entry *list, size_t *n)
{
    size_t i;

    *n = 0;
    gw_buf_str(out, "{\"object\":\"list\",\"data\":[");
    for (i = 0; i < p11tee_models_count(ms) && *n < GW_MODELS_MAX; i++) {
        p11tee_model_info info;

        if (p11tee_models_get(ms, i, &info) != 0 || strlen(info.id) >= GW_MODEL_MAX)
            continue;
        /* A model named e2ee- is never used in the clear (the library refuses too). */
        if (!info.e2ee && (!u.o->allow_tee || !info.tee || strncmp(info.id, "e2ee-", 5) == 0))
            continue;
        gw_model_json(out, ms, i, &info, *n == 0);
        snprintf(list[*n].id, sizeof(list[*n].id), "%s", info.id);
        list[(*n)++].e2ee = info.e2ee;
    }
    gw_buf_str(out, "]}");
}

p11tee_status gw_models_json(gw_upstream *up, gw_buf *out, p11tee_error *err)
{
    static gw_model_entry list[GW_MODELS_MAX]; /* under fetch_lock */
    static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;
    p11tee_models *ms = NULL;
    gw_buf fresh;
    size_t n = 0;
    p11tee_status rc;

    pthread_mutex_lock(&u.lock);
    if (u.models_json != NULL && gw_now_ns() - u.models_at < GW_MODELS_TTL_NS) {
        gw_buf_str(out, u.models_json);
        pthread_mutex_unlock(&u.lock);
        return P11TEE_OK;
    }
    pthread_mutex_unlock(&u.lock);
    rc = p11tee_models_fetch(gw_upstream_client(up), NULL, &ms, err);
    if (rc != P11TEE_OK)
        return rc;
    gw_buf_init(&fresh);
    pthread_mutex_lock(&fetch_lock);
    gw_models_build(ms, &fresh, list, &n);
    p11tee_models_free(ms);
    if (!fresh.failed) {
        pthread_mutex_lock(&u.lock);
        free(u.models_json);
        u.models_json = strdup(fresh.p);
        u.models_at = gw_now_ns();
        memcpy(u.models, list, n * sizeof(list[0]));
        u.n_models = n;
        pthread_mutex_unlock(&u.lock);
    }
    pthread_mutex_unlock(&fetch_lock);
    gw_buf_add(out, fresh.p, fresh.len);
    gw_buf_free(&fresh);
    return P11TEE_OK;
}

int gw_model_mode(const char *model)
{
    int mode = -1;
    size_t i;

    pthread_mutex_lock(&u.lock);
    for (i = 0; i < u.n_models && mode < 0; i++)
        if (strcmp(u.models[i].id, model) == 0)
            mode = u.models[i].e2ee;
    pthread_mutex_unlock(&u.lock);
    return mode;
}

/* ---- attestations ---------------------------------------------------------- */

static int gw_hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* SHA-256 of the attested model key (65 bytes, 04 first), as "sha256:<hex>". */
static void gw_key_fingerprint(const char *hex, char *out, size_t cap)
{
    unsigned char key[P11TEE_PUBKEY_BYTES];
    size_t len = hex != NULL ? strlen(hex) : 0, off, i;
    int bad = 0;
    char md[65];

    if (len != 2 * P11TEE_PUBKEY_BYTES && len != 2 * (P11TEE_PUBKEY_BYTES - 1)) {
        snprintf(out, cap, "none");
        return;
    }
    key[0] = 0x04;
    off = len == 2 * P11TEE_PUBKEY_BYTES ? 0 : 1;
    for (i = 0; i < len / 2; i++) {
        int hi = gw_hex(hex[2 * i]), lo = gw_hex(hex[2 * i + 1]);

        bad |= hi < 0 || lo < 0;
        key[off + i] = (unsigned char)((hi & 15) << 4 | (lo & 15));
    }
    if (bad)
        snprintf(out, cap, "none");
    else if (!gw_sha256_hex(key, sizeof(key), md))
        snprintf(out, cap, "unavailable");
    else
        snprintf(out, cap, "sha256:%s", md);
}

static gw_attest_entry *gw_attest_slot(const char *model)
{
    gw_attest_entry *oldest = &u.att[0];
    size_t i;

    for (i = 0; i < GW_ATTEST_ENTRIES; i++) {
        if (strcmp(u.att[i].model, model) == 0)
            return &u.att[i];
        if (u.att[i].at < oldest->at)
            oldest = &u.att[i];
    }
    return oldest;
}

void gw_attest_note(const char *model, const p11tee_attestation *a, char *header, size_t hcap,
                    char *id, size_t idcap)
{
    const char *nonce = p11tee_attestation_get(a, "nonce"), *age;
    char fp[80], fresh[GW_HEADER_MAX];
    gw_attest_entry *e;
    char *json, *old;
    gw_buf line;
    int pass;

    if (nonce == NULL)
        nonce = "";
    snprintf(id, idcap, "%s", nonce);
    pthread_mutex_lock(&u.lock);
    e = gw_attest_slot(model);
    if (strcmp(e->model, model) == 0 && strcmp(e->nonce, nonce) == 0) {
        snprintf(header, hcap, "%s", e->header);
        pthread_mutex_unlock(&u.lock);
        return;
    }
    pthread_mutex_unlock(&u.lock);
    /* A report the gateway has not seen: render it once, outside the lock. */
    pass = p11tee_attestation_verdict(a, NULL) == P11TEE_OK;
    gw_key_fingerprint(p11tee_attestation_get(a, "signing_key"), fp, sizeof(fp));
    snprintf(fresh, sizeof(fresh), "verdict=%s; id=%s; model-key=%s", pass ? "pass" : "fail", nonce,
             fp);
    snprintf(header, hcap, "%s", fresh);
    json = p11tee_attestation_json(a);
    pthread_mutex_lock(&u.lock);
    e = gw_attest_slot(model);
    old = e->json;
    snprintf(e->model, sizeof(e->model), "%s", model);
    snprintf(e->nonce, sizeof(e->nonce), "%s", nonce);
    snprintf(e->header, sizeof(e->header), "%s", fresh);
    e->json = json;
    e->at = gw_now_ns();
    pthread_mutex_unlock(&u.lock);
    free(old);
    gw_metrics_attestation(pass);
    gw_buf_init(&line);
    gw_buf_str(&line, ",\"model\":");
    gw_buf_json_text(&line, model, strlen(model));
    gw_buf_str(&line, ",\"verdict\":");
    gw_buf_str(&line, pass ? "\"pass\"" : "\"fail\"");
    gw_buf_str(&line, ",\"attestation\":");
    gw_buf_json_text(&line, nonce, strlen(nonce));
    gw_buf_printf(&line, ",\"model_key\":\"%s\"", fp);
    age = p11tee_attestation_get(a, "collateral_age_days");
    if (age != NULL)
        gw_buf_printf(&line, ",\"collateral_age_days\":%d", atoi(age));
    gw_log("info", "attestation", line.p);
    gw_buf_free(&line);
    gw_records_attestation(a);
}

int gw_attest_latest(const char *model, gw_buf *json, char *header, size_t hcap)
{
    gw_attest_entry *e;
    int rc = -1;

    pthread_mutex_lock(&u.lock);
    e = gw_attest_slot(model);
    if (strcmp(e->model, model) == 0 && e->json != NULL) {
        gw_buf_str(json, e->json);
        snprintf(header, hcap, "%s", e->header);
        rc = 0;
    }
    pthread_mutex_unlock(&u.lock);
    return rc;
}

/* ---- warm-up and readiness --------------------------------------------------- */

static p11tee_status gw_warm_one(gw_upstream *up, const char *model, int *ok, p11tee_error *err)
{
    char header[GW_HEADER_MAX], id[GW_ATTEST_ID_MAX];
    p11tee_attestation *a = NULL;
    p11tee_status rc = p11tee_chat_prepare(gw_upstream_client(up), model, &a, err);

    if (rc == P11TEE_OK) {
        gw_attest_note(model, a, header, sizeof(header), id, sizeof(id));
        *ok += gw_model_mode(model) != 0;
    } else {
        gw_logf("warning", "warm-up", "%s: %s", model, err->message);
        if (p11tee_status_class_of(rc) == P11TEE_CLASS_ATTEST)
            gw_metrics_attestation(0);
    }
    p11tee_attestation_free(a);
    return p11tee_status_class_of(rc) == P11TEE_CLASS_TOKEN ? rc : P11TEE_OK;
}

p11tee_status gw_warm(gw_upstream *up, p11tee_error *err)
{
    gw_model_entry list[GW_MODELS_MAX];
    size_t i, n = 0;
    gw_buf scratch;
    int ok = 0;
    p11tee_status rc = P11TEE_OK;

    gw_buf_init(&scratch);
    if (gw_models_json(up, &scratch, err) != P11TEE_OK)
        gw_logf("warning", "warm-up", "the model list: %s", err->message);
    gw_buf_free(&scratch);
    pthread_mutex_lock(&u.lock);
    for (i = 0; i < u.o->n_warm && n < GW_MODELS_MAX; i++)
        snprintf(list[n++].id, sizeof(list[0].id), "%s", u.o->warm[i]);
    for (i = 0; u.o->n_warm == 0 && i < u.n_models; i++)
        if (u.models[i].e2ee)
            list[n++] = u.models[i];
    pthread_mutex_unlock(&u.lock);
    for (i = 0; i < n && rc == P11TEE_OK; i++)
        rc = gw_warm_one(up, list[i].id, &ok, err);
    atomic_store(&u.ready, ok > 0);
    gw_logf(ok > 0 ? "info" : "warning", "warm-up", "%d of %zu models ready", ok, n);
    return rc;
}

int gw_ready(void)
{
    return atomic_load(&u.ready);
}
