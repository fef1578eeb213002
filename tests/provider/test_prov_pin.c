/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The PIN rules, through the library (hsm_ctx_new, as the client opens the
 * token): a locked PIN is its own error and no login is tried; the final
 * try is refused unless forced; a low count is a warning (from SoftHSM,
 * which sets CKF_USER_PIN_COUNT_LOW after a wrong PIN, and from the
 * flags faultmod.so fakes); a reader's PIN pad gets a NULL PIN; without a
 * PIN source the prompt is asked once, and a wrong PIN is never tried
 * again; without a prompt the error lists the ways to give a PIN. Errors
 * name the token's slot, label, serial and model and the settings in the
 * caller's words, and the detail never repeats the message.
 *
 * Also the statuses that matter, through the real path: wrong PIN, locked
 * PIN, final try, stale key (a key used after fork()).
 *
 * Token flags are read once per process, so each case runs in a process of
 * its own, on a fresh token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "provtest.h"

#define F_PINPAD    "100"
#define F_COUNT_LOW "10000"
#define F_FINAL_TRY "20000"
#define F_LOCKED    "40000"

typedef struct scenario {
    const test_token *tok;
    const char *module; /* faultmod.so */
    char uri_no_pin[128];
} scenario;

/* What the callbacks saw. */
static int prompts, warnings;
static char prompt_token[256], warning_text[512];
static const char *prompt_answer; /* NULL: "no terminal" */

static int prompt(void *arg, const char *token, char *pin, size_t cap)
{
    (void)arg;
    prompts++;
    snprintf(prompt_token, sizeof(prompt_token), "%s", token);
    if (prompt_answer == NULL)
        return -1;
    snprintf(pin, cap, "%s", prompt_answer);
    return 0;
}

static void warn(void *arg, const char *text)
{
    (void)arg;
    warnings++;
    snprintf(warning_text, sizeof(warning_text), "%s", text);
}

/* The configuration a client gives: the CLI's words, a prompt, warnings. */
static hsm_config cli_like(const char *module, const char *token)
{
    hsm_config c = {.module = module,
                    .token = token,
                    .module_word = "--module",
                    .token_word = "--token",
                    .force_word = "--force-final-pin-try",
                    .pin_prompt = prompt,
                    .warn = warn};

    return c;
}

/* Open with `cfg`: the code, and the message and detail checked for what every error needs. */
static p11tee_status try_open(const hsm_config *cfg, p11tee_error *err)
{
    hsm_ctx *h = NULL;
    p11tee_status rc = hsm_ctx_new(cfg, &h, err);

    hsm_ctx_free(h);
    if (rc != P11TEE_OK)
        PT_CHECK(err->detail[0] == '\0' || strstr(err->detail, err->message) == NULL);
    return rc;
}

/* The token named as a user sees it in the message. */
static int names_token(const char *text, const scenario *sc)
{
    char want[80];

    snprintf(want, sizeof(want), "token \"%s\" (slot ", sc->tok->label);
    return strstr(text, want) != NULL && strstr(text, ", serial ") != NULL &&
           strstr(text, ", model SoftHSM v2)") != NULL;
}

static long logins(const scenario *sc)
{
    return pt_fault_calls(sc->module, "C_Login");
}

static void locked(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->tok->uri);
    p11tee_error err;

    PT_CHECK(try_open(&cfg, &err) == P11TEE_E_PIN_LOCKED);
    PT_CHECK(strstr(err.message, "is locked (the token reports CKF_USER_PIN_LOCKED)") != NULL);
    PT_CHECK(strstr(err.message, "no login was tried") != NULL);
    PT_CHECK(names_token(err.message, sc));
    PT_CHECK(logins(sc) == 0);
    PT_CHECK(prompts == 0);
}

static void final_try_refused(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->tok->uri);
    p11tee_error err;

    PT_CHECK(try_open(&cfg, &err) == P11TEE_E_PIN_FINAL_TRY);
    PT_CHECK(strstr(err.message, "allows one more PIN attempt only (CKF_USER_PIN_FINAL_TRY)") !=
             NULL);
    PT_CHECK(strstr(err.message, "run again with --force-final-pin-try") != NULL);
    PT_CHECK(names_token(err.message, sc));
    PT_CHECK(logins(sc) == 0);
}

static void final_try_forced(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->tok->uri);
    p11tee_error err;

    cfg.force_final_pin_try = 1;
    PT_CHECK(try_open(&cfg, &err) == P11TEE_OK);
    PT_CHECK(logins(sc) == 1);
    PT_CHECK(warnings == 1 && strstr(warning_text, "one more PIN attempt only") != NULL);
}

static void count_low_faked(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->tok->uri);
    p11tee_error err;

    PT_CHECK(try_open(&cfg, &err) == P11TEE_OK);
    PT_CHECK(warnings == 1);
    PT_CHECK(strstr(warning_text, "reports a low PIN retry count (CKF_USER_PIN_COUNT_LOW)") !=
             NULL);
    PT_CHECK(names_token(warning_text, sc));
}

/* The reader's PIN pad: C_Login(NULL), no prompt, even with a prompt configured. */
static void pin_pad(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->uri_no_pin);
    p11tee_error err;

    setenv("P11TEE_FAULT_PINPAD", TEST_PIN, 1);
    PT_CHECK(try_open(&cfg, &err) == P11TEE_OK);
    PT_CHECK(pt_fault_calls(sc->module, "C_Login(NULL)") == 1);
    PT_CHECK(prompts == 0);
    /* A PIN the configuration gives is used as it is. */
    cfg.token = sc->tok->uri;
    PT_CHECK(try_open(&cfg, &err) == P11TEE_OK);
    PT_CHECK(pt_fault_calls(sc->module, "C_Login(NULL)") == 1);
}

static void prompted(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->uri_no_pin);
    p11tee_error err;

    prompt_answer = TEST_PIN;
    PT_CHECK(try_open(&cfg, &err) == P11TEE_OK);
    PT_CHECK(prompts == 1 && names_token(prompt_token, sc));
    PT_CHECK(logins(sc) == 1);
}

/* A wrong PIN typed at the prompt: one C_Login, no second prompt. */
static void prompted_wrong_once(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->uri_no_pin);
    p11tee_error err;

    prompt_answer = "9999";
    PT_CHECK(try_open(&cfg, &err) == P11TEE_E_PIN_INCORRECT);
    PT_CHECK(strstr(err.message, "(C_Login: CKR_PIN_INCORRECT): check the PIN from the prompt") !=
             NULL);
    PT_CHECK(names_token(err.message, sc));
    PT_CHECK(prompts == 1 && logins(sc) == 1);
}

static void no_terminal(void *arg)
{
    const scenario *sc = arg;
    hsm_config cfg = cli_like(sc->module, sc->uri_no_pin);
    p11tee_error err;

    prompt_answer = NULL;
    PT_CHECK(try_open(&cfg, &err) == P11TEE_E_PIN_MISSING);
    PT_CHECK(strstr(err.message, "add pin-source=file:/path to --token, set P11TEE_PIN, or run "
                                 "on a terminal and type it") != NULL);
    PT_CHECK(names_token(err.message, sc));
    PT_CHECK(prompts == 1 && logins(sc) == 0);
    /* A library user without a prompt hears of the two ways it has. */
    cfg.pin_prompt = NULL;
    cfg.token_word = NULL;
    PT_CHECK(try_open(&cfg, &err) == P11TEE_E_PIN_MISSING);
    PT_CHECK(strstr(err.message, "add pin-source=file:/path (or pin-value=) to pkcs11-token, or "
                                 "set P11TEE_PIN") != NULL);
}

/* SoftHSM sets CKF_USER_PIN_COUNT_LOW after a wrong PIN: the next process warns. */
static void wrong_pin_once(void *arg)
{
    const test_token *tok = arg;
    char uri[128];
    hsm_config cfg;
    p11tee_error err;

    snprintf(uri, sizeof(uri), "pkcs11:token=%s?pin-value=0000", tok->label);
    cfg = cli_like(tok->module, uri);
    PT_CHECK(try_open(&cfg, &err) == P11TEE_E_PIN_INCORRECT);
    PT_CHECK(strstr(err.message,
                    "failed (C_Login: CKR_PIN_INCORRECT): check the PIN from "
                    "pin-value in the token URI; a wrong PIN is not tried again") != NULL);
    PT_CHECK(warnings == 0);
}

static void count_low_softhsm(void *arg)
{
    const test_token *tok = arg;
    hsm_config cfg = cli_like(tok->module, tok->uri);
    p11tee_error err;

    PT_CHECK(try_open(&cfg, &err) == P11TEE_OK);
    PT_CHECK(warnings == 1 && strstr(warning_text, "CKF_USER_PIN_COUNT_LOW") != NULL);
}

/* A key used in a child after fork() reports KEY_STALE through hsm_derive. */
static void stale_child(void *arg)
{
    hsm_key *k = arg;
    uint8_t peer[PT_POINT_MAX], x[PT_SECRET_MAX];
    EVP_PKEY *s = pt_sw_key("secp256k1");
    size_t n = pt_pub(s, peer, sizeof(peer)), xn = 0;
    p11tee_error err;

    PT_CHECK(hsm_derive(k, peer, n, x, sizeof(x), &xn, &err) == P11TEE_E_KEY_STALE);
    PT_CHECK(strstr(err.message, "before fork(): generate a new one in this process") != NULL);
    PT_CHECK(strstr(err.detail, err.message) == NULL);
    EVP_PKEY_free(s);
}

static void stale_key(void *arg)
{
    const test_token *tok = arg;
    hsm_config cfg = cli_like(tok->module, tok->uri);
    hsm_ctx *h = NULL;
    hsm_key *k = NULL;
    p11tee_error err;

    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_OK);
    PT_CHECK(h != NULL && hsm_key_generate(h, "secp256k1", &k, &err) == P11TEE_OK);
    PT_CHECK(k != NULL && pt_isolated(stale_child, k) == 0);
    PT_CHECK(pt_hsm_derive_ok(k)); /* still good in the process that made it */
    hsm_key_free(k);
    hsm_ctx_free(h);
}

/* ---- running the cases ----------------------------------------------------------- */

typedef struct pin_case {
    const char *flags; /* faulted token flags (hex); NULL: SoftHSM itself */
    void (*fn)(void *);
    void (*before)(void *); /* on SoftHSM, in a process of its own first */
} pin_case;

static void run(void **state)
{
    const pin_case *pc = *state;
    const char *builddir = test_require_env("top_builddir");
    char faultmod[1024];
    test_token tok;
    scenario sc;
    int failures;

    prompts = warnings = 0;
    prompt_answer = NULL;
    test_token_create(&tok, "p11tee-pin");
    memset(&sc, 0, sizeof(sc));
    sc.tok = &tok;
    snprintf(sc.uri_no_pin, sizeof(sc.uri_no_pin), "pkcs11:token=%s", tok.label);
    unsetenv("P11TEE_PIN");
    if (pc->flags == NULL) {
        failures = pc->before != NULL ? pt_isolated(pc->before, &tok) : 0;
        failures += pt_isolated(pc->fn, &tok);
    } else {
        snprintf(faultmod, sizeof(faultmod), "%s/tests/provider/.libs/faultmod.so", builddir);
        sc.module = faultmod;
        setenv("P11TEE_FAULT", "none", 1);
        setenv("P11TEE_FAULT_TOKEN_FLAGS", pc->flags, 1);
        failures = pt_isolated(pc->fn, &sc);
        unsetenv("P11TEE_FAULT");
        unsetenv("P11TEE_FAULT_TOKEN_FLAGS");
    }
    test_token_destroy(&tok);
    assert_int_equal(failures, 0);
}

static pin_case c_locked = {F_LOCKED, locked, NULL};
static pin_case c_final = {F_FINAL_TRY, final_try_refused, NULL};
static pin_case c_forced = {F_FINAL_TRY, final_try_forced, NULL};
static pin_case c_low = {F_COUNT_LOW, count_low_faked, NULL};
static pin_case c_pad = {F_PINPAD, pin_pad, NULL};
static pin_case c_prompt = {"0", prompted, NULL};
static pin_case c_prompt_wrong = {"0", prompted_wrong_once, NULL};
static pin_case c_no_terminal = {"0", no_terminal, NULL};
static pin_case c_softhsm_low = {NULL, count_low_softhsm, wrong_pin_once};
static pin_case c_stale = {NULL, stale_key, NULL};

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"locked_pin_is_its_own_error", run, NULL, NULL, &c_locked},
        {"final_try_is_refused", run, NULL, NULL, &c_final},
        {"final_try_when_forced", run, NULL, NULL, &c_forced},
        {"count_low_warns", run, NULL, NULL, &c_low},
        {"pin_pad_gets_a_null_pin", run, NULL, NULL, &c_pad},
        {"prompt_when_no_pin_source", run, NULL, NULL, &c_prompt},
        {"prompted_wrong_pin_is_tried_once", run, NULL, NULL, &c_prompt_wrong},
        {"no_pin_and_no_terminal", run, NULL, NULL, &c_no_terminal},
        {"softhsm_count_low_after_a_wrong_pin", run, NULL, NULL, &c_softhsm_low},
        {"stale_key_after_fork", run, NULL, NULL, &c_stale},
    };

    return TEST_MAIN(tests, NULL, NULL);
}
