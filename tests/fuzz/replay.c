/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * fuzz-replay: every harness without libFuzzer. Replays each harness's
 * built-in seeds and regression inputs, then every file of its directory
 * under each --corpus DIR (DIR/<harness>/...), and prints one TAP line per
 * harness. make check runs it through tests/fuzz/replay.sh.
 *
 *   fuzz-replay [--corpus DIR]... [--target NAME]...   replay (all harnesses by default)
 *   fuzz-replay --target NAME FILE...                  replay these files only
 *   fuzz-replay --list                                 the harness names
 *   fuzz-replay --write-seeds DIR                      built-in inputs to DIR/<harness>/
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_FILE_MAX (16u * 1024 * 1024)
#define REPLAY_DIRS_MAX 8

void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void replay_said(void)
{
    fprintf(stderr, "fuzz-replay: the input that failed: %s\n", fuzz_now);
}

/* Run one input from an exact-size heap copy, so that reading past its end is caught. */
static void replay_one(const fuzz_target *t, const void *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);

    if (copy == NULL) {
        fprintf(stderr, "fuzz-replay: out of memory\n");
        exit(99);
    }
    memcpy(copy, data, len);
    t->one(copy, len);
    free(copy);
}

/* Replay one file; -1 when it cannot be read. */
static int replay_file(const fuzz_target *t, const char *path)
{
    struct stat st;
    FILE *f;
    uint8_t *buf;
    size_t n;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > REPLAY_FILE_MAX)
        return -1;
    if ((f = fopen(path, "rb")) == NULL)
        return -1;
    buf = malloc((size_t)st.st_size > 0 ? (size_t)st.st_size : 1);
    n = buf != NULL ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (buf == NULL || n != (size_t)st.st_size) {
        free(buf);
        return -1;
    }
    snprintf(fuzz_now, sizeof(fuzz_now), "%s: %s", t->name, path);
    replay_one(t, buf, n);
    free(buf);
    return 0;
}

static int visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Replay the files of DIR/<name>, in name order; the number of inputs, or -1 on an unreadable file.
 */
static long replay_dir(const fuzz_target *t, const char *dir)
{
    char sub[4096], path[4096 + 256];
    struct dirent **names;
    long count = 0;
    int n, i, bad = 0;

    snprintf(sub, sizeof(sub), "%s/%s", dir, t->name);
    n = scandir(sub, &names, visible, alphasort);
    if (n < 0)
        return 0; /* no corpus for this harness here */
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", sub, names[i]->d_name);
        if (replay_file(t, path) == 0)
            count++;
        else {
            fprintf(stderr, "fuzz-replay: cannot read %s\n", path);
            bad = 1;
        }
        free(names[i]);
    }
    free(names);
    return bad ? -1 : count;
}

/* Write every harness's built-in inputs as files, for libFuzzer's corpus. */
static int write_seeds(const char *dir)
{
    char path[4096];
    fuzz_target *t;
    size_t i;
    FILE *f;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return 1;
    for (t = fuzz_targets(); t != NULL; t = t->next) {
        snprintf(path, sizeof(path), "%s/%s", dir, t->name);
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return 1;
        for (i = 0; i < t->nseeds; i++) {
            snprintf(path, sizeof(path), "%s/%s/builtin-%03zu", dir, t->name, i);
            if ((f = fopen(path, "wb")) == NULL)
                return 1;
            if (fwrite(t->seeds[i].data, 1, t->seeds[i].len, f) != t->seeds[i].len) {
                fclose(f);
                return 1;
            }
            if (fclose(f) != 0)
                return 1;
        }
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: fuzz-replay [--corpus DIR]... [--target NAME]... [FILE...]\n"
                    "       fuzz-replay --list\n"
                    "       fuzz-replay --write-seeds DIR\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *dirs[REPLAY_DIRS_MAX], *only[64];
    size_t ndirs = 0, nonly = 0, i, j;
    int a, tap = 0, failures = 0, files_from = 0;
    fuzz_target *t;

    if (__sanitizer_set_death_callback != NULL)
        __sanitizer_set_death_callback(replay_said);
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--list") == 0) {
            for (t = fuzz_targets(); t != NULL; t = t->next)
                printf("%s\n", t->name);
            return 0;
        } else if (strcmp(argv[a], "--write-seeds") == 0 && a + 1 < argc) {
            if (write_seeds(argv[a + 1]) != 0) {
                fprintf(stderr, "fuzz-replay: cannot write the seeds into %s\n", argv[a + 1]);
                return 1;
            }
            return 0;
        } else if (strcmp(argv[a], "--corpus") == 0 && a + 1 < argc && ndirs < REPLAY_DIRS_MAX) {
            dirs[ndirs++] = argv[++a];
        } else if (strcmp(argv[a], "--target") == 0 && a + 1 < argc && nonly < 64) {
            if (fuzz_find(argv[++a]) == NULL) {
                fprintf(stderr, "fuzz-replay: no harness named %s (see --list)\n", argv[a]);
                return 2;
            }
            only[nonly++] = argv[a];
        } else if (argv[a][0] == '-') {
            usage();
        } else {
            files_from = a;
            break;
        }
    }
    if (files_from > 0) { /* FILE...: one harness, these inputs */
        if (nonly != 1)
            usage();
        t = fuzz_find(only[0]);
        for (a = files_from; a < argc; a++)
            if (replay_file(t, argv[a]) != 0) {
                fprintf(stderr, "fuzz-replay: cannot read %s\n", argv[a]);
                return 1;
            }
        printf("fuzz-replay: %s: %d inputs replayed\n", t->name, argc - files_from);
        return 0;
    }
    for (t = fuzz_targets(); t != NULL; t = t->next) {
        long corpus = 0, got;

        for (j = 0; j < nonly && strcmp(only[j], t->name) != 0; j++)
            ;
        if (nonly > 0 && j == nonly)
            continue;
        for (i = 0; i < t->nseeds; i++) {
            snprintf(fuzz_now, sizeof(fuzz_now), "%s: built-in seed %zu", t->name, i);
            replay_one(t, t->seeds[i].data, t->seeds[i].len);
        }
        for (i = 0; i < ndirs; i++) {
            got = replay_dir(t, dirs[i]);
            if (got < 0)
                break;
            corpus += got;
        }
        tap++;
        if (i < ndirs) {
            printf("not ok %d - %s: an input of its corpus could not be read\n", tap, t->name);
            failures++;
        } else {
            printf("ok %d - %s: %zu built-in inputs, %ld corpus inputs\n", tap, t->name, t->nseeds,
                   corpus);
        }
        fflush(stdout);
    }
    printf("1..%d\n", tap);
    return failures;
}
