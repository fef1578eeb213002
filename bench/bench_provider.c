/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * bench_provider MODE THREADS(1-4) SECONDS: one measurement, one line of output
 * "MODE THREADS ops ops/s us/op cpu-us/op rss-bytes/op". us/op is the wall time one
 * thread spends per operation; cpu-us/op the process's CPU time (user +
 * system) per operation, which other load on the machine barely moves;
 * rss-bytes/op the resident memory the process gained per operation from a
 * quarter into the run to its end (what the token module keeps of each
 * operation: SoftHSMv2 keeps every session object it ever made until
 * C_Finalize). The token comes from
 * $BENCH_MODULE and $BENCH_TOKEN (a pkcs11: URI with token= and pin-value=, as the runner makes
 * it). Every mode checks its first result against the default provider, so that a failing operation
 * is never timed as a fast one.
 *
 * Modes (derive: one ECDH; keygen: one key pair made and destroyed):
 *   raw-derive   C_DeriveKey + C_GetAttributeValue + C_DestroyObject
 *   evp-derive   EVP_PKEY_derive through the provider (context set up once)
 *   hsm-derive   hsm_derive: peer import, context, derive (the client's path)
 *   sw-derive    EVP_PKEY_derive with the default provider
 *   raw-keygen   C_GenerateKeyPair + reading CKA_EC_POINT + 2 x C_DestroyObject
 *   evp-keygen   EVP_PKEY_generate through the provider + EVP_PKEY_free
 *   hsm-keygen   hsm_key_generate + hsm_key_free
 *   sw-keygen    EVP_PKEY_generate with the default provider + EVP_PKEY_free
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "hsm/hsm.h"
#include "provider/prov_api.h"
#include "tests/provider/provtest.h"

/* Last: its compatibility macros rename identifiers such as `value`. */
#include <p11-kit/pkcs11.h>

#define CURVE "secp256k1"

static const char *module, *token_uri;
static OSSL_LIB_CTX *libctx; /* provider modes */
static hsm_ctx *hctx;        /* hsm modes */
static hsm_key *hkey;
static EVP_PKEY *tkey;     /* token key (evp) or software key (sw) */
static EVP_PKEY *peer_tok; /* peer in the provider's keymgmt */
static EVP_PKEY *peer_sw;  /* software peer key pair */
static uint8_t peer_pt[65], expect[32];
static size_t peer_len;
static double seconds;
static _Atomic int stop;

/* raw PKCS#11 state */
static CK_FUNCTION_LIST_PTR fl;
static CK_SLOT_ID slot;
static CK_OBJECT_HANDLE raw_priv;
static uint8_t raw_pub[65];

_Noreturn static void die(const char *what)
{
    fprintf(stderr, "bench_provider: %s\n", what);
    exit(1);
}

static double cpu_now(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The process's resident memory in bytes (0 when /proc cannot tell). */
static long rss_now(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- raw PKCS#11 ------------------------------------------------------- */

static void raw_open(void)
{
    CK_C_INITIALIZE_ARGS args = {0};
    CK_C_GetFunctionList getfl;
    CK_SLOT_ID ids[16];
    CK_ULONG n = 16, i;
    CK_TOKEN_INFO info;
    const char *label = getenv("BENCH_LABEL");
    char padded[32];
    void *dl = dlopen(module, RTLD_NOW);

    if (dl == NULL || (getfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList")) == NULL ||
        getfl(&fl) != CKR_OK)
        die("cannot load the PKCS#11 module");
    args.flags = CKF_OS_LOCKING_OK;
    if (fl->C_Initialize(&args) != CKR_OK || fl->C_GetSlotList(CK_TRUE, ids, &n) != CKR_OK)
        die("C_Initialize/C_GetSlotList failed");
    memset(padded, ' ', sizeof(padded));
    memcpy(padded, label, strnlen(label, sizeof(padded)));
    for (i = 0; i < n; i++)
        if (fl->C_GetTokenInfo(ids[i], &info) == CKR_OK &&
            memcmp(info.label, padded, sizeof(padded)) == 0)
            break;
    if (i == n)
        die("token not found");
    slot = ids[i];
}

static CK_SESSION_HANDLE raw_session(void)
{
    CK_SESSION_HANDLE s;
    CK_RV rv;
    const char *pin = getenv("BENCH_PIN");

    if (fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
        die("C_OpenSession failed");
    rv = fl->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
        die("C_Login failed");
    return s;
}

/* The same templates as the provider's (token.c). */
static int raw_keygen(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
    static const unsigned char oid[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE pt[] = {
        {CKA_TOKEN, &no, 1}, {CKA_PRIVATE, &no, 1}, {CKA_EC_PARAMS, (void *)oid, sizeof(oid)}};
    CK_ATTRIBUTE kt[] = {{CKA_TOKEN, &no, 1},      {CKA_PRIVATE, &yes, 1},
                         {CKA_SENSITIVE, &yes, 1}, {CKA_EXTRACTABLE, &no, 1},
                         {CKA_DERIVE, &yes, 1},    {CKA_SIGN, &no, 1}};

    return fl->C_GenerateKeyPair(s, &mech, pt, 3, kt, 6, pub, priv) == CKR_OK;
}

static int raw_derive(CK_SESSION_HANDLE s, uint8_t out[32])
{
    CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, peer_len, peer_pt};
    CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                        {CKA_KEY_TYPE, &kt, sizeof(kt)},
                        {CKA_TOKEN, &no, 1},
                        {CKA_PRIVATE, &yes, 1},
                        {CKA_SENSITIVE, &no, 1},
                        {CKA_EXTRACTABLE, &yes, 1},
                        {CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_ATTRIBUTE v = {CKA_VALUE, out, 32};
    CK_OBJECT_HANDLE h;
    CK_RV rv = fl->C_DeriveKey(s, &mech, raw_priv, t, 7, &h);

    if (rv != CKR_OK)
        return 0;
    rv = fl->C_GetAttributeValue(s, h, &v, 1);
    fl->C_DestroyObject(s, h);
    return rv == CKR_OK;
}

static void raw_setup(void)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE pub;
    unsigned char der[67];
    CK_ATTRIBUTE a = {CKA_EC_POINT, der, sizeof(der)};

    raw_open();
    s = raw_session(); /* stays open: the key lives with it */
    if (!raw_keygen(s, &pub, &raw_priv) || fl->C_GetAttributeValue(s, pub, &a, 1) != CKR_OK ||
        a.ulValueLen != 67)
        die("raw key generation failed");
    memcpy(raw_pub, der + 2, 65);
}

/* ---- EVP helpers (the provider tests' own, tests/provider/provtest.c) ---- */

static EVP_PKEY_CTX *derive_ctx(OSSL_LIB_CTX *lc, const char *propq, EVP_PKEY *k, EVP_PKEY *peer)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(lc, k, propq);

    if (c == NULL || EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer_ex(c, peer, 0) != 1)
        die("derive context setup failed");
    return c;
}

/* ---- one operation per mode ------------------------------------------------ */

typedef struct thread_state {
    CK_SESSION_HANDLE s; /* raw modes */
    EVP_PKEY_CTX *dc;    /* evp/sw derive */
    _Atomic long ops;
    pthread_t tid;
} thread_state;

typedef int (*op_fn)(thread_state *ts, uint8_t out[32]);

static long ops_now(const thread_state *ts, int threads)
{
    long total = 0;

    for (int i = 0; i < threads; i++)
        total += atomic_load_explicit(&ts[i].ops, memory_order_relaxed);
    return total;
}

static int op_raw_derive(thread_state *ts, uint8_t out[32])
{
    return raw_derive(ts->s, out);
}

static int op_ctx_derive(thread_state *ts, uint8_t out[32])
{
    size_t n = 32;

    return EVP_PKEY_derive(ts->dc, out, &n) == 1 && n == 32;
}

static int op_hsm_derive(thread_state *ts, uint8_t out[32])
{
    size_t n = 0;
    p11tee_error err;

    (void)ts;
    return hsm_derive(hkey, peer_pt, peer_len, out, 32, &n, &err) == P11TEE_OK && n == 32;
}

/* A usable key needs its public point: read it, as the provider does. */
static int op_raw_keygen(thread_state *ts, uint8_t out[32])
{
    CK_OBJECT_HANDLE pub, priv;
    unsigned char der[67];
    CK_ATTRIBUTE a = {CKA_EC_POINT, der, sizeof(der)};
    int ok;

    (void)out;
    if (!raw_keygen(ts->s, &pub, &priv))
        return 0;
    ok = fl->C_GetAttributeValue(ts->s, pub, &a, 1) == CKR_OK && a.ulValueLen == 67;
    fl->C_DestroyObject(ts->s, priv);
    fl->C_DestroyObject(ts->s, pub);
    return ok;
}

static int op_evp_keygen(thread_state *ts, uint8_t out[32])
{
    EVP_PKEY *k = pt_token_key(libctx, CURVE);

    (void)ts;
    (void)out;
    EVP_PKEY_free(k);
    return k != NULL;
}

static int op_sw_keygen(thread_state *ts, uint8_t out[32])
{
    EVP_PKEY *k = pt_sw_key(CURVE);

    (void)ts;
    (void)out;
    EVP_PKEY_free(k);
    return k != NULL;
}

static int op_hsm_keygen(thread_state *ts, uint8_t out[32])
{
    hsm_key *k;
    p11tee_error err;

    (void)ts;
    (void)out;
    if (hsm_key_generate(hctx, CURVE, &k, &err) != P11TEE_OK)
        return 0;
    hsm_key_free(k);
    return 1;
}

static op_fn op;
static int op_is_derive;

static void *run_thread(void *arg)
{
    thread_state *ts = arg;
    uint8_t out[32];

    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (!op(ts, out))
            die("operation failed during the run");
        atomic_fetch_add_explicit(&ts->ops, 1, memory_order_relaxed);
    }
    return NULL;
}

/* ---- setup per mode ------------------------------------------------------- */

static void setup_provider(void)
{
    prov_builtin_config pcfg = {.module = module, .token = token_uri};
    OSSL_PROVIDER *prov;

    libctx = OSSL_LIB_CTX_new();
    if (libctx == NULL || !prov_builtin_config_set(libctx, &pcfg) ||
        !OSSL_PROVIDER_add_builtin(libctx, PROV_NAME, prov_builtin_init) ||
        (prov = OSSL_PROVIDER_load(libctx, PROV_NAME)) == NULL ||
        OSSL_PROVIDER_self_test(prov) != 1)
        die("cannot load the provider");
    prov_builtin_config_clear(libctx);
}

static void setup_hsm(void)
{
    hsm_config cfg = {.module = module, .token = token_uri};
    p11tee_error err;

    if (hsm_ctx_new(&cfg, &hctx, &err) != P11TEE_OK ||
        hsm_key_generate(hctx, CURVE, &hkey, &err) != P11TEE_OK)
        die(err.message);
}

/* Pick the operation; prepare keys; return 1 when the mode opens raw sessions. */
static int setup_mode(const char *mode, uint8_t tpub[65])
{
    size_t n = 65;

    op_is_derive = strstr(mode, "-derive") != NULL;
    if (strncmp(mode, "raw-", 4) == 0) {
        raw_setup();
        memcpy(tpub, raw_pub, 65);
        op = op_is_derive ? op_raw_derive : op_raw_keygen;
        return 1;
    }
    if (strncmp(mode, "hsm-", 4) == 0) {
        setup_hsm();
        if (hsm_key_public(hkey, tpub, 65, &n, NULL) != P11TEE_OK)
            die("hsm_key_public failed");
        op = op_is_derive ? op_hsm_derive : op_hsm_keygen;
        return 0;
    }
    if (strncmp(mode, "evp-", 4) == 0) {
        setup_provider();
        tkey = pt_token_key(libctx, CURVE);
        peer_tok = pt_token_peer(libctx, CURVE, peer_pt, peer_len);
        op = op_is_derive ? op_ctx_derive : op_evp_keygen;
    } else if (strncmp(mode, "sw-", 3) == 0) {
        tkey = pt_sw_key(CURVE);
        peer_tok = pt_sw_peer(CURVE, peer_pt, peer_len);
        op = op_is_derive ? op_ctx_derive : op_sw_keygen;
    } else {
        die("unknown mode");
    }
    if (tkey == NULL || peer_tok == NULL || pt_pub(tkey, tpub, 65) != 65)
        die("key setup failed");
    return 0;
}

static void thread_init(const char *mode, int raw, thread_state *ts)
{
    memset(ts, 0, sizeof(*ts));
    atomic_init(&ts->ops, 0);
    if (raw)
        ts->s = raw_session();
    else if (op_is_derive && strncmp(mode, "hsm-", 4) != 0)
        ts->dc = derive_ctx(strncmp(mode, "evp-", 4) == 0 ? libctx : NULL,
                            strncmp(mode, "evp-", 4) == 0 ? PROV_PROPQ : "provider=default", tkey,
                            peer_tok);
}

int main(int argc, char **argv)
{
    thread_state ts[4];
    uint8_t tpub[65], out[32];
    int threads, raw, i;
    double t0, t1, c0, c1;
    long total = 0, ops0 = -1, rss0 = 0;

    if (argc != 4 || (threads = atoi(argv[2])) < 1 || threads > 4 || (seconds = atof(argv[3])) <= 0)
        die("usage: bench_provider MODE THREADS(1-4) SECONDS");
    module = getenv("BENCH_MODULE");
    token_uri = getenv("BENCH_TOKEN");
    if (module == NULL || token_uri == NULL || getenv("BENCH_LABEL") == NULL ||
        getenv("BENCH_PIN") == NULL)
        die("BENCH_MODULE, BENCH_TOKEN, BENCH_LABEL and BENCH_PIN must be set");
    peer_sw = pt_sw_key(CURVE);
    if (peer_sw == NULL || (peer_len = pt_pub(peer_sw, peer_pt, sizeof(peer_pt))) != 65)
        die("peer key generation failed");
    raw = setup_mode(argv[1], tpub);
    for (i = 0; i < threads; i++)
        thread_init(argv[1], raw, &ts[i]);
    /* Check first: a failing operation must never be timed. */
    if (!op(&ts[0], out))
        die("the first operation failed");
    if (op_is_derive) {
        if (pt_sw_derive(peer_sw, CURVE, tpub, 65, expect, sizeof(expect)) != 32 ||
            memcmp(out, expect, 32) != 0)
            die("the secret differs from the default provider's");
    }
    c0 = cpu_now();
    t0 = now();
    for (i = 0; i < threads; i++)
        if (pthread_create(&ts[i].tid, NULL, run_thread, &ts[i]) != 0)
            die("pthread_create failed");
    while (now() - t0 < seconds) {
        struct timespec d = {0, 20 * 1000 * 1000};

        nanosleep(&d, NULL);
        if (ops0 < 0 && now() - t0 >= seconds / 4) {
            ops0 = ops_now(ts, threads);
            rss0 = rss_now();
        }
    }
    atomic_store(&stop, 1);
    for (i = 0; i < threads; i++) {
        pthread_join(ts[i].tid, NULL);
        total += ts[i].ops;
    }
    t1 = now();
    c1 = cpu_now();
    printf("%s %d %ld %.0f %.1f %.1f %.0f\n", argv[1], threads, total, (double)total / (t1 - t0),
           1e6 * (t1 - t0) * threads / (double)total, 1e6 * (c1 - c0) / (double)total,
           ops0 >= 0 && total > ops0 ? (double)(rss_now() - rss0) / (double)(total - ops0) : 0.0);
    return 0;
}
