/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The E2EE envelope and request sealing, every ECDH in a throwaway SoftHSM
 * token: round trips, the wire layout, and every refusal with its code and
 * never a byte of plaintext from a failed open.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "e2ee/e2ee.h"
#include "testlib.h"

static test_token token;
static hsm_ctx *hsm;
static hsm_key *key;   /* the recipient ("client session key") */
static hsm_key *other; /* someone else's key */
static uint8_t key_pub[P11TEE_PUBKEY_BYTES];
static char key_pub_hex[2 * P11TEE_PUBKEY_BYTES + 1];

static int setup(void **state)
{
    hsm_config cfg = {.module = NULL, .token = NULL};
    size_t n;

    (void)state;
    test_token_create(&token, "p11tee-envelope");
    cfg.module = token.module;
    cfg.token = token.uri;
    if (hsm_ctx_new(&cfg, &hsm, NULL) != P11TEE_OK ||
        hsm_key_generate(hsm, "secp256k1", &key, NULL) != P11TEE_OK ||
        hsm_key_generate(hsm, "secp256k1", &other, NULL) != P11TEE_OK ||
        hsm_key_public(key, key_pub, sizeof(key_pub), &n, NULL) != P11TEE_OK)
        return -1;
    hex_encode(key_pub, sizeof(key_pub), key_pub_hex, sizeof(key_pub_hex));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hsm_key_free(key);
    hsm_key_free(other);
    hsm_ctx_free(hsm);
    test_token_destroy(&token);
    return 0;
}

static char *seal(const void *pt, size_t len)
{
    char *hex = NULL;
    size_t hexlen = 0;

    assert_int_equal(envelope_seal(hsm, key_pub, pt, len, &hex, &hexlen, NULL), P11TEE_OK);
    assert_int_equal(hexlen, 2 * (ENVELOPE_OVERHEAD + len));
    assert_int_equal(strlen(hex), hexlen);
    return hex;
}

static void round_trips(void **state)
{
    static const char *const msgs[] = {"", "a", "héllo wörld ✓ 漢字 🙂",
                                       "0123456789abcdef"};
    uint8_t *pt, big[70000];
    size_t i, len;
    char *hex;

    (void)state;
    for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        hex = seal(msgs[i], strlen(msgs[i]));
        assert_int_equal(envelope_open(key, hex, strlen(hex), &pt, &len, NULL), P11TEE_OK);
        assert_int_equal(len, strlen(msgs[i]));
        assert_memory_equal(pt, msgs[i], len);
        assert_int_equal(pt[len], '\0');
        envelope_plaintext_free(pt, len + 1);
        free(hex);
    }
    test_random(big, sizeof(big));
    hex = seal(big, sizeof(big));
    assert_int_equal(envelope_open(key, hex, strlen(hex), &pt, &len, NULL), P11TEE_OK);
    assert_int_equal(len, sizeof(big));
    assert_memory_equal(pt, big, len);
    envelope_plaintext_free(pt, len + 1);
    free(hex);
}

static void wire_layout(void **state)
{
    char *a = seal("same", 4), *b = seal("same", 4);
    size_t i;

    (void)state;
    /* lowercase hex, starting with an uncompressed point */
    for (i = 0; a[i] != '\0'; i++)
        assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
    assert_memory_equal(a, "04", 2);
    /* a fresh ephemeral key and a fresh nonce per field */
    assert_memory_not_equal(a, b, 2 * P11TEE_PUBKEY_BYTES);
    assert_memory_not_equal(a + 2 * P11TEE_PUBKEY_BYTES, b + 2 * P11TEE_PUBKEY_BYTES,
                            2 * ENVELOPE_NONCE_BYTES);
    assert_true(envelope_is_ciphertext(a, strlen(a)));
    free(a);
    free(b);
}

/* Open must fail with `code` and return no plaintext at all. */
static void refuse(hsm_key *k, const char *hex, p11tee_status code)
{
    uint8_t *pt = (uint8_t *)"sentinel";
    size_t len = 99;
    p11tee_error err;

    assert_int_equal(envelope_open(k, hex, strlen(hex), &pt, &len, &err), code);
    assert_int_equal(err.code, code);
    assert_null(pt);
    assert_int_equal(len, 0);
}

static void flip(char *hex, size_t at)
{
    hex[at] = hex[at] == '0' ? '1' : '0';
}

static void tampering(void **state)
{
    char *hex = seal("attack at dawn", 14);
    size_t n = strlen(hex), at;
    const size_t positions[] = {2 * P11TEE_PUBKEY_BYTES,                          /* nonce */
                                2 * (P11TEE_PUBKEY_BYTES + ENVELOPE_NONCE_BYTES), /* ciphertext */
                                n - 1,                                            /* tag */
                                n - 2 * ENVELOPE_TAG_BYTES};

    (void)state;
    refuse(other, hex, P11TEE_E_ENVELOPE_AUTH); /* the wrong key */
    for (at = 0; at < sizeof(positions) / sizeof(positions[0]); at++) {
        char *t = strdup(hex);

        flip(t, positions[at]);
        refuse(key, t, P11TEE_E_ENVELOPE_AUTH);
        free(t);
    }
    free(hex);
}

static void malformed(void **state)
{
    char *hex = seal("x", 1), *t;
    p11tee_error err;
    uint8_t *pt;
    size_t len;

    (void)state;
    t = strdup(hex);
    t[100] = 'g';
    refuse(key, t, P11TEE_E_CIPHERTEXT_NOT_HEX);
    free(t);
    refuse(key, "hello, world: not an envelope", P11TEE_E_CIPHERTEXT_NOT_HEX);
    t = strndup(hex, strlen(hex) - 1);
    refuse(key, t, P11TEE_E_HEX_ODD_LENGTH);
    free(t);
    t = strndup(hex, ENVELOPE_MIN_HEX - 2);
    refuse(key, t, P11TEE_E_ENVELOPE_SHORT);
    free(t);
    /* the shortest envelope is an empty plaintext: 186 characters, accepted by shape */
    assert_int_equal(envelope_open(key, hex, ENVELOPE_MIN_HEX, &pt, &len, &err),
                     P11TEE_E_ENVELOPE_AUTH);
    /* compressed-point prefix, and a point off the curve */
    t = strdup(hex);
    t[1] = '2';
    refuse(key, t, P11TEE_E_ENVELOPE_EPHEMERAL);
    memcpy(t, "04", 2);
    memset(t + 2, '0', 2 * (P11TEE_PUBKEY_BYTES - 1) - 1);
    t[2 * P11TEE_PUBKEY_BYTES - 1] = '1';
    refuse(key, t, P11TEE_E_ENVELOPE_EPHEMERAL);
    free(t);
    free(hex);
}

static void open_refuses_oversized(void **state)
{
    size_t n = 2 * (ENVELOPE_OVERHEAD + (size_t)ENVELOPE_MAX_PLAINTEXT + 1);
    char *hex = malloc(n + 1);

    (void)state;
    assert_non_null(hex);
    memset(hex, 'a', n);
    hex[n] = '\0';
    refuse(key, hex, P11TEE_E_TOO_LARGE);
    free(hex);
}

static void seal_refusals(void **state)
{
    uint8_t bad_pub[P11TEE_PUBKEY_BYTES];
    char *hex = (char *)"x";
    p11tee_error err;

    (void)state;
    memcpy(bad_pub, key_pub, sizeof(bad_pub));
    bad_pub[64] ^= 1; /* off the curve */
    assert_int_equal(envelope_seal(hsm, bad_pub, (const uint8_t *)"a", 1, &hex, NULL, &err),
                     P11TEE_E_PEER_OFF_CURVE);
    assert_null(hex);
    assert_int_equal(envelope_seal(hsm, key_pub, (const uint8_t *)"a", ENVELOPE_MAX_PLAINTEXT + 1,
                                   &hex, NULL, &err),
                     P11TEE_E_TOO_LARGE);
}

static void key_validators(void **state)
{
    uint8_t out[P11TEE_PUBKEY_BYTES];
    char upper[131];
    p11tee_error err;
    size_t i;

    (void)state;
    assert_int_equal(key_check_client(key_pub_hex, 130, &err), P11TEE_OK);
    assert_int_equal(key_check_client(key_pub_hex + 2, 128, &err), P11TEE_E_CLIENT_KEY_INVALID);
    assert_int_equal(key_check_client("02abcd", 6, &err), P11TEE_E_CLIENT_KEY_INVALID);
    assert_int_equal(key_parse_model(key_pub_hex, 130, out, &err), P11TEE_OK);
    assert_memory_equal(out, key_pub, P11TEE_PUBKEY_BYTES);
    assert_int_equal(key_parse_model(key_pub_hex + 2, 128, out, &err), P11TEE_OK);
    assert_memory_equal(out, key_pub, P11TEE_PUBKEY_BYTES);
    for (i = 0; i <= 130; i++)
        upper[i] = (char)(key_pub_hex[i] >= 'a' ? key_pub_hex[i] - 32 : key_pub_hex[i]);
    assert_int_equal(key_parse_model(upper, 130, out, &err), P11TEE_OK);
    assert_int_equal(key_parse_model(key_pub_hex, 129, out, &err), P11TEE_E_MODEL_KEY_INVALID);
    upper[0] = '0';
    upper[1] = '3';
    assert_int_equal(key_parse_model(upper, 130, out, &err), P11TEE_E_MODEL_KEY_INVALID);
    assert_false(envelope_is_ciphertext("abc", 3));
    assert_false(envelope_is_ciphertext(key_pub_hex, 130));
}

/* The request as the model would see it: open every envelope with `key`. */
static void open_member(json_object *obj, const char *member, const char *want)
{
    json_object *v = json_object_object_get(obj, member);
    uint8_t *pt;
    size_t len;

    assert_non_null(v);
    assert_true(
        envelope_is_ciphertext(json_object_get_string(v), (size_t)json_object_get_string_len(v)));
    assert_int_equal(envelope_open(key, json_object_get_string(v),
                                   (size_t)json_object_get_string_len(v), &pt, &len, NULL),
                     P11TEE_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(pt, want, len);
    envelope_plaintext_free(pt, len + 1);
}

static void request_sealing(void **state)
{
    static const char req[] =
        "{\"model\":\"ignored\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"be brief\"},"
        "{\"role\":\"user\",\"content\":\"first\"},"
        "{\"role\":\"assistant\",\"content\":\"answer\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"part one\"},"
        "{\"type\":\"text\",\"text\":\"part \\\"two\\\"/\"}]},"
        "{\"role\":\"user\",\"content\":\" [1, \\\"two\\\"] \"},"
        "{\"role\":\"user\",\"content\":\"[not json\"}],"
        "\"venice_parameters\":{\"enable_web_search\":\"off\",\"character_slug\":\"x\"}}";
    e2ee_session *s;
    json_object *root, *msgs, *vp;
    char *out, hdr[3][E2EE_HEADER_MAX];
    size_t len;

    (void)state;
    /* the "model key" is the token key, so this test can open what it sealed */
    assert_int_equal(e2ee_session_new(hsm, "e2ee-test", (strview){key_pub_hex, 130}, &s, NULL),
                     P11TEE_OK);
    assert_int_equal(key_check_client(s->client_pub_hex, 130, NULL), P11TEE_OK);
    assert_int_equal(e2ee_prepare_request(s, req, strlen(req), &out, &len, NULL), P11TEE_OK);
    assert_int_equal(sjson_parse(out, len, SJSON_DOC_MAX, "request", &root, NULL), P11TEE_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(root, "model")), "e2ee-test");
    assert_true(json_object_get_boolean(json_object_object_get(root, "stream")));
    vp = json_object_object_get(root, "venice_parameters");
    assert_true(json_object_get_boolean(json_object_object_get(vp, "enable_e2ee")));
    assert_false(
        json_object_get_boolean(json_object_object_get(vp, "include_venice_system_prompt")));
    assert_string_equal(json_object_get_string(json_object_object_get(vp, "enable_web_search")),
                        "off");
    assert_string_equal(json_object_get_string(json_object_object_get(vp, "character_slug")), "x");
    msgs = json_object_object_get(root, "messages");
    open_member(json_object_array_get_idx(msgs, 0), "content", "be brief");
    open_member(json_object_array_get_idx(msgs, 1), "content", "first");
    open_member(json_object_array_get_idx(msgs, 2), "content", "answer");
    /* an array of text parts: one envelope of its JSON text */
    open_member(json_object_array_get_idx(msgs, 3), "content",
                "[{\"type\":\"text\",\"text\":\"part one\"},"
                "{\"type\":\"text\",\"text\":\"part \\\"two\\\"/\"}]");
    /* text that parses as a JSON array travels as a one-part array, or the server reads parts */
    open_member(json_object_array_get_idx(msgs, 4), "content",
                "[{\"type\":\"text\",\"text\":\" [1, \\\"two\\\"] \"}]");
    open_member(json_object_array_get_idx(msgs, 5), "content", "[not json");
    assert_null(strstr(out, "be brief"));
    json_object_put(root);
    free(out);
    e2ee_headers(s, hdr);
    assert_memory_equal(hdr[0], "X-Venice-TEE-Client-Pub-Key: 04", 31);
    assert_string_equal(hdr[1] + strlen("X-Venice-TEE-Model-Pub-Key: "), key_pub_hex);
    assert_string_equal(hdr[2], "X-Venice-TEE-Signing-Algo: ecdsa");
    e2ee_session_free(s);
}

static void request_refusals(void **state)
{
    static const struct {
        const char *json;
        p11tee_status code;
        const char *needle;
    } bad[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stream\":false}",
         P11TEE_E_E2EE_UNSUPPORTED, "requires streaming"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "function calling"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"functions\":[{}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "function calling"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tool_choice\":\"auto\"}",
         P11TEE_E_E2EE_UNSUPPORTED, "function calling"},
        {"{\"messages\":[{\"role\":\"tool\",\"content\":\"a\"}]}", P11TEE_E_E2EE_UNSUPPORTED,
         "function calling"},
        {"{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{}]}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "function calling"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
         "\"image_url\":{\"url\":\"x\"}}]}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "\"image_url\" part"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "\"input_audio\" part"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\"}]}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "\"file\" part"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"venice_parameters\":"
         "{\"enable_web_search\":\"auto\"}}",
         P11TEE_E_E2EE_UNSUPPORTED, "web search"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"venice_parameters\":"
         "{\"enable_web_search\":true}}",
         P11TEE_E_E2EE_UNSUPPORTED, "web search"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"name\":\"alice-ssn-123\"}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "messages[0].name would travel unencrypted"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\","
         "\"content\":\"a\",\"reasoning_content\":\"private thoughts\"}]}",
         P11TEE_E_E2EE_UNSUPPORTED, "messages[1].reasoning_content would travel unencrypted"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"user\":\"alice@example.com\"}",
         P11TEE_E_E2EE_UNSUPPORTED, "parameter \"user\" would travel unencrypted"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"prompt\":\"secret\"}",
         P11TEE_E_E2EE_UNSUPPORTED, "parameter \"prompt\" would travel unencrypted"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logprobs\":true}",
         P11TEE_E_E2EE_UNSUPPORTED,
         "\"logprobs\" is refused with E2EE: the server would return every output token in "
         "clear"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"top_logprobs\":0}",
         P11TEE_E_E2EE_UNSUPPORTED, "\"top_logprobs\" is refused with E2EE"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stop\":[\"\\n\\n\"]}",
         P11TEE_E_E2EE_UNSUPPORTED,
         "\"stop\" is refused with E2EE: stop sequences travel unencrypted"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stop\":\"END\"}",
         P11TEE_E_E2EE_UNSUPPORTED, "\"stop\" is refused"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"response_format\":"
         "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"patient\"}}}",
         P11TEE_E_E2EE_UNSUPPORTED,
         "\"response_format\" is refused with E2EE: a response format and its schema travel "
         "unencrypted"},
        {"{\"messages\":[]}", P11TEE_E_INVALID_ARG, "no messages"},
        {"{\"messages\":[{\"content\":\"a\"}]}", P11TEE_E_INVALID_ARG, "no role"},
        {"{\"messages\":[{\"role\":\"user\"}]}", P11TEE_E_INVALID_ARG, "no content"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":7}]}", P11TEE_E_INVALID_ARG,
         "neither a string"},
        {"[1]", P11TEE_E_INVALID_ARG, "not a JSON object"},
    };
    e2ee_session *s;
    p11tee_error err;
    char *out = (char *)"sentinel";
    size_t i;

    (void)state;
    assert_int_equal(e2ee_session_new(hsm, "e2ee-test", (strview){key_pub_hex, 130}, &s, NULL),
                     P11TEE_OK);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(e2ee_check_request(bad[i].json, strlen(bad[i].json), &err), bad[i].code);
        if (strstr(err.message, bad[i].needle) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].needle);
        assert_int_equal(
            e2ee_prepare_request(s, bad[i].json, strlen(bad[i].json), &out, NULL, &err),
            bad[i].code);
        assert_null(out);
    }
    /* explicit stream:true, web search off or false, empty tools, parameters that ask
       for nothing: all fine */
    {
        static const char ok[] =
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stream\":true,"
            "\"tools\":[],\"venice_parameters\":{\"enable_web_search\":false},"
            "\"temperature\":0.2,\"max_tokens\":64,\"seed\":7,\"stop\":[],\"logprobs\":false,"
            "\"top_logprobs\":null,\"response_format\":{\"type\":\"text\"}}";

        assert_int_equal(e2ee_check_request(ok, strlen(ok), &err), P11TEE_OK);
    }
    e2ee_session_free(s);
}

static void stream_fields(void **state)
{
    e2ee_stream st;
    e2ee_session *s;
    char *hex;
    uint8_t *pt, pub[P11TEE_PUBKEY_BYTES];
    size_t len;
    int plain;
    p11tee_error err;

    (void)state;
    assert_int_equal(e2ee_session_new(hsm, "m", (strview){key_pub_hex + 2, 128}, &s, NULL),
                     P11TEE_OK);
    assert_string_equal(s->model_pub_header, key_pub_hex + 2); /* sent back as received */
    /* the server seals to the session key */
    assert_int_equal(hex_decode(s->client_pub_hex, 130, pub, sizeof(pub), NULL, NULL), P11TEE_OK);
    assert_int_equal(envelope_seal(hsm, pub, (const uint8_t *)"chunk", 5, &hex, NULL, NULL),
                     P11TEE_OK);
    e2ee_stream_begin(&st, s);
    assert_int_equal(
        e2ee_stream_open_field(&st, (strview){hex, strlen(hex)}, 0, &pt, &len, &plain, &err),
        P11TEE_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(pt, "chunk", 5);
    assert_false(plain);
    envelope_plaintext_free(pt, len + 1);
    free(hex);
    assert_int_equal(
        e2ee_stream_open_field(&st, (strview){"sneaky", 6}, 0, &pt, &len, &plain, &err),
        P11TEE_E_E2EE_PLAINTEXT);
    assert_null(pt);
    assert_null(strstr(err.message, "sneaky"));
    assert_int_equal(
        e2ee_stream_open_field(&st, (strview){"sneaky", 6}, 1, &pt, &len, &plain, &err), P11TEE_OK);
    assert_true(plain);
    assert_string_equal((char *)pt, "sneaky");
    envelope_plaintext_free(pt, len + 1);
    e2ee_stream_end(&st);
    /* a bad model key is refused before any key is generated */
    e2ee_session_free(s);
    assert_int_equal(e2ee_session_new(hsm, "m", (strview){"04abc", 5}, &s, &err),
                     P11TEE_E_MODEL_KEY_INVALID);
    assert_null(s);
}

/* Open `hex` in `st`: the status; a plaintext is checked against `want` and freed. */
static p11tee_status open_in(e2ee_stream *st, const char *hex, const char *want)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    int plain = 0;
    p11tee_error err;
    p11tee_status rc =
        e2ee_stream_open_field(st, (strview){hex, strlen(hex)}, 0, &pt, &len, &plain, &err);

    if (rc == P11TEE_OK) {
        assert_int_equal(len, strlen(want));
        assert_memory_equal(pt, want, len);
    } else {
        assert_null(pt);
    }
    envelope_plaintext_free(pt, len + 1);
    return rc;
}

/*
 * One ECDH per distinct ephemeral key and stream: a key seen before opens
 * from the kept AES key (a field repeated verbatim is then refused as a
 * replay, after the kept key opened it); a tampered field still fails; a
 * bad point is never kept; the ninth key pushes the first out; the end of
 * the stream cleanses.
 */
static void stream_keeps_keys(void **state)
{
    static const uint8_t zero[sizeof(((e2ee_stream *)0)->keys)] = {0};
    char *hex[E2EE_STREAM_KEYS + 1], *bad;
    e2ee_session s = {.key = key};
    e2ee_stream st;
    size_t i;

    (void)state;
    for (i = 0; i < E2EE_STREAM_KEYS + 1; i++)
        hex[i] = seal("piece", 5);
    e2ee_seen_init(&s.seen);
    e2ee_stream_begin(&st, &s);
    assert_int_equal(open_in(&st, hex[0], "piece"), P11TEE_OK);
    assert_int_equal(open_in(&st, hex[0], NULL), P11TEE_E_E2EE_REPLAY);
    assert_int_equal(st.derives, 1);
    assert_int_equal(st.fields, 1);
    /* the same ephemeral key, a tampered ciphertext: refused from the kept key */
    bad = strdup(hex[0]);
    i = 2 * (P11TEE_PUBKEY_BYTES + ENVELOPE_NONCE_BYTES); /* the first ciphertext digit */
    bad[i] = bad[i] == '0' ? '1' : '0';
    assert_int_equal(open_in(&st, bad, NULL), P11TEE_E_ENVELOPE_AUTH);
    assert_int_equal(st.derives, 1);
    /* an ephemeral key off the curve: refused each time, never kept */
    memcpy(bad, hex[1], strlen(hex[1]) + 1);
    bad[2 * P11TEE_PUBKEY_BYTES - 1] = bad[2 * P11TEE_PUBKEY_BYTES - 1] == '0' ? '1' : '0';
    assert_int_equal(open_in(&st, bad, NULL), P11TEE_E_ENVELOPE_EPHEMERAL);
    assert_int_equal(open_in(&st, bad, NULL), P11TEE_E_ENVELOPE_EPHEMERAL);
    assert_int_equal(st.derives, 3);
    for (i = 1; i < E2EE_STREAM_KEYS + 1; i++)
        assert_int_equal(open_in(&st, hex[i], "piece"), P11TEE_OK);
    assert_int_equal(st.derives, 3 + E2EE_STREAM_KEYS);
    assert_int_equal(open_in(&st, hex[E2EE_STREAM_KEYS], NULL), P11TEE_E_E2EE_REPLAY);
    assert_int_equal(st.derives, 3 + E2EE_STREAM_KEYS);
    /* pushed out: derived again, then refused as the replay it is */
    assert_int_equal(open_in(&st, hex[0], NULL), P11TEE_E_E2EE_REPLAY);
    assert_int_equal(st.derives, 4 + E2EE_STREAM_KEYS);
    e2ee_stream_end(&st);
    assert_memory_equal(st.keys, zero, sizeof(zero));
    e2ee_seen_free(&s.seen);
    for (i = 0; i < E2EE_STREAM_KEYS + 1; i++)
        free(hex[i]);
    free(bad);
}

/*
 * A field the session opened before is refused, by name, in the stream
 * that saw it and in any later stream of the session; its text is never
 * returned. A field sealed to another session's key does not even open.
 */
static void replays_are_refused_session_wide(void **state)
{
    e2ee_session *s, *s2;
    e2ee_stream st, st2;
    uint8_t pub[P11TEE_PUBKEY_BYTES], *pt = (uint8_t *)"x";
    char *a, *b, *c;
    size_t len = 7;
    int plain = 7;
    p11tee_error err;

    (void)state;
    assert_int_equal(e2ee_session_new(hsm, "m", (strview){key_pub_hex, 130}, &s, NULL), P11TEE_OK);
    assert_int_equal(e2ee_session_new(hsm, "m", (strview){key_pub_hex, 130}, &s2, NULL), P11TEE_OK);
    assert_int_equal(hex_decode(s->client_pub_hex, 130, pub, sizeof(pub), NULL, NULL), P11TEE_OK);
    assert_int_equal(envelope_seal(hsm, pub, (const uint8_t *)"first", 5, &a, NULL, NULL),
                     P11TEE_OK);
    assert_int_equal(envelope_seal(hsm, pub, (const uint8_t *)"second", 6, &b, NULL, NULL),
                     P11TEE_OK);
    assert_int_equal(envelope_seal(hsm, pub, (const uint8_t *)"third", 5, &c, NULL, NULL),
                     P11TEE_OK);
    e2ee_stream_begin(&st, s);
    assert_int_equal(open_in(&st, a, "first"), P11TEE_OK);
    assert_int_equal(open_in(&st, b, "second"), P11TEE_OK);
    assert_int_equal(
        e2ee_stream_open_field(&st, (strview){a, strlen(a)}, 0, &pt, &len, &plain, &err),
        P11TEE_E_E2EE_REPLAY);
    assert_null(pt);
    assert_int_equal(len, 0);
    assert_string_equal(err.message,
                        "the server sent an encrypted field a second time (the same ephemeral key "
                        "and nonce as one this session opened before): a relay is repeating parts "
                        "of the answer; the copy was not shown");
    /* upper-case hex is the same envelope */
    for (len = 0; a[len] != '\0'; len++)
        a[len] = (char)toupper((unsigned char)a[len]);
    assert_int_equal(open_in(&st, a, NULL), P11TEE_E_E2EE_REPLAY);
    e2ee_stream_end(&st);
    e2ee_stream_begin(&st2, s);
    assert_int_equal(open_in(&st2, b, NULL), P11TEE_E_E2EE_REPLAY);
    assert_int_equal(open_in(&st2, c, "third"), P11TEE_OK);
    assert_int_equal(e2ee_seen_count(&s->seen), 3);
    e2ee_stream_end(&st2);
    e2ee_stream_begin(&st2, s2);
    assert_int_equal(open_in(&st2, c, NULL), P11TEE_E_ENVELOPE_AUTH);
    e2ee_stream_end(&st2);
    e2ee_session_free(s);
    e2ee_session_free(s2);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(wire_layout),
        cmocka_unit_test(tampering),
        cmocka_unit_test(malformed),
        cmocka_unit_test(seal_refusals),
        cmocka_unit_test(key_validators),
        cmocka_unit_test(open_refuses_oversized),
        cmocka_unit_test(request_sealing),
        cmocka_unit_test(request_refusals),
        cmocka_unit_test(stream_fields),
        cmocka_unit_test(stream_keeps_keys),
        cmocka_unit_test(replays_are_refused_session_wide),
    };
    return TEST_MAIN(tests, setup, teardown);
}
