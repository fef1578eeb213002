/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A command's own settings as a table (`p11tee serve`'s): one row per
 * option (its name, kind, environment variable, the library option it
 * feeds, its help), parsed, checked and documented (--help) by the same
 * code. A value's source is, in order of strength: the command line, then
 * the environment. The global options and the configuration files are
 * cli.c's and settings.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

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

/* A value is checked when it is given, so that a typo is a usage error at once. */
static int cli_check_value(const cli_opt *s, const char *value)
{
    double d;
    long ms;

    switch (s->kind) {
    case CLI_TEXT: return 0;
    case CLI_SECONDS: return cli_parse_seconds(s->name, value, &ms);
    case CLI_COUNT: return cli_parse_number(s->name, value, 1e9, &d);
    case CLI_FLAG: return 0;
    }
    return 0;
}

int cli_settings_take(const cli_opt *t, size_t n, int base, cli_values *v, int opt, const char *arg)
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

const char *cli_value(const cli_opt *t, const cli_values *v, size_t i)
{
    const char *env;

    if (v->n[i] > 0)
        return v->v[i][(v->n[i] < CLI_LIST_MAX ? v->n[i] : CLI_LIST_MAX) - 1];
    env = t[i].env != NULL ? getenv(t[i].env) : NULL;
    return env != NULL && env[0] != '\0' ? env : NULL;
}

size_t cli_settings_getopt(const cli_opt *t, size_t n, int base, struct option *out, size_t cap)
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

void cli_settings_help(FILE *out, const cli_opt *t, size_t n)
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

/* ---- the library configuration ------------------------------------------------ */

/* Each setting with a library name, in the unit the library wants. */
int cli_config_apply(p11tee_config *cfg, const cli_opt *t, size_t n, const cli_values *v,
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
