/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * eth_verify_response(): signatures made here by libsecp256k1 (every check
 * and refusal by its code), then round trips with the reference server's
 * signer (tests/server/eth.py).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "attest/eth.h"
#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "testlib.h"

/* ---- eth_verify_response, with signatures made here by libsecp256k1 ---------------------- */

typedef struct signer {
    uint8_t seckey[32];
    uint8_t address[20];
    char address_text[ETH_ADDRESS_TEXT];
} signer;

static void signer_new(signer *s)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_pubkey pub;
    uint8_t point[65];
    size_t n = sizeof(point);
    p11tee_error err;

    do
        test_random(s->seckey, sizeof(s->seckey));
    while (!secp256k1_ec_seckey_verify(ctx, s->seckey));
    assert_true(secp256k1_ec_pubkey_create(ctx, &pub, s->seckey));
    secp256k1_ec_pubkey_serialize(ctx, point, &n, &pub, SECP256K1_EC_UNCOMPRESSED);
    assert_int_equal(eth_address_from_pubkey(point, n, s->address, &err), P11TEE_OK);
    eth_address_format(s->address, s->address_text);
    secp256k1_context_destroy(ctx);
}

/* "0x" + r || s || v (v = 27 + recid) over the EIP-191 hash of `text`. */
static void signer_sign(const signer *s, const char *text, char out[133])
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature sig;
    uint8_t md[32], raw[65];
    int recid;

    eth_personal_hash(text, strlen(text), md);
    assert_true(secp256k1_ecdsa_sign_recoverable(ctx, &sig, md, s->seckey, NULL, NULL));
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, raw, &recid, &sig);
    raw[64] = (uint8_t)(27 + recid);
    out[0] = '0';
    out[1] = 'x';
    hex_encode(raw, sizeof(raw), out + 2, 131);
    secp256k1_context_destroy(ctx);
}

typedef struct exchange {
    signer key;
    const char *request;
    const char *response;
    char text[200];
    char sig[133];
    eth_response_sig in;
} exchange;

static void exchange_new(exchange *x, const char *model)
{
    uint8_t h[32];
    char req[65], resp[65];

    memset(x, 0, sizeof(*x));
    signer_new(&x->key);
    x->request = "{\"model\":\"e2ee-test\",\"messages\":[]}";
    x->response = "data: {}\n\ndata: [DONE]\n\n";
    SHA256((const uint8_t *)x->request, strlen(x->request), h);
    hex_encode(h, 32, req, sizeof(req));
    SHA256((const uint8_t *)x->response, strlen(x->response), h);
    hex_encode(h, 32, resp, sizeof(resp));
    snprintf(x->text, sizeof(x->text), "%s%s%s:%s", model ? model : "", model ? ":" : "", req,
             resp);
    signer_sign(&x->key, x->text, x->sig);
    x->in.text = x->text;
    x->in.text_len = strlen(x->text);
    x->in.signature = x->sig;
    x->in.signature_len = strlen(x->sig);
    x->in.signing_address = x->key.address_text;
    x->in.signing_address_len = strlen(x->key.address_text);
    x->in.attested_address = x->key.address;
    x->in.model = model;
    x->in.request = (const uint8_t *)x->request;
    x->in.request_len = strlen(x->request);
    x->in.response = (const uint8_t *)x->response;
    x->in.response_len = strlen(x->response);
}

/* eth_verify_response() of the exchange into a fresh report. */
static p11tee_status check(exchange *x, attest_report *rep, p11tee_error *err)
{
    attest_report_init(rep);
    return eth_verify_response(&x->in, rep, err);
}

static void verify_all_pass(void **state)
{
    exchange x;
    attest_report rep;
    p11tee_error err;

    (void)state;
    exchange_new(&x, NULL);
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK);
    assert_null(attest_report_first_failure(&rep));
    tdx_expect(&rep, "signature.text", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "signature.format", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "signature.recovered", P11TEE_CHECK_PASS, P11TEE_OK);
    assert_non_null(
        strstr(attest_report_find(&rep, "signature.recovered")->reason, x.key.address_text));
    tdx_expect(&rep, "signature.signing_address", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "signature.model", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&rep, "signature.request_hash", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "signature.response_hash", P11TEE_CHECK_PASS, P11TEE_OK);
    assert_int_equal(rep.count, 7);
}

static void verify_near_form_and_model(void **state)
{
    exchange x;
    attest_report rep;
    p11tee_error err;

    (void)state;
    exchange_new(&x, "e2ee-test");
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK);
    tdx_expect(&rep, "signature.model", P11TEE_CHECK_PASS, P11TEE_OK);
    x.in.model = "e2ee-other";
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK); /* advisory */
    tdx_expect(&rep, "signature.model", P11TEE_CHECK_FAIL, P11TEE_E_ATTEST_MODEL_MISMATCH);
    x.in.model = NULL;
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK);
    tdx_expect(&rep, "signature.model", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    assert_non_null(strstr(attest_report_find(&rep, "signature.model")->reason, "no expected"));
}

static void verify_other_signer_is_refused(void **state)
{
    exchange x;
    signer other;
    attest_report rep;
    p11tee_error err;

    (void)state;
    exchange_new(&x, NULL);
    signer_new(&other);
    x.in.attested_address = other.address;
    x.in.signing_address = NULL; /* the response makes no claim */
    assert_int_equal(check(&x, &rep, &err), P11TEE_E_SIGNATURE_MISMATCH);
    assert_int_equal(err.code, P11TEE_E_SIGNATURE_MISMATCH);
    assert_non_null(strstr(err.message, x.key.address_text));
    assert_non_null(strstr(err.message, other.address_text));
    tdx_expect(&rep, "signature.recovered", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH);
    tdx_expect(&rep, "signature.signing_address", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    /* the signature over another text recovers to someone else too */
    exchange_new(&x, NULL);
    x.text[0] = x.text[0] == 'a' ? 'b' : 'a';
    assert_int_equal(check(&x, &rep, &err), P11TEE_E_SIGNATURE_MISMATCH);
}

static void verify_claimed_address(void **state)
{
    exchange x;
    signer other;
    attest_report rep;
    p11tee_error err;

    (void)state;
    exchange_new(&x, NULL);
    signer_new(&other);
    x.in.signing_address = other.address_text;
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK); /* advisory */
    tdx_expect(&rep, "signature.signing_address", P11TEE_CHECK_FAIL,
               P11TEE_E_ATTEST_ADDRESS_MISMATCH);
    x.in.signing_address = "0xnot-an-address";
    x.in.signing_address_len = 16;
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK);
    tdx_expect(&rep, "signature.signing_address", P11TEE_CHECK_FAIL, P11TEE_E_ADDRESS_FORMAT);
}

static void verify_body_hashes(void **state)
{
    exchange x;
    attest_report rep;
    p11tee_error err;

    (void)state;
    exchange_new(&x, NULL);
    x.in.request = NULL;
    x.in.response = NULL;
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK);
    tdx_expect(&rep, "signature.request_hash", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&rep, "signature.response_hash", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    exchange_new(&x, NULL);
    x.in.request_len--; /* the server re-serialised the request */
    assert_int_equal(check(&x, &rep, &err), P11TEE_OK);
    tdx_expect(&rep, "signature.request_hash", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH);
    assert_non_null(strstr(attest_report_find(&rep, "signature.request_hash")->reason, "advisory"));
    tdx_expect(&rep, "signature.response_hash", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "signature.recovered", P11TEE_CHECK_PASS, P11TEE_OK);
}

static void verify_malformed_inputs(void **state)
{
    exchange x;
    attest_report rep;
    p11tee_error err;

    (void)state;
    exchange_new(&x, NULL);
    x.in.text_len -= 1;
    assert_int_equal(check(&x, &rep, &err), P11TEE_E_SIGNATURE_FORMAT);
    tdx_expect(&rep, "signature.text", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_FORMAT);
    assert_int_equal(rep.count, 1);
    exchange_new(&x, NULL);
    x.in.signature_len -= 2;
    assert_int_equal(check(&x, &rep, &err), P11TEE_E_SIGNATURE_FORMAT);
    tdx_expect(&rep, "signature.format", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_FORMAT);
    tdx_expect(&rep, "signature.recovered", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    assert_non_null(strstr(err.message, "130 hex digits"));
}

/* ---- round trips with the reference server's signer -------------------------------------- */

/*
 * tests/server/eth.py, written independently of this code, signs texts the
 * way the reference server's /tee/signature does; each must recover here to
 * the address of the key it printed. The texts mix both forms and a model id
 * with non-ASCII bytes (EIP-191 counts bytes, not characters).
 */
static const char signer_py[] =
    "import os, sys\n"
    "sys.path.insert(0, os.path.join(os.environ['top_srcdir'], 'tests', 'server'))\n"
    "import eth\n"
    "k = eth.EthKey()\n"
    "print(k.pub65.hex())\n"
    "print(eth.checksum_address(k.address))\n"
    "for line in sys.stdin.buffer:\n"
    "    print(k.personal_sign(line.rstrip(b'\\n').decode()))\n";

#define ROUND_TRIPS 24

static FILE *start_signer(const char *dir, char texts[ROUND_TRIPS][200])
{
    const char *python = getenv("PYTHON3"), *src = getenv("top_srcdir");
    char path[512], cmd[1600];
    uint8_t h[64];
    FILE *f;
    int i;

    snprintf(path, sizeof(path), "%s/tests/server/eth.py", src ? src : ".");
    if (src == NULL || access(path, R_OK) != 0) {
        print_message("# %s is absent: no reference signer\n", path);
        skip();
    }
    snprintf(path, sizeof(path), "%s/signer.py", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(signer_py, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/texts", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (i = 0; i < ROUND_TRIPS; i++) {
        char a[65], b[65];

        test_random(h, sizeof(h));
        hex_encode(h, 32, a, sizeof(a));
        hex_encode(h + 32, 32, b, sizeof(b));
        snprintf(texts[i], 200, "%s%s%s:%s", i % 3 == 1 ? "e2ee-test:" : "",
                 i % 3 == 2 ? "mod\xc3\xa8le/\xe2\x82\xac:" : "", a, b);
        fprintf(f, "%s\n", texts[i]);
    }
    fclose(f);
    snprintf(cmd, sizeof(cmd), "'%s' '%s/signer.py' < '%s/texts'",
             python != NULL && python[0] ? python : "/usr/bin/python3", dir, dir);
    f = popen(cmd, "r");
    assert_non_null(f);
    return f;
}

static void read_line(FILE *f, char *buf, size_t cap)
{
    size_t n;

    if (fgets(buf, (int)cap, f) == NULL) {
        pclose(f);
        print_message("# the reference signer printed nothing (Python cryptography missing?)\n");
        skip();
    }
    n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
}

static void reference_signer_round_trip(void **state)
{
    char texts[ROUND_TRIPS][200], line[300];
    uint8_t pub[65], addr[20], from_key[20];
    char *dir = test_mkdtemp();
    FILE *f = start_signer(dir, texts);
    eth_response_sig in;
    attest_report rep;
    size_t n;
    int i;
    p11tee_error err;

    (void)state;
    read_line(f, line, sizeof(line));
    assert_int_equal(hex_decode(line, strlen(line), pub, sizeof(pub), &n, &err), P11TEE_OK);
    assert_int_equal(eth_address_from_pubkey(pub, n, from_key, &err), P11TEE_OK);
    read_line(f, line, sizeof(line));
    assert_int_equal(eth_address_parse(line, strlen(line), addr, &err), P11TEE_OK);
    assert_memory_equal(addr, from_key, 20);
    for (i = 0; i < ROUND_TRIPS; i++) {
        read_line(f, line, sizeof(line));
        memset(&in, 0, sizeof(in));
        in.text = texts[i];
        in.text_len = strlen(texts[i]);
        in.signature = line;
        in.signature_len = strlen(line);
        in.attested_address = addr;
        attest_report_init(&rep);
        if (eth_verify_response(&in, &rep, &err) != P11TEE_OK)
            fail_msg("text %d \"%s\": %s", i, texts[i], err.message);
        tdx_expect(&rep, "signature.recovered", P11TEE_CHECK_PASS, P11TEE_OK);
    }
    assert_int_equal(pclose(f), 0);
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify_all_pass),
        cmocka_unit_test(verify_near_form_and_model),
        cmocka_unit_test(verify_other_signer_is_refused),
        cmocka_unit_test(verify_claimed_address),
        cmocka_unit_test(verify_body_hashes),
        cmocka_unit_test(verify_malformed_inputs),
        cmocka_unit_test(reference_signer_round_trip),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
