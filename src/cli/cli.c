/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Shared pieces of the p11tee command: messages, exit codes, configuration. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/cli.h"

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
static void cli_vmsg(const char *level, const char *fmt, va_list ap)
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
    va_list ap;

    va_start(ap, fmt);
    cli_vmsg("error: ", fmt, ap);
    va_end(ap);
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
    if (err->detail[0])
        cli_note("  cause: %s", err->detail);
    return cli_exit_code(err->code);
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
