/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The API layer's JSON parsers without a network (wire.h): every observed
 * form accepted, every refusal named. test_api_flows holds the rest.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "testlib.h"

#define S(x) x, strlen(x)

static const char models_json[] =
    "{\"object\":\"list\",\"data\":["
    "{\"id\":\"e2ee-qwen\",\"object\":\"model\",\"type\":\"text\",\"model_spec\":{\"name\":\"Q\","
    "\"availableContextTokens\":131072,\"capabilities\":{\"supportsE2EE\":true,"
    "\"supportsTeeAttestation\":false,\"supportsFunctionCalling\":false}}},"
    "{\"id\":\"tee-llama\",\"type\":\"text\",\"model_spec\":{\"capabilities\":"
    "{\"supportsTeeAttestation\":true}}},"
    "{\"id\":\"plain\",\"type\":\"text\"}]}";

static void models_flags(void **state)
{
    api_model_list l;
    p11tee_error err;
    const api_model *m;

    (void)state;
    assert_int_equal(api_parse_models(S(models_json), NULL, &l, &err), P11TEE_OK);
    assert_int_equal(l.count, 3);
    m = api_model_find(&l, "e2ee-qwen");
    assert_non_null(m);
    assert_true(m->supports_e2ee);
    assert_true(m->supports_tee); /* implied by E2EE */
    assert_int_equal(m->context_tokens, 131072);
    assert_true(strview_eq(m->name, "Q"));
    m = api_model_find(&l, "tee-llama");
    assert_false(m->supports_e2ee);
    assert_true(m->supports_tee);
    m = api_model_find(&l, "plain");
    assert_false(m->supports_tee);
    assert_null(api_model_find(&l, "e2ee-qwe"));
    api_model_list_free(&l);
}

static void models_refusals(void **state)
{
    static const struct {
        const char *json;
        p11tee_status code;
        const char *needle;
    } bad[] = {
        {"{\"object\":\"list\"}", P11TEE_E_JSON_FIELD, "\"data\""},
        {"{\"data\":{}}", P11TEE_E_JSON_FIELD, "expected an array"},
        {"{\"data\":[{\"type\":\"text\"}]}", P11TEE_E_JSON_FIELD, "\"id\""},
        {"{\"data\":[{\"id\":7}]}", P11TEE_E_JSON_FIELD, "expected a string"},
        {"{\"data\":[{\"id\":\"\"}]}", P11TEE_E_JSON_FIELD, "empty id"},
        {"{\"data\":[{\"id\":\"a\",\"model_spec\":{\"capabilities\":{\"supportsE2EE\":\"yes\"}}}]}",
         P11TEE_E_JSON_FIELD, "supportsE2EE"},
        {"{\"data\":[]} x", P11TEE_E_JSON, "not valid JSON"},
        {"{\"data\":[", P11TEE_E_JSON, "truncated"},
        {"[1,2", P11TEE_E_JSON, "truncated"},
        {"{\"data\":[\"\xff\"]}", P11TEE_E_JSON, "not valid JSON"},
    };
    api_model_list l;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(api_parse_models(S(bad[i].json), NULL, &l, &err), bad[i].code);
        assert_int_equal(err.code, bad[i].code);
        if (strstr(err.message, bad[i].needle) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].needle);
        assert_null(l.root);
    }
}

static void json_bounds(void **state)
{
    char deep[200];
    json_object *o;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < 100; i++)
        deep[i] = '[';
    for (i = 100; i < 200; i++)
        deep[i] = ']';
    assert_int_equal(sjson_parse(deep, sizeof(deep), 1024, "doc", &o, &err), P11TEE_E_JSON);
    assert_non_null(strstr(err.message, "too deep"));
    assert_int_equal(sjson_parse(S("{\"a\":1}"), 3, "doc", &o, &err), P11TEE_E_TOO_LARGE);
    assert_int_equal(sjson_parse(S(" {\"a\":1} \n"), 64, "doc", &o, &err), P11TEE_OK);
    json_object_put(o);
    /* An embedded NUL ends nothing: the length is the contract. */
    assert_int_equal(sjson_parse("{\"a\":1}\0{", 9, 64, "doc", &o, &err), P11TEE_E_JSON);
}

static const char att_json[] =
    "{\"verified\":true,\"nonce\":\"ab\",\"model\":\"e2ee-qwen\",\"tee_provider\":\"phala\","
    "\"signing_public_key\":\"1234\",\"signing_address\":\"0xabc\",\"debug\":false,"
    "\"intel_quote\":\"0400\",\"nvidia_payload\":{\"nonce\":\"ab\",\"arch\":\"HOPPER\"},"
    "\"info\":{\"tcb_info\":{\"app_compose\":\"{}\"}}}";

static void attestation_fields(void **state)
{
    api_attestation a;
    p11tee_error err;
    json_object *nv;

    (void)state;
    assert_int_equal(api_parse_attestation(S(att_json), NULL, NULL, &a, &err), P11TEE_OK);
    assert_true(a.ev.has_verified && a.ev.verified);
    assert_true(a.ev.has_debug && !a.ev.debug);
    assert_true(strview_eq(a.ev.nonce, "ab"));
    assert_true(strview_eq(a.ev.model, "e2ee-qwen"));
    assert_true(strview_eq(a.ev.signing_key, "1234"));
    assert_string_equal(a.ev.signing_key_field, "signing_public_key");
    assert_true(strview_eq(a.ev.signing_address, "0xabc"));
    assert_true(strview_eq(a.ev.intel_quote, "0400"));
    assert_true(strview_eq(a.tee_provider, "phala"));
    assert_true(strview_eq(a.ev.app_compose, "{}"));
    /* the object form of nvidia_payload is handed on as JSON text */
    assert_int_equal(
        sjson_parse(a.ev.nvidia_payload.p, a.ev.nvidia_payload.len, 1024, "nv", &nv, &err),
        P11TEE_OK);
    assert_non_null(json_object_object_get(nv, "arch"));
    json_object_put(nv);
    api_attestation_free(&a);

    assert_int_equal(api_parse_attestation(S("{\"signing_key\":\"04aa\",\"nvidia_payload\":"
                                             "\"{\\\"nonce\\\":1}\",\"app_compose\":\"x\"}"),
                                           NULL, NULL, &a, &err),
                     P11TEE_OK);
    assert_string_equal(a.ev.signing_key_field, "signing_key");
    assert_true(strview_eq(a.ev.nvidia_payload, "{\"nonce\":1}"));
    assert_true(strview_eq(a.ev.app_compose, "x"));
    assert_false(a.ev.has_verified);
    api_attestation_free(&a);
}

/* Both shapes at once, every place an item may be, tcb_info as a JSON string. */
static void attestation_aci_shape(void **state)
{
    static const char both[] =
        "{\"intel_quote\":\"0400\",\"signing_key\":\"04aa\",\"app_compose\":\"c\","
        "\"event_log\":\"[]\",\"vm_config\":{\"num_gpus\":0},"
        "\"info\":{\"tcb_info\":\"{\\\"app_compose\\\":\\\"c\\\",\\\"event_log\\\":[]}\"},"
        "\"api_version\":\"aci/1\",\"workload_id\":\"sha256:11\","
        "\"workload_keyset_digest\":\"sha256:22\",\"attestation\":{\"tee_type\":\"tdx\","
        "\"report_data\":\"ab\",\"workload_keyset\":{\"e2ee_public_keys\":[]},"
        "\"keyset_endorsement\":{\"algo\":\"ecdsa-secp256k1\",\"value\":\"00\"},"
        "\"source_provenance\":{\"repo_commit\":\"abc\",\"repo_url\":null},"
        "\"evidence\":{\"quote\":\"0401\",\"app_compose\":\"d\",\"event_log\":\"[ ]\","
        "\"vm_config\":\"{}\"}}}";
    static const char aci_only[] =
        "{\"api_version\":\"aci/1\",\"attestation\":{\"workload_keyset\":{"
        "\"e2ee_public_keys\":[{\"key_id\":\"x\",\"algo\":\"x25519-aes-256-gcm-hkdf-sha256\","
        "\"public_key\":\"55\"},{\"key_id\":\"e\",\"algo\":\"secp256k1-aes-256-gcm-hkdf-sha256\","
        "\"public_key\":\"04bb\"}]},\"evidence\":{\"quote\":\"0402\"}}}";
    api_attestation a;
    p11tee_error err;

    (void)state;
    assert_int_equal(api_parse_attestation(S(both), NULL, NULL, &a, &err), P11TEE_OK);
    assert_true(a.ev.aci.present);
    assert_true(strview_eq(a.ev.aci.api_version, "aci/1"));
    assert_true(strview_eq(a.ev.aci.keyset_digest, "sha256:22"));
    assert_true(strview_eq(a.ev.aci.endorsement_algo, "ecdsa-secp256k1"));
    assert_true(strview_eq(a.ev.aci.repo_commit, "abc"));
    assert_null(a.ev.aci.repo_url.p);
    assert_non_null(a.ev.aci.keyset);
    /* every copy, where it was; the first is judged */
    assert_int_equal(a.ev.app_compose_copies.n, 3);
    assert_string_equal(a.ev.app_compose_copies.where[1], "info.tcb_info.app_compose");
    assert_true(strview_eq(a.ev.app_compose_copies.text[2], "d"));
    assert_true(strview_eq(a.ev.app_compose, "c"));
    assert_int_equal(a.ev.event_log.n, 3);
    assert_true(strview_eq(a.ev.event_log.text[1], "[]")); /* the array, as JSON text */
    assert_int_equal(a.ev.vm_config.n, 2);
    assert_true(strview_eq(a.ev.vm_config.text[0], "{\"num_gpus\":0}"));
    assert_int_equal(a.ev.quotes.n, 2);
    assert_true(strview_eq(a.ev.quotes.text[1], "0401"));
    assert_true(strview_eq(a.ev.intel_quote, "0400"));
    assert_true(strview_eq(a.ev.signing_key, "04aa"));
    api_attestation_free(&a);

    /* the ACI envelope alone: the quote, and the keys of our algorithm to choose from */
    assert_int_equal(api_parse_attestation(S(aci_only), NULL, NULL, &a, &err), P11TEE_OK);
    assert_true(strview_eq(a.ev.intel_quote, "0402"));
    assert_null(a.ev.signing_key.p);
    assert_int_equal(a.ev.keyset_keys.n, 1);
    assert_true(strview_eq(a.ev.keyset_keys.text[0], "04bb"));
    assert_string_equal(a.ev.keyset_keys.where[0], "attestation.workload_keyset.e2ee_public_keys");
    api_attestation_free(&a);

    assert_int_equal(
        api_parse_attestation(S("{\"info\":{\"tcb_info\":\"[1]\"}}"), NULL, NULL, &a, &err),
        P11TEE_E_JSON_FIELD);
    assert_non_null(strstr(err.message, "tcb_info is not an object"));
    assert_int_equal(
        api_parse_attestation(S("{\"info\":{\"tcb_info\":\"{\"}}"), NULL, NULL, &a, &err),
        P11TEE_E_JSON);
    assert_int_equal(api_parse_attestation(S("{\"event_log\":5}"), NULL, NULL, &a, &err),
                     P11TEE_E_JSON_FIELD);
    assert_non_null(strstr(err.message, "\"event_log\" is neither a string nor a JSON value"));
}

static void attestation_near_wrapper(void **state)
{
    static const char near[] = "{\"model_attestations\":["
                               "{\"model\":\"a\",\"signing_address\":\"0x1\"},"
                               "{\"model\":\"b\",\"signing_address\":\"0x2\"}]}";
    static const char one[] = "{\"model_attestations\":[{\"model\":\"a\",\"nonce\":\"n\"}]}";
    api_attestation a;
    p11tee_error err;

    (void)state;
    assert_int_equal(api_parse_attestation(S(near), "b", NULL, &a, &err), P11TEE_OK);
    assert_true(strview_eq(a.ev.signing_address, "0x2"));
    api_attestation_free(&a);
    assert_int_equal(api_parse_attestation(S(near), "c", NULL, &a, &err),
                     P11TEE_E_ATTEST_MODEL_MISMATCH);
    assert_int_equal(api_parse_attestation(S(near), NULL, NULL, &a, &err), P11TEE_E_JSON_FIELD);
    assert_non_null(strstr(err.message, "name the model"));
    assert_int_equal(api_parse_attestation(S(one), NULL, NULL, &a, &err), P11TEE_OK);
    assert_true(strview_eq(a.ev.nonce, "n"));
    api_attestation_free(&a);
    assert_int_equal(api_parse_attestation(S("{\"model_attestations\":[3]}"), "a", NULL, &a, &err),
                     P11TEE_E_JSON_FIELD);
}

static void attestation_refusals(void **state)
{
    static const char *bad[] = {
        "{\"verified\":\"true\"}",
        "{\"debug\":0}",
        "{\"nonce\":12}",
        "{\"signing_key\":[]}",
        "{\"nvidia_payload\":5}",
        "{\"intel_quote\":{}}",
        "[]",
    };
    api_attestation a;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(api_parse_attestation(S(bad[i]), NULL, NULL, &a, &err),
                         P11TEE_E_JSON_FIELD);
        assert_null(a.root);
    }
}

static void signature_forms(void **state)
{
    api_signature s;
    p11tee_error err;

    (void)state;
    assert_int_equal(api_parse_signature(S("{\"text\":\"a:b\",\"signature\":\"0x11\","
                                           "\"signing_address\":\"0x22\",\"signing_algo\":"
                                           "\"ecdsa\"}"),
                                         NULL, &s, &err),
                     P11TEE_OK);
    assert_true(strview_eq(s.text, "a:b"));
    assert_true(strview_eq(s.signature, "0x11"));
    assert_true(strview_eq(s.signing_algo, "ecdsa"));
    api_signature_free(&s);
    assert_int_equal(api_parse_signature(S("{\"text\":\"m:a:b\",\"signature\":{\"algorithm\":"
                                           "\"ecdsa\",\"value\":\"0x33\",\"public_key\":\"04\"}}"),
                                         NULL, &s, &err),
                     P11TEE_OK);
    assert_true(strview_eq(s.signature, "0x33"));
    assert_true(strview_eq(s.signing_algo, "ecdsa"));
    assert_true(strview_eq(s.public_key, "04"));
    api_signature_free(&s);
    assert_int_equal(api_parse_signature(S("{\"signature\":\"0x1\"}"), NULL, &s, &err),
                     P11TEE_E_JSON_FIELD);
    assert_int_equal(api_parse_signature(S("{\"text\":\"a\",\"signature\":{}}"), NULL, &s, &err),
                     P11TEE_E_JSON_FIELD);
    assert_int_equal(api_parse_signature(S("{\"text\":\"a\"}"), NULL, &s, &err),
                     P11TEE_E_JSON_FIELD);
}

static void chat_parts(void **state)
{
    json_object *o;
    api_chat_part p;
    p11tee_error err;

    (void)state;
    assert_int_equal(sjson_parse(S("{\"id\":\"chatcmpl-1\",\"model\":\"m\",\"choices\":[{"
                                   "\"delta\":{\"role\":\"assistant\",\"content\":\"hi\","
                                   "\"reasoning_content\":\"r\"},\"finish_reason\":null}]}"),
                                 1024, "chunk", &o, &err),
                     P11TEE_OK);
    assert_int_equal(api_parse_chat_chunk(o, &p, &err), P11TEE_OK);
    assert_true(strview_eq(p.id, "chatcmpl-1"));
    assert_int_equal(p.nchoices, 1);
    assert_int_equal(p.choices[0].index, 0);
    assert_true(strview_eq(p.choices[0].content, "hi"));
    assert_true(strview_eq(p.choices[0].reasoning_content, "r"));
    assert_true(strview_eq(p.choices[0].role, "assistant"));
    assert_null(p.choices[0].finish_reason.p);
    assert_false(p.usage.present);
    assert_false(p.error.present);
    json_object_put(o);

    /* a usage-only chunk with no choices */
    assert_int_equal(sjson_parse(S("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
                                   "3,\"completion_tokens\":4,\"total_tokens\":7}}"),
                                 1024, "chunk", &o, &err),
                     P11TEE_OK);
    assert_int_equal(api_parse_chat_chunk(o, &p, &err), P11TEE_OK);
    assert_true(p.usage.present);
    assert_int_equal(p.usage.total_tokens, 7);
    assert_int_equal(p.nchoices, 0);
    json_object_put(o);

    assert_int_equal(sjson_parse(S("{\"choices\":[{\"message\":{\"content\":\"whole\"},"
                                   "\"finish_reason\":\"stop\"}]}"),
                                 1024, "completion", &o, &err),
                     P11TEE_OK);
    assert_int_equal(api_parse_chat_completion(o, &p, &err), P11TEE_OK);
    assert_true(strview_eq(p.choices[0].content, "whole"));
    assert_true(strview_eq(p.choices[0].finish_reason, "stop"));
    json_object_put(o);

    assert_int_equal(
        sjson_parse(S("{\"choices\":[{\"delta\":{\"content\":5}}]}"), 1024, "chunk", &o, &err),
        P11TEE_OK);
    assert_int_equal(api_parse_chat_chunk(o, &p, &err), P11TEE_E_JSON_FIELD);
    assert_non_null(strstr(err.message, "content"));
    json_object_put(o);
}

static api_chat_part *parse_chunk(const char *json, p11tee_status want, p11tee_error *err)
{
    static api_chat_part p;
    json_object *o = NULL;

    assert_int_equal(sjson_parse(json, strlen(json), 4096, "chunk", &o, err), P11TEE_OK);
    assert_int_equal(api_parse_chat_chunk(o, &p, err), want);
    json_object_put(o); /* the tests below read only counts and flags */
    return &p;
}

/* What the gateway sends: n > 1, delta null, errors in the stream, reasoning in clear. */
static void chat_parts_gateway(void **state)
{
    p11tee_error err;
    api_chat_part *p;

    (void)state;
    p = parse_chunk("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"}},"
                    "{\"index\":0,\"delta\":null,\"finish_reason\":\"stop\"}]}",
                    P11TEE_OK, &err);
    assert_int_equal(p->nchoices, 2);
    assert_int_equal(p->choices[0].index, 1);
    assert_int_equal(p->choices[1].index, 0);
    assert_null(p->choices[1].content.p);
    p = parse_chunk("{\"choices\":[{\"index\":16,\"delta\":{}}]}", P11TEE_E_JSON_FIELD, &err);
    assert_non_null(strstr(err.message, "choice index 16 is outside 0..15"));
    p = parse_chunk("{\"choices\":[{\"index\":-1,\"delta\":{}}]}", P11TEE_E_JSON_FIELD, &err);
    p = parse_chunk("{\"error\":{\"message\":\"upstream failed\",\"type\":\"server_error\","
                    "\"code\":500}}",
                    P11TEE_OK, &err);
    assert_true(p->error.present);
    assert_int_equal(p->error.type.len, strlen("server_error"));
    p = parse_chunk("{\"error\":\"rate limited\"}", P11TEE_OK, &err);
    assert_true(p->error.present);
    assert_int_equal(p->error.message.len, strlen("rate limited"));
    assert_null(p->error.type.p);
    p = parse_chunk("{\"error\":{\"message\":7}}", P11TEE_OK, &err);
    assert_true(p->error.present);
    assert_null(p->error.message.p);
    p = parse_chunk("{\"choices\":[{\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.text\","
                    "\"text\":\"t\"}]}}]}",
                    P11TEE_OK, &err);
    assert_true(p->choices[0].clear_reasoning);
    p = parse_chunk(
        "{\"choices\":[{\"delta\":{\"reasoning_details\":[],\"thinking_blocks\":null}}]}",
        P11TEE_OK, &err);
    assert_false(p->choices[0].clear_reasoning);
    p = parse_chunk("{\"choices\":[{\"delta\":{\"thinking_blocks\":[{\"thinking\":\"x\"}]}}]}",
                    P11TEE_OK, &err);
    assert_true(p->choices[0].clear_reasoning);
}

static void parser_reuse(void **state)
{
    sjson_parser *p = sjson_parser_new();
    json_object *o;
    p11tee_error err;
    int i;

    (void)state;
    assert_non_null(p);
    for (i = 0; i < 3; i++) {
        assert_int_equal(sjson_parser_parse(p, S("{\"a\":[1,2]}"), "chunk", &o, &err), P11TEE_OK);
        json_object_put(o);
        assert_int_equal(sjson_parser_parse(p, S("{\"a\":"), "chunk", &o, &err), P11TEE_E_JSON);
    }
    sjson_parser_free(p);
    sjson_parser_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(models_flags),
        cmocka_unit_test(models_refusals),
        cmocka_unit_test(json_bounds),
        cmocka_unit_test(attestation_fields),
        cmocka_unit_test(attestation_aci_shape),
        cmocka_unit_test(attestation_near_wrapper),
        cmocka_unit_test(attestation_refusals),
        cmocka_unit_test(signature_forms),
        cmocka_unit_test(chat_parts),
        cmocka_unit_test(parser_reuse),
        cmocka_unit_test(chat_parts_gateway),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
