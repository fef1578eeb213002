/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Settings: every option that configures p11tee is one row of a table (its
 * name, kind, environment variable, the library option it feeds, its help).
 * The global options are one table, `p11tee serve` has another; both are
 * parsed, checked and documented (--help) by the same code, and the names
 * are the keys a configuration file uses. A value's source is, in order of
 * strength: the command line, then the environment.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"

const cli_setting cli_global_settings[CLI_G_COUNT] = {
    [CLI_G_BASE_URL] = {"base-url", CLI_TEXT, 0, "VENICE_BASE_URL", "base-url", "URL",
                        "API base URL (default https://api.venice.ai/api/v1)"},
    [CLI_G_API_KEY_FILE] = {"api-key-file", CLI_TEXT, 0, NULL, NULL, "FILE",
                            "read the API key from FILE (default: $API_KEY_VENICE)"},
    [CLI_G_TOKEN] = {"token", CLI_TEXT, 0, "P11TEE_TOKEN", "pkcs11-token", "URI",
                     "PKCS#11 token URI or label; PIN via pin-source=file:PATH in the URI, "
                     "$P11TEE_PIN, or typed on the terminal when asked"},
    [CLI_G_MODULE] = {"module", CLI_TEXT, 0, "P11TEE_MODULE", "pkcs11-module", "PATH",
                      "PKCS#11 module (or module-path= / module-name= in the token URI)"},
    [CLI_G_FORCE_FINAL_PIN_TRY] = {"force-final-pin-try", CLI_FLAG, 0, NULL, NULL, NULL,
                                   "log in even when the token allows one more PIN try"},
    [CLI_G_POLICY] = {"policy", CLI_TEXT, 0, NULL, "policy-file", "FILE|PRESET",
                      "attestation policy file (docs/policy.md) or preset: default (without "
                      "--policy), strict"},
    [CLI_G_CACERT] = {"cacert", CLI_TEXT, 0, NULL, "cacert", "FILE",
                      "trust this CA in addition to the system roots"},
    [CLI_G_ACI_REPORT_URL] = {"aci-report-url", CLI_TEXT, 0, NULL, "aci-report-url", "URL",
                              "the gateway operator's native ACI report, fetched with each "
                              "attestation's nonce (never the API key)"},
    [CLI_G_CONNECT_TIMEOUT] = {"connect-timeout", CLI_SECONDS, 0, NULL, "connect-timeout-ms", "S",
                               "connect timeout in seconds (default 10)"},
    [CLI_G_IDLE_TIMEOUT] = {"idle-timeout", CLI_SECONDS, 0, NULL, "idle-timeout-ms", "S",
                            "longest silence inside a response (default 60)"},
    [CLI_G_MAX_TIME] = {"max-time", CLI_SECONDS, 0, NULL, "timeout-ms", "S",
                        "limit for a whole request, 0 for none (default: none; " CLI_STR(
                            CLI_BATCH_MAX_TIME_S) " for a chat whose stdout is not a terminal)"},
    [CLI_G_ALLOW_CORE_DUMPS] = {"allow-core-dumps", CLI_FLAG, 0, NULL, NULL, NULL,
                                "let this run dump core (for debugging: a core holds decrypted "
                                "text and the token session)"},
    [CLI_G_VERBOSE] = {"verbose", CLI_FLAG, 'v', NULL, NULL, NULL,
                       "diagnostics on stderr (never the API key or the PIN)"},
};

/* ---- values ----------------------------------------------------------------- */

int cli_parse_number(const char *name, const char *value, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !(v >= 0) || v > max) {
        cli_error("--%s wants a number from 0 to %.0f, not \"%s\"", name, max, value);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_seconds(const char *name, const char *value, long *ms)
{
    double s;

    if (cli_parse_number(name, value, 86400, &s) != 0)
        return -1;
    *ms = (long)(s * 1000.0 + 0.5);
    return 0;
}

/* A PIN on the command line would be visible to every user of the machine. */
static int cli_hex(char c)
{
    return (c >= '0' && c <= '9')                   ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

/* Looked for anywhere in the URI (path or query), also percent-encoded. */
static int cli_token_has_pin(const char *uri)
{
    char decoded[4096];
    size_t i = 0, o = 0;

    while (uri[i] != '\0' && o < sizeof(decoded) - 1) {
        if (uri[i] == '%' && cli_hex(uri[i + 1]) >= 0 && cli_hex(uri[i + 2]) >= 0) {
            decoded[o++] = (char)(cli_hex(uri[i + 1]) << 4 | cli_hex(uri[i + 2]));
            i += 3;
        } else {
            decoded[o++] = uri[i++];
        }
    }
    decoded[o] = '\0';
    return strcasestr(decoded, "pin-value") != NULL || uri[i] != '\0';
}

/* A value is checked when it is given, so that a typo is a usage error at once. */
static int cli_check_value(const cli_setting *s, const char *value)
{
    double d;
    long ms;

    switch (s->kind) {
    case CLI_TEXT:
        if (strcmp(s->name, "token") == 0 && cli_token_has_pin(value)) {
            cli_error("--token must not carry pin-value: a PIN in the command line is visible "
                      "to other users; use pin-source=file:PATH or $P11TEE_PIN");
            return -1;
        }
        return 0;
    case CLI_SECONDS: return cli_parse_seconds(s->name, value, &ms);
    case CLI_COUNT: return cli_parse_number(s->name, value, 1e9, &d);
    case CLI_FLAG: return 0;
    }
    return 0;
}

int cli_settings_take(const cli_setting *t, size_t n, int base, cli_values *v, int opt,
                      const char *arg)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (opt != base + (int)i && (t[i].short_opt == 0 || opt != t[i].short_opt))
            continue;
        if (t[i].kind != CLI_FLAG && cli_check_value(&t[i], arg) != 0)
            return -1;
        if (v->n[i] < CLI_LIST_MAX)
            v->v[i][v->n[i]] = arg;
        else if (!t[i].list)
            v->v[i][CLI_LIST_MAX - 1] = arg;
        else {
            cli_error("--%s may be given at most %d times", t[i].name, CLI_LIST_MAX);
            return -1;
        }
        v->n[i]++;
        return 1;
    }
    return 0;
}

const char *cli_value(const cli_setting *t, const cli_values *v, size_t i)
{
    const char *env;

    if (v->n[i] > 0)
        return v->v[i][(v->n[i] < CLI_LIST_MAX ? v->n[i] : CLI_LIST_MAX) - 1];
    env = t[i].env != NULL ? getenv(t[i].env) : NULL;
    return env != NULL && env[0] != '\0' ? env : NULL;
}

size_t cli_settings_getopt(const cli_setting *t, size_t n, int base, struct option *out, size_t cap)
{
    size_t i, k = 0;

    for (i = 0; i < n && k < cap; i++, k++) {
        out[k].name = t[i].name;
        out[k].has_arg = t[i].kind == CLI_FLAG ? no_argument : required_argument;
        out[k].flag = NULL;
        out[k].val = t[i].short_opt != 0 ? t[i].short_opt : base + (int)i;
    }
    return k;
}

/* Help text from column 25, wrapped before column 80, the variable last: "($NAME)". */
static void cli_help_wrap(FILE *out, const char *help, const char *env)
{
    char text[512];
    size_t col = 24, len;
    char *word, *save = NULL;

    snprintf(text, sizeof(text), "%s%s%s%s", help, env ? " ($" : "", env ? env : "",
             env ? ")" : "");
    for (word = strtok_r(text, " ", &save); word != NULL; word = strtok_r(NULL, " ", &save)) {
        len = strlen(word);
        if (col > 24 && col + 1 + len > 79) {
            fprintf(out, "\n%24s", "");
            col = 24;
        }
        fprintf(out, "%s%s", col > 24 ? " " : "", word);
        col += len + (col > 24);
    }
    fputc('\n', out);
}

void cli_settings_help(FILE *out, const cli_setting *t, size_t n)
{
    char left[64];
    size_t i;

    for (i = 0; i < n; i++) {
        if (t[i].short_opt != 0)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", t[i].short_opt, t[i].name,
                     t[i].arg ? " " : "", t[i].arg ? t[i].arg : "");
        else
            snprintf(left, sizeof(left), "--%s%s%s", t[i].name, t[i].arg ? " " : "",
                     t[i].arg ? t[i].arg : "");
        if (strlen(left) > 21)
            fprintf(out, "  %s\n%24s", left, "");
        else
            fprintf(out, "  %-22s", left);
        cli_help_wrap(out, t[i].help, t[i].env);
    }
}

/* ---- getopt plumbing shared by the commands -------------------------------- */

void cli_options(const struct option *own, struct option out[CLI_OPTIONS_MAX])
{
    static const struct option help = {"help", no_argument, NULL, 'h'};
    size_t n = 0, i;

    for (i = 0; own[i].name != NULL && n < CLI_OPTIONS_MAX - 2; i++)
        out[n++] = own[i];
    n += cli_settings_getopt(cli_global_settings, CLI_G_COUNT, CLI_OPT_GLOBAL, out + n,
                             CLI_OPTIONS_MAX - 2 - n);
    out[n++] = help;
    memset(&out[n], 0, sizeof(out[n]));
}

int cli_global_option(cli_global *g, int opt, const char *arg)
{
    int r =
        cli_settings_take(cli_global_settings, CLI_G_COUNT, CLI_OPT_GLOBAL, &g->values, opt, arg);

    if (r > 0 && opt == CLI_OPT_GLOBAL + CLI_G_ALLOW_CORE_DUMPS)
        cli_process_allow_core_dumps();
    return r;
}

int cli_other_option(cli_global *g, int opt, const char *help)
{
    int r;

    if (opt == 'h') {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    r = cli_global_option(g, opt, optarg);
    if (r > 0)
        return -1;
    if (r == 0)
        fputs(help, stderr);
    return CLI_EXIT_USAGE;
}

/* ---- the library configuration ------------------------------------------------ */

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
 * The API key: --api-key-file, else $API_KEY_VENICE, which is wiped from the
 * environment once read. Never from argv.
 */
static int cli_api_key(const char *file, p11tee_config *cfg, p11tee_error *err)
{
    const char *env = getenv("API_KEY_VENICE");
    char key[CLI_API_KEY_MAX + 1];
    int rc = P11TEE_OK;

    if (file == NULL) {
        if (env != NULL && env[0] != '\0')
            rc = p11tee_config_set(cfg, "api-key", env, err);
        cli_env_forget("API_KEY_VENICE");
        return rc;
    }
    if (strcmp(file, "-") != 0 && cli_file_private(file, "the API key file") != 0)
        return -1;
    if (cli_read_key_file(file, key, sizeof(key)) < 0)
        return -1;
    rc = p11tee_config_set(cfg, "api-key", key, err);
    explicit_bzero(key, sizeof(key));
    return rc;
}

/*
 * $P11TEE_PIN, handed to the library (which keeps it out of core dumps) and
 * wiped from the environment; the token URI's pin-source still comes first.
 */
static int cli_pin(p11tee_config *cfg, p11tee_error *err)
{
    const char *env = getenv("P11TEE_PIN");
    int rc = P11TEE_OK;

    if (env != NULL && env[0] != '\0')
        rc = p11tee_config_set(cfg, "pin", env, err);
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

/* How a message names a setting: the option or the variable it came from, else both. */
static const char *cli_origin(const cli_values *v, size_t i, const char *option, const char *var)
{
    const char *env = getenv(var);

    if (v->n[i] > 0)
        return option;
    if (env != NULL && env[0] != '\0')
        return var;
    return strcmp(var, "P11TEE_TOKEN") == 0 ? "--token (or P11TEE_TOKEN)"
                                            : "--module (or P11TEE_MODULE)";
}

/*
 * The token settings beyond the table: where module and token came from (so
 * that errors name --token or P11TEE_TOKEN, as the user gave them), the final
 * PIN try, the prompt on the terminal and the warnings.
 */
static int cli_token_config(const cli_global *g, p11tee_config *cfg, p11tee_error *err)
{
    const cli_values *v = &g->values;
    int rc = p11tee_config_set_origin(cfg, "pkcs11-token",
                                      cli_origin(v, CLI_G_TOKEN, "--token", "P11TEE_TOKEN"), err);

    if (rc == P11TEE_OK)
        rc = p11tee_config_set_origin(
            cfg, "pkcs11-module", cli_origin(v, CLI_G_MODULE, "--module", "P11TEE_MODULE"), err);
    if (rc == P11TEE_OK)
        rc = p11tee_config_set_origin(cfg, "force-final-pin-try", "--force-final-pin-try", err);
    if (rc == P11TEE_OK && v->n[CLI_G_FORCE_FINAL_PIN_TRY] > 0)
        rc = p11tee_config_set(cfg, "force-final-pin-try", "1", err);
    p11tee_config_set_pin_prompt(cfg, cli_pin_prompt, NULL);
    p11tee_config_set_warn(cfg, cli_token_warning, NULL);
    return rc;
}

/* Each setting with a library name, in the unit the library wants. */
int cli_config_apply(p11tee_config *cfg, const cli_setting *t, size_t n, const cli_values *v,
                     p11tee_error *err)
{
    char ms_text[32];
    const char *value;
    long ms;
    size_t i;
    int rc = P11TEE_OK;

    for (i = 0; i < n && rc == P11TEE_OK; i++) {
        if (t[i].lib == NULL || (value = cli_value(t, v, i)) == NULL)
            continue;
        if (t[i].kind == CLI_SECONDS) {
            if (cli_parse_seconds(t[i].name, value, &ms) != 0)
                return -1;
            snprintf(ms_text, sizeof(ms_text), "%ld", ms);
            value = ms_text;
        } else if (t[i].kind == CLI_FLAG) {
            value = "1";
        }
        rc = p11tee_config_set(cfg, t[i].lib, value, err);
    }
    return rc;
}

p11tee_config *cli_config(const cli_global *g, int *exit_code)
{
    p11tee_config *cfg = p11tee_config_new();
    p11tee_error err;
    int rc;

    p11tee_error_clear(&err);
    if (cfg == NULL) {
        cli_error("out of memory");
        *exit_code = CLI_EXIT_GENERAL;
        return NULL;
    }
    rc = cli_config_apply(cfg, cli_global_settings, CLI_G_COUNT, &g->values, &err);
    if (rc == P11TEE_OK)
        rc = cli_token_config(g, cfg, &err);
    if (rc == P11TEE_OK)
        rc = cli_api_key(cli_value(cli_global_settings, &g->values, CLI_G_API_KEY_FILE), cfg, &err);
    if (rc == P11TEE_OK)
        rc = cli_pin(cfg, &err);
    if (rc != P11TEE_OK) {
        *exit_code = rc < 0 ? CLI_EXIT_USAGE : cli_fail(&err);
        p11tee_config_free(cfg);
        return NULL;
    }
    if (g->values.n[CLI_G_VERBOSE] > 0)
        p11tee_config_set_log(cfg, cli_log, NULL);
    return cfg;
}

p11tee_client *cli_client(const cli_global *g, p11tee_config **cfg_out, int *exit_code)
{
    p11tee_config *cfg = cli_config(g, exit_code);
    p11tee_client *client = NULL;
    p11tee_error err;

    if (cfg == NULL)
        return NULL;
    p11tee_error_clear(&err);
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
