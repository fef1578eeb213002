/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Bounded growable byte buffer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/common.h"

void bytebuf_init(bytebuf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static p11tee_status bytebuf_reserve(bytebuf *b, size_t extra)
{
    size_t need, cap;
    unsigned char *p;

    if (extra > b->max || b->len > b->max - extra)
        return P11TEE_E_TOO_LARGE;
    need = b->len + extra + 1; /* room for the terminating NUL */
    if (need <= b->cap)
        return P11TEE_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    /* Grow by copy so the old block can be cleansed: it may hold plaintext. */
    p = malloc(cap);
    if (p == NULL)
        return P11TEE_E_NOMEM;
    if (b->data != NULL) {
        memcpy(p, b->data, b->len);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return P11TEE_OK;
}

p11tee_status bytebuf_append(bytebuf *b, const void *data, size_t len)
{
    p11tee_status rc = bytebuf_reserve(b, len);

    if (rc != P11TEE_OK)
        return rc;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return P11TEE_OK;
}

p11tee_status bytebuf_append_str(bytebuf *b, const char *s)
{
    return bytebuf_append(b, s, strlen(s));
}

void bytebuf_reset(bytebuf *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->len);
        b->data[0] = '\0';
    }
    b->len = 0;
}

void bytebuf_free(bytebuf *b)
{
    if (b == NULL)
        return;
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
}
