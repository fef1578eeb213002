/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The C envelope (every ECDH in a SoftHSM token) against the reference
 * server's independent Python implementation (venice_ref.py ecies): C seals
 * and Python opens, Python seals and C opens, >= 500 messages each way,
 * including empty, multi-byte UTF-8 and 1 MiB.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "testlib.h"

#define MESSAGES 520
#define BIG      (1024 * 1024)

static test_token token;
static hsm_ctx *hsm;
static FILE *to_py, *from_py;
static pid_t py;

static void tool_start(void)
{
    const char *python = test_require_env("PYTHON3");
    const char *srcdir = test_require_env("top_srcdir");
    char script[1024];
    int in[2], out[2];

    snprintf(script, sizeof(script), "%s/tests/server/venice_ref.py", srcdir);
    if (system("\"${PYTHON3}\" -c 'import cryptography' 2>/dev/null") != 0)
        test_skip_all("%s cannot import cryptography (install python3-cryptography)", python);
    if (pipe(in) != 0 || pipe(out) != 0)
        abort();
    py = fork();
    if (py == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(python, python, script, "ecies", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_py = fdopen(in[1], "w");
    from_py = fdopen(out[0], "r");
}

static void tool_stop(void)
{
    int status;

    fclose(to_py);
    fclose(from_py);
    waitpid(py, &status, 0);
}

/* One request line, one answer line; the answer is returned parsed. */
static json_object *tool_call(json_object *req)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    json_object *answer = NULL;

    fputs(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), to_py);
    fputc('\n', to_py);
    fflush(to_py);
    json_object_put(req);
    n = getline(&line, &cap, from_py);
    assert_true(n > 0);
    assert_int_equal(
        sjson_parse(line, (size_t)n - 1, 64 * 1024 * 1024, "tool answer", &answer, NULL),
        P11TEE_OK);
    free(line);
    return answer;
}

static const char *field(json_object *o, const char *name)
{
    json_object *v = json_object_object_get(o, name);

    if (v == NULL)
        fail_msg("tool answer lacks \"%s\": %s", name, json_object_to_json_string(o));
    return json_object_get_string(v);
}

static json_object *req2(const char *op, const char *k1, const char *v1, const char *k2,
                         const char *v2)
{
    json_object *r = json_object_new_object();

    json_object_object_add(r, "op", json_object_new_string(op));
    if (k1 != NULL)
        json_object_object_add(r, k1, json_object_new_string(v1));
    if (k2 != NULL)
        json_object_object_add(r, k2, json_object_new_string(v2));
    return r;
}

/* Message i: the edge cases first, then random lengths of random bytes. */
static uint8_t *message(size_t i, size_t *len)
{
    static const char *const fixed[] = {"", "a", "héllo wörld ✓ 漢字 🙂 ünïcödé",
                                        "\n\t\"quotes\" and \\backslashes\\"};
    uint8_t *m;
    uint16_t r;

    if (i < 4) {
        *len = strlen(fixed[i]);
        m = malloc(*len + 1);
        memcpy(m, fixed[i], *len + 1);
        return m;
    }
    if (i == 4) {
        *len = BIG;
        m = malloc(BIG);
        test_random(m, BIG);
        return m;
    }
    test_random(&r, sizeof(r));
    *len = r % 2048;
    m = malloc(*len + 1);
    test_random(m, *len);
    return m;
}

static char *hex_of(const uint8_t *b, size_t n)
{
    char *h = malloc(2 * n + 1);

    hex_encode(b, n, h, 2 * n + 1);
    return h;
}

static int setup(void **state)
{
    hsm_config cfg = {0};

    (void)state;
    test_token_create(&token, "p11tee-interop");
    cfg.module = token.module;
    cfg.token = token.uri;
    if (hsm_ctx_new(&cfg, &hsm, NULL) != P11TEE_OK)
        return -1;
    tool_start();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tool_stop();
    hsm_ctx_free(hsm);
    test_token_destroy(&token);
    return 0;
}

static void c_seals_python_opens(void **state)
{
    json_object *kp = tool_call(req2("keygen", NULL, NULL, NULL, NULL)), *ans;
    char *priv = strdup(field(kp, "priv")), *env, *want;
    uint8_t pub[P11TEE_PUBKEY_BYTES], *m;
    size_t i, len;

    (void)state;
    assert_int_equal(hex_decode(field(kp, "pub"), 130, pub, sizeof(pub), NULL, NULL), P11TEE_OK);
    json_object_put(kp);
    for (i = 0; i < MESSAGES; i++) {
        m = message(i, &len);
        assert_int_equal(envelope_seal(hsm, pub, m, len, &env, NULL, NULL), P11TEE_OK);
        ans = tool_call(req2("open", "priv", priv, "envelope", env));
        want = hex_of(m, len);
        assert_string_equal(field(ans, "plaintext"), want);
        json_object_put(ans);
        /* and a tampered copy must not open on the other side either */
        if (i < 8) {
            env[strlen(env) - 1] = env[strlen(env) - 1] == '0' ? '1' : '0';
            ans = tool_call(req2("open", "priv", priv, "envelope", env));
            assert_string_equal(field(ans, "error"), "bad-tag");
            json_object_put(ans);
        }
        free(want);
        free(env);
        free(m);
    }
    free(priv);
}

static void python_seals_c_opens(void **state)
{
    hsm_key *key;
    uint8_t pub[P11TEE_PUBKEY_BYTES], *m, *pt;
    char *pubhex, *mhex;
    json_object *ans;
    const char *env;
    size_t i, len, n, ptlen;

    (void)state;
    assert_int_equal(hsm_key_generate(hsm, "secp256k1", &key, NULL), P11TEE_OK);
    assert_int_equal(hsm_key_public(key, pub, sizeof(pub), &n, NULL), P11TEE_OK);
    pubhex = hex_of(pub, n);
    for (i = 0; i < MESSAGES; i++) {
        m = message(i, &len);
        mhex = hex_of(m, len);
        /* the 128-character form of the key as well as the 130 */
        ans = tool_call(req2("seal", "to", i % 2 ? pubhex + 2 : pubhex, "plaintext", mhex));
        env = field(ans, "envelope");
        assert_int_equal(envelope_open(key, env, strlen(env), &pt, &ptlen, NULL), P11TEE_OK);
        assert_int_equal(ptlen, len);
        assert_memory_equal(pt, m, len);
        envelope_plaintext_free(pt, ptlen + 1);
        json_object_put(ans);
        free(mhex);
        free(m);
    }
    free(pubhex);
    hsm_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(c_seals_python_opens),
        cmocka_unit_test(python_seals_c_opens),
    };
    signal(SIGPIPE, SIG_IGN);
    return TEST_MAIN(tests, setup, teardown);
}
