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

#include <p11tee/p11tee.h>
#include <p11tee/token.h>

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
};

/*
 * Settings (options.c): one table row per option. The name is the long
 * option and the key of a configuration file; `env` is read when the option
 * is absent; `lib` is the p11tee_config option it sets (seconds become ms).
 */
typedef enum cli_kind {
    CLI_TEXT,
    CLI_SECONDS, /* "2.5": seconds, at most a day */
    CLI_COUNT,   /* a whole or decimal number >= 0 */
    CLI_FLAG,    /* no argument; counted */
} cli_kind;

typedef struct cli_setting {
    const char *name;
    cli_kind kind;
    int short_opt; /* 0: none */
    const char *env;
    const char *lib;
    const char *arg; /* the argument's name in --help */
    const char *help;
    int list; /* may be given several times, each value kept */
} cli_setting;

#define CLI_SETTINGS_MAX 32
#define CLI_LIST_MAX     16

/* What the command line gave, per setting: every value of a list, the last of the others. */
typedef struct cli_values {
    const char *v[CLI_SETTINGS_MAX][CLI_LIST_MAX];
    unsigned n[CLI_SETTINGS_MAX];
} cli_values;

/* getopt_long values of table rows: base + row (global: CLI_OPT_GLOBAL, a command's: CLI_OPT_OWN).
 */
#define CLI_OPT_GLOBAL 1000
#define CLI_OPT_OWN    1100

enum cli_global_id {
    CLI_G_BASE_URL,
    CLI_G_API_KEY_FILE,
    CLI_G_TOKEN,
    CLI_G_MODULE,
    CLI_G_POLICY,
    CLI_G_CACERT,
    CLI_G_ACI_REPORT_URL,
    CLI_G_CONNECT_TIMEOUT,
    CLI_G_IDLE_TIMEOUT,
    CLI_G_MAX_TIME,
    CLI_G_FORCE_FINAL_PIN_TRY,
    CLI_G_ALLOW_CORE_DUMPS,
    CLI_G_VERBOSE,
    CLI_G_COUNT
};

extern const cli_setting cli_global_settings[CLI_G_COUNT];

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
    cli_values values;
} cli_global;

/* 1: `opt` was a row of `t` (value checked and kept), 0: not one, -1: a bad value (said why). */
int cli_settings_take(const cli_setting *t, size_t n, int base, cli_values *v, int opt,
                      const char *arg);
/* The value of row `i`: the last one given, else its environment variable, else NULL. */
const char *cli_value(const cli_setting *t, const cli_values *v, size_t i);
/* getopt_long entries for the rows; returns how many were written. */
size_t cli_settings_getopt(const cli_setting *t, size_t n, int base, struct option *out,
                           size_t cap);
void cli_settings_help(FILE *out, const cli_setting *t, size_t n);
/* Set every row that names a library option into `cfg`; -1 after a usage error. */
int cli_config_apply(p11tee_config *cfg, const cli_setting *t, size_t n, const cli_values *v,
                     p11tee_error *err);
/* Numbers of settings; -1 after saying what is wrong. */
int cli_parse_number(const char *name, const char *value, double max, double *out);
int cli_parse_seconds(const char *name, const char *value, long *ms);

/*
 * process.c: at start, no core dumps (RLIMIT_CORE 0, not dumpable), which
 * --allow-core-dumps undoes for debugging; cli_env_forget() wipes a secret's
 * value in the environment and removes it, once it was read.
 */
void cli_process_harden(void);
void cli_process_allow_core_dumps(void);
void cli_env_forget(const char *name);

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

/* Build a config from the globals and the environment. NULL after reporting why. */
p11tee_config *cli_config(const cli_global *g, int *exit_code);

/* A client from the globals; NULL after reporting why (exit code in *exit_code). */
p11tee_client *cli_client(const cli_global *g, p11tee_config **cfg_out, int *exit_code);

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

/* Read a whole file or stdin ("-"), at most `max` bytes; NULL after reporting why. */
char *cli_read_file(const char *path, size_t max, size_t *len);

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
int cmd_serve(cli_global *g, int argc, char **argv);

#endif /* P11TEE_CLI_H */
