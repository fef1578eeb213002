/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Copies of PINs (and of token URIs, which may carry pin-value) in pages of
 * their own: locked where RLIMIT_MEMLOCK allows, excluded from core dumps,
 * cleansed and unmapped when freed. (libp11tee's src/common/secmem.c does
 * the same for the API key; the provider, a module of its own, may use
 * nothing of libp11tee.)
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "prov.h"

/* The mapping starts with its own length; the string follows. */
#define SECRET_HEAD 16

char *prov_secret_strdup(const char *s)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len, map;
    unsigned char *m;

    if (s == NULL || page == 0 || page == (size_t)-1)
        return NULL;
    len = strlen(s);
    map = (SECRET_HEAD + len + 1 + page - 1) / page * page;
    m = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    (void)madvise(m, map, MADV_DONTDUMP);
    (void)mlock(m, map);
    memcpy(m, &map, sizeof(map));
    memcpy(m + SECRET_HEAD, s, len + 1);
    return (char *)m + SECRET_HEAD;
}

void prov_secret_free(char *s)
{
    unsigned char *m;
    size_t map;

    if (s == NULL)
        return;
    m = (unsigned char *)s - SECRET_HEAD;
    memcpy(&map, m, sizeof(map));
    OPENSSL_cleanse(m, map);
    (void)munlock(m, map);
    (void)munmap(m, map);
}
