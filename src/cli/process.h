/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * process.c: the process's own hardening. At start, no core dumps
 * (RLIMIT_CORE 0, not dumpable), which --allow-core-dumps undoes for
 * debugging; cli_env_forget() wipes a secret's value in the environment and
 * removes it, once it was read.
 */
#ifndef P11TEE_CLI_PROCESS_H
#define P11TEE_CLI_PROCESS_H

void cli_process_harden(void);
void cli_process_allow_core_dumps(void);
void cli_env_forget(const char *name);

#endif /* P11TEE_CLI_PROCESS_H */
