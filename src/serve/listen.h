/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The gateway's listening sockets (listen.c). */
#ifndef P11TEE_SERVE_LISTEN_H
#define P11TEE_SERVE_LISTEN_H

#include <stddef.h>

#include <microhttpd.h>

typedef struct gw_listener {
    int fd;
    int local;   /* loopback or unix: callers on this machine only */
    int is_unix; /* the socket file is removed at the end */
    int metrics; /* serves /metrics, /healthz and /readyz only */
    char path[108];
    char name[160]; /* what it listens on, for the log ("127.0.0.1:8788") */
    struct MHD_Daemon *daemon;
} gw_listener;

/* Open and listen (spec "ADDR:PORT", "[V6]:PORT" or "unix:PATH"); 0, or -1 with `why`. */
int gw_listen_open(gw_listener *l, const char *spec, char *why, size_t cap);
/* Close the socket (if libmicrohttpd has not taken it) and remove a unix socket's file. */
void gw_listen_close(gw_listener *l);

#endif /* P11TEE_SERVE_LISTEN_H */
