/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The p11tee command: one file per subcommand, all on the public API.
 * Messages go through cli_error/cli_warn/cli_note; exit codes are the
 * documented mapping of status classes (see docs/p11tee.1).
 */
#ifndef P11TEE_CLI_H
#define P11TEE_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include <p11tee/p11tee.h>
#include <p11tee/token.h>

#define CLI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes (docs/p11tee.1, EXIT STATUS). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_GENERAL = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_NETWORK = 3,
    CLI_EXIT_HTTP = 4,
    CLI_EXIT_ATTEST = 5,
    CLI_EXIT_CRYPTO = 6,
    CLI_EXIT_TOKEN = 7,
    CLI_EXIT_INTERRUPTED = 130, /* Ctrl-C (128 + SIGINT), as shells report it */
};

/*
 * A command's own settings as a table (options.c; p11tee serve's): one row
 * per option. The name is the long option; `env` is read when the option is
 * absent; `lib` is the p11tee_config option it sets (seconds become ms).
 */
typedef enum cli_opt_kind {
    CLI_TEXT,
    CLI_SECONDS, /* "2.5": seconds, at most a day */
    CLI_COUNT,   /* a whole or decimal number >= 0 */
    CLI_FLAG,    /* no argument; counted */
} cli_opt_kind;

typedef struct cli_opt {
    const char *name;
    cli_opt_kind kind;
    int short_opt; /* 0: none */
    const char *env;
    const char *lib;
    const char *arg; /* the argument's name in --help */
    const char *help;
    int list; /* may be given several times, each value kept */
} cli_opt;

#define CLI_SETTINGS_MAX 32
#define CLI_LIST_MAX     16

/* What the command line gave, per setting: every value of a list, the last of the others. */
typedef struct cli_values {
    const char *v[CLI_SETTINGS_MAX][CLI_LIST_MAX];
    unsigned n[CLI_SETTINGS_MAX];
} cli_values;

/* getopt_long values of a command's table rows: CLI_OPT_OWN + row. */
#define CLI_OPT_OWN 1100

/*
 * A server can keep a stream alive forever, a byte within every idle
 * period. Someone at a terminal sees that and stops it; a script would wait
 * forever. So when stdout is not a terminal, a whole chat is limited to
 * this many seconds unless --max-time says otherwise (0: no limit).
 */
#define CLI_BATCH_MAX_TIME_S 900

/* The longest API key file p11tee reads. */
#define CLI_API_KEY_MAX 4096
#define CLI_STR_(x)     #x
#define CLI_STR(x)      CLI_STR_(x)

/* Options every subcommand accepts. */
typedef struct cli_global {
    const char *base_url;
    const char *api_key_file;
    const char *token;
    const char *module;
    const char *policy;
    const char *cacert;
    const char *aci_report_url;
    const char *proxy;
    const char *connect_timeout;
    const char *idle_timeout;
    const char *max_time;
    int verbose;
    int force_final_pin_try;
} cli_global;

/* ---- settings (config.c: the files; settings.c: every source together) ---- */

/*
 * Every setting the configuration files may hold: its key (the library's
 * option name), where else it may come from, and its default as shown.
 */
typedef enum cli_kind {
    CLI_KIND_TEXT,
    CLI_KIND_NUMBER, /* a whole number */
    CLI_KIND_FLAG,   /* 0 or 1 (a file may say yes/no, true/false) */
    CLI_KIND_SECRET, /* never in a file; shown as <set> */
    CLI_KIND_CLI,    /* the command's own (api-key-file), not a library option */
} cli_kind;

typedef struct cli_key {
    const char *name;
    cli_kind kind;
    const char *env;  /* its environment variable, or NULL */
    const char *flag; /* the option that sets it, or NULL */
    const char *dflt; /* the default as `p11tee config` shows it, or NULL */
} cli_key;

enum cli_key_id {
    CLI_K_BASE_URL,
    CLI_K_API_KEY,
    CLI_K_API_KEY_FILE,
    CLI_K_MODULE,
    CLI_K_TOKEN,
    CLI_K_FORCE_FINAL,
    CLI_K_POLICY,
    CLI_K_CACERT,
    CLI_K_PROXY,
    CLI_K_ACI_REPORT_URL,
    CLI_K_CONNECT_TIMEOUT,
    CLI_K_IDLE_TIMEOUT,
    CLI_K_TIMEOUT,
    CLI_K_SESSION_TTL,
    CLI_K_REQUIRE_E2EE,
    CLI_K_ALLOW_PLAINTEXT,
    CLI_K_COLLATERAL_URL,
    CLI_K_COLLATERAL_ROOT_CRL_URL,
    CLI_K_COLLATERAL_CACHE,
    CLI_KEY_COUNT
};

extern const cli_key cli_keys[CLI_KEY_COUNT];

/* Where a value came from, weakest first: each layer overrides those before it. */
typedef enum cli_layer {
    CLI_FROM_DEFAULT,
    CLI_FROM_SYSTEM, /* SYSCONFDIR/p11tee/config */
    CLI_FROM_USER,   /* ~/.config/p11tee/config or $P11TEE_CONFIG */
    CLI_FROM_ENV,
    CLI_FROM_FLAG,
} cli_layer;

#define CLI_ORIGIN_MAX 4200 /* a file's path and line */

/* "scheme://user:pass@host...": credentials that must not sit in argv or a shared file. */
int cli_url_has_credentials(const char *url);
/* The key's index, or -1. */
int cli_key_find(const char *name);
/* Read both files once (later calls return the first outcome); -1 after saying why. */
int cli_conf_load(void);
/* What the files say of key `k` (NULL: nothing); `origin` "PATH:LINE". */
const char *cli_conf_value(int k, const char **origin, cli_layer *layer);
void cli_conf_free(void);
const char *cli_conf_system_path(void);
/* The user file's path ("" when there is no home); `*named`: $P11TEE_CONFIG. -1: too long. */
int cli_conf_user_path(char *out, size_t cap, int *named);

/* One setting as every source together makes it. */
typedef struct cli_setting {
    const char *value; /* NULL: not set (the library's default applies) */
    cli_layer layer;
    char origin[CLI_ORIGIN_MAX]; /* "--module", "P11TEE_MODULE", "/etc/p11tee/config:3" */
    char buf[32];                /* a flag's value converted (seconds into ms) */
} cli_setting;

/* The setting `k` from the command line, the environment, then the files. */
void cli_setting_get(const cli_global *g, int k, cli_setting *out);

/* ---- a command's own table of settings (options.c) ---- */

/* 1: `opt` was a row of `t` (value checked and kept), 0: not one, -1: a bad value (said why). */
int cli_settings_take(const cli_opt *t, size_t n, int base, cli_values *v, int opt,
                      const char *arg);
/* The value of row `i`: the last one given, else its environment variable, else NULL. */
const char *cli_value(const cli_opt *t, const cli_values *v, size_t i);
/* getopt_long entries for the rows; returns how many were written. */
size_t cli_settings_getopt(const cli_opt *t, size_t n, int base, struct option *out, size_t cap);
void cli_settings_help(FILE *out, const cli_opt *t, size_t n);
/* Set every row that names a library option into `cfg`; -1 after a usage error. */
int cli_config_apply(p11tee_config *cfg, const cli_opt *t, size_t n, const cli_values *v,
                     p11tee_error *err);
/* Numbers of settings; -1 after saying what is wrong. */
int cli_parse_number(const char *name, const char *value, double max, double *out);
int cli_parse_seconds(const char *name, const char *value, long *ms);

/*
 * A server can keep a stream alive forever, a byte within every idle
 * period. Someone at a terminal sees that and stops it; a script would wait
 * forever. So when stdout is not a terminal, a whole chat is limited to
 * this many seconds unless --max-time says otherwise (0: no limit).
 */
#define CLI_BATCH_MAX_TIME_S 900

/* The longest API key file p11tee reads. */
#define CLI_API_KEY_MAX 4096
#define CLI_STR_(x)     #x
#define CLI_STR(x)      CLI_STR_(x)

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print untrusted text (from a server): bytes that are not UTF-8 and control
 * characters become U+FFFD (flags: P11TEE_TEXT_KEEP_NEWLINES, ...).
 * cli_put_line() is the one-line form used for every server string in reports.
 */
void cli_put_text(FILE *out, const char *text, size_t len, unsigned flags);
void cli_put_line(FILE *out, const char *text);

/*
 * --json (json.c): a failure is one JSON object on stdout, {"error": {"exit",
 * "code", "status", "message", "detail"}}, printed by cli_json_finish() at
 * the end unless the command put it into its own document
 * (cli_json_add_error). main() turns the mode on when the command line has
 * --json.
 */
void cli_json_set(int on);
int cli_json_is_on(void);
/* Keep a failure for the error object (`err` NULL: a usage or local error). */
void cli_json_note_error(const char *message, const p11tee_error *err);
/* The last failure as the "error" member of `doc`, which the command prints. */
void cli_json_add_error(json_object *doc, int exit_code);
/* Print a document on stdout (one per command run). */
void cli_json_print(json_object *doc);
/* Print a library's JSON document, with the "error" member when `exit_code` is not 0. */
void cli_json_print_text(const char *text, int exit_code);
/* After the command: the error object when it failed and printed none. */
void cli_json_finish(int exit_code);

/* Report `err` (message and detail) and return the exit code of its class. */
int cli_fail(const p11tee_error *err);
int cli_exit_code(p11tee_status code);

/*
 * Parse the global options shared by every command. Returns 1 when `opt`
 * (a getopt_long result) was one of them, 0 otherwise, -1 on a bad value.
 */
int cli_global_option(cli_global *g, int opt, const char *arg);

/* Short options of the global set, for getopt_long's optstring. */
#define CLI_GLOBAL_SHORT "hv"
#define CLI_OPTIONS_MAX  64

/* `out` = a command's own options, the global ones and --help (zero-terminated). */
void cli_options(const struct option *own, struct option out[CLI_OPTIONS_MAX]);

/*
 * Handle one getopt_long result that is not a command option: -h prints
 * `help` and returns CLI_EXIT_OK, a global option returns -1 (go on), anything
 * else prints `help` to stderr and returns CLI_EXIT_USAGE.
 */
int cli_other_option(cli_global *g, int opt, const char *help);

/*
 * Build a config from every source (settings.c: files, environment, flags).
 * NULL after reporting why, with the exit code in *exit_code.
 */
p11tee_config *cli_config(const cli_global *g, int *exit_code);

/*
 * p11tee_config_check(cfg, what): every local setting, before anything is
 * sent or read (P11TEE_CHECK_API_KEY, P11TEE_CHECK_TOKEN). 0, or the exit
 * code after reporting why.
 */
int cli_config_check(const p11tee_config *cfg, unsigned what);

/*
 * A client from the settings, checked first as `what` says; NULL after
 * reporting why (exit code in *exit_code).
 */
p11tee_client *cli_client(const cli_global *g, unsigned what, p11tee_config **cfg_out,
                          int *exit_code);

/*
 * Ask for the token PIN on /dev/tty without echo (a p11tee_pin_prompt_fn);
 * -1 without a terminal (prompt.c).
 */
int cli_pin_prompt(void *userdata, const char *token, char *pin, size_t cap);

/*
 * 0 when only its owner may access the file at `path` (as ssh wants of a
 * private key file); else -1 after saying which chmod fixes it. `what`
 * names the file ("the API key file").
 */
int cli_file_private(const char *path, const char *what);

/*
 * Write `len` bytes to `path`, readable by its owner only (an existing file
 * must be the caller's; it is made private before anything is written; a
 * symbolic link is refused). 0, or -1 after saying why.
 */
int cli_write_private(const char *path, const void *data, size_t len);

/* Read a whole file or stdin ("-"), at most `max` bytes; NULL after reporting why. */
char *cli_read_file(const char *path, size_t max, size_t *len);

/*
 * An attestation for attest, quote and signature: the table (or, with `json`,
 * the JSON report, with the error inside when the verdict failed); returns
 * the exit code of the verdict.
 */
int cli_show_attestation(p11tee_status verdict, const p11tee_attestation *a,
                         const p11tee_error *err, int json, const char *title);

/* Print an attestation report as a table (checks, then measurements, then verdict). */
void cli_print_report(FILE *out, const p11tee_attestation *a, const char *title);

/* A one-line summary of a passed attestation, for chat's stderr. */
void cli_attestation_summary(FILE *out, const p11tee_attestation *a);

/* Parse "2025-06-30T12:00:00Z" or seconds since the epoch. -1 when invalid. */
time_t cli_parse_time(const char *s);
/* cli_parse_time() for the --at option: 0, or -1 after saying what is wrong. */
int cli_time_option(const char *arg, time_t *out);

int cmd_models(cli_global *g, int argc, char **argv);
int cmd_attest(cli_global *g, int argc, char **argv);
int cmd_chat(cli_global *g, int argc, char **argv);
int cmd_signature(cli_global *g, int argc, char **argv);
int cmd_quote(cli_global *g, int argc, char **argv);
int cmd_token(cli_global *g, int argc, char **argv);
int cmd_config(cli_global *g, int argc, char **argv);
int cmd_serve(cli_global *g, int argc, char **argv);
int cmd_collateral(cli_global *g, int argc, char **argv);
int cmd_audit(cli_global *g, int argc, char **argv);

#endif /* P11TEE_CLI_H */
