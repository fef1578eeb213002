/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Helpers of the TDX tests; see tdx_testutil.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "testlib.h"

#define MAX_ARGS 48

/* The builder session of the TDX helpers. */
static tdx_builder session;

uint8_t *tdx_vector(const char *name, size_t *len)
{
    const char *dir = getenv("P11TEE_VECTORS");
    char path[1024];
    char *data;

    if (dir == NULL || dir[0] == '\0') {
        print_message("# P11TEE_VECTORS is not set\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/tdx/%s", dir, name);
    data = test_read_file(path, len);
    if (data == NULL) {
        print_message("# vector %s is absent\n", path);
        skip();
    }
    return (uint8_t *)data;
}

static const char *python(void)
{
    const char *p = getenv("PYTHON3");

    return p != NULL && p[0] != '\0' ? p : "/usr/bin/python3";
}

static char *builder_script(void)
{
    const char *src = getenv("top_srcdir");
    char *path;

    if (src == NULL || asprintf(&path, "%s/tests/server/venice_ref.py", src) < 0)
        return NULL;
    if (access(path, R_OK) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

void tdx_builder_open(tdx_builder *b)
{
    char *script = builder_script();
    char *check[] = {(char *)python(), "-c", "import cryptography", NULL};

    memset(b, 0, sizeof(*b));
    if (script == NULL) {
        fprintf(stderr, "tests/server/venice_ref.py not found: builder cases skip\n");
        return;
    }
    free(script);
    if (test_run(check) != 0) {
        fprintf(stderr,
                "%s cannot import cryptography (install python3-cryptography): "
                "builder cases skip\n",
                python());
        return;
    }
    /* The first build creates the PKI and its root here; later builds reuse them. */
    b->dir = test_mkdtemp();
}

void tdx_builder_close(tdx_builder *b)
{
    if (b->dir != NULL)
        test_rmtree(b->dir);
    free(b->dir);
    free(b->root_pem);
    memset(b, 0, sizeof(*b));
}

int tdx_setup(void **state)
{
    (void)state;
    tdx_builder_open(&session);
    return 0;
}

int tdx_teardown(void **state)
{
    (void)state;
    tdx_builder_close(&session);
    return 0;
}

const char *tdx_test_root(size_t *len)
{
    char *path = NULL;

    if (session.root_pem == NULL) {
        if (session.dir == NULL || asprintf(&path, "%s/sgx_test_root.pem", session.dir) < 0)
            fail_msg("no builder session");
        session.root_pem = test_read_file(path, &session.root_len);
        free(path);
        assert_non_null(session.root_pem);
    }
    *len = session.root_len;
    return session.root_pem;
}

static void vbuild(uint8_t **quote, size_t *qlen, char **coll, size_t *clen, va_list ap)
{
    char *argv[MAX_ARGS], *qpath, *cpath, *script = builder_script();
    int n = 0, rd = 0, addr = 0, nonce = 0, rc;
    const char *a;

    if (session.dir == NULL || script == NULL) {
        free(script);
        print_message("# the quote builder is unavailable\n");
        skip();
    }
    if (asprintf(&qpath, "%s/quote.bin", session.dir) < 0 ||
        asprintf(&cpath, "%s/coll.json", session.dir) < 0)
        abort();
    argv[n++] = (char *)python();
    argv[n++] = script;
    argv[n++] = "build-quote";
    argv[n++] = "--state-dir";
    argv[n++] = session.dir;
    argv[n++] = "--time";
    argv[n++] = TDX_BUILD_TIME;
    argv[n++] = "--out";
    argv[n++] = qpath;
    argv[n++] = "--collateral-out";
    argv[n++] = cpath;
    while ((a = va_arg(ap, const char *)) != NULL && n < MAX_ARGS - 5) {
        rd |= strcmp(a, "--reportdata") == 0;
        addr |= strcmp(a, "--address") == 0;
        nonce |= strcmp(a, "--nonce") == 0;
        argv[n++] = (char *)a;
    }
    /* Unless told otherwise, bind the address and nonce the tests expect. */
    if (!rd && !addr) {
        argv[n++] = "--address";
        argv[n++] = "0x1111111111111111111111111111111111111111";
    }
    if (!rd && !nonce) {
        argv[n++] = "--nonce";
        argv[n++] = "abababababababababababababababababababababababababababababababab";
    }
    argv[n] = NULL;
    rc = test_run(argv);
    if (rc != 0)
        fail_msg("build-quote exited with %d", rc);
    *quote = (uint8_t *)test_read_file(qpath, qlen);
    *coll = test_read_file(cpath, clen);
    assert_non_null(*quote);
    assert_non_null(*coll);
    free(qpath);
    free(cpath);
    free(script);
}

void tdx_build(uint8_t **quote, size_t *qlen, char **coll, size_t *clen, ...)
{
    va_list ap;

    va_start(ap, clen);
    vbuild(quote, qlen, coll, clen, ap);
    va_end(ap);
}

const uint8_t tdx_test_address[ETH_ADDRESS_BYTES] = {
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};
const uint8_t tdx_test_nonce[P11TEE_NONCE_BYTES] = {
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};

void tdx_case_build(tdx_case *c, ...)
{
    va_list ap;

    memset(c, 0, sizeof(*c));
    va_start(ap, c);
    vbuild(&c->q, &c->qlen, &c->coll, &c->clen, ap);
    va_end(ap);
    c->o.at = TDX_BUILD_AT;
    c->o.collateral = c->coll;
    c->o.collateral_len = c->clen;
    c->o.max_age_days = TDX_CASE_MAX_AGE_DAYS;
    c->o.extra_roots_pem = tdx_test_root(&c->o.extra_roots_len);
    c->o.address = tdx_test_address;
    c->o.nonce = tdx_test_nonce;
}

void tdx_case_vector(tdx_case *c, const char *quote, const char *coll, time_t at)
{
    memset(c, 0, sizeof(*c));
    c->q = tdx_vector(quote, &c->qlen);
    if (coll != NULL)
        c->coll = (char *)tdx_vector(coll, &c->clen);
    c->o.at = at;
    c->o.collateral = c->coll;
    c->o.collateral_len = c->clen;
    c->o.max_age_days = TDX_CASE_MAX_AGE_DAYS;
}

void tdx_case_set_quote(tdx_case *c, uint8_t *q, size_t len)
{
    free(c->q);
    c->q = q;
    c->qlen = len;
}

void tdx_case_set_collateral(tdx_case *c, char *coll)
{
    free(c->coll);
    c->coll = coll;
    c->clen = coll != NULL ? strlen(coll) : 0;
    c->o.collateral = c->coll;
    c->o.collateral_len = c->clen;
}

p11tee_status tdx_case_run(tdx_case *c)
{
    tdx_quote q;

    assert_int_equal(tdx_quote_parse(c->q, c->qlen, &q, &c->err), P11TEE_OK);
    attest_report_init(&c->rep);
    return tdx_verify(&q, &c->o, &c->rep, &c->v, &c->err);
}

void tdx_case_free(tdx_case *c)
{
    free(c->q);
    free(c->coll);
    memset(c, 0, sizeof(*c));
}

void tdx_case_expect(tdx_case *c, const char *check, p11tee_status code, const char *why)
{
    assert_int_equal(tdx_case_run(c), code);
    if (code == P11TEE_OK) {
        tdx_expect_no_failure(&c->rep);
    } else {
        tdx_expect_only_failure(&c->rep, check, code);
        assert_non_null(strstr(c->err.message, check));
    }
    if (why != NULL)
        tdx_assert_reason(&c->rep, check, why);
}

void tdx_expect_fault(const char *a1, const char *a2, const char *check, p11tee_status code,
                      const char *why)
{
    tdx_case c;

    tdx_case_build(&c, a1, a2, NULL);
    tdx_case_expect(&c, check, code, why);
    tdx_case_free(&c);
}

static void print_report(const attest_report *rep)
{
    size_t i;

    for (i = 0; i < rep->count; i++)
        print_message("#   %-28s %-11s %3d %s\n", rep->checks[i].name,
                      p11tee_check_result_name(rep->checks[i].result), (int)rep->checks[i].code,
                      rep->checks[i].reason);
}

void tdx_expect(const attest_report *rep, const char *name, p11tee_check_result result,
                p11tee_status code)
{
    const attest_check *c = attest_report_find(rep, name);

    if (c == NULL || c->result != result || (result == P11TEE_CHECK_FAIL && c->code != code)) {
        print_report(rep);
        fail_msg("check %s: expected %s (code %d)", name, p11tee_check_result_name(result),
                 (int)code);
    }
}

void tdx_expect_only_failure(const attest_report *rep, const char *name, p11tee_status code)
{
    size_t i;

    tdx_expect(rep, name, P11TEE_CHECK_FAIL, code);
    for (i = 0; i < rep->count; i++)
        if (rep->checks[i].result == P11TEE_CHECK_FAIL && strcmp(rep->checks[i].name, name) != 0) {
            print_report(rep);
            fail_msg("check %s failed too (only %s should)", rep->checks[i].name, name);
        }
}

void tdx_expect_no_failure(const attest_report *rep)
{
    const attest_check *c = attest_report_first_failure(rep);

    if (c != NULL) {
        print_report(rep);
        fail_msg("check %s failed: %s", c->name, c->reason);
    }
}

void tdx_expect_all_pass(const attest_report *rep, const char *skipped)
{
    int id;

    for (id = TDX_CHECK_FIRST; id < TDX_CHECK_END; id++) {
        const char *name = attest_check_name((attest_check_id)id);

        tdx_expect(rep, name, strstr(name, skipped) ? P11TEE_CHECK_NOT_CHECKED : P11TEE_CHECK_PASS,
                   P11TEE_OK);
    }
    assert_int_equal(rep->count, TDX_CHECK_COUNT);
}

void tdx_assert_reason(const attest_report *rep, const char *name, const char *part)
{
    const attest_check *c = attest_report_find(rep, name);

    if (c == NULL)
        fail_msg("no check %s", name);
    if (strstr(c->reason, part) == NULL)
        fail_msg("%s: \"%s\" lacks \"%s\"", name, c->reason, part);
}

char *tdx_replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    char *out;

    if (at == NULL)
        fail_msg("\"%s\" not found", from);
    out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
    assert_non_null(out);
    sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

char *tdx_coll_set(const char *coll, const char *key, const char *value)
{
    json_object *root = json_tokener_parse(coll);
    char *out;

    assert_non_null(root);
    if (value == NULL)
        json_object_object_del(root, key);
    else
        json_object_object_add(root, key, json_object_new_string(value));
    out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    return out;
}

char *tdx_coll_get(const char *coll, const char *key)
{
    json_object *root = json_tokener_parse(coll), *v;
    char *out;

    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, key, &v));
    out = strdup(json_object_get_string(v));
    json_object_put(root);
    return out;
}

/* pki/NAME.key (a private key) or pki/NAME.pem (a certificate) of the session. */
static void *pki_read(const char *name, int key)
{
    char path[1024];
    FILE *f;
    void *obj;

    if (session.dir == NULL)
        fail_msg("no builder session");
    snprintf(path, sizeof(path), "%s/pki/%s.%s", session.dir, name, key ? "key" : "pem");
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    obj = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
              : (void *)PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (obj == NULL)
        fail_msg("cannot read %s", path);
    return obj;
}

EVP_PKEY *tdx_pki_key(const char *name)
{
    return pki_read(name, 1);
}

X509 *tdx_pki_cert(const char *name)
{
    return pki_read(name, 0);
}

void tdx_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80];
    const unsigned char *p = der;
    size_t derlen = sizeof(der);
    ECDSA_SIG *s;

    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, der, &derlen, msg, len), 1);
    s = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    assert_non_null(s);
    BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32);
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(md);
}

char *tdx_resigned(const char *coll, const char *what, const char *from, const char *to,
                   const char *from2, const char *to2)
{
    char *text = tdx_coll_get(coll, what), *edited = tdx_replace_once(text, from, to), *c1, *c2;
    EVP_PKEY *key = tdx_pki_key("sgx_tcb_signing");
    char key_name[40], hex[129];
    uint8_t sig[64];

    if (from2 != NULL) {
        c1 = tdx_replace_once(edited, from2, to2);
        free(edited);
        edited = c1;
    }
    tdx_sign_raw(key, (const uint8_t *)edited, strlen(edited), sig);
    hex_encode(sig, 64, hex, sizeof(hex));
    snprintf(key_name, sizeof(key_name), "%s_signature", what);
    c1 = tdx_coll_set(coll, what, edited);
    c2 = tdx_coll_set(c1, key_name, hex);
    EVP_PKEY_free(key);
    free(c1);
    free(edited);
    free(text);
    return c2;
}

void tdx_resign_quote(uint8_t *q, size_t len)
{
    EVP_PKEY *key = tdx_pki_key("sgx_attestation");
    tdx_quote t;
    p11tee_error err;
    uint8_t sig[64];

    assert_int_equal(tdx_quote_parse(q, len, &t, &err), P11TEE_OK);
    tdx_sign_raw(key, t.signed_region.ptr, t.signed_region.len, sig);
    memcpy(q + t.signed_region.len + 4, sig, 64);
    EVP_PKEY_free(key);
}

EVP_PKEY *tdx_new_key(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");

    assert_non_null(key);
    return key;
}

static void add_ext(X509 *c, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

    assert_non_null(e);
    assert_int_equal(X509_add_ext(c, e, -1), 1);
    X509_EXTENSION_free(e);
}

static void add_sgx_ext(X509 *c, const uint8_t *ext, size_t len)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e;

    assert_int_equal(ASN1_OCTET_STRING_set(data, ext, (int)len), 1);
    e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, data);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(c, e, -1), 1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
}

X509 *tdx_make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca,
                    const uint8_t *ext, size_t ext_len)
{
    X509 *c = X509_new();
    X509_NAME *name = X509_NAME_new();
    uint8_t serial[8];
    BIGNUM *bn;

    test_random(serial, sizeof(serial));
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)));
    BN_free(bn);
    X509_set_version(c, 2);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(c, name);
    X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : name);
    ASN1_TIME_set(X509_getm_notBefore(c), TDX_BUILD_AT - 2 * 86400);
    ASN1_TIME_set(X509_getm_notAfter(c), TDX_BUILD_AT + 365 * 86400);
    X509_set_pubkey(c, key);
    if (ca) {
        add_ext(c, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    if (ext != NULL)
        add_sgx_ext(c, ext, ext_len);
    assert_true(X509_sign(c, issuer_key, EVP_sha256()) > 0);
    X509_NAME_free(name);
    return c;
}

char *tdx_pem_of(X509 *first, ...)
{
    BIO *bio = BIO_new(BIO_s_mem());
    X509 *c;
    va_list ap;
    char *data, *out;
    long n;

    va_start(ap, first);
    for (c = first; c != NULL; c = va_arg(ap, X509 *))
        assert_int_equal(PEM_write_bio_X509(bio, c), 1);
    va_end(ap);
    n = BIO_get_mem_data(bio, &data);
    out = strndup(data, (size_t)n);
    BIO_free(bio);
    return out;
}

static void put_le32(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint8_t *tdx_with_chain(const uint8_t *q, size_t len, const char *pem, size_t *outlen)
{
    size_t plen = strlen(pem), at, n, sig_at;
    tdx_quote t;
    p11tee_error err;
    uint8_t *out;

    assert_int_equal(tdx_quote_parse(q, len, &t, &err), P11TEE_OK);
    at = (size_t)(t.pck_chain.ptr - q); /* the PEM; its size is the 4 bytes before */
    sig_at = t.signed_region.len;       /* u32 signature data length */
    n = at + plen;
    out = malloc(n);
    assert_non_null(out);
    memcpy(out, q, at);
    memcpy(out + at, pem, plen);
    put_le32(out + sig_at, n - sig_at - 4);
    put_le32(out + sig_at + 4 + 130, n - sig_at - 4 - 134); /* type-6 size */
    put_le32(out + at - 4, plen);
    *outlen = n;
    return out;
}
