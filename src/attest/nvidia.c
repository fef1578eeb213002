/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Offline verification of NVIDIA GPU evidence (PROTOCOL.md sections 2 and
 * 7): each GPU report is an SPDM 1.1 GET_MEASUREMENTS request and its signed
 * MEASUREMENTS response, parsed by structure; its P-384 signature is checked
 * with the leaf of the device chain it came with, that chain against the
 * NVIDIA Device Identity CA built into this file, the request nonce against
 * ours, and the leaf's FWID against the report's. Revocation (OCSP) and
 * golden measurements (RIM) need NVIDIA's services and are reported as not
 * checked, never as passed.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "attest/nvidia.h"
#include "crypto/crypto.h"

/*
 * NVIDIA Device Identity CA (NVIDIA/nvtrust local_gpu_verifier,
 * verifier/certs/verifier_device_root.pem). Trusted only after its DER hashes
 * to nv_root_fp.
 */
const char nv_root_pem[] = "-----BEGIN CERTIFICATE-----\n"
                           "MIICCzCCAZCgAwIBAgIQLTZwscoQBBHB/sDoKgZbVDAKBggqhkjOPQQDAzA1MSIw\n"
                           "IAYDVQQDDBlOVklESUEgRGV2aWNlIElkZW50aXR5IENBMQ8wDQYDVQQKDAZOVklE\n"
                           "SUEwIBcNMjExMTA1MDAwMDAwWhgPOTk5OTEyMzEyMzU5NTlaMDUxIjAgBgNVBAMM\n"
                           "GU5WSURJQSBEZXZpY2UgSWRlbnRpdHkgQ0ExDzANBgNVBAoMBk5WSURJQTB2MBAG\n"
                           "ByqGSM49AgEGBSuBBAAiA2IABA5MFKM7+KViZljbQSlgfky/RRnEQScW9NDZF8SX\n"
                           "gAW96r6u/Ve8ZggtcYpPi2BS4VFu6KfEIrhN6FcHG7WP05W+oM+hxj7nyA1r1jkB\n"
                           "2Ry70YfThX3Ba1zOryOP+MJ9vaNjMGEwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B\n"
                           "Af8EBAMCAQYwHQYDVR0OBBYEFFeF/4PyY8xlfWi3Olv0jUrL+0lfMB8GA1UdIwQY\n"
                           "MBaAFFeF/4PyY8xlfWi3Olv0jUrL+0lfMAoGCCqGSM49BAMDA2kAMGYCMQCPeFM3\n"
                           "TASsKQVaT+8S0sO9u97PVGCpE9d/I42IT7k3UUOLSR/qvJynVOD1vQKVXf0CMQC+\n"
                           "EY55WYoDBvs2wPAH1Gw4LbcwUN8QCff8bFmV4ZxjCRr4WXTLFHBKjbfneGSBWwA=\n"
                           "-----END CERTIFICATE-----\n";

/* SHA-256 of the DER: 102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48 */
const uint8_t nv_root_fp[SHA256_DIGEST_LENGTH] = {
    0x10, 0x2b, 0xf6, 0x59, 0xd5, 0x41, 0x96, 0x14, 0xc9, 0xd8, 0xe6, 0xae, 0xce, 0xbc, 0x80, 0x45,
    0x4e, 0xb2, 0x6b, 0x1d, 0xf6, 0xa7, 0x69, 0xac, 0x72, 0x0b, 0x9a, 0x69, 0x0b, 0x16, 0x7b, 0x48,
};

/* DER content of the OID sha384 (2.16.840.1.101.3.4.2.2). */
static const uint8_t oid_sha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};

/* ---- SPDM report parsing ---------------------------------------------------------------- */

static size_t le16(const uint8_t *p)
{
    return (size_t)p[0] | (size_t)p[1] << 8;
}

static size_t le24(const uint8_t *p)
{
    return le16(p) | (size_t)p[2] << 16;
}

static p11tee_status bad_format(p11tee_error *err, const char *fmt, ...) P11TEE_PRINTF(2, 3);

static p11tee_status bad_format(p11tee_error *err, const char *fmt, ...)
{
    char text[P11TEE_ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return err_set(err, P11TEE_E_NVIDIA_FORMAT, "GPU evidence: %s", text);
}

static p11tee_status parse_request(const uint8_t *ev, size_t len, nv_report *r, p11tee_error *err)
{
    /* SPDM 1.1, GET_MEASUREMENTS, signature requested, all measurements */
    static const uint8_t head[NV_REQUEST_NONCE_AT] = {0x11, 0xe0, 0x01, 0xff};

    if (len < NV_REQUEST_BYTES)
        return bad_format(err, "%zu bytes cannot hold the %d-byte GET_MEASUREMENTS request", len,
                          NV_REQUEST_BYTES);
    if (memcmp(ev, head, sizeof(head)) != 0)
        return bad_format(err,
                          "request starts %02x %02x %02x %02x, not 11 e0 01 ff (SPDM 1.1 signed "
                          "GET_MEASUREMENTS of all blocks)",
                          ev[0], ev[1], ev[2], ev[3]);
    r->request_nonce = ev + NV_REQUEST_NONCE_AT;
    r->slot = ev[NV_REQUEST_SLOT_AT];
    if (r->slot > 7)
        return bad_format(err, "request slot %u is not 0..7", r->slot);
    return P11TEE_OK;
}

/* Each block: index, spec (1 = DMTF), u16 size, then DMTF type, u16 value size, value. */
static p11tee_status parse_record(const uint8_t *rec, size_t len, unsigned blocks,
                                  p11tee_error *err)
{
    uint8_t seen[32] = {0};
    size_t off = 0;
    unsigned i;

    if (blocks == 0)
        return bad_format(err, "MEASUREMENTS response carries no measurement block");
    for (i = 0; i < blocks; i++) {
        unsigned index;
        size_t size;

        if (len - off < 4)
            return bad_format(err, "measurement block %u of %u is cut short at record offset %zu",
                              i + 1, blocks, off);
        index = rec[off];
        size = le16(rec + off + 2);
        if (rec[off + 1] != 0x01)
            return bad_format(err, "measurement block %u is not in DMTF form (spec %02x)", index,
                              rec[off + 1]);
        if (size > len - off - 4)
            return bad_format(err, "measurement block %u claims %zu bytes, %zu remain", index, size,
                              len - off - 4);
        if (size < 3 || le16(rec + off + 5) != size - 3)
            return bad_format(err, "measurement block %u: DMTF value does not fill its %zu bytes",
                              index, size);
        if (index == 0 || index == 0xff || (seen[index / 8] >> (index % 8) & 1))
            return bad_format(err, "measurement block index %u is reserved or repeated", index);
        seen[index / 8] |= (uint8_t)(1u << (index % 8));
        off += 4 + size;
    }
    if (off != len)
        return bad_format(err, "measurement record has %zu bytes after its %u blocks", len - off,
                          blocks);
    return P11TEE_OK;
}

/* Fields of u16 type, u16 size and value, exactly filling the opaque data. */
static p11tee_status parse_opaque(const uint8_t *op, size_t len, nv_report *r, p11tee_error *err)
{
    size_t off = 0;

    while (off < len) {
        size_t type, size;

        if (len - off < 4)
            return bad_format(err, "opaque data ends inside a field header (offset %zu)", off);
        type = le16(op + off);
        size = le16(op + off + 2);
        if (size > len - off - 4)
            return bad_format(err, "opaque field %zu claims %zu bytes, %zu remain", type, size,
                              len - off - 4);
        if (type == NV_OPAQUE_FWID) {
            if (r->fwid != NULL)
                return bad_format(err, "opaque data carries two FWID fields");
            r->fwid = op + off + 4;
            r->fwid_len = size;
        }
        off += 4 + size;
    }
    return P11TEE_OK;
}

/* From the record length on; `resp` is the response, header checked. */
static p11tee_status parse_response_body(const uint8_t *resp, size_t len, nv_report *r,
                                         p11tee_error *err)
{
    size_t rec_len = le24(resp + 5), off;
    p11tee_status rc;

    if (rec_len > len - 8)
        return bad_format(err, "measurement record length %zu exceeds the %zu bytes that follow",
                          rec_len, len - 8);
    r->record = resp + 8;
    r->record_len = rec_len;
    rc = parse_record(r->record, rec_len, r->blocks, err);
    if (rc != P11TEE_OK)
        return rc;
    off = 8 + rec_len;
    if (len - off < NV_NONCE_BYTES + 2)
        return bad_format(err, "responder nonce and opaque length are cut short");
    r->responder_nonce = resp + off;
    off += NV_NONCE_BYTES;
    r->opaque_len = le16(resp + off);
    off += 2;
    if (r->opaque_len > len - off)
        return bad_format(err, "opaque data length %zu exceeds the %zu bytes that follow",
                          r->opaque_len, len - off);
    r->opaque = resp + off;
    rc = parse_opaque(r->opaque, r->opaque_len, r, err);
    if (rc != P11TEE_OK)
        return rc;
    off += r->opaque_len;
    if (len - off < NV_SIG_BYTES)
        return bad_format(err, "signature is cut short: %zu of %d bytes", len - off, NV_SIG_BYTES);
    r->signature = resp + off;
    r->signed_len = NV_REQUEST_BYTES + off;
    r->trailing = len - off - NV_SIG_BYTES;
    return P11TEE_OK;
}

p11tee_status nv_report_parse(const uint8_t *ev, size_t len, nv_report *r, p11tee_error *err)
{
    const uint8_t *resp;
    size_t rlen;
    p11tee_status rc;

    memset(r, 0, sizeof(*r));
    if (len > NV_EVIDENCE_MAX)
        return bad_format(err, "%zu bytes exceed the %d allowed", len, NV_EVIDENCE_MAX);
    rc = parse_request(ev, len, r, err);
    if (rc != P11TEE_OK)
        return rc;
    resp = ev + NV_REQUEST_BYTES;
    rlen = len - NV_REQUEST_BYTES;
    if (rlen < 8)
        return bad_format(err, "MEASUREMENTS header is cut short (%zu of 8 bytes)", rlen);
    if (resp[0] != 0x11 || resp[1] != 0x60)
        return bad_format(err, "response starts %02x %02x, not 11 60 (SPDM 1.1 MEASUREMENTS)",
                          resp[0], resp[1]);
    if ((resp[3] & 0x0f) != r->slot)
        return bad_format(err, "response is for slot %u, the request asked slot %u", resp[3] & 0x0f,
                          r->slot);
    r->response = resp;
    r->blocks = resp[4];
    return parse_response_body(resp, rlen, r, err);
}

/* ---- signature, FWID, chain --------------------------------------------------------------- */

static int is_p384(EVP_PKEY *key)
{
    char group[32];

    return EVP_PKEY_is_a(key, "EC") &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                          NULL) == 1 &&
           strcmp(group, "secp384r1") == 0;
}

p11tee_status nv_report_verify(const uint8_t *ev, const nv_report *r, EVP_PKEY *key,
                               p11tee_error *err)
{
    if (key == NULL || !is_p384(key))
        return err_set(err, P11TEE_E_NVIDIA_SIGNATURE,
                       "the leaf certificate's key is not an ECDSA P-384 key");
    if (!attest_ecdsa_verify_raw(key, "SHA384", ev, r->signed_len, r->signature, NV_SIG_BYTES))
        return err_set(err, P11TEE_E_NVIDIA_SIGNATURE,
                       "P-384 signature over %zu bytes of request and response does not verify "
                       "with the leaf certificate",
                       r->signed_len);
    return P11TEE_OK;
}

/* A bounded view of DER, walked with OpenSSL's tag/length reader. */
typedef struct der {
    const uint8_t *p, *end;
} der;

/* The next element (tag, class, contents); 0 at the end or on malformed DER. */
static int der_next(der *d, int *tag, int *cls, der *content)
{
    const unsigned char *q = d->p;
    long len;
    int ret;

    if (d->p >= d->end)
        return 0;
    ret = ASN1_get_object(&q, &len, tag, cls, d->end - d->p);
    err_openssl_clear();
    if ((ret & 0x80) || ret == 0x21 || len < 0 || len > d->end - q)
        return 0;
    content->p = q;
    content->end = q + len;
    d->p = q + len;
    return 1;
}

static int der_is(int tag, int cls, int want_tag)
{
    return cls == V_ASN1_UNIVERSAL && tag == want_tag;
}

/* FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }, SHA-384 only. */
static int fwid_sha384(der fwid, uint8_t out[NV_FWID_BYTES])
{
    der oid, digest;
    int tag, cls;

    if (!der_next(&fwid, &tag, &cls, &oid) || !der_is(tag, cls, V_ASN1_OBJECT) ||
        (size_t)(oid.end - oid.p) != sizeof(oid_sha384) ||
        memcmp(oid.p, oid_sha384, sizeof(oid_sha384)) != 0)
        return 0;
    if (!der_next(&fwid, &tag, &cls, &digest) || !der_is(tag, cls, V_ASN1_OCTET_STRING) ||
        digest.end - digest.p != NV_FWID_BYTES || fwid.p != fwid.end)
        return 0;
    memcpy(out, digest.p, NV_FWID_BYTES);
    return 1;
}

/* DiceTcbInfo: the first SHA-384 FWID of fwids [6] IMPLICIT SEQUENCE OF FWID. */
static int dice_tcb_info_fwid(der seq, uint8_t out[NV_FWID_BYTES])
{
    der el, fwid;
    int tag, cls;

    while (der_next(&seq, &tag, &cls, &el))
        if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 6) {
            while (der_next(&el, &tag, &cls, &fwid))
                if (der_is(tag, cls, V_ASN1_SEQUENCE) && fwid_sha384(fwid, out))
                    return 1;
            return 0;
        }
    return 0;
}

p11tee_status nv_fwid_from_ext(const uint8_t *data, size_t len, uint8_t out[NV_FWID_BYTES],
                               p11tee_error *err)
{
    der all = {data, data + len}, seq, first, rest, spki, fwid;
    int tag, cls, ok = 0;

    if (der_next(&all, &tag, &cls, &seq) && der_is(tag, cls, V_ASN1_SEQUENCE) && all.p == all.end) {
        rest = seq;
        if (der_next(&rest, &tag, &cls, &first) && der_is(tag, cls, V_ASN1_INTEGER))
            /* NVIDIA: SEQUENCE { version, deviceID SubjectPublicKeyInfo, fwid FWID } */
            ok = der_next(&rest, &tag, &cls, &spki) && der_is(tag, cls, V_ASN1_SEQUENCE) &&
                 der_next(&rest, &tag, &cls, &fwid) && der_is(tag, cls, V_ASN1_SEQUENCE) &&
                 rest.p == rest.end && fwid_sha384(fwid, out);
        else
            ok = dice_tcb_info_fwid(seq, out);
    }
    if (!ok)
        return err_set(err, P11TEE_E_NVIDIA_FWID,
                       "the leaf certificate's FWID extension (2.23.133.5.4.1) holds no SHA-384 "
                       "FWID in a known form");
    return P11TEE_OK;
}

p11tee_status nv_cert_fwid(X509 *cert, uint8_t out[NV_FWID_BYTES], p11tee_error *err)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("2.23.133.5.4.1", 1);
    int at = oid != NULL ? X509_get_ext_by_OBJ(cert, oid, -1) : -1;
    ASN1_OCTET_STRING *v;

    ASN1_OBJECT_free(oid);
    err_openssl_clear();
    if (at < 0)
        return err_set(err, P11TEE_E_NVIDIA_FWID,
                       "the leaf certificate has no FWID extension (2.23.133.5.4.1)");
    v = X509_EXTENSION_get_data(X509_get_ext(cert, at));
    return nv_fwid_from_ext(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), out, err);
}

p11tee_status nv_root_check(p11tee_error *err)
{
    X509 *root;
    p11tee_status rc = attest_root_from_pem(nv_root_pem, nv_root_fp, NV_ROOT_NAME, &root, err);

    X509_free(root);
    return rc;
}
