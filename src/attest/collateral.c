/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX collateral (the JSON shape dcap-qvl and PCCS clients store): the PCK
 * and root CRLs, and the signed TCB info and QE identity. This file checks
 * what vouches for them (signatures, issuer chains to the pinned root, CRL
 * validity) and revocation of the PCK chain; tdx_tcb.c then reads what they
 * say about this quote. The dependency goes one way: this file calls
 * tdx_tcb.c (tdx_check_tcb, tdx_json_str), never the reverse.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"

typedef tdx_collateral collateral;

static const char *const fields[] = {
    "pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
    "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
    "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature",
};

static X509_CRL *crl_from_hex(const char *hex, size_t len)
{
    uint8_t *der = malloc(len / 2 + 1);
    const unsigned char *p = der;
    X509_CRL *crl = NULL;
    size_t n;

    if (der != NULL && hex_decode(hex, len, der, len / 2 + 1, &n, NULL) == P11TEE_OK && n > 0 &&
        n <= (size_t)INT32_MAX) {
        crl = d2i_X509_CRL(NULL, &p, (long)n);
        if (crl != NULL && p != der + n) {
            X509_CRL_free(crl); /* trailing bytes after the DER */
            crl = NULL;
        }
    }
    err_openssl_clear();
    free(der);
    return crl;
}

/* The TCB info or QE identity: a JSON object carried as text (what is signed). */
static json_object *signed_json(json_object *root, const char *key)
{
    size_t len;
    const char *text = tdx_json_str(root, key, &len);
    json_object *obj = NULL;

    if (text != NULL && sjson_parse(text, len, TDX_COLLATERAL_MAX, key, &obj, NULL) == P11TEE_OK &&
        !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        obj = NULL;
    }
    return obj;
}

int tdx_collateral_parse(collateral *c, const char *text, size_t len, char *why, size_t wl)
{
    p11tee_error err;
    size_t i, n;
    const char *s;

    memset(c, 0, sizeof(*c));
    if (sjson_parse(text, len, TDX_COLLATERAL_MAX, "the collateral", &c->root, &err) != P11TEE_OK) {
        snprintf(why, wl, "%s", err.message);
        return 0;
    }
    if (!json_object_is_type(c->root, json_type_object)) {
        snprintf(why, wl, "the collateral is not a JSON object");
        return 0;
    }
    for (i = 0; i < P11TEE_ARRAY_LEN(fields); i++)
        if (tdx_json_str(c->root, fields[i], NULL) == NULL) {
            snprintf(why, wl, "collateral field \"%s\" is missing or not a string", fields[i]);
            return 0;
        }
    s = tdx_json_str(c->root, "root_ca_crl", &n);
    if ((c->root_crl = crl_from_hex(s, n)) == NULL) {
        snprintf(why, wl, "collateral root_ca_crl is not a hex DER CRL");
        return 0;
    }
    s = tdx_json_str(c->root, "pck_crl", &n);
    if ((c->pck_crl = crl_from_hex(s, n)) == NULL) {
        snprintf(why, wl, "collateral pck_crl is not a hex DER CRL");
        return 0;
    }
    if ((c->tcb_info = signed_json(c->root, "tcb_info")) == NULL ||
        (c->qe_identity = signed_json(c->root, "qe_identity")) == NULL) {
        snprintf(why, wl, "collateral %s is not a JSON object text",
                 c->tcb_info == NULL ? "tcb_info" : "qe_identity");
        return 0;
    }
    return 1;
}

void tdx_collateral_free(collateral *c)
{
    json_object_put(c->root);
    json_object_put(c->tcb_info);
    json_object_put(c->qe_identity);
    X509_CRL_free(c->root_crl);
    X509_CRL_free(c->pck_crl);
}

/* thisUpdate <= at < nextUpdate */
static int crl_current(X509_CRL *crl, time_t at)
{
    const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl), *next = X509_CRL_get0_nextUpdate(crl);

    return last != NULL && next != NULL && X509_cmp_time(last, &at) == -1 &&
           X509_cmp_time(next, &at) == 1;
}

const char *tdx_crl_problem(X509_CRL *crl, X509 *issuer, time_t at)
{
    int ok;

    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
        return "its issuer is not the CA it should come from";
    ok = X509_CRL_verify(crl, X509_get0_pubkey(issuer)) == 1;
    err_openssl_clear();
    if (!ok)
        return "its signature does not verify";
    if (!crl_current(crl, at))
        return "it is not valid at the verification time (thisUpdate/nextUpdate)";
    return NULL;
}

static void check_crls(const collateral *c, const tdx_pck *pck, time_t at, attest_report *rep)
{
    const char *root_bad, *pck_bad;
    char when[ATTEST_TIME_TEXT];

    if (pck->leaf == NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_CRL, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the PCK chain did not verify, so its CRL issuers are unknown");
        return;
    }
    attest_time_text(at, when);
    root_bad = tdx_crl_problem(c->root_crl, pck->anchor, at);
    pck_bad = tdx_crl_problem(c->pck_crl, pck->ca, at);
    if (root_bad != NULL)
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_CRL, P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL,
                          "root CA CRL refused at %s: %s", when, root_bad);
    else if (pck_bad != NULL)
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_CRL, P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL,
                          "PCK CA CRL refused at %s: %s", when, pck_bad);
    else
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_CRL, P11TEE_CHECK_PASS, P11TEE_OK,
                          "root CA CRL and PCK CA CRL signed by their issuers and current at %s",
                          when);
}

static int revoked_by(X509_CRL *crl, X509 *cert)
{
    X509_REVOKED *entry = NULL;

    return X509_CRL_get0_by_cert(crl, &entry, cert) == 1;
}

static void check_revocation(const collateral *c, const tdx_pck *pck, attest_report *rep)
{
    const char *crl_name = attest_check_name(ATTEST_CK_TDX_COLLATERAL_CRL);
    const attest_check *crl = attest_report_find(rep, crl_name);

    if (crl == NULL || crl->result != P11TEE_CHECK_PASS)
        attest_report_add(rep, ATTEST_CK_TDX_PCK_REVOCATION, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no trustworthy CRLs (see %s)", crl_name);
    else if (revoked_by(c->pck_crl, pck->leaf))
        attest_report_add(rep, ATTEST_CK_TDX_PCK_REVOCATION, P11TEE_CHECK_FAIL, P11TEE_E_REVOKED,
                          "the PCK leaf certificate is revoked by the PCK CA CRL");
    else if (revoked_by(c->root_crl, pck->ca))
        attest_report_add(rep, ATTEST_CK_TDX_PCK_REVOCATION, P11TEE_CHECK_FAIL, P11TEE_E_REVOKED,
                          "the PCK CA certificate is revoked by the root CA CRL");
    else
        attest_report_add(rep, ATTEST_CK_TDX_PCK_REVOCATION, P11TEE_CHECK_PASS, P11TEE_OK,
                          "neither the PCK leaf (PCK CA CRL, %d entries) nor the PCK CA (root "
                          "CA CRL) is revoked",
                          sk_X509_REVOKED_num(X509_CRL_get_REVOKED(c->pck_crl)));
}

/*
 * The signing chain of the TCB info or QE identity, verified to a trusted
 * root: `want_anchor` when given (the root the PCK chain ends at: collateral
 * under another root does not speak for this platform). The signer must not
 * be revoked by the root CRL when that CRL is trustworthy (`root_crl_ok`).
 */
static STACK_OF(X509) *signing_chain(const collateral *c, const attest_trust *t, X509 *want_anchor,
                                     int root_crl_ok, const char *what, char *why, size_t wl)
{
    char key[40], fail[160], a1[96], a2[96];
    STACK_OF(X509) *certs, *chain = NULL;
    X509 *anchor;
    size_t len;
    const char *text;

    snprintf(key, sizeof(key), "%s_issuer_chain", what);
    text = tdx_json_str(c->root, key, &len);
    certs = attest_certs_from_pem(text, len);
    if (certs == NULL) {
        snprintf(why, wl, "%s holds no PEM certificate", key);
        return NULL;
    }
    if (!attest_chain_verify(t, sk_X509_value(certs, 0), certs, &chain, fail, sizeof(fail)))
        snprintf(why, wl, "%s signing chain does not verify: %s", what, fail);
    sk_X509_pop_free(certs, X509_free);
    if (chain == NULL)
        return NULL;
    anchor = sk_X509_value(chain, sk_X509_num(chain) - 1);
    attest_anchor_name(t, anchor, a1, sizeof(a1));
    if (want_anchor != NULL && X509_cmp(anchor, want_anchor) != 0) {
        attest_anchor_name(t, want_anchor, a2, sizeof(a2));
        snprintf(why, wl, "%s is signed under %s but the PCK chain ends at %s", what, a1, a2);
    } else if (sk_X509_num(chain) != 2 ||
               !attest_cert_cn_is(sk_X509_value(chain, 0), "Intel SGX TCB Signing") ||
               X509_check_ca(sk_X509_value(chain, 0)) != 0) {
        /* As Intel's verifier: only the TCB Signing certificate, issued by the root itself,
         * speaks for TCB levels; a PCK key (any platform's) must not. */
        snprintf(why, wl,
                 "%s is not signed by an \"Intel SGX TCB Signing\" end-entity certificate "
                 "issued by the root (chain of %d)",
                 what, sk_X509_num(chain));
    } else if (root_crl_ok && revoked_by(c->root_crl, sk_X509_value(chain, 0))) {
        snprintf(why, wl, "%s signing certificate is revoked by the root CA CRL", what);
    } else {
        snprintf(why, wl, "%s signature verifies; signing chain verified to %s%s", what, a1,
                 root_crl_ok ? ", signer not revoked" : "");
        return chain;
    }
    sk_X509_pop_free(chain, X509_free);
    return NULL;
}

int tdx_collateral_signed(const collateral *c, const attest_trust *t, X509 *want_anchor,
                          int root_crl_ok, const char *what, char *why, size_t wl)
{
    char key[40];
    STACK_OF(X509) *chain = signing_chain(c, t, want_anchor, root_crl_ok, what, why, wl);
    size_t len, siglen, n;
    const char *text = tdx_json_str(c->root, what, &len), *sighex;
    uint8_t sig[TDX_ECDSA_SIG_BYTES];
    int ok = 0;

    snprintf(key, sizeof(key), "%s_signature", what);
    sighex = tdx_json_str(c->root, key, &siglen);
    if (chain != NULL) {
        if (hex_decode(sighex, siglen, sig, sizeof(sig), &n, NULL) != P11TEE_OK || n != sizeof(sig))
            snprintf(why, wl, "%s is not %zu bytes of hex (raw r || s)", key, sizeof(sig));
        else if (!attest_ecdsa_verify_raw(X509_get0_pubkey(sk_X509_value(chain, 0)), "SHA256",
                                          (const uint8_t *)text, len, sig, sizeof(sig)))
            snprintf(why, wl, "%s does not verify over the %zu bytes of %s", key, len, what);
        else
            ok = 1;
    }
    sk_X509_pop_free(chain, X509_free);
    return ok;
}

/* The raw ECDSA signature over the exact bytes of the JSON text. */
static int check_signed(const collateral *c, const attest_trust *t, const tdx_pck *pck,
                        const char *what, attest_check_id id, attest_report *rep)
{
    const attest_check *crl =
        attest_report_find(rep, attest_check_name(ATTEST_CK_TDX_COLLATERAL_CRL));
    char why[ATTEST_REASON_MAX];
    int ok = tdx_collateral_signed(
        c, t, pck->anchor, crl != NULL && crl->result == P11TEE_CHECK_PASS, what, why, sizeof(why));

    attest_report_add(rep, id, ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL,
                      "%s", why);
    return ok;
}

/* Record the TDX checks from `from` on as not checked, with `why`. */
static void not_checked_from(attest_report *rep, attest_check_id from, const char *why)
{
    int id;

    for (id = from; id < TDX_CHECK_END; id++)
        attest_report_add(rep, (attest_check_id)id, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s", why);
}

void tdx_check_collateral(const tdx_quote *q, const tdx_verify_opts *o, const attest_trust *t,
                          const tdx_pck *pck, attest_report *rep, tdx_verdict *v)
{
    char why[ATTEST_REASON_MAX];
    collateral c;
    int tcb_ok, qe_ok;

    if (o->collateral == NULL) {
        not_checked_from(rep, TDX_COLLATERAL_FIRST,
                         o->no_collateral_why != NULL && o->no_collateral_why[0] != '\0'
                             ? o->no_collateral_why
                             : "no collateral given (TCB info, QE identity, CRLs)");
        return;
    }
    if (!tdx_collateral_parse(&c, o->collateral, o->collateral_len, why, sizeof(why))) {
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_FORMAT, P11TEE_CHECK_FAIL,
                          P11TEE_E_COLLATERAL, "%s", why);
        /* The format check comes first: the rest depend on it. */
        snprintf(why, sizeof(why), "the collateral is unusable (see %s)",
                 attest_check_name(ATTEST_CK_TDX_COLLATERAL_FORMAT));
        not_checked_from(rep, (attest_check_id)(TDX_COLLATERAL_FIRST + 1), why);
        tdx_collateral_free(&c);
        return;
    }
    attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_FORMAT, P11TEE_CHECK_PASS, P11TEE_OK,
                      "CRLs, TCB info, QE identity, issuer chains and signatures present");
    check_crls(&c, pck, t->at, rep);
    check_revocation(&c, pck, rep);
    tcb_ok = check_signed(&c, t, pck, "tcb_info", ATTEST_CK_TDX_COLLATERAL_TCB_INFO, rep);
    qe_ok = check_signed(&c, t, pck, "qe_identity", ATTEST_CK_TDX_COLLATERAL_QE_IDENTITY, rep);
    tdx_check_tcb(q, pck->leaf, tcb_ok ? c.tcb_info : NULL, qe_ok ? c.qe_identity : NULL, o, t->at,
                  rep, v);
    tdx_collateral_free(&c);
}
