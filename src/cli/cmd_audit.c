/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee audit verify PATH...: every audit log (its hash chain) and every
 * saved attestation (verified again, offline) in the files and directories
 * given; a line per item, and the exit status of the first that does not
 * hold.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static const char audit_commands_help[] = "Usage: p11tee audit verify [--json] PATH...\n"
                                          "Commands:\n"
                                          "  verify     check audit logs and saved attestations\n";

static const char verify_help[] =
    "Usage: p11tee audit verify [--json] PATH...\n"
    "  PATH     an audit log (JSON lines, each with the hash of the line before), a\n"
    "           saved attestation (attest --save, chat --save-exchange's\n"
    "           attestation.json), or a directory of them (searched two levels deep)\n"
    "  --json   the outcome as JSON\n"
    "Each log's hash chain is checked (a deleted or edited line is named); each saved\n"
    "attestation is verified again offline under the configured policy, as of the\n"
    "time it was fetched, with the collateral it was verified with.\n";

#define AUDIT_DEPTH 2

typedef struct audit_run {
    const cli_global *g;
    p11tee_config *cfg;
    json_object *items; /* --json */
    int rc;             /* the first failure's exit code */
    unsigned found;
} audit_run;

static void audit_result(audit_run *r, const char *path, const char *kind, int ok,
                         const char *detail, int code)
{
    json_object *j;

    r->found++;
    if (!ok && r->rc == CLI_EXIT_OK)
        r->rc = code;
    if (r->items != NULL) {
        j = json_object_new_object();
        json_object_object_add(j, "path", json_object_new_string(path));
        json_object_object_add(j, "kind", json_object_new_string(kind));
        json_object_object_add(j, "ok", json_object_new_boolean(ok));
        json_object_object_add(j, "detail", json_object_new_string(detail));
        json_object_array_add(r->items, j);
        return;
    }
    printf("%s  %s  %s: ", ok ? "ok  " : "FAIL", kind, path);
    cli_put_line(stdout, detail);
    putchar('\n');
}

static void audit_log_file(audit_run *r, const char *path)
{
    p11tee_audit_verdict v;
    p11tee_error err;
    char detail[400];

    p11tee_error_clear(&err);
    if (p11tee_audit_log_verify(path, &v, &err) != P11TEE_OK) {
        audit_result(r, path, "log", 0, err.message, cli_exit_code(err.code));
        return;
    }
    if (v.ok)
        snprintf(detail, sizeof(detail), "%llu lines, chain intact, head %s", v.lines, v.head);
    else
        snprintf(detail, sizeof(detail), "%s", v.message);
    audit_result(r, path, "log", v.ok, detail, CLI_EXIT_ATTEST);
}

#define AUDIT_SAVED_MAX (32u * 1024 * 1024)

static const char *audit_member(json_object *doc, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(doc, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* What the replay says besides its verdict: a different policy, a changed verdict. */
static void audit_saved_notes(json_object *doc, const p11tee_attestation *a, int ok, char *out,
                              size_t cap)
{
    const char *was = audit_member(doc, "policy_sha256");
    const char *now = p11tee_attestation_get(a, "policy_sha256");
    const char *verdict = audit_member(doc, "verdict");
    size_t n = strlen(out);

    if ((was == NULL) != (now == NULL) || (was != NULL && strcmp(was, now) != 0))
        n += (size_t)snprintf(out + n, cap - n,
                              "; the policy is not the one it was verified with (SHA-256 %.12s "
                              "then, %.12s now)",
                              was != NULL ? was : "built-in", now != NULL ? now : "built-in");
    if (n < cap && verdict != NULL && strcmp(verdict, ok ? "pass" : "fail") != 0)
        snprintf(out + n, cap - n, "; it %s when it was saved", ok ? "FAILED" : "passed");
}

/* A saved attestation, verified again offline as of when it was fetched, with its collateral. */
static void audit_saved(audit_run *r, const char *path)
{
    json_object *doc = NULL, *v;
    p11tee_attestation *a = NULL;
    p11tee_error err;
    p11tee_status st;
    size_t len = 0;
    char *text = cli_read_file(path, AUDIT_SAVED_MAX, &len), detail[P11TEE_ERROR_MESSAGE_MAX + 256],
         when[32];
    const char *model;
    time_t at = 0;
    struct tm tm;

    doc = text != NULL ? json_tokener_parse(text) : NULL;
    if (doc == NULL || audit_member(doc, "response") == NULL) {
        audit_result(r, path, "attestation", 0, "not a saved attestation (no \"response\")",
                     CLI_EXIT_GENERAL);
        json_object_put(doc);
        free(text);
        return;
    }
    model = audit_member(doc, "model");
    if (json_object_object_get_ex(doc, "fetched_at", &v))
        at = (time_t)json_object_get_int64(v);
    p11tee_error_clear(&err);
    /* The library reads the saved model, nonce, time and collateral itself. */
    st = p11tee_attest_offline(r->cfg, text, len, NULL, &a, &err);
    free(text);
    if (gmtime_r(&at, &tm) == NULL || at == 0 ||
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(when, sizeof(when), "an unknown time");
    if (st == P11TEE_OK)
        snprintf(detail, sizeof(detail), "%s, fetched %s, still passes%s",
                 model != NULL ? model : "?", when,
                 audit_member(doc, "collateral") != NULL
                     ? " (with the collateral it was verified with)"
                     : "");
    else
        snprintf(detail, sizeof(detail), "%s, fetched %s, NO LONGER PASSES: %s",
                 model != NULL ? model : "?", when, err.message);
    if (a != NULL)
        audit_saved_notes(doc, a, st == P11TEE_OK, detail, sizeof(detail));
    audit_result(r, path, "attestation", st == P11TEE_OK, detail, cli_exit_code(err.code));
    p11tee_attestation_free(a);
    json_object_put(doc);
}

/* What a file is, by its start: an audit log line or a saved attestation; NULL: neither. */
static const char *audit_kind(const char *path)
{
    char head[512];
    size_t n;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return NULL;
    n = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    head[n] = '\0';
    if (strncmp(head, "{\"v\":1,\"seq\":", 13) == 0)
        return "log";
    if (strstr(head, "\"p11tee_saved_attestation\"") != NULL)
        return "attestation";
    return NULL;
}

static void audit_path(audit_run *r, const char *path, int depth, int named)
{
    struct stat st;
    const char *kind;
    DIR *d;
    struct dirent *e;
    char sub[4096];

    if (stat(path, &st) != 0) {
        audit_result(r, path, "path", 0, strerror(errno), CLI_EXIT_GENERAL);
        return;
    }
    if (S_ISDIR(st.st_mode) && depth < AUDIT_DEPTH && (d = opendir(path)) != NULL) {
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.') {
                snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                audit_path(r, sub, depth + 1, 0);
            }
        closedir(d);
        return;
    }
    if (!S_ISREG(st.st_mode))
        return;
    kind = audit_kind(path);
    if (kind != NULL && strcmp(kind, "log") == 0)
        audit_log_file(r, path);
    else if (kind != NULL)
        audit_saved(r, path);
    else if (named)
        audit_result(r, path, "file", 0, "neither an audit log nor a saved attestation",
                     CLI_EXIT_GENERAL);
}

int cmd_audit(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    json_object *root = NULL;
    audit_run r;
    int opt, rc, json = 0, i;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(audit_commands_help, stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        cli_error("p11tee audit needs a subcommand: verify");
        fputs(audit_commands_help, stderr);
        return CLI_EXIT_USAGE;
    }
    argc--, argv++;
    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
        if (opt == 'j')
            json = 1;
        else if ((rc = cli_other_option(g, opt, verify_help)) >= 0)
            return rc;
    }
    if (optind >= argc) {
        fputs(verify_help, stderr);
        return CLI_EXIT_USAGE;
    }
    memset(&r, 0, sizeof(r));
    r.g = g;
    if ((r.cfg = cli_config(g, &rc)) == NULL)
        return rc;
    if ((rc = cli_config_check(r.cfg, 0)) != CLI_EXIT_OK) {
        p11tee_config_free(r.cfg);
        return rc;
    }
    if (json) {
        root = json_object_new_object();
        r.items = json_object_new_array();
    }
    for (i = optind; i < argc; i++)
        audit_path(&r, argv[i], 0, 1);
    if (r.found == 0 && r.rc == CLI_EXIT_OK) {
        cli_error("no audit log or saved attestation found");
        r.rc = CLI_EXIT_GENERAL;
    }
    if (root != NULL) {
        json_object_object_add(root, "items", r.items);
        if (r.rc != CLI_EXIT_OK)
            cli_json_add_error(root, r.rc);
        cli_json_print(root);
        json_object_put(root);
    }
    p11tee_config_free(r.cfg);
    return r.rc;
}
