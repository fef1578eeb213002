/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Local callers: the clients file (one "name:sha256-of-key" per line, not
 * readable by others), checked in constant time per key, reloaded on SIGHUP;
 * and each caller's limits (chats in flight, a token bucket of requests).
 * Without a clients file every request is the anonymous caller "local"
 * (allowed only on loopback and unix listeners: main.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "serve/gateway.h"

#define GW_CLIENTS_FILE_MAX (1024 * 1024)
#define GW_CLIENTS_MAX      4096
#define GW_NAME_MAX         64

struct gw_caller {
    char name[GW_NAME_MAX + 1];
    atomic_long active;
    pthread_mutex_t lock; /* the bucket */
    double tokens;
    uint64_t refill_ns;
    struct gw_caller *next;
};

typedef struct gw_entry {
    unsigned char hash[SHA256_DIGEST_LENGTH];
    gw_caller *caller;
} gw_entry;

typedef struct gw_table {
    atomic_uint refs;
    size_t n;
    gw_entry *e;
} gw_table;

static struct {
    const serve_options *o;
    pthread_mutex_t lock; /* table, callers */
    gw_table *table;      /* NULL: no authentication */
    gw_caller *callers;   /* every caller ever named, kept until exit */
    gw_caller *anonymous;
    double burst;
} a = {.lock = PTHREAD_MUTEX_INITIALIZER};

const char *gw_caller_name(const gw_caller *c)
{
    return c->name;
}

static gw_caller *gw_caller_find(const char *name)
{
    gw_caller *c;

    for (c = a.callers; c != NULL; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    snprintf(c->name, sizeof(c->name), "%s", name);
    atomic_init(&c->active, 0);
    pthread_mutex_init(&c->lock, NULL);
    c->tokens = a.burst;
    c->refill_ns = gw_now_ns();
    c->next = a.callers;
    a.callers = c;
    return c;
}

static void gw_table_put(gw_table *t)
{
    if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1) {
        free(t->e);
        free(t);
    }
}

static int gw_hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int gw_name_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > GW_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("._@-", s[i]) != NULL))
            return 0;
    return 1;
}

/* One line "name:hex64" into `e`; 0, or -1 with `why`. */
static int gw_parse_line(char *line, size_t lineno, gw_entry *e, char *why, size_t cap)
{
    char *colon = strchr(line, ':'), *hex;
    size_t i, hexlen;

    if (colon == NULL || !gw_name_ok(line, (size_t)(colon - line))) {
        snprintf(why, cap, "line %zu: expected NAME:SHA256 (a name of 1-64 letters, digits, ._@-)",
                 lineno);
        return -1;
    }
    *colon = '\0';
    hex = colon + 1;
    hexlen = strlen(hex);
    for (i = 0; i < hexlen && hexlen == 2 * SHA256_DIGEST_LENGTH; i++)
        if (gw_hexval(hex[i]) < 0)
            break;
    if (hexlen != 2 * SHA256_DIGEST_LENGTH || i != hexlen) {
        snprintf(why, cap,
                 "line %zu: the key hash of %s must be 64 hex digits (sha256sum of the key)",
                 lineno, line);
        return -1;
    }
    for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
        e->hash[i] = (unsigned char)(gw_hexval(hex[2 * i]) << 4 | gw_hexval(hex[2 * i + 1]));
    e->caller = gw_caller_find(line);
    if (e->caller == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    return 0;
}

static int gw_check_unique(const gw_table *t, char *why, size_t cap)
{
    size_t i, j;

    for (i = 0; i < t->n; i++)
        for (j = 0; j < i; j++)
            if (t->e[i].caller == t->e[j].caller ||
                memcmp(t->e[i].hash, t->e[j].hash, SHA256_DIGEST_LENGTH) == 0) {
                snprintf(why, cap, "client %s appears twice, or shares its key with %s",
                         t->e[i].caller->name, t->e[j].caller->name);
                return -1;
            }
    return 0;
}

static int gw_parse_table(char *text, gw_table *t, char *why, size_t cap)
{
    char *line, *save = NULL;
    size_t lineno = 0;
    int rc = 0;

    for (line = strtok_r(text, "\n", &save); line != NULL && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);

        lineno++;
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (t->n == GW_CLIENTS_MAX) {
            snprintf(why, cap, "more than %d clients", GW_CLIENTS_MAX);
            return -1;
        }
        rc = gw_parse_line(line, lineno, &t->e[t->n], why, cap);
        if (rc == 0)
            t->n++;
    }
    return rc == 0 ? gw_check_unique(t, why, cap) : rc;
}

static char *gw_read_private(const char *path, char *why, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *text = NULL;
    ssize_t n = 0;

    if (fd < 0) {
        snprintf(why, cap, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        snprintf(why, cap, "%s is not a regular file", path);
    else if (st.st_mode & S_IRWXO)
        snprintf(why, cap, "%s is accessible to other users (mode %03o): chmod o-rwx %s", path,
                 (unsigned)(st.st_mode & 0777), path);
    else if (st.st_size > GW_CLIENTS_FILE_MAX)
        snprintf(why, cap, "%s is larger than %d bytes", path, GW_CLIENTS_FILE_MAX);
    else if ((text = malloc((size_t)st.st_size + 1)) == NULL)
        snprintf(why, cap, "out of memory");
    else if ((n = read(fd, text, (size_t)st.st_size)) != st.st_size) {
        snprintf(why, cap, "cannot read %s", path);
        free(text);
        text = NULL;
    } else {
        text[n] = '\0';
    }
    close(fd);
    return text;
}

static int gw_load(char *why, size_t cap)
{
    gw_table *t = calloc(1, sizeof(*t)), *old;
    char *text = gw_read_private(a.o->clients_file, why, cap);
    int rc = -1;

    if (t != NULL && text != NULL) {
        t->e = calloc(GW_CLIENTS_MAX, sizeof(*t->e));
        atomic_init(&t->refs, 1);
        pthread_mutex_lock(&a.lock);
        rc = t->e != NULL ? gw_parse_table(text, t, why, cap) : -1;
        if (rc == 0) {
            old = a.table;
            a.table = t;
            t = NULL;
        }
        pthread_mutex_unlock(&a.lock);
        if (rc == 0)
            gw_table_put(old);
    } else if (t == NULL) {
        snprintf(why, cap, "out of memory");
    }
    if (text != NULL) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    if (t != NULL) {
        free(t->e);
        free(t);
    }
    return rc;
}

int gw_auth_init(const serve_options *o, char *why, size_t cap)
{
    a.o = o;
    a.burst = o->client_burst > 0   ? (double)o->client_burst
              : o->client_rate >= 1 ? o->client_rate
                                    : 1.0;
    if (o->clients_file != NULL)
        return gw_load(why, cap);
    pthread_mutex_lock(&a.lock);
    a.anonymous = gw_caller_find("local");
    pthread_mutex_unlock(&a.lock);
    if (a.anonymous == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    return 0;
}

int gw_auth_reload(char *why, size_t cap)
{
    return a.o->clients_file != NULL ? gw_load(why, cap) : 0;
}

void gw_auth_free(void)
{
    gw_caller *c, *next;

    gw_table_put(a.table);
    a.table = NULL;
    for (c = a.callers; c != NULL; c = next) {
        next = c->next;
        pthread_mutex_destroy(&c->lock);
        free(c);
    }
    a.callers = NULL;
}

/* Every entry is compared, whichever matches: the time depends only on the table's size. */
static gw_caller *gw_match(const gw_table *t, const unsigned char *hash)
{
    gw_caller *found = NULL;
    size_t i;

    for (i = 0; i < t->n; i++) {
        uintptr_t same = (uintptr_t)(CRYPTO_memcmp(t->e[i].hash, hash, SHA256_DIGEST_LENGTH) == 0);

        found = (gw_caller *)((uintptr_t)found | ((uintptr_t)t->e[i].caller & (0 - same)));
    }
    return found;
}

gw_caller *gw_auth_check(const char *authorization, int *failed)
{
    unsigned char hash[SHA256_DIGEST_LENGTH];
    gw_table *t;
    gw_caller *c;
    const char *key;

    pthread_mutex_lock(&a.lock);
    t = a.table;
    if (t != NULL)
        atomic_fetch_add(&t->refs, 1);
    pthread_mutex_unlock(&a.lock);
    *failed = 0;
    if (t == NULL)
        return a.anonymous;
    c = NULL;
    if (authorization != NULL && strncasecmp(authorization, "Bearer ", 7) == 0) {
        key = authorization + 7;
        while (*key == ' ')
            key++;
        if (gw_sha256(key, strlen(key), hash))
            c = gw_match(t, hash);
        else
            *failed = 1;
        OPENSSL_cleanse(hash, sizeof(hash));
    }
    gw_table_put(t);
    return c;
}

int gw_limit_rate(gw_caller *c)
{
    uint64_t now;
    int ok;

    if (a.o->client_rate <= 0)
        return 1;
    now = gw_now_ns();
    pthread_mutex_lock(&c->lock);
    c->tokens += (double)(now - c->refill_ns) / 1e9 * a.o->client_rate;
    if (c->tokens > a.burst)
        c->tokens = a.burst;
    c->refill_ns = now;
    ok = c->tokens >= 1.0;
    if (ok)
        c->tokens -= 1.0;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

int gw_limit_enter(gw_caller *c)
{
    long max = a.o->client_max_streams > 0 ? a.o->client_max_streams : a.o->max_streams;

    if (atomic_fetch_add(&c->active, 1) < max)
        return 1;
    atomic_fetch_sub(&c->active, 1);
    return 0;
}

void gw_limit_leave(gw_caller *c)
{
    atomic_fetch_sub(&c->active, 1);
}
