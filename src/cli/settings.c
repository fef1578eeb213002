/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Every setting from all its sources, weakest first: the built-in default,
 * the system configuration file, the user's, the environment, the command
 * line (cli_setting_get), and the library configuration made of them
 * (cli_config). Errors name a setting where it came from ("--token",
 * "P11TEE_TOKEN", "pkcs11-token in /etc/p11tee/config:3").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/process.h"

/* What the command line gave for key `k`; seconds become the key's milliseconds. */
static const char *setting_flag(const cli_global *g, int k, char *buf, size_t cap)
{
    const char *secs = NULL;
    char *end;
    double s;

    switch ((enum cli_key_id)k) {
    case CLI_K_BASE_URL: return g->base_url;
    case CLI_K_API_KEY_FILE: return g->api_key_file;
    case CLI_K_MODULE: return g->module;
    case CLI_K_TOKEN: return g->token;
    case CLI_K_FORCE_FINAL: return g->force_final_pin_try ? "1" : NULL;
    case CLI_K_POLICY: return g->policy;
    case CLI_K_CACERT: return g->cacert;
    case CLI_K_PROXY: return g->proxy;
    case CLI_K_ACI_REPORT_URL: return g->aci_report_url;
    case CLI_K_CONNECT_TIMEOUT: secs = g->connect_timeout; break;
    case CLI_K_IDLE_TIMEOUT: secs = g->idle_timeout; break;
    case CLI_K_TIMEOUT: secs = g->max_time; break;
    case CLI_K_API_KEY:
    case CLI_K_SESSION_TTL:
    case CLI_K_REQUIRE_E2EE:
    case CLI_K_ALLOW_PLAINTEXT:
    case CLI_K_COLLATERAL_URL:
    case CLI_K_COLLATERAL_ROOT_CRL_URL:
    case CLI_K_COLLATERAL_CACHE:
    case CLI_KEY_COUNT: return NULL;
    }
    if (secs == NULL)
        return NULL;
    s = strtod(secs, &end); /* checked when the option was parsed */
    snprintf(buf, cap, "%.0f", s * 1000.0);
    return buf;
}

void cli_setting_get(const cli_global *g, int k, cli_setting *out)
{
    const char *env = cli_keys[k].env != NULL ? getenv(cli_keys[k].env) : NULL;
    const char *origin;

    memset(out, 0, sizeof(*out));
    if ((out->value = setting_flag(g, k, out->buf, sizeof(out->buf))) != NULL) {
        out->layer = CLI_FROM_FLAG;
        snprintf(out->origin, sizeof(out->origin), "%s", cli_keys[k].flag);
    } else if (env != NULL && env[0] != '\0') {
        out->value = env;
        out->layer = CLI_FROM_ENV;
        snprintf(out->origin, sizeof(out->origin), "%s", cli_keys[k].env);
    } else if ((out->value = cli_conf_value(k, &origin, &out->layer)) != NULL) {
        snprintf(out->origin, sizeof(out->origin), "%s", origin);
    } else {
        snprintf(out->origin, sizeof(out->origin), "default");
    }
}

/* How messages name a setting: where its value came from. */
static void setting_word(const cli_setting *s, int k, char *out, size_t cap)
{
    if (s->layer == CLI_FROM_SYSTEM || s->layer == CLI_FROM_USER)
        snprintf(out, cap, "%s in %s", cli_keys[k].name, s->origin);
    else if (s->layer != CLI_FROM_DEFAULT)
        snprintf(out, cap, "%s", s->origin);
    else
        snprintf(out, cap, "%s (or %s)", cli_keys[k].flag, cli_keys[k].env);
}

/*
 * Read the API key file into `buf` without stdio (whose buffer would keep a
 * copy in the heap after fclose()); "-" is stdin. The key's length, or -1
 * after saying why.
 */
static ssize_t cli_read_key_file(const char *path, char *buf, size_t cap)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    ssize_t r = 0;

    if (fd < 0) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (n < cap && (r = read(fd, buf + n, cap - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    if (r < 0 || n == cap) {
        explicit_bzero(buf, cap);
        if (r < 0)
            cli_error("cannot read %s: %s", path, strerror(errno));
        else
            cli_error("%s is larger than %zu bytes", path, cap - 1);
        return -1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    return (ssize_t)n;
}

/*
 * The API key: from api-key-file or $API_KEY_VENICE, whichever comes from
 * the stronger source (--api-key-file beats the variable, which beats a
 * file's api-key-file). Never from argv; $API_KEY_VENICE is wiped from the
 * environment once read. 0, or the exit code of a failure.
 */
static int cli_api_key(const cli_global *g, p11tee_config *cfg)
{
    cli_setting file, env;
    p11tee_error err;
    char key[CLI_API_KEY_MAX + 1];
    int rc = 0;

    cli_setting_get(g, CLI_K_API_KEY_FILE, &file);
    cli_setting_get(g, CLI_K_API_KEY, &env);
    p11tee_error_clear(&err);
    if (file.value == NULL || env.layer > file.layer) {
        if (env.value != NULL && p11tee_config_set(cfg, "api-key", env.value, &err) != P11TEE_OK)
            rc = cli_fail(&err);
        cli_env_forget("API_KEY_VENICE");
        return rc;
    }
    cli_env_forget("API_KEY_VENICE");
    if (strcmp(file.value, "-") != 0 && cli_file_private(file.value, "the API key file") != 0)
        return CLI_EXIT_GENERAL;
    if (cli_read_key_file(file.value, key, sizeof(key)) < 0)
        return CLI_EXIT_GENERAL;
    rc = p11tee_config_set(cfg, "api-key", key, &err) != P11TEE_OK ? cli_fail(&err) : 0;
    explicit_bzero(key, sizeof(key));
    return rc;
}

/*
 * $P11TEE_PIN, handed to the library (which keeps it out of core dumps) and
 * wiped from the environment; the token URI's pin-source still comes first.
 */
static int cli_pin(p11tee_config *cfg)
{
    const char *env = getenv("P11TEE_PIN");
    p11tee_error err;
    int rc = 0;

    p11tee_error_clear(&err);
    if (env != NULL && env[0] != '\0' && p11tee_config_set(cfg, "pin", env, &err) != P11TEE_OK)
        rc = cli_fail(&err);
    cli_env_forget("P11TEE_PIN");
    return rc;
}

static void cli_log(void *userdata, const char *line)
{
    (void)userdata;
    fprintf(stderr, "p11tee: * %s\n", line);
}

static void cli_token_warning(void *userdata, const char *line)
{
    (void)userdata;
    cli_warn("%s", line);
}

/* Errors name the token settings as the user gave them; the prompt and the warnings. */
static p11tee_status cli_token_words(const cli_global *g, p11tee_config *cfg, p11tee_error *err)
{
    static const struct {
        int k;
        const char *lib;
    } words[] = {{CLI_K_TOKEN, "pkcs11-token"},
                 {CLI_K_MODULE, "pkcs11-module"},
                 {CLI_K_FORCE_FINAL, "force-final-pin-try"}};
    cli_setting s;
    char word[CLI_ORIGIN_MAX + 64];
    p11tee_status rc = P11TEE_OK;
    size_t i;

    for (i = 0; rc == P11TEE_OK && i < CLI_ARRAY_LEN(words); i++) {
        cli_setting_get(g, words[i].k, &s);
        if (words[i].k == CLI_K_FORCE_FINAL && s.layer == CLI_FROM_DEFAULT)
            snprintf(word, sizeof(word), "--force-final-pin-try");
        else
            setting_word(&s, words[i].k, word, sizeof(word));
        rc = p11tee_config_set_origin(cfg, words[i].lib, word, err);
    }
    p11tee_config_set_pin_prompt(cfg, cli_pin_prompt, NULL);
    p11tee_config_set_warn(cfg, cli_token_warning, NULL);
    return rc;
}

/* Every library setting that has a value, under its own name. */
static p11tee_status cli_settings_apply(const cli_global *g, p11tee_config *cfg, p11tee_error *err)
{
    cli_setting s;
    p11tee_status rc = P11TEE_OK;
    size_t k;

    for (k = 0; rc == P11TEE_OK && k < CLI_KEY_COUNT; k++) {
        if (cli_keys[k].kind == CLI_KIND_SECRET || cli_keys[k].kind == CLI_KIND_CLI)
            continue;
        cli_setting_get(g, (int)k, &s);
        if (s.value == NULL)
            continue;
        rc = p11tee_config_set(cfg, cli_keys[k].name, s.value, err);
        if (rc != P11TEE_OK && err->detail[0] == '\0')
            snprintf(err->detail, sizeof(err->detail), "%s comes from %.400s", cli_keys[k].name,
                     s.origin);
    }
    return rc;
}

p11tee_config *cli_config(const cli_global *g, int *exit_code)
{
    p11tee_config *cfg;
    p11tee_error err;
    int rc;

    if (cli_conf_load() != 0) {
        *exit_code = CLI_EXIT_GENERAL;
        return NULL;
    }
    if ((cfg = p11tee_config_new()) == NULL) {
        cli_error("out of memory");
        *exit_code = CLI_EXIT_GENERAL;
        return NULL;
    }
    p11tee_error_clear(&err);
    if (cli_settings_apply(g, cfg, &err) != P11TEE_OK ||
        cli_token_words(g, cfg, &err) != P11TEE_OK) {
        *exit_code = cli_fail(&err);
        p11tee_config_free(cfg);
        return NULL;
    }
    if ((rc = cli_api_key(g, cfg)) != 0 || (rc = cli_pin(cfg)) != 0) {
        *exit_code = rc;
        p11tee_config_free(cfg);
        return NULL;
    }
    if (g->verbose)
        p11tee_config_set_log(cfg, cli_log, NULL);
    return cfg;
}

int cli_config_check(const p11tee_config *cfg, unsigned what)
{
    p11tee_error err;
    int rc;

    p11tee_error_clear(&err);
    if (p11tee_config_check(cfg, what, &err) == P11TEE_OK)
        return CLI_EXIT_OK;
    rc = cli_fail(&err);
    if (err.code == P11TEE_E_API_KEY_MISSING)
        cli_note("  set API_KEY_VENICE, or name a file holding the key with --api-key-file or "
                 "api-key-file in the configuration file");
    return rc;
}

p11tee_client *cli_client(const cli_global *g, unsigned what, p11tee_config **cfg_out,
                          int *exit_code)
{
    p11tee_config *cfg = cli_config(g, exit_code);
    p11tee_client *client = NULL;
    p11tee_error err;

    if (cfg == NULL)
        return NULL;
    p11tee_error_clear(&err);
    if ((*exit_code = cli_config_check(cfg, what)) != CLI_EXIT_OK) {
        p11tee_config_free(cfg);
        return NULL;
    }
    if (p11tee_client_new(cfg, &client, &err) != P11TEE_OK) {
        *exit_code = cli_fail(&err);
        p11tee_config_free(cfg);
        return NULL;
    }
    if (cfg_out != NULL)
        *cfg_out = cfg;
    else
        p11tee_config_free(cfg);
    return client;
}
