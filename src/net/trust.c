/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Trust: every TLS connection verifies peer and host name against one
 * X509_STORE per client, built once from OpenSSL's default verify paths (the
 * system roots; SSL_CERT_FILE / SSL_CERT_DIR honoured) plus the certificates
 * of the optional CA file, and installed through CURLOPT_SSL_CTX_FUNCTION.
 * libcurl's own CA file is switched off so that the roots are parsed once.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/transfer.h"

static p11tee_status trust_add_file(X509_STORE *st, const char *path, p11tee_error *err)
{
    BIO *in = BIO_new_file(path, "r");
    X509 *x;
    int n = 0, ok = 1;

    if (in == NULL)
        return err_openssl(err, P11TEE_E_CONFIG, "cannot read the CA file %s: check the path",
                           path);
    while (ok && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        ok = X509_STORE_add_cert(st, x);
        X509_free(x);
        n++;
    }
    BIO_free(in);
    if (ok && n > 0 && ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return P11TEE_OK;
    }
    if (err_openssl_oom())
        return err_openssl(err, P11TEE_E_NOMEM, "out of memory reading the CA file %s", path);
    return err_openssl(err, P11TEE_E_CONFIG,
                       "the CA file %s is not a readable list of PEM certificates", path);
}

p11tee_status net_trust_new(const char *ca_file, X509_STORE **out, p11tee_error *err)
{
    X509_STORE *st = X509_STORE_new();
    p11tee_status rc;

    if (st == NULL || !X509_STORE_set_default_paths(st)) {
        X509_STORE_free(st);
        return err_openssl(err, P11TEE_E_NOMEM, "cannot set up the TLS trust store");
    }
    /* As curl does for its CA file: any certificate in the store is an anchor. */
    X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
    if (ca_file != NULL && (rc = trust_add_file(st, ca_file, err)) != P11TEE_OK) {
        X509_STORE_free(st);
        return rc;
    }
    *out = st;
    return P11TEE_OK;
}

CURLcode net_trust_install(CURL *h, void *ssl_ctx, void *userp)
{
    const net_client *c = userp;

    SSL_CTX_set1_cert_store(ssl_ctx, c->trust);
    return CURLE_OK;
}
