/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "test_nvidia_util.h"
#include "testlib.h"

static size_t put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return 2;
}

static size_t put_block(uint8_t *p, unsigned index)
{
    p[0] = (uint8_t)index;
    p[1] = 0x01;
    put16(p + 2, 51);
    p[4] = 0x01;
    put16(p + 5, 48);
    memset(p + 7, (int)index, 48);
    return 55;
}

void nv_syn_report(uint8_t ev[SYN_LEN])
{
    static const uint8_t req[4] = {0x11, 0xe0, 0x01, 0xff}, resp[4] = {0x11, 0x60, 0x00, 0x00};
    size_t o = 0;

    memcpy(ev, req, 4);
    memset(ev + 4, 0x11, NV_NONCE_BYTES);
    ev[36] = 0;
    memcpy(ev + 37, resp, 4);
    ev[41] = 2;
    ev[42] = 110;
    ev[43] = 0;
    ev[44] = 0;
    o = SYN_BLOCK1 + put_block(ev + SYN_BLOCK1, 1);
    o += put_block(ev + o, 2);
    memset(ev + o, 0x22, NV_NONCE_BYTES); /* responder nonce */
    o += NV_NONCE_BYTES;
    o += put16(ev + o, 60);
    o += put16(ev + o, 3);
    o += put16(ev + o, 4);
    memcpy(ev + o, "abcd", 4);
    o += 4;
    o += put16(ev + o, NV_OPAQUE_FWID);
    o += put16(ev + o, NV_FWID_BYTES);
    memset(ev + o, 0x33, NV_FWID_BYTES);
    o += NV_FWID_BYTES;
    memset(ev + o, 0x44, NV_SIG_BYTES);
    assert_int_equal(o, SYN_SIG);
    assert_int_equal(o + NV_SIG_BYTES, SYN_LEN);
}

/* tdx_vector() reads $P11TEE_VECTORS/tdx/NAME; the NVIDIA files are its siblings. */
static char *vector_file(const char *name, size_t *len)
{
    char path[256];

    snprintf(path, sizeof(path), "../nvidia/%s", name);
    return (char *)tdx_vector(path, len);
}

uint8_t *nv_vector_evidence(size_t *len)
{
    size_t n;
    char *hex = vector_file("nvtrust_hopperAttestationReport.txt", &n);
    uint8_t *ev = malloc(n / 2 + 1);
    p11tee_error err;

    while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' '))
        n--;
    assert_non_null(ev);
    assert_int_equal(hex_decode(hex, n, ev, n / 2, len, &err), P11TEE_OK);
    free(hex);
    return ev;
}

char *nv_vector_chain(size_t *len)
{
    return vector_file("nvtrust_hopperCertChain.txt", len);
}

struct json_object *nv_payload_new(const uint8_t nonce[NV_NONCE_BYTES])
{
    struct json_object *p = json_object_new_object();
    char hex[2 * NV_NONCE_BYTES + 1];

    hex_encode(nonce, NV_NONCE_BYTES, hex, sizeof(hex));
    json_object_object_add(p, "nonce", json_object_new_string(hex));
    json_object_object_add(p, "arch", json_object_new_string("HOPPER"));
    json_object_object_add(p, "evidence_list", json_object_new_array());
    return p;
}

static struct json_object *b64_string(const uint8_t *data, size_t len)
{
    char *b64 = malloc(4 * ((len + 2) / 3) + 1);
    struct json_object *s;

    assert_non_null(b64);
    EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
    s = json_object_new_string(b64);
    free(b64);
    return s;
}

void nv_payload_add(struct json_object *payload, const uint8_t *ev, size_t ev_len, const char *pem,
                    size_t pem_len)
{
    struct json_object *list, *item = json_object_new_object();

    assert_true(json_object_object_get_ex(payload, "evidence_list", &list));
    json_object_object_add(item, "evidence", b64_string(ev, ev_len));
    json_object_object_add(item, "certificate", b64_string((const uint8_t *)pem, pem_len));
    json_object_object_add(item, "arch", json_object_new_string("HOPPER"));
    json_object_array_add(list, item);
}

p11tee_status nv_check(struct json_object *payload, const uint8_t *nonce, time_t at,
                       const char *extra_roots, attest_report *rep, p11tee_error *err)
{
    nv_options o = {at, nonce, extra_roots, extra_roots ? strlen(extra_roots) : 0};

    attest_report_init(rep);
    p11tee_error_clear(err);
    return nv_verify(payload, &o, rep, err);
}

const char *nv_reason(const attest_report *rep, const char *name)
{
    const attest_check *c = attest_report_find(rep, name);

    if (c == NULL)
        fail_msg("check %s was not recorded", name);
    return c->reason;
}

struct json_object *nv_build(const char *dir, const uint8_t nonce[NV_NONCE_BYTES],
                             const char *const *args, char **root)
{
    const char *python = getenv("PYTHON3"), *src = getenv("top_srcdir");
    char *argv[32], *script, *out, *root_path, nonce_hex[2 * NV_NONCE_BYTES + 1];
    struct json_object *payload;
    size_t len;
    char *text;
    int n = 0, rc;

    if (dir == NULL || src == NULL) {
        print_message("# the NVIDIA payload builder is unavailable\n");
        skip();
    }
    hex_encode(nonce, NV_NONCE_BYTES, nonce_hex, sizeof(nonce_hex));
    if (asprintf(&script, "%s/tests/server/venice_ref.py", src) < 0 ||
        asprintf(&out, "%s/payload.json", dir) < 0 ||
        asprintf(&root_path, "%s/nvidia_test_root.pem", dir) < 0)
        abort();
    argv[n++] = (char *)(python != NULL && python[0] ? python : "/usr/bin/python3");
    argv[n++] = script;
    argv[n++] = "build-nvidia";
    argv[n++] = "--state-dir";
    argv[n++] = (char *)dir;
    argv[n++] = "--time";
    argv[n++] = NV_BUILD_TIME;
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n++] = "--nonce";
    argv[n++] = nonce_hex;
    while (args != NULL && *args != NULL && n < 31)
        argv[n++] = (char *)*args++;
    argv[n] = NULL;
    rc = test_run(argv);
    if (rc != 0)
        fail_msg("build-nvidia exited with %d", rc);
    text = test_read_file(out, &len);
    assert_non_null(text);
    payload = json_tokener_parse(text);
    assert_non_null(payload);
    *root = test_read_file(root_path, &len);
    assert_non_null(*root);
    free(text);
    free(script);
    free(out);
    free(root_path);
    return payload;
}
