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

/* Options every subcommand accepts. */
typedef struct cli_global {
    const char *base_url;
    const char *api_key_file;
    const char *token;
    const char *module;
    const char *policy;
    const char *cacert;
    const char *aci_report_url;
    const char *connect_timeout;
    const char *idle_timeout;
    const char *max_time;
    int verbose;
    int force_final_pin_try;
} cli_global;

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

/* getopt_long entries of the global options (terminated by a zero entry). */
extern const struct option cli_global_options[];
/* Short options of the global set, for getopt_long's optstring. */
#define CLI_GLOBAL_SHORT "hv"
#define CLI_OPTIONS_MAX  40

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

#endif /* P11TEE_CLI_H */
