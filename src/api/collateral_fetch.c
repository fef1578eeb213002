/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee_collateral_fetch(): one platform's collateral from Intel's PCS (v4
 * paths) or a PCCS, through the configured proxy and trust store, verified
 * against the pinned Intel SGX Root CA (or the policy's test roots) and
 * only then written into the cache, atomically.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "net/net.h"

#define API_PCS_URL        "https://api.trustedservices.intel.com"
#define API_INTEL_ROOT_CRL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

/* What the five requests brought back. */
typedef struct fetch_answers {
    net_response pck_crl, root_crl, tcb, qe;
} fetch_answers;

typedef struct fetch_ctx {
    const p11tee_config *cfg;
    char base[1024];
} fetch_ctx;

static void fetch_log(void *ctx, const char *line)
{
    const fetch_ctx *f = ctx;

    f->cfg->log(f->cfg->log_ud, line);
}

/* GET `url` (scheme://host[:port]/path) with a client of its own: no API key goes there. */
static p11tee_status fetch_get(fetch_ctx *f, const char *url, const char *const *keep,
                               net_response *resp, p11tee_error *err)
{
    const char *slash = strstr(url, "://");
    char base[1024];
    net_options o;
    net_client *c = NULL;
    net_request req;
    p11tee_status rc;

    memset(resp, 0, sizeof(*resp));
    slash = slash != NULL ? strchr(slash + 3, '/') : NULL;
    if (slash == NULL || (size_t)(slash - url) >= sizeof(base))
        return err_set(err, P11TEE_E_CONFIG, "collateral URL %.200s has no path", url);
    snprintf(base, sizeof(base), "%.*s", (int)(slash - url), url);
    api_net_options(f->cfg, &o);
    o.base_url = base;
    o.api_key = NULL;
    o.log = f->cfg->log != NULL ? fetch_log : NULL;
    o.log_ctx = f;
    rc = net_client_new(&o, &c, err);
    if (rc == P11TEE_OK) {
        memset(&req, 0, sizeof(req));
        req.method = "GET";
        req.path = slash;
        req.keep_headers = keep;
        rc = net_perform(c, &req, resp, err);
    }
    net_client_free(c);
    return rc;
}

/* Where the root CA CRL comes from: the option, Intel's for Intel's PCS, else the PCCS's. */
static void fetch_root_crl_url(const fetch_ctx *f, char *out, size_t cap)
{
    if (f->cfg->collateral_root_crl_url != NULL)
        snprintf(out, cap, "%s", f->cfg->collateral_root_crl_url);
    else if (strcmp(f->base, API_PCS_URL) == 0)
        snprintf(out, cap, "%s", API_INTEL_ROOT_CRL);
    else
        snprintf(out, cap, "%s/sgx/certification/v4/rootcacrl", f->base);
}

static p11tee_status fetch_all(fetch_ctx *f, const char *fmspc, const char *ca, fetch_answers *a,
                               p11tee_error *err)
{
    static const char *const pck_keep[] = {"SGX-PCK-CRL-Issuer-Chain", NULL};
    static const char *const tcb_keep[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain",
                                           NULL};
    static const char *const qe_keep[] = {"SGX-Enclave-Identity-Issuer-Chain", NULL};
    char url[1400];
    p11tee_status rc;

    snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", f->base, ca);
    rc = fetch_get(f, url, pck_keep, &a->pck_crl, err);
    if (rc == P11TEE_OK) {
        snprintf(url, sizeof(url), "%s/tdx/certification/v4/tcb?fmspc=%s", f->base, fmspc);
        rc = fetch_get(f, url, tcb_keep, &a->tcb, err);
    }
    if (rc == P11TEE_OK) {
        snprintf(url, sizeof(url), "%s/tdx/certification/v4/qe/identity", f->base);
        rc = fetch_get(f, url, qe_keep, &a->qe, err);
    }
    if (rc == P11TEE_OK) {
        fetch_root_crl_url(f, url, sizeof(url));
        rc = fetch_get(f, url, NULL, &a->root_crl, err);
    }
    return rc;
}

/* The collateral document from the answers. */
static p11tee_status fetch_document(const fetch_answers *a, char **json, size_t *len,
                                    p11tee_error *err)
{
    attest_pcs_answers p;

    memset(&p, 0, sizeof(p));
    p.pck_crl = a->pck_crl.body.data;
    p.pck_crl_len = a->pck_crl.body.len;
    p.pck_crl_chain = a->pck_crl.kept[0];
    p.root_crl = a->root_crl.body.data;
    p.root_crl_len = a->root_crl.body.len;
    p.tcb = a->tcb.body.data;
    p.tcb_len = a->tcb.body.len;
    p.tcb_chain = a->tcb.kept[0] != NULL ? a->tcb.kept[0] : a->tcb.kept[1];
    p.qe = a->qe.body.data;
    p.qe_len = a->qe.body.len;
    p.qe_chain = a->qe.kept[0];
    return attest_collateral_from_pcs(&p, json, len, err);
}

/* mkdir -p with mode 0755 (the cache holds public data). */
static p11tee_status fetch_mkdirs(const char *dir, p11tee_error *err)
{
    char path[1024];
    size_t i;

    snprintf(path, sizeof(path), "%s", dir);
    for (i = 1; path[i] != '\0'; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return err_set(err, P11TEE_E_IO, "cannot create %s: %s", path, strerror(errno));
        path[i] = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return err_set(err, P11TEE_E_IO,
                       "cannot create the collateral cache %s: %s (as a user, set "
                       "collateral-cache or XDG_CACHE_HOME)",
                       path, strerror(errno));
    return P11TEE_OK;
}

/* Write `json` to `path` through a temporary file and rename: readers see old or new. */
static p11tee_status fetch_write(const char *path, const char *json, size_t len, p11tee_error *err)
{
    char tmp[1300];
    int fd, ok;

    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(err, P11TEE_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    ok = fchmod(fd, 0644) == 0 && write(fd, json, len) == (ssize_t)len && fsync(fd) == 0;
    ok &= close(fd) == 0;
    if (!ok || rename(tmp, path) != 0) {
        err_set(err, P11TEE_E_IO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return P11TEE_E_IO;
    }
    return P11TEE_OK;
}

static void fetch_free(fetch_answers *a)
{
    net_response_free(&a->pck_crl);
    net_response_free(&a->root_crl);
    net_response_free(&a->tcb);
    net_response_free(&a->qe);
}

p11tee_status p11tee_collateral_fetch(const p11tee_config *cfg, const char *fmspc, const char *ca,
                                      time_t at, p11tee_collateral_info *info, p11tee_error *err)
{
    fetch_ctx f;
    fetch_answers a;
    attest_collateral_want w;
    attest_collateral_info ai;
    attest_policy *pol = NULL;
    char dir[1024], path[1200], *json = NULL;
    size_t len = 0, n;
    p11tee_status rc;

    memset(&a, 0, sizeof(a));
    memset(&w, 0, sizeof(w));
    if (!api_collateral_platform_ok(fmspc, ca))
        return err_set(err, P11TEE_E_INVALID_ARG,
                       "an FMSPC is 12 hex digits and the CA platform or processor");
    f.cfg = cfg;
    snprintf(f.base, sizeof(f.base), "%s",
             cfg->collateral_url != NULL ? cfg->collateral_url : API_PCS_URL);
    for (n = strlen(f.base); n > 0 && f.base[n - 1] == '/';)
        f.base[--n] = '\0';
    w.fmspc = fmspc;
    w.ca = ca != NULL ? ca : "platform";
    w.at = at;
    rc = api_collateral_test_roots(cfg, &pol, &w, err);
    if (rc == P11TEE_OK)
        rc = fetch_all(&f, fmspc, w.ca, &a, err);
    if (rc == P11TEE_OK)
        rc = fetch_document(&a, &json, &len, err);
    /* Nothing unverified reaches the cache. */
    if (rc == P11TEE_OK)
        rc = attest_collateral_verify(json, len, &w, &ai, err);
    if (rc == P11TEE_OK)
        rc = fetch_mkdirs(p11tee_collateral_dir(cfg, dir, sizeof(dir)), err);
    if (rc == P11TEE_OK) {
        api_collateral_file(dir, fmspc, w.ca, path, sizeof(path));
        rc = fetch_write(path, json, len, err);
    }
    if (rc == P11TEE_OK)
        api_collateral_info(&ai, path, info);
    fetch_free(&a);
    free(json);
    attest_policy_free(pol);
    return rc;
}
