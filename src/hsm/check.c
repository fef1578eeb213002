/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What `p11tee token check` asks of the token through the provider: how
 * the provider describes the open token, the attributes a key has in the
 * token, and how many ECDH operations the session pool sustains.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/params.h>

#include "hsm/hsm_int.h"

#define RATE_THREADS_MAX 8 /* the provider's session pool */

const char HSM_KEY_ATTRIBUTES_PROMISED[] = PROV_KEY_ATTRIBUTES_PROMISED;

_Static_assert(HSM_PIN_FROM_MAX >= PROV_INFO_PIN_FROM_MAX, "room for the provider's PIN origin");

p11tee_status hsm_token_describe(hsm_ctx *ctx, hsm_token_info *out, p11tee_error *err)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(PROV_INFO_MODULE, out->module, sizeof(out->module)),
        OSSL_PARAM_utf8_string(PROV_INFO_LIBRARY, out->library, sizeof(out->library)),
        OSSL_PARAM_utf8_string(PROV_INFO_SLOT, out->slot, sizeof(out->slot)),
        OSSL_PARAM_utf8_string(PROV_INFO_LABEL, out->label, sizeof(out->label)),
        OSSL_PARAM_utf8_string(PROV_INFO_SERIAL, out->serial, sizeof(out->serial)),
        OSSL_PARAM_utf8_string(PROV_INFO_MODEL, out->model, sizeof(out->model)),
        OSSL_PARAM_utf8_string(PROV_INFO_MANUFACTURER, out->manufacturer,
                               sizeof(out->manufacturer)),
        OSSL_PARAM_utf8_string(PROV_INFO_FLAGS, out->flags, sizeof(out->flags)),
        OSSL_PARAM_utf8_string(PROV_INFO_PIN_FROM, out->pin_from, sizeof(out->pin_from)),
        OSSL_PARAM_END,
    };

    memset(out, 0, sizeof(*out));
    if (ctx == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no token context given");
    if (OSSL_PROVIDER_get_params(ctx->prov, params) != 1)
        return hsm_fail(err, P11TEE_E_TOKEN, "the provider could not describe the token");
    return P11TEE_OK;
}

p11tee_status hsm_key_attributes(const hsm_key *key, char *out, size_t outcap, p11tee_error *err)
{
    if (key == NULL || out == NULL || outcap == 0)
        return err_set(err, P11TEE_E_INVALID_ARG, "no key or output buffer given");
    out[0] = '\0';
    if (EVP_PKEY_get_utf8_string_param(key->pkey, PROV_KEY_ATTRIBUTES, out, outcap, NULL) != 1)
        return hsm_fail(err, P11TEE_E_TOKEN, "the token did not report the key's attributes");
    return P11TEE_OK;
}

/* ---- the ECDH rate ---------------------------------------------------------- */

typedef struct rate_run {
    uint8_t peer[HSM_PUBKEY_BYTES];
    struct timespec start;
    double ms;
    atomic_ulong derives;
    atomic_int stop;
    pthread_mutex_t lock; /* first_err */
    p11tee_error first_err;
} rate_run;

typedef struct rate_worker {
    rate_run *run;
    hsm_key *key;
    pthread_t tid;
} rate_worker;

static double ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void *rate_loop(void *arg)
{
    rate_worker *w = arg;
    rate_run *r = w->run;
    uint8_t secret[HSM_SECRET_MAX];
    size_t n = 0;
    p11tee_error err;

    while (!atomic_load(&r->stop)) {
        if (hsm_derive(w->key, r->peer, sizeof(r->peer), secret, sizeof(secret), &n, &err) !=
            P11TEE_OK) {
            pthread_mutex_lock(&r->lock);
            if (r->first_err.code == P11TEE_OK)
                r->first_err = err;
            pthread_mutex_unlock(&r->lock);
            atomic_store(&r->stop, 1);
            break;
        }
        atomic_fetch_add(&r->derives, 1);
        if (ms_since(&r->start) >= r->ms)
            atomic_store(&r->stop, 1);
    }
    OPENSSL_cleanse(secret, sizeof(secret));
    return NULL;
}

/* A software secp256k1 public point to derive with (OpenSSL's default provider). */
static p11tee_status rate_peer(uint8_t peer[HSM_PUBKEY_BYTES], p11tee_error *err)
{
    EVP_PKEY *pk = EVP_EC_gen("secp256k1");
    size_t n = 0;
    int ok = pk != NULL &&
             EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, peer,
                                             HSM_PUBKEY_BYTES, &n) == 1 &&
             n == HSM_PUBKEY_BYTES;

    EVP_PKEY_free(pk);
    return ok ? P11TEE_OK : err_openssl(err, P11TEE_E_CRYPTO, "no software secp256k1 key");
}

/* Start the workers (keys made before the clock starts); how many started. */
static unsigned rate_start(hsm_ctx *ctx, rate_run *r, rate_worker *w, unsigned threads,
                           p11tee_error *err)
{
    unsigned i, started = 0;

    for (i = 0; i < threads; i++) {
        w[i].run = r;
        if (hsm_key_generate(ctx, "secp256k1", &w[i].key, err) != P11TEE_OK)
            return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    for (i = 0; i < threads; i++, started++)
        if (pthread_create(&w[i].tid, NULL, rate_loop, &w[i]) != 0)
            break;
    if (started < threads) {
        atomic_store(&r->stop, 1);
        err_set(err, P11TEE_E_INTERNAL, "cannot start %u threads", threads);
    }
    return started;
}

p11tee_status hsm_derive_rate(hsm_ctx *ctx, unsigned threads, unsigned ms, unsigned long *derives,
                              double *elapsed_ms, p11tee_error *err)
{
    rate_worker w[RATE_THREADS_MAX];
    rate_run r;
    unsigned i, started;
    p11tee_status rc;

    *derives = 0;
    *elapsed_ms = 0;
    if (ctx == NULL || threads == 0 || threads > RATE_THREADS_MAX || ms == 0)
        return err_set(err, P11TEE_E_INVALID_ARG, "1 to %d threads and a positive time, please",
                       RATE_THREADS_MAX);
    memset(&r, 0, sizeof(r));
    memset(w, 0, sizeof(w));
    r.ms = ms;
    pthread_mutex_init(&r.lock, NULL);
    rc = rate_peer(r.peer, err);
    started = rc == P11TEE_OK ? rate_start(ctx, &r, w, threads, err) : 0;
    for (i = 0; i < started; i++)
        pthread_join(w[i].tid, NULL);
    *elapsed_ms = started > 0 ? ms_since(&r.start) : 0;
    for (i = 0; i < threads; i++)
        hsm_key_free(w[i].key);
    pthread_mutex_destroy(&r.lock);
    if (rc == P11TEE_OK && started < threads)
        rc = err != NULL ? err->code : P11TEE_E_INTERNAL;
    if (rc == P11TEE_OK && r.first_err.code != P11TEE_OK) {
        if (err != NULL)
            *err = r.first_err;
        rc = r.first_err.code;
    }
    *derives = atomic_load(&r.derives);
    return rc;
}
