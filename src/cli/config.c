/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Configuration files, like other system tools: SYSCONFDIR/p11tee/config
 * (/etc/p11tee/config), then the user's $XDG_CONFIG_HOME/p11tee/config
 * (~/.config/p11tee/config) or $P11TEE_CONFIG instead, each "key = value"
 * lines whose keys are the library's option names. The environment and the
 * command line come on top (cli.c). A file that names a secret (the API
 * key, a PIN in the token URI, proxy credentials) is refused: secrets go
 * into files of their own, readable by their owner only.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define CONF_FILE_MAX (64u * 1024)
#define CONF_LINE_MAX 4096

const cli_key cli_keys[CLI_KEY_COUNT] = {
    [CLI_K_BASE_URL] = {"base-url", CLI_KIND_TEXT, "VENICE_BASE_URL", "--base-url",
                        "https://api.venice.ai/api/v1"},
    [CLI_K_API_KEY] = {"api-key", CLI_KIND_SECRET, "API_KEY_VENICE", NULL, NULL},
    [CLI_K_API_KEY_FILE] = {"api-key-file", CLI_KIND_CLI, NULL, "--api-key-file", NULL},
    [CLI_K_MODULE] = {"pkcs11-module", CLI_KIND_TEXT, "P11TEE_MODULE", "--module", NULL},
    [CLI_K_TOKEN] = {"pkcs11-token", CLI_KIND_TEXT, "P11TEE_TOKEN", "--token", NULL},
    [CLI_K_FORCE_FINAL] = {"force-final-pin-try", CLI_KIND_FLAG, NULL, "--force-final-pin-try",
                           "0"},
    [CLI_K_POLICY] = {"policy-file", CLI_KIND_TEXT, NULL, "--policy", "(built-in strict policy)"},
    [CLI_K_CACERT] = {"cacert", CLI_KIND_TEXT, NULL, "--cacert", NULL},
    [CLI_K_PROXY] = {"proxy", CLI_KIND_TEXT, NULL, "--proxy", NULL},
    [CLI_K_ACI_REPORT_URL] = {"aci-report-url", CLI_KIND_TEXT, NULL, "--aci-report-url", NULL},
    [CLI_K_CONNECT_TIMEOUT] = {"connect-timeout-ms", CLI_KIND_NUMBER, NULL, "--connect-timeout",
                               "10000"},
    [CLI_K_IDLE_TIMEOUT] = {"idle-timeout-ms", CLI_KIND_NUMBER, NULL, "--idle-timeout", "60000"},
    [CLI_K_TIMEOUT] = {"timeout-ms", CLI_KIND_NUMBER, NULL, "--max-time", "0"},
    [CLI_K_SESSION_TTL] = {"session-ttl-s", CLI_KIND_NUMBER, NULL, NULL, "600"},
    [CLI_K_REQUIRE_E2EE] = {"require-e2ee", CLI_KIND_FLAG, NULL, "--e2ee (chat)", "0"},
    [CLI_K_ALLOW_PLAINTEXT] = {"allow-plaintext", CLI_KIND_FLAG, NULL, "--allow-plaintext (chat)",
                               "0"},
    [CLI_K_COLLATERAL_URL] = {"collateral-url", CLI_KIND_TEXT, NULL, "--pccs (collateral fetch)",
                              "https://api.trustedservices.intel.com"},
    [CLI_K_COLLATERAL_ROOT_CRL_URL] = {"collateral-root-crl-url", CLI_KIND_TEXT, NULL, NULL,
                                       "(Intel's with Intel's PCS, else the PCCS's)"},
    [CLI_K_COLLATERAL_CACHE] = {"collateral-cache", CLI_KIND_TEXT, NULL, NULL,
                                "($XDG_CACHE_HOME/p11tee, else /var/cache/p11tee)"},
};

/* What the files said: one value per key, the later file's line winning. */
static struct {
    int loaded;
    char *value[CLI_KEY_COUNT];
    char origin[CLI_KEY_COUNT][CLI_ORIGIN_MAX];
    cli_layer layer[CLI_KEY_COUNT];
} conf;

int cli_key_find(const char *name)
{
    size_t i;

    for (i = 0; i < CLI_KEY_COUNT; i++)
        if (strcmp(cli_keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The system file: SYSCONFDIR/p11tee/config, or $P11TEE_SYSTEM_CONFIG ("" for none). */
const char *cli_conf_system_path(void)
{
    const char *env = getenv("P11TEE_SYSTEM_CONFIG");

    return env != NULL ? env : SYSCONFDIR "/p11tee/config";
}

/* The user file: $P11TEE_CONFIG, else $XDG_CONFIG_HOME or ~/.config, then p11tee/config. */
int cli_conf_user_path(char *out, size_t cap, int *named)
{
    const char *env = getenv("P11TEE_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");

    *named = env != NULL && env[0] != '\0';
    if (*named)
        return snprintf(out, cap, "%s", env) < (int)cap ? 0 : -1;
    if (xdg != NULL && xdg[0] == '/')
        return snprintf(out, cap, "%s/p11tee/config", xdg) < (int)cap ? 0 : -1;
    if (home == NULL || home[0] != '/') {
        out[0] = '\0';
        return 0;
    }
    return snprintf(out, cap, "%s/.config/p11tee/config", home) < (int)cap ? 0 : -1;
}

/*
 * Others must not be able to change what p11tee loads: a file (or its
 * directory) writable by group or others, or owned by another user than
 * the caller or root, is refused, as ssh refuses such a configuration.
 */
static int conf_safe(const char *path, const struct stat *st)
{
    char dir[4096], *slash;
    struct stat ds;

    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        cli_error("%s belongs to another user (uid %u): p11tee will not take settings from it",
                  path, (unsigned)st->st_uid);
        return -1;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        cli_error("%s is writable by group or others (mode %04o): run chmod go-w %s", path,
                  (unsigned)(st->st_mode & 07777), path);
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        slash[slash == dir] = '\0';
    if (stat(dir, &ds) == 0 && (ds.st_mode & S_IWOTH) && !(ds.st_mode & S_ISVTX)) {
        cli_error("the directory of %s is writable by others: p11tee will not take settings "
                  "from it",
                  path);
        return -1;
    }
    return 0;
}

int cli_url_has_credentials(const char *v)
{
    const char *p = strstr(v, "://"), *end;

    if (p == NULL)
        return 0;
    p += 3;
    end = p + strcspn(p, "/?#");
    return memchr(p, '@', (size_t)(end - p)) != NULL;
}

static int conf_pin_in_uri(const char *v)
{
    return strcasestr(v, "pin-value") != NULL || strcasestr(v, "pin%2dvalue") != NULL;
}

/* The secret a line names directly and where it belongs instead, or NULL. */
static const char *conf_secret(int k, const char *name, const char *v)
{
    static const char *const pin_names[] = {"pin", "pin-value", "token-pin", "password"};
    size_t i;

    if (strcmp(name, "api-key") == 0)
        return "the API key: keep it in a file of its own, readable by you only, and name that "
               "file with api-key-file";
    for (i = 0; i < CLI_ARRAY_LEN(pin_names); i++)
        if (strcmp(name, pin_names[i]) == 0 || (k == CLI_K_TOKEN && conf_pin_in_uri(v)))
            return "a PIN: keep it in a file readable by you only and name it with "
                   "pin-source=file:PATH in the token URI";
    if (k == CLI_K_PROXY && cli_url_has_credentials(v))
        return "proxy credentials: give them in https_proxy in the environment";
    if (k == CLI_K_BASE_URL && cli_url_has_credentials(v))
        return "credentials in the base URL: the API key goes into api-key-file";
    return NULL;
}

/* "yes"/"true"/"1" and "no"/"false"/"0" for flags, as "1"/"0". */
static const char *conf_flag(const char *v)
{
    if (strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
        return "1";
    if (strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
        return "0";
    return NULL;
}

static int conf_number(const char *v)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    return errno == 0 && end != v && *end == '\0' && n >= 0 && n <= 86400000L;
}

/* One "key = value" line (trimmed, not a comment); 0, or -1 after saying what is wrong. */
static int conf_line(const char *path, cli_layer layer, unsigned lineno, char *line)
{
    char *eq = strchr(line, '='), *name = line, *v, *end;
    const char *secret, *flag;
    int k;

    if (eq == NULL) {
        cli_error("%s:%u: expected \"key = value\"", path, lineno);
        return -1;
    }
    for (end = eq; end > name && (end[-1] == ' ' || end[-1] == '\t');)
        end--;
    *end = '\0';
    for (v = eq + 1; *v == ' ' || *v == '\t';)
        v++;
    k = cli_key_find(name);
    if ((secret = conf_secret(k, name, v)) != NULL) {
        cli_error("%s:%u: a configuration file must not hold a secret, here %s", path, lineno,
                  secret);
        return -1;
    }
    if (k < 0) {
        cli_error("%s:%u: unknown key \"%.64s\" (p11tee config lists the keys)", path, lineno,
                  name);
        return -1;
    }
    if (*v == '\0') {
        cli_error("%s:%u: %s has no value", path, lineno, name);
        return -1;
    }
    if (cli_keys[k].kind == CLI_KIND_FLAG) {
        if ((flag = conf_flag(v)) == NULL) {
            cli_error("%s:%u: %s wants yes or no (1 or 0), not \"%.64s\"", path, lineno, name, v);
            return -1;
        }
        v = (char *)flag;
    } else if (cli_keys[k].kind == CLI_KIND_NUMBER && !conf_number(v)) {
        cli_error("%s:%u: %s wants a whole number, not \"%.64s\"", path, lineno, name, v);
        return -1;
    }
    free(conf.value[k]);
    if ((conf.value[k] = strdup(v)) == NULL) {
        cli_error("out of memory reading %s", path);
        return -1;
    }
    snprintf(conf.origin[k], CLI_ORIGIN_MAX, "%s:%u", path, lineno);
    conf.layer[k] = layer;
    return 0;
}

/* Every line of `text`; 0, or -1 after the first error. */
static int conf_parse(const char *path, cli_layer layer, char *text)
{
    unsigned lineno = 0;
    char *line, *next, *end;

    for (line = text; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        if (strlen(line) > CONF_LINE_MAX) {
            cli_error("%s:%u: line longer than %u bytes", path, lineno, CONF_LINE_MAX);
            return -1;
        }
        while (*line == ' ' || *line == '\t')
            line++;
        for (end = line + strlen(line); end > line && strchr(" \t\r", end[-1]) != NULL;)
            *--end = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        if (conf_line(path, layer, lineno, line) != 0)
            return -1;
    }
    return 0;
}

/* Read one file; a missing file is fine unless `named` (the user pointed at it). */
static int conf_read(const char *path, cli_layer layer, int named)
{
    struct stat st;
    char *text;
    size_t len = 0;
    int rc;

    if (path[0] == '\0')
        return 0;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && !named)
            return 0;
        cli_error("cannot read the configuration file %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        cli_error("the configuration file %s is not a regular file", path);
        return -1;
    }
    if (conf_safe(path, &st) != 0 || (text = cli_read_file(path, CONF_FILE_MAX, &len)) == NULL)
        return -1;
    if (memchr(text, '\0', len) != NULL) {
        cli_error("the configuration file %s holds a NUL byte: it is not a text file", path);
        free(text);
        return -1;
    }
    rc = conf_parse(path, layer, text);
    free(text);
    return rc;
}

int cli_conf_load(void)
{
    char user[4096];
    int named;

    if (conf.loaded)
        return conf.loaded > 0 ? 0 : -1;
    conf.loaded = -1;
    if (conf_read(cli_conf_system_path(), CLI_FROM_SYSTEM, 0) != 0)
        return -1;
    if (cli_conf_user_path(user, sizeof(user), &named) != 0) {
        cli_error("the configuration file's path is too long");
        return -1;
    }
    if (conf_read(user, CLI_FROM_USER, named) != 0)
        return -1;
    conf.loaded = 1;
    return 0;
}

const char *cli_conf_value(int k, const char **origin, cli_layer *layer)
{
    *origin = conf.origin[k];
    *layer = conf.value[k] != NULL ? conf.layer[k] : CLI_FROM_DEFAULT;
    return conf.value[k];
}

void cli_conf_free(void)
{
    size_t i;

    for (i = 0; i < CLI_KEY_COUNT; i++) {
        free(conf.value[i]);
        conf.value[i] = NULL;
    }
    conf.loaded = 0;
}
