/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1):
 * FMSPC, PCE-ID and the platform's SGX TCB (16 component SVNs and PCESVN).
 * A small, bounded DER reader: every length is checked against what is left,
 * and anything not in the expected shape is refused.
 */
#include "config.h"

#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "attest/tdx.h"

typedef struct der {
    const uint8_t *p;
    size_t len;
} der;

/* 1.2.840.113741.1.13.1 */
static const uint8_t sgx_ext_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* Take the next TLV (low tag numbers, definite lengths) off `in`. */
static int der_next(der *in, uint8_t *tag, der *val)
{
    size_t n, k, i, hdr = 2;

    if (in->len < 2 || (in->p[0] & 0x1f) == 0x1f)
        return 0;
    *tag = in->p[0];
    n = in->p[1];
    if (n & 0x80) {
        k = n & 0x7f;
        if (k == 0 || k > 4 || in->len < 2 + k)
            return 0;
        for (n = 0, i = 0; i < k; i++)
            n = (n << 8) | in->p[2 + i];
        hdr += k;
    }
    if (n > in->len - hdr)
        return 0;
    val->p = in->p + hdr;
    val->len = n;
    in->p += hdr + n;
    in->len -= hdr + n;
    return 1;
}

static int der_uint(const der *v, unsigned max, unsigned *out)
{
    size_t i;
    unsigned n = 0;

    if (v->len == 0 || v->len > 3 || (v->p[0] & 0x80))
        return 0;
    for (i = 0; i < v->len; i++)
        n = (n << 8) | v->p[i];
    *out = n;
    return n <= max;
}

/* An SGX extension item: SEQUENCE { OID sgx_ext_oid.<arc...>, value }. */
static int der_item(der *seq, der *oid, uint8_t *tag, der *val)
{
    der item;
    uint8_t t;

    if (!der_next(seq, &t, &item) || t != 0x30 || !der_next(&item, &t, oid) || t != 0x06 ||
        !der_next(&item, tag, val))
        return 0;
    return oid->len > sizeof(sgx_ext_oid) && memcmp(oid->p, sgx_ext_oid, sizeof(sgx_ext_oid)) == 0;
}

/* TCB: 16 SGX component SVNs (arcs 2.1..2.16) and PCESVN (2.17). */
static int parse_tcb(der seq, tdx_pck_tcb *out)
{
    unsigned have = 0, u;
    der oid, val;
    uint8_t tag;

    while (seq.len > 0) {
        if (!der_item(&seq, &oid, &tag, &val))
            return 0;
        if (oid.len != sizeof(sgx_ext_oid) + 2 || oid.p[9] != 0x02 || tag != 0x02)
            continue;
        if (oid.p[10] >= 1 && oid.p[10] <= 16 && der_uint(&val, 255, &u)) {
            out->comp[oid.p[10] - 1] = (uint8_t)u;
            have |= 1u << (oid.p[10] - 1);
        } else if (oid.p[10] == 17 && der_uint(&val, 65535, &u)) {
            out->pcesvn = u;
            have |= 1u << 16;
        }
    }
    return have == 0x1ffff;
}

static int parse_sgx_ext(der ext, tdx_pck_tcb *out)
{
    unsigned have = 0;
    der seq, oid, val;
    uint8_t tag;

    if (!der_next(&ext, &tag, &seq) || tag != 0x30)
        return 0;
    while (seq.len > 0) {
        if (!der_item(&seq, &oid, &tag, &val))
            return 0;
        if (oid.len != sizeof(sgx_ext_oid) + 1)
            continue;
        if (oid.p[9] == 0x04 && tag == 0x04 && val.len == 6) {
            memcpy(out->fmspc, val.p, 6);
            have |= 1;
        } else if (oid.p[9] == 0x03 && tag == 0x04 && val.len == 2) {
            memcpy(out->pceid, val.p, 2);
            have |= 2;
        } else if (oid.p[9] == 0x02 && tag == 0x30 && parse_tcb(val, out)) {
            have |= 4;
        }
    }
    return have == 7;
}

int tdx_pck_tcb_read(X509 *leaf, tdx_pck_tcb *out)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = obj != NULL && leaf != NULL ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
    ASN1_OCTET_STRING *data;
    der ext;

    ASN1_OBJECT_free(obj);
    if (idx < 0)
        return 0;
    data = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    if (data == NULL)
        return 0;
    ext.p = ASN1_STRING_get0_data(data);
    ext.len = (size_t)ASN1_STRING_length(data);
    return parse_sgx_ext(ext, out);
}
