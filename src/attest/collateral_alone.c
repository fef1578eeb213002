/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX collateral on its own, as `p11tee collateral fetch` receives it before
 * caching it: every document must verify to the pinned Intel SGX Root CA
 * (or a caller's test root) without a quote to anchor it, be for the FMSPC
 * and PCK CA asked for, and be current. Also: which platform a quote needs
 * collateral for (its PCK certificate's FMSPC and issuing CA), so that the
 * cache entry can be found. Calls collateral.c and tdx_verify.c (the trust)
 * and tdx_tcb.c/tdx_pck.c, and is called by nobody in the layer.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"

static const struct {
    const char *cn, *kind;
} pck_cas[] = {
    {"Intel SGX PCK Platform CA", "platform"},
    {"Intel SGX PCK Processor CA", "processor"},
};

/* "platform" or "processor" for a PCK CA certificate's subject; NULL otherwise. */
static const char *ca_kind_of_subject(X509 *ca)
{
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(pck_cas); i++)
        if (attest_cert_cn_is(ca, pck_cas[i].cn))
            return pck_cas[i].kind;
    return NULL;
}

/* The same for a PCK leaf's issuer. */
static const char *ca_kind_of_issuer(X509 *leaf)
{
    char cn[80];
    size_t i;
    int n = X509_NAME_get_text_by_NID(X509_get_issuer_name(leaf), NID_commonName, cn, sizeof(cn));

    for (i = 0; n > 0 && i < P11TEE_ARRAY_LEN(pck_cas); i++)
        if (strcmp(cn, pck_cas[i].cn) == 0)
            return pck_cas[i].kind;
    return NULL;
}

/* The PCK CRL's issuer chain to a trust anchor; the CA is the chain's first certificate. */
static p11tee_status alone_pck_ca(const tdx_collateral *c, const attest_trust *t,
                                  STACK_OF(X509) **chain, const char **kind, p11tee_error *err)
{
    size_t len;
    const char *pem = tdx_json_str(c->root, "pck_crl_issuer_chain", &len);
    STACK_OF(X509) *certs = attest_certs_from_pem(pem, len);
    char why[160];
    int ok;

    if (certs == NULL)
        return err_set(err, P11TEE_E_COLLATERAL, "pck_crl_issuer_chain holds no PEM certificate");
    ok = attest_chain_verify(t, sk_X509_value(certs, 0), certs, chain, why, sizeof(why));
    sk_X509_pop_free(certs, X509_free);
    if (!ok)
        return err_set(err, P11TEE_E_COLLATERAL, "the PCK CRL's issuer chain does not verify: %s",
                       why);
    if ((*kind = ca_kind_of_subject(sk_X509_value(*chain, 0))) == NULL || sk_X509_num(*chain) != 2)
        return err_set(err, P11TEE_E_COLLATERAL,
                       "the PCK CRL is not issued by an Intel SGX PCK Platform or Processor CA "
                       "under the root");
    return P11TEE_OK;
}

/* issueDate <= at < nextUpdate for one signed document; its dates into `info`. */
static p11tee_status alone_dates(json_object *doc, const char *what, time_t at,
                                 attest_collateral_info *info, p11tee_error *err)
{
    char a[ATTEST_TIME_TEXT], b[ATTEST_TIME_TEXT];
    time_t issue, next;

    if (!tdx_doc_dates(doc, &issue, &next))
        return err_set(err, P11TEE_E_COLLATERAL, "%s has no well-formed issueDate/nextUpdate",
                       what);
    attest_time_text(at, a);
    attest_time_text(next, b);
    if (at < issue)
        return err_set(err, P11TEE_E_COLLATERAL, "%s is issued after %s", what, a);
    if (at >= next)
        return err_set(err, P11TEE_E_COLLATERAL,
                       "%s is stale: its nextUpdate %s is not after %s (the server sent expired "
                       "collateral)",
                       what, b, a);
    if (info->issued == 0 || issue < info->issued)
        info->issued = issue;
    if (info->next_update == 0 || next < info->next_update)
        info->next_update = next;
    return P11TEE_OK;
}

/* The signed documents: authentic, of the right kind and platform, current. */
static p11tee_status alone_documents(const tdx_collateral *c, const attest_trust *t, X509 *anchor,
                                     const attest_collateral_want *want,
                                     attest_collateral_info *info, p11tee_error *err)
{
    const char *id, *fmspc;
    char why[ATTEST_REASON_MAX];
    size_t i;

    if (!tdx_collateral_signed(c, t, anchor, 1, "tcb_info", why, sizeof(why)) ||
        !tdx_collateral_signed(c, t, anchor, 1, "qe_identity", why, sizeof(why)))
        return err_set(err, P11TEE_E_COLLATERAL, "%s", why);
    id = tdx_json_str(c->tcb_info, "id", NULL);
    fmspc = tdx_json_str(c->tcb_info, "fmspc", NULL);
    if (id == NULL || strcmp(id, "TDX") != 0 || fmspc == NULL || strlen(fmspc) != 12)
        return err_set(err, P11TEE_E_COLLATERAL, "tcb_info is not TDX TCB info with an FMSPC");
    if ((id = tdx_json_str(c->qe_identity, "id", NULL)) == NULL || strcmp(id, "TD_QE") != 0)
        return err_set(err, P11TEE_E_COLLATERAL, "qe_identity is not the TDX QE's (id TD_QE)");
    for (i = 0; i < 12; i++)
        info->fmspc[i] = (char)toupper((unsigned char)fmspc[i]);
    info->fmspc[12] = '\0';
    if (want->fmspc != NULL && strcasecmp(want->fmspc, info->fmspc) != 0)
        return err_set(err, P11TEE_E_COLLATERAL,
                       "the TCB info is for FMSPC %s, not %s as asked: refused", info->fmspc,
                       want->fmspc);
    if (alone_dates(c->tcb_info, "tcb_info", t->at, info, err) != P11TEE_OK)
        return err->code;
    return alone_dates(c->qe_identity, "qe_identity", t->at, info, err);
}

/* Both CRLs: issued by their CA, current; their nextUpdate counts. */
static p11tee_status alone_crls(const tdx_collateral *c, X509 *ca, X509 *anchor, time_t at,
                                attest_collateral_info *info, p11tee_error *err)
{
    const ASN1_TIME *n1 = X509_CRL_get0_nextUpdate(c->root_crl);
    const ASN1_TIME *n2 = X509_CRL_get0_nextUpdate(c->pck_crl);
    const char *bad;
    time_t t;
    int i;

    if ((bad = tdx_crl_problem(c->root_crl, anchor, at)) != NULL)
        return err_set(err, P11TEE_E_COLLATERAL, "the root CA CRL is refused: %s", bad);
    if ((bad = tdx_crl_problem(c->pck_crl, ca, at)) != NULL)
        return err_set(err, P11TEE_E_COLLATERAL, "the PCK CA CRL is refused: %s", bad);
    for (i = 0; i < 2; i++) {
        struct tm tm;

        if (ASN1_TIME_to_tm(i == 0 ? n1 : n2, &tm) == 1 && (t = timegm(&tm)) > 0 &&
            (info->next_update == 0 || t < info->next_update))
            info->next_update = t;
    }
    return P11TEE_OK;
}

p11tee_status attest_collateral_verify(const char *json, size_t len,
                                       const attest_collateral_want *want,
                                       attest_collateral_info *info, p11tee_error *err)
{
    tdx_collateral c;
    attest_trust t;
    STACK_OF(X509) *chain = NULL;
    const char *kind = NULL;
    char why[ATTEST_REASON_MAX];
    p11tee_status rc;

    memset(info, 0, sizeof(*info));
    if (!tdx_collateral_parse(&c, json, len, why, sizeof(why))) {
        tdx_collateral_free(&c);
        return err_set(err, P11TEE_E_COLLATERAL, "%s", why);
    }
    rc = tdx_trust_init(&t, want->test_roots, want->test_roots_len, want->at, err);
    if (rc == P11TEE_OK)
        rc = alone_pck_ca(&c, &t, &chain, &kind, err);
    if (rc == P11TEE_OK && want->ca != NULL && strcmp(want->ca, kind) != 0)
        rc = err_set(err, P11TEE_E_COLLATERAL,
                     "the PCK CRL is the %s CA's, not the %s CA's as asked: refused", kind,
                     want->ca);
    if (rc == P11TEE_OK)
        rc = alone_crls(&c, sk_X509_value(chain, 0), sk_X509_value(chain, 1), t.at, info, err);
    if (rc == P11TEE_OK)
        rc = alone_documents(&c, &t, sk_X509_value(chain, 1), want, info, err);
    if (rc == P11TEE_OK) {
        snprintf(info->ca, sizeof(info->ca), "%s", kind);
        attest_anchor_name(&t, sk_X509_value(chain, 1), info->anchor, sizeof(info->anchor));
        info->test_root = X509_cmp(sk_X509_value(chain, 1), t.root) != 0;
    }
    sk_X509_pop_free(chain, X509_free);
    attest_trust_free(&t);
    tdx_collateral_free(&c);
    return rc;
}

p11tee_status attest_quote_platform(const uint8_t *data, size_t len, char fmspc[13], char ca[16],
                                    p11tee_error *err)
{
    uint8_t *bin = NULL;
    size_t n = 0;
    tdx_quote q;
    tdx_pck_tcb tcb;
    STACK_OF(X509) *certs = NULL;
    const char *kind = NULL;
    p11tee_status rc = tdx_quote_load(data, len, &bin, &n, err);

    if (rc == P11TEE_OK)
        rc = tdx_quote_parse(bin, n, &q, err);
    if (rc == P11TEE_OK &&
        (certs = attest_certs_from_pem((const char *)q.pck_chain.ptr, q.pck_chain.len)) == NULL)
        rc = err_set(err, P11TEE_E_QUOTE_FORMAT, "the quote carries no PCK certificate");
    if (rc == P11TEE_OK && (!tdx_pck_tcb_read(sk_X509_value(certs, 0), &tcb) ||
                            (kind = ca_kind_of_issuer(sk_X509_value(certs, 0))) == NULL))
        rc = err_set(err, P11TEE_E_QUOTE_FORMAT,
                     "the quote's PCK certificate has no SGX extension or no PCK CA issuer");
    if (rc == P11TEE_OK) {
        hex_encode(tcb.fmspc, sizeof(tcb.fmspc), fmspc, 13);
        for (n = 0; fmspc[n] != '\0'; n++)
            fmspc[n] = (char)toupper((unsigned char)fmspc[n]);
        snprintf(ca, 16, "%s", kind);
    }
    sk_X509_pop_free(certs, X509_free);
    free(bin);
    return rc;
}
