/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * NVIDIA payloads from the reference server's builder (tests/server/venice_ref.py
 * build-nvidia, written independently of this code): a valid payload checks
 * out against its TEST root given as an extra root, and each fault fails
 * exactly its own check. Skipped when Python with cryptography is absent.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attest/nvidia.h"
#include "tdx_testutil.h"
#include "test_nvidia_util.h"
#include "testlib.h"

static tdx_builder builder;

static int session_open(void **state)
{
    (void)state;
    tdx_builder_open(&builder);
    return 0;
}

static int session_close(void **state)
{
    (void)state;
    tdx_builder_close(&builder);
    return 0;
}

static const uint8_t our_nonce[NV_NONCE_BYTES] = {
    0x93, 0x1d, 0x8d, 0xd0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
};

/* Build with `args`, verify with the builder's root pinned as a test root. */
static p11tee_status build_and_check(const char *const *args, attest_report *rep)
{
    char *root;
    struct json_object *p = nv_build(builder.dir, our_nonce, args, &root);
    p11tee_error err;
    p11tee_status rc = nv_check(p, our_nonce, NV_BUILD_AT, root, rep, &err);

    json_object_put(p);
    free(root);
    return rc;
}

static void generated_payload_verifies(void **state)
{
    attest_report rep;
    p11tee_status rc;

    (void)state;
    rc = build_and_check(NULL, &rep);
    assert_int_equal(rc, P11TEE_OK);
    tdx_expect_no_failure(&rep);
    tdx_expect(&rep, "nvidia.nonce", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.evidence.signature", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.fwid", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.chain", P11TEE_CHECK_PASS, P11TEE_OK);
    /* named as the test root it is, never as NVIDIA's */
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "TEST root"));
    assert_non_null(
        strstr(nv_reason(&rep, "nvidia.chain"), "p11tee TEST NVIDIA Device Identity CA"));
    assert_null(strstr(nv_reason(&rep, "nvidia.chain"), "built in"));
}

/* The same payload without its root: a chain to another root than NVIDIA's. */
static void generated_payload_needs_its_root(void **state)
{
    attest_report rep;
    char *root;
    struct json_object *p;
    p11tee_error err;

    (void)state;
    p = nv_build(builder.dir, our_nonce, NULL, &root);
    assert_int_equal(nv_check(p, our_nonce, NV_BUILD_AT, NULL, &rep, &err), P11TEE_E_NVIDIA_CHAIN);
    tdx_expect_only_failure(&rep, "nvidia.chain", P11TEE_E_NVIDIA_CHAIN);
    assert_non_null(strstr(err.message, "nvidia.chain"));
    json_object_put(p);
    free(root);
}

/* A builder fault on GPU 0 fails exactly `check`, with `code` and a reason that `says`. */
static void expect_fault(const char *fault, const char *check, p11tee_status code, const char *says)
{
    const char *const args[] = {"--fault", fault, NULL};
    attest_report rep;

    assert_int_equal(build_and_check(args, &rep), code);
    tdx_expect_only_failure(&rep, check, code);
    assert_non_null(strstr(nv_reason(&rep, check), says));
}

static void generated_fwid_mismatch(void **state)
{
    (void)state;
    expect_fault("nvidia-fwid-mismatch", "nvidia.fwid", P11TEE_E_NVIDIA_FWID,
                 "differs from the leaf");
}

static void generated_two_gpus(void **state)
{
    attest_report rep;
    p11tee_status rc;

    (void)state;
    rc = build_and_check((const char *const[]){"--gpus", "2", NULL}, &rep);
    assert_int_equal(rc, P11TEE_OK);
    tdx_expect_no_failure(&rep);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.payload"), "2 GPU(s)"));
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.signature"), "2 P-384"));
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "2 chain(s)"));
    /* a fault in one GPU fails the check and names that GPU */
    rc = build_and_check(
        (const char *const[]){"--gpus", "2", "--fault", "nvidia-bad-signature", NULL}, &rep);
    assert_int_equal(rc, P11TEE_E_NVIDIA_SIGNATURE);
    tdx_expect_only_failure(&rep, "nvidia.evidence.signature", P11TEE_E_NVIDIA_SIGNATURE);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.signature"), "GPU 0 of 2"));
}

static void generated_trailing_byte(void **state)
{
    attest_report rep;
    p11tee_status rc;

    (void)state;
    rc = build_and_check((const char *const[]){"--trailing-byte", NULL}, &rep);
    assert_int_equal(rc, P11TEE_OK);
    tdx_expect_no_failure(&rep);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.format"), "ignored"));
}

static void generated_wrong_nonce(void **state)
{
    (void)state;
    expect_fault("nvidia-wrong-nonce", "nvidia.evidence.nonce", P11TEE_E_NVIDIA_NONCE,
                 "differs from the payload nonce");
}

static void generated_bad_signature(void **state)
{
    (void)state;
    expect_fault("nvidia-bad-signature", "nvidia.evidence.signature", P11TEE_E_NVIDIA_SIGNATURE,
                 "does not verify with the leaf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_payload_verifies),
        cmocka_unit_test(generated_payload_needs_its_root),
        cmocka_unit_test(generated_fwid_mismatch),
        cmocka_unit_test(generated_two_gpus),
        cmocka_unit_test(generated_trailing_byte),
        cmocka_unit_test(generated_wrong_nonce),
        cmocka_unit_test(generated_bad_signature),
    };
    return TEST_MAIN(tests, session_open, session_close);
}
