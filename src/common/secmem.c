/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Memory for secrets (the API key, a PIN-bearing token URI): pages of their
 * own, locked in RAM where the system allows it, excluded from core dumps
 * (MADV_DONTDUMP), and cleansed and unmapped when freed. Each allocation
 * takes whole pages; the library holds a handful of secrets at a time.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/common.h"

/* In front of each secret: the mapping's length, and a mark that it is one of ours. */
typedef struct secmem_head {
    size_t map_len;
    uint64_t mark;
} secmem_head;

#define SECMEM_MARK 0x7031317465655345ull /* "p11teeSE" */

_Static_assert(sizeof(secmem_head) % 16 == 0, "secrets stay 16-byte aligned");

void *secmem_alloc(size_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t map_len;
    secmem_head *h;

    if (page <= 0 || len > SIZE_MAX - sizeof(secmem_head) - (size_t)page)
        return NULL;
    map_len = (sizeof(secmem_head) + len + (size_t)page - 1) / (size_t)page * (size_t)page;
    h = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED)
        return NULL;
    /* Kept out of core dumps; locked where RLIMIT_MEMLOCK allows (best effort). */
    (void)madvise(h, map_len, MADV_DONTDUMP);
    (void)mlock(h, map_len);
    h->map_len = map_len;
    h->mark = SECMEM_MARK;
    return h + 1; /* zero-filled, as anonymous mappings are */
}

void secmem_free(void *p)
{
    secmem_head *h;
    size_t map_len;

    if (p == NULL)
        return;
    h = (secmem_head *)p - 1;
    if (h->mark != SECMEM_MARK)
        return; /* not ours: never unmap what we did not map */
    map_len = h->map_len;
    OPENSSL_cleanse(h, map_len);
    (void)munlock(h, map_len);
    (void)munmap(h, map_len);
}

char *secmem_strndup(const char *s, size_t n)
{
    char *d;

    if (s == NULL)
        return NULL;
    n = strnlen(s, n);
    if ((d = secmem_alloc(n + 1)) != NULL)
        memcpy(d, s, n); /* the NUL is there already */
    return d;
}

char *secmem_strdup(const char *s)
{
    return s != NULL ? secmem_strndup(s, SIZE_MAX) : NULL;
}
