/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee collateral: fetch Intel's TDX collateral into the cache (verified
 * before it is kept), and show what the cache holds and how old it is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char collateral_commands_help[] =
    "Usage: p11tee collateral fetch [--fmspc FMSPC[:CA]]... [--pccs URL] [--at TIME]\n"
    "                               [--json] [MODEL...]\n"
    "       p11tee collateral show [--at TIME] [--json]\n"
    "Commands:\n"
    "  fetch      download the TCB info, QE identity, CRLs and issuer chains of each\n"
    "             platform, verify them against the pinned Intel SGX Root CA, cache them\n"
    "  show       what the cache holds, verified again, and how old it is\n";

static const char fetch_help[] =
    "Usage: p11tee collateral fetch [--fmspc FMSPC[:CA]]... [--pccs URL] [--at TIME]\n"
    "                               [--json] [MODEL...]\n"
    "  MODEL              the platform this model's attestation names (attested first)\n"
    "  --fmspc FMSPC[:CA] a platform: 12 hex digits, and the CA of its PCK certificates\n"
    "                     (platform, the default, or processor); repeatable\n"
    "  --pccs URL         a PCCS instead of Intel's PCS (the collateral-url setting)\n"
    "  --at TIME          verify as of TIME (2025-06-30T12:00:00Z or epoch seconds)\n"
    "  --json             the outcome as JSON\n"
    "The documents come through the configured proxy and are verified before they\n"
    "are kept (p11tee collateral show lists them).\n";

static const char show_help[] = "Usage: p11tee collateral show [--at TIME] [--json]\n"
                                "  --at TIME   verify as of TIME instead of now\n"
                                "  --json      the cache as JSON\n";

#define COLL_PLATFORMS_MAX 32

typedef struct coll_opts {
    char platforms[COLL_PLATFORMS_MAX][24]; /* "FMSPC:ca" */
    size_t n;
    const char *pccs;
    time_t at;
    int json;
} coll_opts;

/* "FMSPC" or "FMSPC:ca" into the list; -1 after saying what is wrong. */
static int coll_add(coll_opts *o, const char *arg)
{
    const char *colon = strchr(arg, ':');
    const char *ca = colon != NULL ? colon + 1 : "platform";
    size_t n = colon != NULL ? (size_t)(colon - arg) : strlen(arg);

    if (n != 12 || strspn(arg, "0123456789abcdefABCDEF") < 12 ||
        (strcmp(ca, "platform") != 0 && strcmp(ca, "processor") != 0)) {
        cli_error("--fmspc wants 12 hex digits, optionally :platform or :processor, not \"%s\"",
                  arg);
        return -1;
    }
    if (o->n == COLL_PLATFORMS_MAX) {
        cli_error("at most %d platforms at once", COLL_PLATFORMS_MAX);
        return -1;
    }
    snprintf(o->platforms[o->n++], 24, "%.12s:%s", arg, ca);
    return 0;
}

/* The platform of each model, from its attestation (whatever the verdict). */
static int coll_models(cli_global *g, coll_opts *o, int argc, char **argv)
{
    p11tee_client *client;
    p11tee_attestation *a;
    p11tee_error err;
    const char *fmspc, *ca;
    char spec[40];
    int i, rc = CLI_EXIT_OK;

    if (argc == 0)
        return CLI_EXIT_OK;
    if ((client = cli_client(g, P11TEE_CHECK_API_KEY, NULL, &rc)) == NULL)
        return rc;
    for (i = 0; i < argc && rc == CLI_EXIT_OK; i++) {
        a = NULL;
        p11tee_error_clear(&err);
        p11tee_attest(client, argv[i], &a, &err);
        fmspc = a != NULL ? p11tee_attestation_get(a, "fmspc") : NULL;
        ca = a != NULL ? p11tee_attestation_get(a, "pck_ca") : NULL;
        if (fmspc == NULL || ca == NULL) {
            rc = err.code != P11TEE_OK ? cli_fail(&err) : CLI_EXIT_ATTEST;
            if (err.code == P11TEE_OK)
                cli_error("the attestation of %s names no platform (no readable quote)", argv[i]);
        } else {
            snprintf(spec, sizeof(spec), "%s:%s", fmspc, ca);
            rc = coll_add(o, spec) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        }
        p11tee_attestation_free(a);
    }
    p11tee_client_free(client);
    return rc;
}

static void coll_time(time_t t, char *out, size_t cap)
{
    struct tm tm;

    if (t == 0 || gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "-");
}

/* One platform's outcome, as a line or a JSON object. */
static void coll_report(const coll_opts *o, const char *platform, p11tee_status rc,
                        const p11tee_collateral_info *info, const p11tee_error *err,
                        json_object *list)
{
    char issued[32], next[32];
    time_t now = o->at != 0 ? o->at : time(NULL);
    long days = rc == P11TEE_OK && now > info->issued ? (long)((now - info->issued) / 86400) : 0;
    json_object *j;

    coll_time(info->issued, issued, sizeof(issued));
    coll_time(info->next_update, next, sizeof(next));
    if (list != NULL) {
        j = json_object_new_object();
        json_object_object_add(j, "platform", json_object_new_string(platform));
        json_object_object_add(j, "ok", json_object_new_boolean(rc == P11TEE_OK));
        if (rc == P11TEE_OK) {
            json_object_object_add(j, "path", json_object_new_string(info->path));
            json_object_object_add(j, "issued", json_object_new_string(issued));
            json_object_object_add(j, "age_days", json_object_new_int64(days));
            json_object_object_add(j, "next_update", json_object_new_string(next));
            json_object_object_add(j, "anchor", json_object_new_string(info->anchor));
            json_object_object_add(j, "test_root", json_object_new_boolean(info->test_root));
        } else {
            json_object_object_add(j, "error", json_object_new_string(err->message));
        }
        json_object_array_add(list, j);
    } else if (rc == P11TEE_OK) {
        printf("%s  %s: issued %s (%ld day%s old), next update %s, verified to %s%s\n", platform,
               info->path, issued, days, days == 1 ? "" : "s", next, info->anchor,
               info->test_root ? " [TEST ROOT]" : "");
    }
}

/* Fetch (or, `show`, verify the cached copy of) every platform; the first failure's code. */
static int coll_each(cli_global *g, const coll_opts *o, int fetch)
{
    p11tee_config *cfg;
    p11tee_collateral_info info;
    p11tee_error err;
    p11tee_status st;
    json_object *root = o->json ? json_object_new_object() : NULL;
    json_object *list = root != NULL ? json_object_new_array() : NULL;
    int rc = CLI_EXIT_OK, r;
    size_t i;

    if ((cfg = cli_config(g, &rc)) == NULL)
        return rc;
    if (o->pccs != NULL)
        p11tee_config_set(cfg, "collateral-url", o->pccs, NULL);
    if ((rc = cli_config_check(cfg, 0)) != CLI_EXIT_OK) {
        json_object_put(root);
        json_object_put(list);
        p11tee_config_free(cfg);
        return rc;
    }
    for (i = 0; i < o->n; i++) {
        char fmspc[13];

        memset(&info, 0, sizeof(info));
        p11tee_error_clear(&err);
        snprintf(fmspc, sizeof(fmspc), "%.12s", o->platforms[i]);
        st = fetch ? p11tee_collateral_fetch(cfg, fmspc, o->platforms[i] + 13, o->at, &info, &err)
                   : p11tee_collateral_cached(cfg, fmspc, o->platforms[i] + 13, o->at, &info, &err);
        r = st == P11TEE_OK ? CLI_EXIT_OK : cli_fail(&err);
        if (rc == CLI_EXIT_OK)
            rc = r;
        coll_report(o, o->platforms[i], st, &info, &err, list);
    }
    if (root != NULL) {
        char dir[1024];

        json_object_object_add(
            root, "cache", json_object_new_string(p11tee_collateral_dir(cfg, dir, sizeof(dir))));
        json_object_object_add(root, "platforms", list);
        if (rc != CLI_EXIT_OK)
            cli_json_add_error(root, rc);
        cli_json_print(root);
        json_object_put(root);
    }
    p11tee_config_free(cfg);
    return rc;
}

/* The options of fetch and show; -1 (usage error) or the index of the first argument. */
static int coll_options(cli_global *g, coll_opts *o, int fetch, int argc, char **argv, int *rc)
{
    static const struct option own[] = {{"fmspc", required_argument, NULL, 'f'},
                                        {"pccs", required_argument, NULL, 'p'},
                                        {"at", required_argument, NULL, 'a'},
                                        {"json", no_argument, NULL, 'j'},
                                        {NULL, 0, NULL, 0}};
    static const struct option show_own[] = {
        {"at", required_argument, NULL, 'a'}, {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    int opt;

    cli_options(fetch ? own : show_own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (coll_add(o, optarg) != 0)
                return *rc = CLI_EXIT_USAGE, -1;
            break;
        case 'p': o->pccs = optarg; break;
        case 'j': o->json = 1; break;
        case 'a':
            if (cli_time_option(optarg, &o->at) != 0)
                return *rc = CLI_EXIT_USAGE, -1;
            break;
        default:
            if ((*rc = cli_other_option(g, opt, fetch ? fetch_help : show_help)) >= 0)
                return -1;
        }
    }
    return optind;
}

int cmd_collateral(cli_global *g, int argc, char **argv)
{
    coll_opts o;
    int fetch, first, rc = CLI_EXIT_OK;
    p11tee_config *cfg;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(collateral_commands_help, stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "fetch") != 0 && strcmp(argv[1], "show") != 0)) {
        cli_error("p11tee collateral needs a subcommand: fetch or show");
        fputs(collateral_commands_help, stderr);
        return CLI_EXIT_USAGE;
    }
    memset(&o, 0, sizeof(o));
    fetch = strcmp(argv[1], "fetch") == 0;
    if ((first = coll_options(g, &o, fetch, argc - 1, argv + 1, &rc)) < 0)
        return rc;
    if (!fetch && first != argc - 1) {
        fputs(show_help, stderr);
        return CLI_EXIT_USAGE;
    }
    if (fetch && (rc = coll_models(g, &o, argc - 1 - first, argv + 1 + first)) != CLI_EXIT_OK)
        return rc;
    if (fetch && o.n == 0) {
        cli_error("collateral fetch needs a platform: --fmspc FMSPC or a MODEL");
        fputs(fetch_help, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!fetch) {
        if ((cfg = cli_config(g, &rc)) == NULL)
            return rc;
        o.n = p11tee_collateral_platforms(cfg, o.platforms, COLL_PLATFORMS_MAX);
        p11tee_config_free(cfg);
        if (o.n == 0 && !o.json)
            cli_note("the collateral cache holds nothing (p11tee collateral fetch fills it)");
    }
    return coll_each(g, &o, fetch);
}
