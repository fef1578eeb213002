/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token PIN typed on the terminal: /dev/tty (so that the answer on
 * stdout and a prompt on stdin stay untouched), echo off for the read and
 * restored afterwards, also when a signal ends the program meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

/* What a signal handler needs to give the terminal its echo back. */
static volatile sig_atomic_t prompt_fd = -1;
static struct termios prompt_saved;

static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

static void prompt_on_signal(int sig)
{
    if (prompt_fd >= 0)
        tcsetattr(prompt_fd, TCSAFLUSH, &prompt_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void prompt_write(int fd, const char *s)
{
    size_t n = strlen(s);
    ssize_t w;

    while (n > 0 && ((w = write(fd, s, n)) > 0 || (w < 0 && errno == EINTR))) {
        if (w > 0) {
            s += w;
            n -= (size_t)w;
        }
    }
}

/* The token's description comes from the token: shown through the text filter. */
static void prompt_question(int fd, const char *token)
{
    p11tee_text_filter f;
    char shown[3 * 200 + 16];
    size_t n, len = strnlen(token, 200);

    p11tee_text_filter_init(&f, 0);
    n = p11tee_text_filter_run(&f, token, len, shown);
    n += p11tee_text_filter_finish(&f, shown + n);
    shown[n] = '\0';
    prompt_write(fd, "PIN for ");
    prompt_write(fd, shown);
    prompt_write(fd, ": ");
}

/* One line from `fd` into pin (cap bytes with the NUL); its length, or -1 if too long or cut. */
static long prompt_read_line(int fd, char *pin, size_t cap)
{
    size_t n = 0;
    int too_long = 0;
    char c;
    ssize_t r;

    for (;;) {
        r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n' || c == '\r')
            break;
        if (n + 1 < cap)
            pin[n++] = c;
        else
            too_long = 1;
    }
    pin[n] = '\0';
    return too_long ? -1 : (long)n;
}

static void prompt_signals_set(struct sigaction *old, int install)
{
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = prompt_on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(prompt_signals) / sizeof(prompt_signals[0]); i++) {
        if (install)
            sigaction(prompt_signals[i], &sa, &old[i]);
        else
            sigaction(prompt_signals[i], &old[i], NULL);
    }
}

int cli_pin_prompt(void *userdata, const char *token, char *pin, size_t cap)
{
    struct sigaction old[sizeof(prompt_signals) / sizeof(prompt_signals[0])];
    struct termios quiet;
    long n;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

    (void)userdata;
    if (fd < 0)
        return -1;
    if (tcgetattr(fd, &prompt_saved) != 0) {
        close(fd);
        return -1;
    }
    quiet = prompt_saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    /* Echo off before the question: a PIN typed as soon as it shows is never echoed. */
    prompt_signals_set(old, 1);
    prompt_fd = fd;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    prompt_question(fd, token);
    n = prompt_read_line(fd, pin, cap);
    tcsetattr(fd, TCSAFLUSH, &prompt_saved);
    prompt_fd = -1;
    prompt_signals_set(old, 0);
    prompt_write(fd, "\n");
    if (n <= 0)
        prompt_write(fd, n == 0 ? "(no PIN typed)\n" : "(no PIN read: too long or cut off)\n");
    close(fd);
    if (n <= 0) {
        memset(pin, 0, cap);
        return -1;
    }
    return 0;
}
