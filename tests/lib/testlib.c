/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "testlib.h"

int test_run_group(const char *name, const struct CMUnitTest *tests, size_t count,
                   CMFixtureFunction setup, CMFixtureFunction teardown)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return _cmocka_run_group_tests(name, tests, count, setup, teardown);
}

void test_skip_all(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(77);
}

const char *test_require_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || v[0] == '\0')
        test_skip_all("%s is not set (run through make check)", name);
    return v;
}

char *test_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    char *path;

    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    if (asprintf(&path, "%s/p11tee-test.XXXXXX", tmp) < 0)
        abort();
    if (mkdtemp(path) == NULL) {
        fprintf(stderr, "mkdtemp %s: %s\n", path, strerror(errno));
        abort();
    }
    return path;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_rmtree(const char *path)
{
    if (path != NULL)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int test_run(char *const argv[])
{
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (f == NULL)
        return -1;
    ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0, n = 0, r;

    if (f == NULL)
        return NULL;
    do {
        if (n + 4096 + 1 > cap) {
            char *p = realloc(data, cap = (cap ? cap * 2 : 8192));

            if (p == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = p;
        }
        r = fread(data + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    fclose(f);
    data[n] = '\0';
    if (len != NULL)
        *len = n;
    return data;
}

void test_token_create(test_token *t, const char *label)
{
    const char *srcdir = test_require_env("top_srcdir");
    char *script, *conf;
    int status;

    memset(t, 0, sizeof(*t));
    t->module = getenv("SOFTHSM_MODULE");
    if (t->module == NULL || t->module[0] == '\0' || access(t->module, R_OK) != 0)
        test_skip_all("SoftHSMv2 module not found (install the Debian package softhsm2)");
    snprintf(t->label, sizeof(t->label), "%s", label);
    t->dir = test_mkdtemp();
    if (asprintf(&script, "%s/tests/lib/mktoken.sh", srcdir) < 0)
        abort();
    {
        char *argv[] = {(char *)"/bin/sh",   script, t->dir, t->label, (char *)TEST_PIN,
                        (char *)TEST_SO_PIN, NULL};

        status = test_run(argv);
    }
    free(script);
    if (status < 0) {
        test_rmtree(t->dir);
        test_skip_all("could not run mktoken.sh");
    }
    if (status == 77) {
        test_rmtree(t->dir);
        test_skip_all("softhsm2-util not found (install the Debian package softhsm2)");
    }
    if (status != 0) {
        fprintf(stderr, "mktoken.sh failed with status %d\n", status);
        test_rmtree(t->dir);
        exit(99);
    }
    if (asprintf(&conf, "%s/softhsm2.conf", t->dir) < 0)
        abort();
    setenv("SOFTHSM2_CONF", conf, 1);
    free(conf);
    snprintf(t->uri, sizeof(t->uri), "pkcs11:token=%s?pin-value=%s", t->label, TEST_PIN);
}

void test_token_destroy(test_token *t)
{
    if (t->dir != NULL) {
        test_rmtree(t->dir);
        free(t->dir);
        t->dir = NULL;
    }
}

void test_random(void *buf, size_t len)
{
    if (RAND_bytes(buf, (int)len) != 1)
        abort();
}
