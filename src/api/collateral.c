/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The TDX collateral cache: fetching a platform's collateral from Intel's
 * PCS (or a PCCS) through the configured proxy, verifying it against the
 * pinned root before it is kept, keeping it (one file per FMSPC and PCK CA,
 * replaced atomically), and finding it again for a quote. Cached files are
 * verified again at every use, so the cache holds public data and trusts
 * nothing; a directory or file that others may write is not used.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "net/net.h"

#define API_CACHE_SYSTEM      "/var/cache/p11tee"
#define API_COLLATERAL_PREFIX "tdx-"

const char *p11tee_collateral_dir(const p11tee_config *cfg, char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME");

    if (cfg != NULL && cfg->collateral_cache != NULL)
        snprintf(buf, cap, "%s", cfg->collateral_cache);
    else if (xdg != NULL && xdg[0] == '/')
        snprintf(buf, cap, "%s/p11tee", xdg);
    else
        snprintf(buf, cap, "%s", API_CACHE_SYSTEM);
    return buf;
}

/* "ABCDEF012345" and "platform" or "processor"; 0 when not. */
int api_collateral_platform_ok(const char *fmspc, const char *ca)
{
    return fmspc != NULL && strlen(fmspc) == 12 && strspn(fmspc, "0123456789abcdefABCDEF") == 12 &&
           (ca == NULL || strcmp(ca, "platform") == 0 || strcmp(ca, "processor") == 0);
}

/* DIR/tdx-FMSPC-CA.json, FMSPC in upper case. */
void api_collateral_file(const char *dir, const char *fmspc, const char *ca, char *out, size_t cap)
{
    char up[13];
    size_t i;

    for (i = 0; i < 12; i++)
        up[i] = (char)(fmspc[i] >= 'a' && fmspc[i] <= 'f' ? fmspc[i] - 32 : fmspc[i]);
    up[12] = '\0';
    snprintf(out, cap, "%s/" API_COLLATERAL_PREFIX "%s-%s.json", dir, up, ca);
}

/* Others must not be able to change what the cache serves (rollback to older documents). */
static const char *api_cache_unsafe(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return NULL;
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return "writable by group or others";
    if (st.st_uid != 0 && st.st_uid != geteuid())
        return "owned by another user";
    return NULL;
}

/* The test roots the configured policy trusts (the reference server's), for verification. */
p11tee_status api_collateral_test_roots(const p11tee_config *cfg, attest_policy **pol,
                                        attest_collateral_want *w, p11tee_error *err)
{
    p11tee_status rc = api_policy_load(cfg->policy_file, pol, err);

    if (rc == P11TEE_OK) {
        w->test_roots = (*pol)->tdx_test_roots;
        w->test_roots_len = (*pol)->tdx_test_roots_len;
    }
    return rc;
}

void api_collateral_info(const attest_collateral_info *ai, const char *path,
                         p11tee_collateral_info *info)
{
    memset(info, 0, sizeof(*info));
    snprintf(info->fmspc, sizeof(info->fmspc), "%s", ai->fmspc);
    snprintf(info->ca, sizeof(info->ca), "%s", ai->ca);
    info->issued = ai->issued;
    info->next_update = ai->next_update;
    snprintf(info->anchor, sizeof(info->anchor), "%s", ai->anchor);
    info->test_root = ai->test_root;
    snprintf(info->path, sizeof(info->path), "%s", path);
}

/* Read a cache file (bounded); P11TEE_E_IO when it cannot be used. */
static p11tee_status api_cache_read(const char *path, char **json, size_t *len, p11tee_error *err)
{
    const char *unsafe = api_cache_unsafe(path);
    FILE *f;
    size_t n = 0;

    *json = NULL;
    if (unsafe != NULL)
        return err_set(err, P11TEE_E_IO, "the cached collateral %s is not used: it is %s", path,
                       unsafe);
    if ((f = fopen(path, "rb")) == NULL)
        return err_set(err, P11TEE_E_IO,
                       "no cached collateral %s (%s): run p11tee collateral fetch", path,
                       strerror(errno));
    if ((*json = malloc(TDX_COLLATERAL_MAX + 1)) != NULL)
        n = fread(*json, 1, TDX_COLLATERAL_MAX + 1, f);
    fclose(f);
    if (*json == NULL || n > TDX_COLLATERAL_MAX) {
        free(*json);
        *json = NULL;
        return err_set(err, P11TEE_E_IO, "cannot read %s (or it exceeds %d bytes)", path,
                       TDX_COLLATERAL_MAX);
    }
    (*json)[n] = '\0';
    *len = n;
    return P11TEE_OK;
}

p11tee_status p11tee_collateral_cached(const p11tee_config *cfg, const char *fmspc, const char *ca,
                                       time_t at, p11tee_collateral_info *info, p11tee_error *err)
{
    char dir[1024], path[1200], *json = NULL;
    attest_collateral_want w;
    attest_collateral_info ai;
    attest_policy *pol = NULL;
    size_t len = 0;
    p11tee_status rc;

    if (!api_collateral_platform_ok(fmspc, ca))
        return err_set(err, P11TEE_E_INVALID_ARG,
                       "an FMSPC is 12 hex digits and the CA platform or processor");
    memset(&w, 0, sizeof(w));
    w.fmspc = fmspc;
    w.ca = ca != NULL ? ca : "platform";
    w.at = at;
    api_collateral_file(p11tee_collateral_dir(cfg, dir, sizeof(dir)), fmspc, w.ca, path,
                        sizeof(path));
    rc = api_cache_read(path, &json, &len, err);
    if (rc == P11TEE_OK)
        rc = api_collateral_test_roots(cfg, &pol, &w, err);
    if (rc == P11TEE_OK)
        rc = attest_collateral_verify(json, len, &w, &ai, err);
    if (rc == P11TEE_OK)
        api_collateral_info(&ai, path, info);
    else if (rc == P11TEE_E_COLLATERAL)
        err_detail(err, "in %s", path);
    attest_policy_free(pol);
    free(json);
    return rc;
}

size_t p11tee_collateral_platforms(const p11tee_config *cfg, char (*out)[24], size_t max)
{
    char dir[1024], fmspc[13], ca[16], tail[8];
    DIR *d = opendir(p11tee_collateral_dir(cfg, dir, sizeof(dir)));
    struct dirent *e;
    size_t n = 0;

    while (d != NULL && n < max && (e = readdir(d)) != NULL)
        if (sscanf(e->d_name, API_COLLATERAL_PREFIX "%12[0-9A-F]-%15[a-z]%7s", fmspc, ca, tail) ==
                3 &&
            strcmp(tail, ".json") == 0 && api_collateral_platform_ok(fmspc, ca))
            snprintf(out[n++], 24, "%.12s:%.9s", fmspc, ca);
    if (d != NULL)
        closedir(d);
    return n;
}

void api_collateral_for_quote(const p11tee_config *cfg, const attest_policy *pol,
                              const uint8_t *quote, size_t qlen, char **json, size_t *len,
                              char *source, size_t scap, char *why, size_t wcap)
{
    char dir[1024], path[1200], fmspc[13], ca[16];
    p11tee_error e;

    *json = NULL;
    source[0] = why[0] = '\0';
    if (pol->collateral_source == ATTEST_COLL_FILE) {
        snprintf(source, scap, "the policy's file %s", pol->collateral_name);
        return;
    }
    if (pol->collateral_source == ATTEST_COLL_OFF) {
        snprintf(why, wcap, "no collateral: the policy says tdx.collateral.cache false");
        return;
    }
    if (quote == NULL || attest_quote_platform(quote, qlen, fmspc, ca, &e) != P11TEE_OK)
        return; /* the quote's own checks say what is wrong with it */
    if (pol->collateral_cache != NULL)
        snprintf(dir, sizeof(dir), "%s", pol->collateral_cache);
    else
        p11tee_collateral_dir(cfg, dir, sizeof(dir));
    api_collateral_file(dir, fmspc, ca, path, sizeof(path));
    if (api_cache_read(path, json, len, &e) == P11TEE_OK)
        snprintf(source, scap, "the cache %s", path);
    else
        snprintf(why, wcap, "no collateral: %s", e.message);
}
