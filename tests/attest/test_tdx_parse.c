/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX quote parsing: the real-world vectors field by field, the transport
 * forms, and refusal of every truncated or inconsistent input (under ASan
 * each input sits in a heap block of exactly its size).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "testlib.h"

static uint8_t *built;
static size_t built_len;

static int group_teardown(void **state)
{
    free(built);
    return tdx_teardown(state);
}

/* One builder quote (with 16 bytes of padding) shared by the parse-only tests. */
static const uint8_t *generated(size_t *len)
{
    char *coll;
    size_t clen;

    if (built == NULL) {
        tdx_build(&built, &built_len, &coll, &clen, "--pad", "16", NULL);
        free(coll);
    }
    *len = built_len;
    return built;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    char hex[2 * 64 + 1];

    assert_true(len <= 64);
    hex_encode(got, len, hex, sizeof(hex));
    assert_string_equal(hex, want);
}

static int is_zero(const uint8_t *p, size_t n)
{
    while (n-- > 0)
        if (*p++ != 0)
            return 0;
    return 1;
}

/* Parse a private copy of exactly `len` bytes, so ASan sees any overrun. */
static p11tee_status parse_copy(const uint8_t *q, size_t len, tdx_quote *t, p11tee_error *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    p11tee_status rc;

    assert_non_null(copy);
    memcpy(copy, q, len);
    rc = tdx_quote_parse(copy, len, t, err);
    free(copy);
    return rc;
}

/* What a real-world vector must parse to. */
typedef struct vector_fields {
    const char *file;
    unsigned version, body_type;
    size_t used; /* the rest of the file is padding */
    const char *tee_tcb_svn, *tee_tcb_svn2, *td_attributes, *xfam, *mr_td, *report_data;
} vector_fields;

static const vector_fields vectors[] = {
    {"dcap-qvl_tdx_quote", 4, 2, 4936, "06010300000000000000000000000000",
     "00000000000000000000000000000000", "0000001000000000", "e702060000000000",
     "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b253887"
     "3118b7",
     "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493"
     "d6e44aed55d51ec39b7e518fadb92c2b523f20"},
    /* v5, body type 3: a 6-byte descriptor moves the body (and all after it) by 6. */
    {"go-tdx-guest_quote_v5_sample.dat", 5, 3, 5006, "0b010400000000000000000000000000",
     "0d010400000000000000000000000000", "0000001000000000", "e702060000000000",
     "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3b"
     "c8f876",
     "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd4a4933a4dd537"
     "ed1255c9c79ecb3ed82cd1b486233e31c25c3a"},
    {"trustee_tdx_quote_4_DEBUG.dat", 4, 2, 4936, "03000500000000000000000000000000",
     "00000000000000000000000000000000", "0100001000000000", "e742060000000000",
     "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9c"
     "e5f031",
     "7c71fe2c86eff65a7cf8dbc22b3275689fd0464a267baced1bf94fc1324656aeb755da3d44d098c0c87382f3a5"
     "f85b45c8a28fee1d3bdb38342bf96671501429"},
    {"trustee_tdx_quote_6.dat", 4, 2, 4936, "05030200000000000000000000000000",
     "00000000000000000000000000000000", "0000001000000000", "e702060000000000",
     "21e8dead92d6c69d7cbba79816686c03a48485c7df0c11f6f04792d5e1d378f6b8c46615ba6946adccac6becff"
     "bb1e88",
     "26cae1c77185617fb6a03fc29bf1f924596e52352b9b7594940b576ae126cd4a570cc3202a900c5d19a6eb0a95"
     "b32cfd00000000000000000000000000000000"},
};

static void check_vector(const vector_fields *want)
{
    size_t len, body = want->version == 5 ? 54 : 48;
    size_t size = want->body_type == 3 ? 648 : 584, sig = body + size + 4;
    uint8_t *q = tdx_vector(want->file, &len);
    tdx_quote t;
    p11tee_error err;

    assert_int_equal(tdx_quote_parse(q, len, &t, &err), P11TEE_OK);
    assert_int_equal(t.version, want->version);
    assert_int_equal(t.att_key_type, 2);
    assert_int_equal(t.tee_type, 0x81);
    assert_hex(t.qe_vendor_id, 16, "939a7233f79c4ca9940a0db3957f0607");
    assert_int_equal(t.body_type, want->body_type);
    assert_int_equal(t.body_size, size);
    assert_int_equal(t.used, want->used);
    assert_hex(t.tee_tcb_svn, 16, want->tee_tcb_svn);
    assert_hex(t.tee_tcb_svn2, 16, want->tee_tcb_svn2);
    assert_hex(t.td_attributes, 8, want->td_attributes);
    assert_hex(t.xfam, 8, want->xfam);
    assert_hex(t.mr_td, 48, want->mr_td);
    assert_hex(t.report_data, 64, want->report_data);
    assert_memory_equal(t.mr_seam, q + body + 16, 48);
    assert_memory_equal(t.mr_config_id, q + body + 184, 48);
    assert_memory_equal(t.rtmr[0], q + body + 328, 48);
    assert_memory_equal(t.rtmr[3], q + body + 472, 48);
    assert_true(is_zero(t.mr_service_td, 48));
    assert_ptr_equal(t.signed_region.ptr, q);
    assert_int_equal(t.signed_region.len, body + size);
    assert_ptr_equal(t.signature, q + sig);
    assert_ptr_equal(t.attest_key, q + sig + 64);
    assert_ptr_equal(t.qe_report, q + sig + 134);
    assert_ptr_equal(t.qe_report_sig, q + sig + 134 + 384);
    assert_int_equal(t.qe_auth_data.len, 32);
    assert_int_equal(t.pck_chain.len, 3678);
    assert_memory_equal(t.pck_chain.ptr, "-----BEGIN CERTIFICATE-----", 27);
    free(q);
}

static void parses_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(vectors); i++)
        check_vector(&vectors[i]);
}

/* The 0x-prefixed hex file (with its newline) as `p11tee quote FILE` reads it. */
static void hex_file_decodes(void **state)
{
    size_t len, qlen;
    uint8_t *text = tdx_vector("dcap-qvl_tdx-quote.hex", &len), *q;
    tdx_quote t;
    p11tee_error err;

    (void)state;
    assert_memory_equal(text, "0x04000200", 10);
    assert_int_equal(tdx_quote_load(text, len, &q, &qlen, &err), P11TEE_OK);
    assert_int_equal(qlen, 5006);
    assert_int_equal(tdx_quote_parse(q, qlen, &t, &err), P11TEE_OK);
    assert_int_equal(t.version, 4);
    assert_int_equal(t.tee_type, 0x81);
    assert_int_equal(t.used, 4936);
    assert_hex(t.tee_tcb_svn, 16, "05010200000000000000000000000000");
    free(q);
    free(text);
}

static char *base64_of(const uint8_t *in, size_t len, int url)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1), *p;

    assert_non_null(out);
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    if (url) {
        for (p = out; *p; p++)
            *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
        while (p > out && p[-1] == '=')
            *--p = '\0';
    }
    return out;
}

static void expect_decodes_to(const char *text, const uint8_t *want, size_t wantlen)
{
    uint8_t *out;
    size_t n;
    p11tee_error err;

    assert_int_equal(tdx_quote_load((const uint8_t *)text, strlen(text), &out, &n, &err),
                     P11TEE_OK);
    assert_int_equal(n, wantlen);
    assert_memory_equal(out, want, n);
    free(out);
}

static void transport_forms(void **state)
{
    size_t len, i;
    const uint8_t *q = generated(&len);
    char *hex = malloc(2 * len + 16), *b64, *b64url, *wrapped;
    uint8_t *out;
    size_t n;
    p11tee_error err;

    (void)state;
    assert_non_null(hex);
    strcpy(hex, " \n0x");
    hex_encode(q, len, hex + 4, 2 * len + 1);
    strcat(hex, "\r\n\t ");
    expect_decodes_to(hex, q, len);
    expect_decodes_to(hex + 4, q, len); /* no prefix */
    for (i = 4; hex[i]; i++)
        hex[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    expect_decodes_to(hex, q, len); /* uppercase */
    b64 = base64_of(q, len, 0);
    b64url = base64_of(q, len, 1);
    assert_int_not_equal(asprintf(&wrapped, "\n%s\n", b64), -1);
    expect_decodes_to(b64, q, len);
    expect_decodes_to(b64url, q, len);
    expect_decodes_to(wrapped, q, len);
    /* A binary file is taken as it is. */
    assert_int_equal(tdx_quote_load(q, len, &out, &n, &err), P11TEE_OK);
    assert_int_equal(n, len);
    assert_memory_equal(out, q, len);
    free(out);
    free(wrapped);
    free(b64url);
    free(b64);
    free(hex);
}

static void transport_refusals(void **state)
{
    size_t n, big = 2 * (TDX_QUOTE_MAX + 1);
    uint8_t *out, *bin = calloc(1, TDX_QUOTE_MAX + 1);
    char *hex = malloc(big + 1);
    p11tee_error err;

    (void)state;
    assert_non_null(bin);
    assert_non_null(hex);
    assert_int_equal(tdx_quote_decode(" \n\t", 3, &out, &n, &err), P11TEE_E_QUOTE_FORMAT);
    assert_string_equal(err.message, "TDX quote text is empty");
    assert_int_equal(tdx_quote_load((const uint8_t *)"", 0, &out, &n, &err), P11TEE_E_QUOTE_FORMAT);
    assert_string_equal(err.message, "TDX quote file is empty");
    assert_int_equal(tdx_quote_decode("0x0g", 4, &out, &n, &err), P11TEE_E_HEX_INVALID);
    assert_non_null(strstr(err.message, "TDX quote is not valid hex or base64"));
    assert_null(out);
    assert_int_equal(tdx_quote_decode("0x040", 5, &out, &n, &err), P11TEE_E_HEX_ODD_LENGTH);
    assert_int_equal(tdx_quote_decode("BAACAIEA!!", 10, &out, &n, &err), P11TEE_E_BASE64_INVALID);
    memset(hex, 'a', big);
    hex[big] = '\0';
    assert_int_equal(tdx_quote_decode(hex, big, &out, &n, &err), P11TEE_E_TOO_LARGE);
    bin[0] = 4; /* binary: holds NUL bytes */
    assert_int_equal(tdx_quote_load(bin, TDX_QUOTE_MAX + 1, &out, &n, &err), P11TEE_E_TOO_LARGE);
    assert_null(out);
    free(hex);
    free(bin);
}

/* Every proper prefix of the quote is refused as malformed, and nothing is read past it. */
static void truncated_at_every_length(const uint8_t *q, size_t len)
{
    tdx_quote t;
    p11tee_error err;
    size_t n;

    assert_int_equal(tdx_quote_parse(q, len, &t, &err), P11TEE_OK);
    for (n = 0; n < t.used; n++) {
        tdx_quote u;

        assert_int_equal(parse_copy(q, n, &u, &err), P11TEE_E_QUOTE_FORMAT);
        assert_int_equal(err.code, P11TEE_E_QUOTE_FORMAT);
        assert_int_equal(u.version, 0); /* nothing half-parsed is left behind */
        assert_null(u.signature);
    }
    for (n = t.used; n <= len; n++)
        assert_int_equal(parse_copy(q, n, &t, &err), P11TEE_OK);
    assert_int_equal(parse_copy(q, 47, &t, &err), P11TEE_E_QUOTE_FORMAT);
    assert_non_null(strstr(err.message, "truncated in the header (48 bytes needed, 47 left)"));
    assert_int_equal(parse_copy(q, 600, &t, &err), P11TEE_E_QUOTE_FORMAT);
    assert_non_null(strstr(err.message, "truncated in the TD report body"));
    assert_int_equal(parse_copy(q, 633, &t, &err), P11TEE_E_QUOTE_FORMAT);
    assert_non_null(strstr(err.message, "truncated in the signature data length"));
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

typedef struct layout {
    size_t sig_len, cert, qe, auth_len, inner; /* offsets of those fields */
} layout;

static layout layout_of(const tdx_quote *t, const uint8_t *q)
{
    layout l;

    l.sig_len = t->signed_region.len;
    l.cert = l.sig_len + 4 + 128;
    l.qe = l.cert + 6;
    l.auth_len = l.qe + 384 + 64;
    l.inner = l.auth_len + 2 + t->qe_auth_data.len;
    assert_ptr_equal(q + l.qe, t->qe_report);
    return l;
}

/* Patch a copy of `q` (only its `used` bytes), parse it, expect `rc` and `msg`. */
static void expect_patched(const uint8_t *q, size_t used, size_t off, int width, uint32_t value,
                           p11tee_status rc, const char *msg)
{
    uint8_t *m = malloc(used);
    tdx_quote t;
    p11tee_error err;

    assert_non_null(m);
    memcpy(m, q, used);
    if (width == 2)
        put16(m + off, value);
    else
        put32(m + off, value);
    assert_int_equal(tdx_quote_parse(m, used, &t, &err), rc);
    if (strstr(err.message, msg) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.message, msg);
    free(m);
}

static void bad_length_fields(const uint8_t *q, size_t len)
{
    tdx_quote t;
    p11tee_error err;
    layout l;
    uint32_t sig, pem;
    size_t u;

    assert_int_equal(tdx_quote_parse(q, len, &t, &err), P11TEE_OK);
    l = layout_of(&t, q);
    u = t.used;
    sig = (uint32_t)(u - l.sig_len - 4);
    pem = (uint32_t)t.pck_chain.len;
    expect_patched(q, u, l.sig_len, 4, 0xffffffffu, P11TEE_E_QUOTE_FORMAT,
                   "signature data length 4294967295 exceeds");
    expect_patched(q, u, l.sig_len, 4, sig + 1, P11TEE_E_QUOTE_FORMAT, "signature data length");
    expect_patched(q, u, l.sig_len, 4, 10, P11TEE_E_QUOTE_FORMAT,
                   "truncated in the signature data (134 bytes needed");
    expect_patched(q, u, l.sig_len, 4, sig - 1, P11TEE_E_QUOTE_FORMAT, "does not match the");
    expect_patched(q, u, l.cert + 2, 4, 0xffffffffu, P11TEE_E_QUOTE_FORMAT,
                   "certification data size 4294967295");
    expect_patched(q, u, l.auth_len, 2, 0xffff, P11TEE_E_QUOTE_FORMAT,
                   "QE auth data length 65535 exceeds");
    expect_patched(q, u, l.inner + 2, 4, 0xffffffffu, P11TEE_E_QUOTE_FORMAT,
                   "PCK chain size 4294967295 does not fit");
    expect_patched(q, u, l.inner + 2, 4, 0, P11TEE_E_QUOTE_FORMAT, "PCK chain size 0");
    expect_patched(q, u, l.inner + 2, 4, pem - 1, P11TEE_E_QUOTE_FORMAT,
                   "1 bytes beyond its PCK chain");
    expect_patched(q, u, 0, 2, 3, P11TEE_E_QUOTE_UNSUPPORTED, "version 3 is not supported");
    expect_patched(q, u, 2, 2, 3, P11TEE_E_QUOTE_UNSUPPORTED, "attestation key type 3");
    expect_patched(q, u, 4, 4, 0, P11TEE_E_QUOTE_UNSUPPORTED, "TEE type 0x0 is not TDX");
    expect_patched(q, u, l.cert, 2, 5, P11TEE_E_QUOTE_UNSUPPORTED, "certification data type 5");
    expect_patched(q, u, l.inner, 2, 4, P11TEE_E_QUOTE_UNSUPPORTED, "QE certification data type 4");
}

/*
 * The QE certification data cut short at every length, with the signature
 * data and certification data sizes made consistent with the cut: the
 * nested structures are each refused as truncated, never read beyond.
 */
static void nested_truncation(const uint8_t *q, size_t len)
{
    tdx_quote t, u;
    p11tee_error err;
    layout l;
    size_t k;
    int seen_report = 0, seen_sig = 0, seen_auth = 0, seen_pck = 0;

    assert_int_equal(tdx_quote_parse(q, len, &t, &err), P11TEE_OK);
    l = layout_of(&t, q);
    for (k = 0; k < t.used - l.qe; k++) {
        uint8_t *m = malloc(l.qe + k + 1);

        assert_non_null(m);
        memcpy(m, q, l.qe + k);
        put32(m + l.sig_len, (uint32_t)(l.qe + k - l.sig_len - 4));
        put32(m + l.cert + 2, (uint32_t)k);
        assert_int_equal(tdx_quote_parse(m, l.qe + k, &u, &err), P11TEE_E_QUOTE_FORMAT);
        seen_report |= strstr(err.message, "truncated in the QE report (") != NULL;
        seen_sig |= strstr(err.message, "truncated in the QE report signature") != NULL;
        seen_auth |= strstr(err.message, "truncated in the QE auth data length") != NULL;
        seen_pck |= strstr(err.message, "truncated in the PCK certification data header") != NULL;
        free(m);
    }
    assert_true(seen_report && seen_sig && seen_auth && seen_pck);
}

/* Every way a quote can be cut short or lie about a length, on one quote. */
static void malformed(const uint8_t *q, size_t len)
{
    truncated_at_every_length(q, len);
    bad_length_fields(q, len);
    nested_truncation(q, len);
}

static void malformed_vector(void **state)
{
    size_t len;
    uint8_t *q = tdx_vector("dcap-qvl_tdx_quote", &len);

    (void)state;
    malformed(q, len);
    free(q);
}

static void malformed_generated(void **state)
{
    size_t len;
    const uint8_t *q = generated(&len);

    (void)state;
    malformed(q, len);
}

/* A v4 quote rewritten as v5 with a descriptor for body type 2 (signature not redone). */
static uint8_t *as_v5(const uint8_t *q, size_t used, size_t *len)
{
    uint8_t *m = malloc(used + 6);

    assert_non_null(m);
    memcpy(m, q, 48);
    put16(m, 5);
    put16(m + 48, 2);
    put32(m + 50, 584);
    memcpy(m + 54, q + 48, used - 48);
    *len = used + 6;
    return m;
}

static void v5_descriptor(void **state)
{
    size_t len, vlen;
    const uint8_t *q = generated(&len);
    uint8_t *v;
    tdx_quote t4, t5;
    p11tee_error err;

    (void)state;
    assert_int_equal(tdx_quote_parse(q, len, &t4, &err), P11TEE_OK);
    v = as_v5(q, t4.used, &vlen);
    assert_int_equal(tdx_quote_parse(v, vlen, &t5, &err), P11TEE_OK);
    assert_int_equal(t5.version, 5);
    assert_int_equal(t5.body_type, 2);
    assert_int_equal(t5.used, t4.used + 6);
    assert_int_equal(t5.signed_region.len, 48 + 6 + 584);
    assert_memory_equal(t5.mr_td, t4.mr_td, 48);
    assert_memory_equal(t5.report_data, t4.report_data, 64);
    assert_int_equal(t5.pck_chain.len, t4.pck_chain.len);
    expect_patched(v, vlen, 48, 2, 4, P11TEE_E_QUOTE_UNSUPPORTED, "body type 4 is not supported");
    expect_patched(v, vlen, 50, 4, 0xffffffffu, P11TEE_E_QUOTE_FORMAT,
                   "body size 4294967295 does not match body type 2 (expected 584)");
    expect_patched(v, vlen, 48, 2, 3, P11TEE_E_QUOTE_FORMAT, "does not match body type 3");
    assert_int_equal(parse_copy(v, 53, &t5, &err), P11TEE_E_QUOTE_FORMAT);
    assert_non_null(strstr(err.message, "truncated in the body descriptor"));
    free(v);
}

/* Random corruption of a valid quote never crashes: it parses or is refused by name. */
static void random_corruption(void **state)
{
    size_t len, i, k;
    const uint8_t *q = generated(&len);
    uint8_t *m = malloc(len), r[8];
    tdx_quote t;
    p11tee_error err;
    p11tee_status rc;

    (void)state;
    assert_non_null(m);
    for (i = 0; i < 3000; i++) {
        size_t n = len;

        memcpy(m, q, len);
        for (k = 0; k < 4; k++) {
            test_random(r, sizeof(r));
            /* Aim at the header and length fields half of the time. */
            m[(r[0] & 1) ? (r[1] | (r[2] << 8)) % len : (size_t)(r[1] % 48)] = r[3];
        }
        if (r[4] & 1)
            n = (size_t)(r[5] | (r[6] << 8)) % len;
        rc = parse_copy(m, n, &t, &err);
        assert_true(rc == P11TEE_OK || rc == P11TEE_E_QUOTE_FORMAT ||
                    rc == P11TEE_E_QUOTE_UNSUPPORTED);
    }
    free(m);
}

static void tcb_status_names(void **state)
{
    static const char *names[] = {"UpToDate",
                                  "SWHardeningNeeded",
                                  "ConfigurationNeeded",
                                  "ConfigurationAndSWHardeningNeeded",
                                  "OutOfDate",
                                  "OutOfDateConfigurationNeeded",
                                  "Revoked"};
    tdx_tcb_status s;
    size_t i;
    p11tee_error err;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(names); i++) {
        assert_int_equal(tdx_tcb_status_from_name(names[i], &s, &err), P11TEE_OK);
        assert_int_equal(s, (tdx_tcb_status)(i + 1));
        assert_string_equal(tdx_tcb_status_name(s), names[i]);
    }
    assert_string_equal(tdx_tcb_status_name(TDX_TCB_UNKNOWN), "Unknown");
    assert_string_equal(tdx_tcb_status_name((tdx_tcb_status)99), "Unknown");
    assert_int_equal(tdx_tcb_status_from_name("uptodate", &s, &err), P11TEE_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "unknown TCB status \"uptodate\""));
    assert_int_equal(tdx_tcb_status_from_name("Unknown", &s, &err), P11TEE_E_INVALID_ARG);
    assert_int_equal(tdx_tcb_status_from_name(NULL, &s, &err), P11TEE_E_INVALID_ARG);
    assert_int_equal(s, TDX_TCB_UNKNOWN);
}

static void null_input(void **state)
{
    tdx_quote t;
    p11tee_error err;

    (void)state;
    assert_int_equal(tdx_quote_parse(NULL, 10, &t, &err), P11TEE_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_vectors),   cmocka_unit_test(hex_file_decodes),
        cmocka_unit_test(transport_forms),  cmocka_unit_test(transport_refusals),
        cmocka_unit_test(malformed_vector), cmocka_unit_test(malformed_generated),
        cmocka_unit_test(v5_descriptor),    cmocka_unit_test(random_corruption),
        cmocka_unit_test(tcb_status_names), cmocka_unit_test(null_input),
    };
    return TEST_MAIN(tests, tdx_setup, group_teardown);
}
