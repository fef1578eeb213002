/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The process keeps its secrets: no core dumps unless asked for (a core of
 * p11tee would hold decrypted answers and the token session), and secrets
 * read from the environment are wiped there, so that neither a later child
 * nor /proc/PID/environ shows them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "cli/process.h"

extern char **environ;

static struct rlimit cli_core_limit; /* as p11tee found it */
static int cli_core_saved;

void cli_process_harden(void)
{
    struct rlimit none;

    if (getrlimit(RLIMIT_CORE, &cli_core_limit) == 0) {
        cli_core_saved = 1;
        none = cli_core_limit;
        none.rlim_cur = 0; /* the hard limit stays: --allow-core-dumps can restore it */
        (void)setrlimit(RLIMIT_CORE, &none);
    }
    /* Not dumpable: no core file, and no ptrace or /proc/PID/mem for other processes of the user.
     */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void cli_process_allow_core_dumps(void)
{
    if (cli_core_saved)
        (void)setrlimit(RLIMIT_CORE, &cli_core_limit);
    (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

void cli_env_forget(const char *name)
{
    size_t n = strlen(name);
    char *entry = NULL, **e;

    for (e = environ; e != NULL && *e != NULL && entry == NULL; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            entry = *e;
    (void)unsetenv(name);
    /*
     * Then "NAME=value" is wiped where it lies: for an inherited variable
     * that is the block /proc/PID/environ shows, which unsetenv() leaves.
     */
    if (entry != NULL)
        explicit_bzero(entry, strlen(entry));
}
