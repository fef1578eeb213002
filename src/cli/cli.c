/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Shared pieces of the p11tee command: messages, exit codes, configuration. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/process.h"

void cli_put_text(FILE *out, const char *text, size_t len, unsigned flags)
{
    p11tee_text_filter f;
    char *buf = malloc(3 * len + 16);
    size_t n;

    if (buf == NULL)
        return;
    p11tee_text_filter_init(&f, flags);
    n = p11tee_text_filter_run(&f, text, len, buf);
    n += p11tee_text_filter_finish(&f, buf + n);
    fwrite(buf, 1, n, out);
    free(buf);
}

void cli_put_line(FILE *out, const char *text)
{
    cli_put_text(out, text != NULL ? text : "", text != NULL ? strlen(text) : 0, 0);
}

/* Messages quote servers (errors, ids): one line, no control characters, always. */
__attribute__((format(printf, 2, 0))) static void cli_vmsg(const char *level, const char *fmt,
                                                           va_list ap)
{
    char line[2048];

    vsnprintf(line, sizeof(line), fmt, ap);
    fflush(stdout);
    fprintf(stderr, "p11tee: %s", level);
    cli_put_line(stderr, line);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    cli_json_note_error(line, NULL);
    fflush(stdout);
    fprintf(stderr, "p11tee: error: ");
    cli_put_line(stderr, line);
    fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vmsg("warning: ", fmt, ap);
    va_end(ap);
}

void cli_note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vmsg("", fmt, ap);
    va_end(ap);
}

int cli_exit_code(p11tee_status code)
{
    switch (p11tee_status_class_of(code)) {
    case P11TEE_CLASS_OK: return CLI_EXIT_OK;
    case P11TEE_CLASS_GENERAL: return CLI_EXIT_GENERAL;
    case P11TEE_CLASS_TOKEN: return CLI_EXIT_TOKEN;
    case P11TEE_CLASS_CRYPTO: return CLI_EXIT_CRYPTO;
    case P11TEE_CLASS_NETWORK: return CLI_EXIT_NETWORK;
    case P11TEE_CLASS_HTTP: return CLI_EXIT_HTTP;
    case P11TEE_CLASS_ATTEST: return CLI_EXIT_ATTEST;
    }
    return CLI_EXIT_GENERAL;
}

int cli_fail(const p11tee_error *err)
{
    cli_error("%s", err->message[0] ? err->message : p11tee_strerror(err->code));
    cli_json_note_error(err->message[0] ? err->message : p11tee_strerror(err->code), err);
    if (err->detail[0])
        cli_note("  cause: %s", err->detail);
    return cli_exit_code(err->code);
}

enum {
    OPT_BASE_URL = 1000,
    OPT_API_KEY_FILE,
    OPT_TOKEN,
    OPT_MODULE,
    OPT_POLICY,
    OPT_CACERT,
    OPT_PROXY,
    OPT_CONNECT_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_MAX_TIME,
    OPT_FORCE_FINAL_PIN_TRY,
    OPT_ACI_REPORT_URL,
    OPT_ALLOW_CORE_DUMPS,
};

const struct option cli_global_options[] = {
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"module", required_argument, NULL, OPT_MODULE},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"aci-report-url", required_argument, NULL, OPT_ACI_REPORT_URL},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"max-time", required_argument, NULL, OPT_MAX_TIME},
    {"force-final-pin-try", no_argument, NULL, OPT_FORCE_FINAL_PIN_TRY},
    {"allow-core-dumps", no_argument, NULL, OPT_ALLOW_CORE_DUMPS},
    {"verbose", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

void cli_options(const struct option *own, struct option out[CLI_OPTIONS_MAX])
{
    static const struct option help = {"help", no_argument, NULL, 'h'};
    size_t n = 0, i;

    for (i = 0; own[i].name != NULL && n < CLI_OPTIONS_MAX - 2; i++)
        out[n++] = own[i];
    for (i = 0; cli_global_options[i].name != NULL && n < CLI_OPTIONS_MAX - 2; i++)
        out[n++] = cli_global_options[i];
    out[n++] = help;
    memset(&out[n], 0, sizeof(out[n]));
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

static int cli_hex(char c)
{
    return (c >= '0' && c <= '9')                   ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

/*
 * A PIN on the command line would be visible to every user of the machine.
 * Looked for anywhere in the URI (path or query), also percent-encoded.
 */
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

/* "5" or "2.5" seconds, at most a day: checked when given, so a typo is a usage error. */
static int cli_seconds(const char *opt, const char *value, const char **out)
{
    char *end;
    double s;

    errno = 0;
    s = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !(s >= 0) || s > 86400) {
        cli_error("--%s wants seconds (0 to 86400), not \"%s\"", opt, value);
        return -1;
    }
    *out = value;
    return 1;
}

int cli_global_option(cli_global *g, int opt, const char *arg)
{
    switch (opt) {
    case OPT_BASE_URL: g->base_url = arg; return 1;
    case OPT_API_KEY_FILE: g->api_key_file = arg; return 1;
    case OPT_TOKEN:
        if (cli_token_has_pin(arg)) {
            cli_error("--token must not carry pin-value: a PIN in the command line is visible "
                      "to other users; use pin-source=file:PATH or $P11TEE_PIN");
            return -1;
        }
        g->token = arg;
        return 1;
    case OPT_MODULE: g->module = arg; return 1;
    case OPT_POLICY: g->policy = arg; return 1;
    case OPT_CACERT: g->cacert = arg; return 1;
    case OPT_ACI_REPORT_URL: g->aci_report_url = arg; return 1;
    case OPT_PROXY:
        if (cli_url_has_credentials(arg)) {
            cli_error("--proxy must not carry credentials: the command line is visible to other "
                      "users; give them in https_proxy in the environment");
            return -1;
        }
        g->proxy = arg;
        return 1;
    case OPT_CONNECT_TIMEOUT: return cli_seconds("connect-timeout", arg, &g->connect_timeout);
    case OPT_IDLE_TIMEOUT: return cli_seconds("idle-timeout", arg, &g->idle_timeout);
    case OPT_MAX_TIME: return cli_seconds("max-time", arg, &g->max_time);
    case OPT_FORCE_FINAL_PIN_TRY: g->force_final_pin_try = 1; return 1;
    case OPT_ALLOW_CORE_DUMPS: cli_process_allow_core_dumps(); return 1;
    case 'v': g->verbose++; return 1;
    default: return 0;
    }
}

char *cli_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *data;
    size_t n = 0, r;

    if (f == NULL) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    data = malloc(max + 1);
    if (data == NULL) {
        cli_error("out of memory reading %s", path);
        if (f != stdin)
            fclose(f);
        return NULL;
    }
    while ((r = fread(data + n, 1, max + 1 - n, f)) > 0 && n + r <= max)
        n += r;
    if (r > 0 || ferror(f)) {
        if (r > 0)
            cli_error("%s is larger than %zu bytes", strcmp(path, "-") ? path : "input", max);
        else
            cli_error("cannot read %s: %s", path, strerror(errno));
        free(data);
        data = NULL;
    } else {
        data[n] = '\0';
        *len = n;
    }
    if (f != stdin)
        fclose(f);
    return data;
}

int cli_file_private(const char *path, const char *what)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        cli_error("cannot open %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
        return 0;
    cli_error("%s %s is open to group or others (mode %04o): run chmod 600 %s", what, path,
              (unsigned)(st.st_mode & 07777), path);
    return -1;
}

int cli_write_private(const char *path, const void *data, size_t len)
{
    struct stat st;
    int fd, ok;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    /* A file that existed keeps its mode on O_CREAT: make it ours alone before writing. */
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || fchmod(fd, 0600) != 0) {
        cli_error("%s is not owned by this user or cannot be made private", path);
        close(fd);
        return -1;
    }
    ok = len == 0 || write(fd, data, len) == (ssize_t)len;
    if (close(fd) != 0 || !ok) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_time_option(const char *arg, time_t *out)
{
    *out = cli_parse_time(arg);
    if (*out != (time_t)-1)
        return 0;
    cli_error("--at wants 2025-06-30T12:00:00Z or seconds since 1970, not \"%s\"", arg);
    return -1;
}

time_t cli_parse_time(const char *s)
{
    struct tm tm;
    char *end;
    long long v;

    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end != NULL && (strcmp(end, "Z") == 0 || *end == '\0'))
        return timegm(&tm);
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0' && v > 0)
        return (time_t)v;
    return (time_t)-1;
}
