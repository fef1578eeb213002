/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What Intel's PCS (or a PCCS) answers, turned into the collateral document
 * the verifier reads (the dcap-qvl JSON shape): the issuer chains arrive
 * percent-encoded in headers, the CRLs as DER, PEM or hex, the TCB info and
 * QE identity inside {"tcbInfo": ..., "signature": ...} and
 * {"enclaveIdentity": ..., "signature": ...}, whose exact text is what Intel
 * signed. Pure functions over the caller's buffers; nothing is trusted here
 * (attest_collateral_verify() does that).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/attest.h"
#include "crypto/crypto.h"

static int pcs_hex(char c)
{
    return (c >= '0' && c <= '9')                   ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

/* A header's percent-encoded PEM chain, decoded; NULL when it is not one. */
static char *pcs_chain(const char *header, const char *name, p11tee_error *err)
{
    size_t n = header != NULL ? strlen(header) : 0, i, o = 0;
    char *out;

    if (header == NULL || n == 0) {
        err_set(err, P11TEE_E_COLLATERAL, "the server sent no %s header", name);
        return NULL;
    }
    if ((out = malloc(n + 1)) == NULL) {
        err_set(err, P11TEE_E_NOMEM, "out of memory");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (header[i] == '%' && i + 2 < n && pcs_hex(header[i + 1]) >= 0 &&
            pcs_hex(header[i + 2]) >= 0) {
            out[o++] = (char)(pcs_hex(header[i + 1]) << 4 | pcs_hex(header[i + 2]));
            i += 2;
        } else {
            out[o++] = header[i];
        }
    }
    out[o] = '\0';
    if (strstr(out, "-----BEGIN CERTIFICATE-----") == NULL) {
        err_set(err, P11TEE_E_COLLATERAL, "the %s header holds no PEM certificate", name);
        free(out);
        return NULL;
    }
    return out;
}

/* A CRL as DER, PEM or hex text, as lowercase hex of its DER; NULL when it is none of them. */
static char *pcs_crl_hex(const uint8_t *body, size_t len, const char *what, p11tee_error *err)
{
    BIO *bio = BIO_new_mem_buf(body, (int)len);
    X509_CRL *crl = NULL;
    unsigned char *der = NULL;
    uint8_t *raw = NULL;
    const unsigned char *p;
    size_t n = 0;
    char *hex = NULL;
    int dlen;

    if (len > 0 && len <= TDX_COLLATERAL_MAX && body[0] == 0x30) {
        p = body;
        crl = d2i_X509_CRL(NULL, &p, (long)len);
    } else if (len > 0 && len <= TDX_COLLATERAL_MAX && bio != NULL &&
               memmem(body, len, "-----BEGIN X509 CRL-----", 24) != NULL) {
        crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
    } else if (len > 0 && len <= TDX_COLLATERAL_MAX && (raw = malloc(len / 2 + 1)) != NULL &&
               hex_decode((const char *)body, len, raw, len / 2 + 1, &n, NULL) == P11TEE_OK) {
        p = raw;
        crl = d2i_X509_CRL(NULL, &p, (long)n);
    }
    BIO_free(bio);
    free(raw);
    ERR_clear_error();
    dlen = crl != NULL ? i2d_X509_CRL(crl, &der) : -1;
    X509_CRL_free(crl);
    if (dlen <= 0) {
        err_set(err, P11TEE_E_COLLATERAL, "the %s the server sent is not a CRL (DER, PEM or hex)",
                what);
        return NULL;
    }
    if ((hex = malloc(2 * (size_t)dlen + 1)) != NULL)
        hex_encode(der, (size_t)dlen, hex, 2 * (size_t)dlen + 1);
    else
        err_set(err, P11TEE_E_NOMEM, "out of memory");
    OPENSSL_free(der);
    return hex;
}

/* {"<member>": {...}, "signature": "<hex>"}: the member's exact text and the signature. */
static p11tee_status pcs_signed(json_object *doc, const uint8_t *body, size_t len,
                                const char *member, const char *key, p11tee_error *err)
{
    strview raw, sig;
    json_object *root = NULL;
    p11tee_status rc =
        sjson_raw_member((const char *)body, len, TDX_COLLATERAL_MAX, member, member, &raw, err);

    if (rc == P11TEE_OK)
        rc = sjson_parse((const char *)body, len, TDX_COLLATERAL_MAX, member, &root, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(root, "signature", 1, member, &sig, err);
    if (rc == P11TEE_OK && (raw.len == 0 || raw.p[0] != '{'))
        rc =
            err_set(err, P11TEE_E_COLLATERAL, "%s in the server's answer is not an object", member);
    if (rc == P11TEE_OK) {
        char name[40];

        json_object_object_add(doc, key, json_object_new_string_len(raw.p, (int)raw.len));
        snprintf(name, sizeof(name), "%s_signature", key);
        json_object_object_add(doc, name, json_object_new_string_len(sig.p, (int)sig.len));
    }
    json_object_put(root);
    if (rc != P11TEE_OK && rc != P11TEE_E_NOMEM)
        err->code = P11TEE_E_COLLATERAL;
    return rc == P11TEE_OK || rc == P11TEE_E_NOMEM ? rc : P11TEE_E_COLLATERAL;
}

/* Add `value` (owned) under `key`; NULL means a failure already reported. */
static p11tee_status pcs_add(json_object *doc, const char *key, char *value)
{
    if (value == NULL)
        return P11TEE_E_COLLATERAL;
    json_object_object_add(doc, key, json_object_new_string(value));
    free(value);
    return P11TEE_OK;
}

p11tee_status attest_collateral_from_pcs(const attest_pcs_answers *a, char **json, size_t *len,
                                         p11tee_error *err)
{
    json_object *doc = json_object_new_object();
    const char *text;
    p11tee_status rc;

    *json = NULL;
    if (doc == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    rc = pcs_add(doc, "pck_crl_issuer_chain",
                 pcs_chain(a->pck_crl_chain, "SGX-PCK-CRL-Issuer-Chain", err));
    if (rc == P11TEE_OK)
        rc = pcs_add(doc, "root_ca_crl",
                     pcs_crl_hex(a->root_crl, a->root_crl_len, "root CA CRL", err));
    if (rc == P11TEE_OK)
        rc = pcs_add(doc, "pck_crl", pcs_crl_hex(a->pck_crl, a->pck_crl_len, "PCK CRL", err));
    if (rc == P11TEE_OK)
        rc = pcs_add(doc, "tcb_info_issuer_chain",
                     pcs_chain(a->tcb_chain, "TCB-Info-Issuer-Chain", err));
    if (rc == P11TEE_OK)
        rc = pcs_signed(doc, a->tcb, a->tcb_len, "tcbInfo", "tcb_info", err);
    if (rc == P11TEE_OK)
        rc = pcs_add(doc, "qe_identity_issuer_chain",
                     pcs_chain(a->qe_chain, "SGX-Enclave-Identity-Issuer-Chain", err));
    if (rc == P11TEE_OK)
        rc = pcs_signed(doc, a->qe, a->qe_len, "enclaveIdentity", "qe_identity", err);
    if (rc == P11TEE_OK) {
        text = sjson_text(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, NULL);
        if (text == NULL || (*json = strdup(text)) == NULL)
            rc = err_set(err, P11TEE_E_NOMEM, "out of memory");
        else
            *len = strlen(*json);
    }
    json_object_put(doc);
    return rc;
}
