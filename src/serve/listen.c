/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Listening sockets: "ADDR:PORT", "[V6ADDR]:PORT" or "unix:PATH", opened
 * before any thread starts, and whether each is local (loopback or a unix
 * socket), which decides whether the gateway may run without a clients file.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "serve/listen.h"

#define GW_BACKLOG 512

static int gw_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return sa->sa_family == AF_UNIX;
}

/* A stale socket file is replaced; a live one (another process answers) is not. */
static int gw_unix_free(const struct sockaddr_un *sun, char *why, size_t cap)
{
    struct stat st;
    int fd;

    if (lstat(sun->sun_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(why, cap, "%s exists and is not a socket", sun->sun_path);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
        close(fd);
        snprintf(why, cap, "%s is in use by another process", sun->sun_path);
        return -1;
    }
    if (fd >= 0)
        close(fd);
    unlink(sun->sun_path);
    return 0;
}

static int gw_listen_unix(gw_listener *l, const char *path, char *why, size_t cap)
{
    struct sockaddr_un sun;
    mode_t old;
    int rc;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
        snprintf(why, cap, "unix:%s: the path must be absolute and shorter than %zu bytes", path,
                 sizeof(sun.sun_path));
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    if (gw_unix_free(&sun, why, cap) != 0)
        return -1;
    l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        snprintf(why, cap, "socket: %s", strerror(errno));
        return -1;
    }
    old = umask(0117); /* owner and group may connect */
    rc = bind(l->fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old);
    if (rc != 0 || listen(l->fd, GW_BACKLOG) != 0) {
        snprintf(why, cap, "cannot listen on unix:%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(l->path, sizeof(l->path), "%s", path);
    snprintf(l->name, sizeof(l->name), "unix:%s", path);
    l->local = 1;
    l->is_unix = 1;
    return 0;
}

/* "host:port" or "[v6]:port" into its parts. */
static int gw_split(const char *spec, char *host, size_t hcap, const char **port)
{
    const char *colon;
    size_t n;

    if (spec[0] == '[') {
        colon = strstr(spec, "]:");
        if (colon == NULL)
            return -1;
        n = (size_t)(colon - spec - 1);
        *port = colon + 2;
        spec++;
    } else {
        colon = strrchr(spec, ':');
        if (colon == NULL)
            return -1;
        n = (size_t)(colon - spec);
        *port = colon + 1;
    }
    if (n == 0 || n >= hcap || **port == '\0')
        return -1;
    memcpy(host, spec, n);
    host[n] = '\0';
    return 0;
}

static void gw_name(gw_listener *l)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (getsockname(l->fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        snprintf(l->name, sizeof(l->name), "%s:%d", addr, port);
    } else {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        snprintf(l->name, sizeof(l->name), "[%s]:%d", addr, port);
    }
}

static int gw_listen_tcp(gw_listener *l, const char *spec, char *why, size_t cap)
{
    struct addrinfo hints, *res = NULL;
    char host[256];
    const char *port;
    int one = 1, rc;

    if (gw_split(spec, host, sizeof(host), &port) != 0) {
        snprintf(why, cap, "--listen %s: expected ADDR:PORT, [V6ADDR]:PORT or unix:PATH", spec);
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, cap, "--listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    l->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd >= 0) {
        setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (res->ai_family == AF_INET6)
            setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (l->fd < 0 || bind(l->fd, res->ai_addr, res->ai_addrlen) != 0 ||
        listen(l->fd, GW_BACKLOG) != 0) {
        snprintf(why, cap, "cannot listen on %s: %s", spec, strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    l->local = gw_is_loopback(res->ai_addr);
    freeaddrinfo(res);
    gw_name(l);
    return 0;
}

int gw_listen_open(gw_listener *l, const char *spec, char *why, size_t cap)
{
    memset(l, 0, sizeof(*l));
    l->fd = -1;
    if (strncmp(spec, "unix:", 5) == 0)
        return gw_listen_unix(l, spec + 5, why, cap);
    return gw_listen_tcp(l, spec, why, cap);
}

void gw_listen_close(gw_listener *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    if (l->is_unix && l->path[0] != '\0')
        unlink(l->path);
    l->path[0] = '\0';
}
