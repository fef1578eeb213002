/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX quotes: bounded parsing of quote v4/v5 and their transport forms.
 * Pure functions over the caller's bytes; nothing here trusts a length
 * before checking it against what is left.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"

#define TDX_TEE_TYPE           0x81
#define TDX_ATT_KEY_ECDSA_P256 2
#define TDX_CERT_QE_REPORT     6
#define TDX_CERT_PCK_CHAIN     5
/* Where the TD report body keeps what its two layouts end with. */
#define TDX_BODY_RTMR_AT        328
#define TDX_BODY_REPORTDATA_AT  520
#define TDX_BODY_MRSERVICETD_AT 600

_Static_assert(TDX_BODY_RTMR_AT + 4 * TDX_MR_BYTES == TDX_BODY_REPORTDATA_AT,
               "REPORTDATA follows RTMR0..3");
_Static_assert(TDX_BODY_REPORTDATA_AT + TDX_REPORTDATA_BYTES == TDX_BODY10_BYTES,
               "REPORTDATA ends the TDX 1.0 body");
_Static_assert(TDX_BODY_MRSERVICETD_AT + TDX_MR_BYTES == TDX_BODY15_BYTES,
               "MRSERVICETD ends the TDX 1.5 body");

/* A read cursor over [p, p + len). */
typedef struct rd {
    const uint8_t *p;
    size_t len;
    size_t off;
} rd;

static size_t rd_left(const rd *r)
{
    return r->len - r->off;
}

static const uint8_t *rd_take(rd *r, size_t n)
{
    const uint8_t *at;

    if (n > rd_left(r))
        return NULL;
    at = r->p + r->off;
    r->off += n;
    return at;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static p11tee_status short_quote(p11tee_error *err, const char *part, size_t need, size_t have)
{
    return err_set(err, P11TEE_E_QUOTE_FORMAT,
                   "TDX quote is truncated in the %s (%zu bytes needed, %zu left): "
                   "obtain the complete quote",
                   part, need, have);
}

static p11tee_status parse_header(rd *r, tdx_quote *q, p11tee_error *err)
{
    const uint8_t *h = rd_take(r, TDX_HEADER_BYTES);

    if (h == NULL)
        return short_quote(err, "header", TDX_HEADER_BYTES, rd_left(r));
    q->version = le16(h);
    q->att_key_type = le16(h + 2);
    q->tee_type = le32(h + 4);
    memcpy(q->qe_vendor_id, h + 12, sizeof(q->qe_vendor_id));
    memcpy(q->user_data, h + 28, sizeof(q->user_data));
    if (q->version != 4 && q->version != 5)
        return err_set(err, P11TEE_E_QUOTE_UNSUPPORTED,
                       "TDX quote version %u is not supported (only 4 and 5)", q->version);
    if (q->att_key_type != TDX_ATT_KEY_ECDSA_P256)
        return err_set(err, P11TEE_E_QUOTE_UNSUPPORTED,
                       "TDX quote attestation key type %u is not supported (only 2, ECDSA P-256)",
                       q->att_key_type);
    if (q->tee_type != TDX_TEE_TYPE)
        return err_set(err, P11TEE_E_QUOTE_UNSUPPORTED, "quote TEE type 0x%x is not TDX (0x81)",
                       (unsigned)q->tee_type);
    return P11TEE_OK;
}

/* v5 carries (body type, body size) after the header; v4 is always TDX 1.0. */
static p11tee_status parse_descriptor(rd *r, tdx_quote *q, p11tee_error *err)
{
    const uint8_t *d;

    if (q->version == 4) {
        q->body_type = 2;
        q->body_size = TDX_BODY10_BYTES;
        return P11TEE_OK;
    }
    d = rd_take(r, TDX_DESCRIPTOR_BYTES);
    if (d == NULL)
        return short_quote(err, "body descriptor", TDX_DESCRIPTOR_BYTES, rd_left(r));
    q->body_type = le16(d);
    q->body_size = le32(d + 2);
    if (q->body_type != 2 && q->body_type != 3)
        return err_set(err, P11TEE_E_QUOTE_UNSUPPORTED,
                       "TDX quote body type %u is not supported (2: TDX 1.0, 3: TDX 1.5)",
                       q->body_type);
    if (q->body_size != (q->body_type == 2 ? TDX_BODY10_BYTES : TDX_BODY15_BYTES))
        return err_set(err, P11TEE_E_QUOTE_FORMAT,
                       "TDX quote body size %u does not match body type %u (expected %u)",
                       (unsigned)q->body_size, q->body_type,
                       q->body_type == 2 ? TDX_BODY10_BYTES : TDX_BODY15_BYTES);
    return P11TEE_OK;
}

static p11tee_status parse_body(rd *r, tdx_quote *q, p11tee_error *err)
{
    const uint8_t *b = rd_take(r, q->body_size);
    int i;

    if (b == NULL)
        return short_quote(err, "TD report body", q->body_size, rd_left(r));
    memcpy(q->tee_tcb_svn, b, 16);
    memcpy(q->mr_seam, b + 16, TDX_MR_BYTES);
    memcpy(q->mr_signer_seam, b + 64, TDX_MR_BYTES);
    memcpy(q->seam_attributes, b + 112, 8);
    memcpy(q->td_attributes, b + 120, 8);
    memcpy(q->xfam, b + 128, 8);
    memcpy(q->mr_td, b + 136, TDX_MR_BYTES);
    memcpy(q->mr_config_id, b + 184, TDX_MR_BYTES);
    memcpy(q->mr_owner, b + 232, TDX_MR_BYTES);
    memcpy(q->mr_owner_config, b + 280, TDX_MR_BYTES);
    for (i = 0; i < 4; i++)
        memcpy(q->rtmr[i], b + TDX_BODY_RTMR_AT + TDX_MR_BYTES * i, TDX_MR_BYTES);
    memcpy(q->report_data, b + TDX_BODY_REPORTDATA_AT, TDX_REPORTDATA_BYTES);
    if (q->body_type == 3) {
        memcpy(q->tee_tcb_svn2, b + TDX_BODY10_BYTES, 16);
        memcpy(q->mr_service_td, b + TDX_BODY_MRSERVICETD_AT, TDX_MR_BYTES);
    }
    q->signed_region.ptr = r->p;
    q->signed_region.len = r->off;
    return P11TEE_OK;
}

/* Certification data type 5: the PEM chain, exactly `size` bytes. */
static p11tee_status parse_pck_chain(rd *r, tdx_quote *q, p11tee_error *err)
{
    const uint8_t *h = rd_take(r, 6);
    uint32_t size;

    if (h == NULL)
        return short_quote(err, "PCK certification data header", 6, rd_left(r));
    if (le16(h) != TDX_CERT_PCK_CHAIN)
        return err_set(err, P11TEE_E_QUOTE_UNSUPPORTED,
                       "QE certification data type %u is not supported (only 5, PEM PCK chain)",
                       le16(h));
    size = le32(h + 2);
    if (size == 0 || size > rd_left(r))
        return err_set(err, P11TEE_E_QUOTE_FORMAT,
                       "TDX quote PCK chain size %u does not fit the %zu bytes left",
                       (unsigned)size, rd_left(r));
    q->pck_chain.ptr = rd_take(r, size);
    q->pck_chain.len = size;
    return P11TEE_OK;
}

/* Certification data type 6: QE report, its signature, auth data, then type 5. */
static p11tee_status parse_qe_data(rd *r, tdx_quote *q, p11tee_error *err)
{
    const uint8_t *n;
    uint16_t auth_len;
    p11tee_status rc;

    q->qe_report = rd_take(r, TDX_QE_REPORT_BYTES);
    if (q->qe_report == NULL)
        return short_quote(err, "QE report", TDX_QE_REPORT_BYTES, rd_left(r));
    q->qe_report_sig = rd_take(r, TDX_ECDSA_SIG_BYTES);
    if (q->qe_report_sig == NULL)
        return short_quote(err, "QE report signature", TDX_ECDSA_SIG_BYTES, rd_left(r));
    n = rd_take(r, 2);
    if (n == NULL)
        return short_quote(err, "QE auth data length", 2, rd_left(r));
    auth_len = le16(n);
    q->qe_auth_data.ptr = rd_take(r, auth_len);
    if (q->qe_auth_data.ptr == NULL)
        return err_set(err, P11TEE_E_QUOTE_FORMAT,
                       "TDX quote QE auth data length %u exceeds the %zu bytes left", auth_len,
                       rd_left(r));
    q->qe_auth_data.len = auth_len;
    rc = parse_pck_chain(r, q, err);
    if (rc != P11TEE_OK)
        return rc;
    if (rd_left(r) != 0)
        return err_set(err, P11TEE_E_QUOTE_FORMAT,
                       "TDX quote QE certification data has %zu bytes beyond its PCK chain",
                       rd_left(r));
    return P11TEE_OK;
}

static p11tee_status parse_signature_data(rd *r, tdx_quote *q, p11tee_error *err)
{
    const uint8_t *n, *h;
    uint32_t sig_len, cert_size;
    rd s, c;

    n = rd_take(r, 4);
    if (n == NULL)
        return short_quote(err, "signature data length", 4, rd_left(r));
    sig_len = le32(n);
    if (sig_len > rd_left(r))
        return err_set(err, P11TEE_E_QUOTE_FORMAT,
                       "TDX quote signature data length %u exceeds the %zu bytes left",
                       (unsigned)sig_len, rd_left(r));
    if (sig_len < TDX_ECDSA_SIG_BYTES + TDX_ECDSA_KEY_BYTES + 6)
        return short_quote(err, "signature data", TDX_ECDSA_SIG_BYTES + TDX_ECDSA_KEY_BYTES + 6,
                           sig_len);
    s.p = rd_take(r, sig_len);
    s.len = sig_len;
    s.off = 0;
    q->used = r->off;
    q->signature = rd_take(&s, TDX_ECDSA_SIG_BYTES);
    q->attest_key = rd_take(&s, TDX_ECDSA_KEY_BYTES);
    h = rd_take(&s, 6);
    if (le16(h) != TDX_CERT_QE_REPORT)
        return err_set(err, P11TEE_E_QUOTE_UNSUPPORTED,
                       "TDX quote certification data type %u is not supported "
                       "(only 6, QE report certification data)",
                       le16(h));
    cert_size = le32(h + 2);
    if (cert_size != rd_left(&s))
        return err_set(err, P11TEE_E_QUOTE_FORMAT,
                       "TDX quote certification data size %u does not match the %zu bytes "
                       "of signature data left",
                       (unsigned)cert_size, rd_left(&s));
    c.p = rd_take(&s, cert_size);
    c.len = cert_size;
    c.off = 0;
    return parse_qe_data(&c, q, err);
}

p11tee_status tdx_quote_parse(const uint8_t *in, size_t len, tdx_quote *q, p11tee_error *err)
{
    rd r = {in, len, 0};
    p11tee_status rc;

    memset(q, 0, sizeof(*q));
    if (in == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no TDX quote given");
    rc = parse_header(&r, q, err);
    if (rc == P11TEE_OK)
        rc = parse_descriptor(&r, q, err);
    if (rc == P11TEE_OK)
        rc = parse_body(&r, q, err);
    if (rc == P11TEE_OK)
        rc = parse_signature_data(&r, q, err);
    if (rc != P11TEE_OK) {
        /* A half-parsed quote must not be mistaken for a parsed one. */
        memset(q, 0, sizeof(*q));
        return rc;
    }
    return P11TEE_OK;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

p11tee_status tdx_quote_decode(const char *text, size_t len, uint8_t **out, size_t *outlen,
                               p11tee_error *err)
{
    char why[P11TEE_ERROR_MESSAGE_MAX];
    p11tee_status rc;

    *out = NULL;
    *outlen = 0;
    while (len > 0 && is_space((unsigned char)text[0])) {
        text++;
        len--;
    }
    while (len > 0 && is_space((unsigned char)text[len - 1]))
        len--;
    if (len == 0)
        return err_set(err, P11TEE_E_QUOTE_FORMAT, "TDX quote text is empty");
    rc = bytes_decode_any(text, len, TDX_QUOTE_MAX, out, outlen, err);
    if (rc != P11TEE_OK && err != NULL) {
        snprintf(why, sizeof(why), "%s", err->message);
        err_set(err, rc, "TDX quote is not valid hex or base64: %s", why);
    }
    return rc;
}

p11tee_status tdx_quote_load(const uint8_t *data, size_t len, uint8_t **out, size_t *outlen,
                             p11tee_error *err)
{
    size_t i;

    *out = NULL;
    *outlen = 0;
    if (len == 0)
        return err_set(err, P11TEE_E_QUOTE_FORMAT, "TDX quote file is empty");
    for (i = 0; i < len; i++)
        if (!is_space(data[i]) && (data[i] < 0x20 || data[i] > 0x7e))
            break;
    if (i == len)
        return tdx_quote_decode((const char *)data, len, out, outlen, err);
    /* A binary quote: its header alone holds NUL bytes. */
    if (len > TDX_QUOTE_MAX)
        return err_set(err, P11TEE_E_TOO_LARGE, "TDX quote file has %zu bytes (limit %d)", len,
                       TDX_QUOTE_MAX);
    *out = malloc(len);
    if (*out == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory reading a %zu-byte quote", len);
    memcpy(*out, data, len);
    *outlen = len;
    return P11TEE_OK;
}

static const char *const tcb_names[] = {
    [TDX_TCB_UNKNOWN] = "Unknown",
    [TDX_TCB_UP_TO_DATE] = "UpToDate",
    [TDX_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [TDX_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [TDX_TCB_OUT_OF_DATE] = "OutOfDate",
    [TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [TDX_TCB_REVOKED] = "Revoked",
};

const char *tdx_tcb_status_name(tdx_tcb_status s)
{
    if ((size_t)s >= P11TEE_ARRAY_LEN(tcb_names))
        return "Unknown";
    return tcb_names[s];
}

p11tee_status tdx_tcb_status_from_name(const char *name, tdx_tcb_status *out, p11tee_error *err)
{
    size_t i;

    for (i = TDX_TCB_UP_TO_DATE; i < P11TEE_ARRAY_LEN(tcb_names); i++)
        if (name != NULL && strcmp(name, tcb_names[i]) == 0) {
            *out = (tdx_tcb_status)i;
            return P11TEE_OK;
        }
    *out = TDX_TCB_UNKNOWN;
    return err_set(err, P11TEE_E_INVALID_ARG,
                   "unknown TCB status \"%.64s\" (use Intel's names, e.g. UpToDate, "
                   "SWHardeningNeeded, OutOfDate)",
                   name != NULL ? name : "");
}
