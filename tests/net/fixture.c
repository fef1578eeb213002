/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "testlib.h"

#define START_WAIT_MS 20000

uint64_t fixture_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int python_can(const char *python, const char *code)
{
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        execl(python, python, "-c", code, (char *)NULL);
        _exit(127);
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

static void spawn(net_fixture *f, const char *python, const char *script, const char *dir,
                  const char *name, const char *mode)
{
    f->pid = fork();
    if (f->pid < 0) {
        perror("fork");
        exit(99);
    }
    if (f->pid == 0) {
        execl(python, python, script, "--dir", dir, "--name", name, "--mode", mode, "--lifetime",
              "120", (char *)NULL);
        _exit(127);
    }
}

/* Wait for the server's port file; exit 99 when the server dies or never serves. */
static void wait_port(net_fixture *f, const char *dir, const char *name, const char *mode)
{
    char path[512], *text;
    uint64_t until = fixture_now_ms() + START_WAIT_MS;
    int status;

    snprintf(path, sizeof(path), "%s/%s.port", dir, name);
    while ((text = test_read_file(path, NULL)) == NULL) {
        if (waitpid(f->pid, &status, WNOHANG) == f->pid || fixture_now_ms() > until) {
            fprintf(stderr, "netfixture.py --mode %s did not start\n", mode);
            exit(99);
        }
        usleep(20000);
    }
    f->port = atoi(text);
    free(text);
}

void fixture_start(net_fixture *f, const char *dir, const char *name, const char *mode)
{
    const char *python = test_require_env("PYTHON3");
    const char *srcdir = test_require_env("top_srcdir");
    char script[512];

    memset(f, 0, sizeof(*f));
    if (access(python, X_OK) != 0)
        test_skip_all("%s is not executable (install python3)", python);
    if (strcmp(mode, "tls") == 0 && !python_can(python, "import cryptography"))
        test_skip_all("%s cannot import cryptography (install python3-cryptography)", python);
    snprintf(script, sizeof(script), "%s/tests/net/netfixture.py", srcdir);
    spawn(f, python, script, dir, name, mode);
    wait_port(f, dir, name, mode);
    snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d", strcmp(mode, "tls") ? "http" : "https",
             f->port);
    snprintf(f->ca, sizeof(f->ca), "%s/%s-ca.pem", dir, name);
    snprintf(f->log, sizeof(f->log), "%s/%s.log", dir, name);
    snprintf(f->tunnel, sizeof(f->tunnel), "%s/%s.tunnel", dir, name);
}

void fixture_stop(net_fixture *f)
{
    int status;

    if (f->pid <= 0)
        return;
    kill(f->pid, SIGTERM);
    waitpid(f->pid, &status, 0);
    f->pid = 0;
}

int fixture_get(int port, const char *path)
{
    struct sockaddr_in sa;
    char req[512], reply[64] = "";
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
    ssize_t n;
    size_t got = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req)) {
        char rest[512];

        while (got < sizeof(reply) - 1 &&
               (n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0)) > 0)
            got += (size_t)n;
        reply[got] = '\0';
        /* Read to the end, so that closing does not reset the server's send. */
        while (recv(fd, rest, sizeof(rest), 0) > 0)
            ;
        ok = strncmp(reply, "HTTP/1.0 200", 12) == 0 || strncmp(reply, "HTTP/1.1 200", 12) == 0;
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

void fixture_clear_proxy_env(void)
{
    static const char *const names[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                        "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(names); i++)
        unsetenv(names[i]);
}

void log_lines_init(log_lines *l)
{
    pthread_mutex_init(&l->lock, NULL);
    bytebuf_init(&l->text, 1 << 20);
    l->count = 0;
}

void log_lines_free(log_lines *l)
{
    bytebuf_free(&l->text);
    pthread_mutex_destroy(&l->lock);
}

void log_lines_add(void *ctx, const char *line)
{
    log_lines *l = ctx;

    pthread_mutex_lock(&l->lock);
    if (bytebuf_append_str(&l->text, line) == P11TEE_OK)
        bytebuf_append(&l->text, "\n", 1);
    l->count++;
    pthread_mutex_unlock(&l->lock);
}

int log_lines_have(log_lines *l, const char *s)
{
    int found;

    pthread_mutex_lock(&l->lock);
    found = l->text.data != NULL && strstr((const char *)l->text.data, s) != NULL;
    pthread_mutex_unlock(&l->lock);
    return found;
}
