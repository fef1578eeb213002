/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The malloc family of a torture program. Defined in the executable, these
 * replace the C library's for every library of the process (glibc supports
 * replacing malloc; OpenSSL, json-c, libcurl and the PKCS#11 module all
 * allocate through them), count each allocation and fail the armed one.
 * They hand the real work to glibc (__libc_malloc...) or, in a sanitizer
 * build, to AddressSanitizer's allocator (__interceptor_malloc...), so that
 * ASan and LeakSanitizer still see every block.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torture.h"

#if defined(__SANITIZE_ADDRESS__)
#define TORTURE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TORTURE_ASAN 1
#endif
#endif

#ifdef TORTURE_ASAN
#define REAL(f) __interceptor_##f
#else
#define REAL(f) __libc_##f
#endif

/*
 * The sanitizer runtime allocates while it starts, before its shadow
 * memory exists: the functions it reaches through malloc must not be
 * instrumented.
 */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define TORTURE_RAW __attribute__((no_sanitize("address", "undefined")))
#else
#define TORTURE_RAW
#endif

void *REAL(malloc)(size_t n);
void *REAL(calloc)(size_t n, size_t size);
void *REAL(realloc)(void *p, size_t n);
void REAL(free)(void *p);
void *REAL(memalign)(size_t align, size_t n);

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void *reallocarray(void *p, size_t n, size_t size);
void free(void *p);
void *memalign(size_t align, size_t n);
void *aligned_alloc(size_t align, size_t n);
int posix_memalign(void **out, size_t align, size_t n);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);

/*
 * Allocations that are not failed: those a third-party library cannot
 * survive. A C++ PKCS#11 module's operator new throws std::bad_alloc
 * through C frames (std::terminate). OpenSSL 3.0 fills a library
 * context's table of algorithm names from its legacy list through a
 * callback that cannot fail (OBJ_NAME_do_all): a failed allocation there
 * leaves the table short and leaks what the callback had built. Its
 * OSSL_LIB_CTX_new() returns NULL when an allocation inside fails, but
 * leaves blocks of the half-built context behind (6 when its ex_data stack
 * could not be made: a clean error, a leak no caller can free). Its
 * fetches (EVP_MD_fetch, EVP_KEYMGMT_fetch...) build a method again
 * whenever their cache dropped it (a full cache drops entries at random)
 * and, failing halfway, leave names in the library context's name map for
 * good: blocks that live as long as the context, counted as a leak of the
 * run that happened to rebuild. Activating a provider
 * (OSSL_PROVIDER_try_load) flushes and rebuilds such caches as well, and a
 * failure there loses the half-built ones (4 blocks); the provider's own
 * initialisation, which is ours, runs under that frame too and is still
 * failed: only allocations OpenSSL makes itself are spared there. An
 * allocation with a frame in these libraries (functions) is spared and the
 * next one failed instead, so nothing of ours is skipped.
 */
static const struct {
    /* a frame in `file` (a substring), in `function` if not NULL ("*x": any ending in x) */
    const char *file, *function;
    int own; /* only when no other library's code lies between it and the allocation */
} torture_spared[] = {
    {"libsofthsm2.so", NULL, 0},
    {"libstdc++.so", NULL, 0},
    {"libcrypto.so", "OBJ_NAME_do_all", 0},
    {"libcrypto.so", "OSSL_LIB_CTX_new", 0},
    {"libcrypto.so", "*_fetch", 0},
    {"libcrypto.so", "OSSL_PROVIDER_try_load", 1},
};

/* `name` is what `pattern` (a name, or "*" and an ending) matches. */
TORTURE_RAW static int torture_name_is(const char *name, const char *pattern)
{
    size_t n = strlen(name), p = strlen(pattern);

    if (pattern[0] != '*')
        return strcmp(name, pattern) == 0;
    return n + 1 >= p && strcmp(name + n + 1 - p, pattern + 1) == 0;
}

/*
 * Calls whose allocations are neither counted nor failed (replaced here:
 * the callers' references resolve to the program first). json-c 0.16
 * (Debian 12) crashes in json_tokener_parse_ex when the copy of an object
 * key fails (it passes NULL on to strlen; json-c issues #853/#854/#857,
 * handled from 0.17 on). OpenSSL 3.0 allocates while it frees a library
 * context (the ex_data callbacks' list, in CRYPTO_free_ex_data) and, when
 * that fails, leaves the context's providers and stores behind, which no
 * caller of a void free function can prevent. X509_STORE_set_default_paths
 * ignores every failure while it reads the system's roots (a root left
 * out: TLS fails closed) and, failing there, OpenSSL's process-wide caches
 * change by a block, which the leak count would report.
 */
static _Thread_local int spare_depth;

void *json_tokener_parse_ex(void *tok, const char *str, int len);
int X509_STORE_set_default_paths(void *store);
void OSSL_LIB_CTX_free(void *libctx);

typedef void *(*json_parse_fn)(void *, const char *, int);
typedef int (*store_paths_fn)(void *);
typedef void (*libctx_free_fn)(void *);

/* The next definition of `name`: the library's. */
static void *torture_next(const char *name)
{
    void *f;

    spare_depth++;
    f = dlsym(RTLD_NEXT, name);
    spare_depth--;
    if (f == NULL) {
        fprintf(stderr, "torture: no %s in the process\n", name);
        abort();
    }
    return f;
}

void *json_tokener_parse_ex(void *tok, const char *str, int len)
{
    static json_parse_fn real_fn;
    void *out;

    if (real_fn == NULL)
        *(void **)&real_fn = torture_next("json_tokener_parse_ex");
    spare_depth++;
    out = real_fn(tok, str, len);
    spare_depth--;
    return out;
}

int X509_STORE_set_default_paths(void *store)
{
    static store_paths_fn real_fn;
    int ok;

    if (real_fn == NULL)
        *(void **)&real_fn = torture_next("X509_STORE_set_default_paths");
    spare_depth++;
    ok = real_fn(store);
    spare_depth--;
    return ok;
}

void OSSL_LIB_CTX_free(void *libctx)
{
    static libctx_free_fn real_fn;

    if (real_fn == NULL)
        *(void **)&real_fn = torture_next("OSSL_LIB_CTX_free");
    spare_depth++;
    real_fn(libctx);
    spare_depth--;
}

static atomic_uint_fast64_t seen;    /* allocations since counting started */
static atomic_uint_fast64_t fail_at; /* 0: none armed */
static atomic_int counting, failed;
static atomic_int_fast64_t live;
static char where[2048];
static _Thread_local int inside; /* backtrace() may allocate: never fail those */
static atomic_uint_fast64_t spared;

/* 1 when a frame of `frames` is one torture_spared[] names. */
TORTURE_RAW static int torture_is_spared(void *const *frames, int k)
{
    Dl_info info, self;
    size_t j;
    int i, other = 0; /* a frame of code other than the entry's library and this program */

    if (dladdr((void *)torture_is_spared, &self) == 0)
        self.dli_fbase = NULL;
    for (i = 1; i < k; i++) {
        if (dladdr(frames[i], &info) == 0 || info.dli_fname == NULL)
            continue;
        for (j = 0; j < sizeof(torture_spared) / sizeof(torture_spared[0]); j++)
            if (strstr(info.dli_fname, torture_spared[j].file) != NULL &&
                (torture_spared[j].function == NULL ||
                 (info.dli_sname != NULL &&
                  torture_name_is(info.dli_sname, torture_spared[j].function))) &&
                (!torture_spared[j].own || !other))
                return 1;
        if (info.dli_fbase != self.dli_fbase && strstr(info.dli_fname, "libcrypto.so") == NULL)
            other = 1;
    }
    return 0;
}

/* torture_focus(): the address range of the library whose allocations alone count. */
static uintptr_t focus_lo, focus_hi;

/* 1 when a frame of the current stack is in the focus library (or no focus is set). */
TORTURE_RAW static int torture_in_focus(void)
{
    void *frames[64];
    int k, i;

    if (focus_hi == 0)
        return 1;
    k = backtrace(frames, 64);
    for (i = 1; i < k; i++)
        if ((uintptr_t)frames[i] >= focus_lo && (uintptr_t)frames[i] < focus_hi)
            return 1;
    return 0;
}

/* 1 when this allocation is the one to fail. */
TORTURE_RAW static int torture_hit(void)
{
    void *frames[48];
    uint64_t n, at;
    char **names;
    int k, i, spare, focused;
    size_t o = 0;

    if (!atomic_load(&counting) || inside || spare_depth > 0)
        return 0;
    inside = 1;
    focused = torture_in_focus();
    inside = 0;
    if (!focused)
        return 0;
    n = atomic_fetch_add(&seen, 1) + 1;
    at = atomic_load(&fail_at);
    if (at == 0 || n != at)
        return 0;
    inside = 1;
    k = backtrace(frames, 48);
    spare = torture_is_spared(frames, k);
    if (spare) {
        atomic_store(&fail_at, at + 1); /* the next allocation instead */
        atomic_fetch_add(&spared, 1);
    } else {
        atomic_store(&failed, 1);
        names = backtrace_symbols(frames, k);
        for (i = 1; names != NULL && i < k && i < 24 && o + 2 < sizeof(where); i++)
            o += (size_t)snprintf(where + o, sizeof(where) - o, "    %s\n", names[i]);
        free(names);
    }
    inside = 0;
    return !spare;
}

TORTURE_RAW static void *torture_note(void *p)
{
    if (p != NULL)
        atomic_fetch_add(&live, 1);
    return p;
}

/* A failed allocation sets errno, as the C library's does. */
TORTURE_RAW static void *torture_enomem(void)
{
    errno = ENOMEM;
    return NULL;
}

TORTURE_RAW void *malloc(size_t n)
{
    return torture_hit() ? torture_enomem() : torture_note(REAL(malloc)(n));
}

TORTURE_RAW void *calloc(size_t n, size_t size)
{
    return torture_hit() ? torture_enomem() : torture_note(REAL(calloc)(n, size));
}

TORTURE_RAW void *realloc(void *p, size_t n)
{
    void *q;

    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (torture_hit())
        return torture_enomem();
    q = REAL(realloc)(p, n);
    return q;
}

TORTURE_RAW void *reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return realloc(p, n * size);
}

TORTURE_RAW void free(void *p)
{
    if (p != NULL)
        atomic_fetch_sub(&live, 1);
    REAL(free)(p);
}

TORTURE_RAW void *memalign(size_t align, size_t n)
{
    return torture_hit() ? torture_enomem() : torture_note(REAL(memalign)(align, n));
}

TORTURE_RAW void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

TORTURE_RAW int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = memalign(align, n);

    if (p == NULL)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

TORTURE_RAW char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);

    if (d != NULL) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

TORTURE_RAW char *strdup(const char *s)
{
    return strndup(s, SIZE_MAX);
}

/* backtrace() loads libgcc_s on first use, which allocates for good: before any count. */
__attribute__((constructor)) static void torture_warm_backtrace(void)
{
    void *frames[4];
    Dl_info info;
    int k;

    inside = 1;
    k = backtrace(frames, 4);
    if (k > 0)
        (void)dladdr(frames[0], &info);
    free(backtrace_symbols(frames, k));
    inside = 0;
}

static int focus_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
    const char *file = arg;
    int i;

    (void)size;
    if (info->dlpi_name == NULL || strstr(info->dlpi_name, file) == NULL)
        return 0;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (focus_hi == 0 || lo < focus_lo)
            focus_lo = lo;
        if (hi > focus_hi)
            focus_hi = hi;
    }
    return 1;
}

int torture_focus(const char *file)
{
    focus_lo = focus_hi = 0;
    inside = 1;
    dl_iterate_phdr(focus_segment, (void *)file);
    inside = 0;
    return focus_hi != 0;
}

void torture_count_start(void)
{
    atomic_store(&fail_at, 0);
    atomic_store(&seen, 0);
    atomic_store(&failed, 0);
    atomic_store(&counting, 1);
}

void torture_arm(uint64_t n)
{
    where[0] = '\0';
    atomic_store(&counting, 0);
    atomic_store(&seen, 0);
    atomic_store(&failed, 0);
    atomic_store(&fail_at, n);
    atomic_store(&counting, 1);
}

uint64_t torture_stop(void)
{
    atomic_store(&counting, 0);
    atomic_store(&fail_at, 0);
    return atomic_load(&seen);
}

int torture_failed(void)
{
    return atomic_load(&failed);
}

int64_t torture_live(void)
{
    return atomic_load(&live);
}

const char *torture_where(void)
{
    return where;
}

uint64_t torture_spared_count(void)
{
    return atomic_load(&spared);
}

uint64_t torture_failed_at(void)
{
    return atomic_load(&failed) ? atomic_load(&fail_at) : 0;
}
