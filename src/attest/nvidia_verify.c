/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The nvidia_payload of an attestation (PROTOCOL.md section 2): its JSON,
 * and the "nvidia." checks over every GPU it carries. Parsing of one report,
 * its signature and the FWID extension are in nvidia.c; certificate chains go
 * through the attestation layer's shared verifier (attest_chain_verify), which
 * never trusts a root the peer carries.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "attest/nvidia.h"
#include "crypto/crypto.h"

/* ---- the payload ------------------------------------------------------------------------ */

/* An empty evidence_list: the gateway could not fetch the GPU node's evidence. */
#define NV_NO_EVIDENCE "the server sent no GPU evidence (evidence_list is empty)"

typedef struct nv_gpu_in {
    const char *evidence;
    size_t evidence_len;
    const char *certificate;
    size_t certificate_len;
} nv_gpu_in;

typedef struct nv_payload {
    uint8_t nonce[NV_NONCE_BYTES];
    const char *arch; /* "HOPPER", ...; NULL when absent */
    size_t gpus;
    nv_gpu_in gpu[NV_MAX_GPUS];
} nv_payload;

/* A string member; 0 when absent or not a string. */
static int member_str(struct json_object *obj, const char *key, const char **s, size_t *len)
{
    struct json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return 0;
    *s = json_object_get_string(v);
    *len = (size_t)json_object_get_string_len(v);
    return 1;
}

static p11tee_status read_gpu(struct json_object *list, size_t i, nv_gpu_in *g, p11tee_error *err)
{
    struct json_object *item = json_object_array_get_idx(list, i);

    if (!json_object_is_type(item, json_type_object) ||
        !member_str(item, "evidence", &g->evidence, &g->evidence_len) ||
        !member_str(item, "certificate", &g->certificate, &g->certificate_len))
        return err_set(err, P11TEE_E_NVIDIA_FORMAT,
                       "nvidia_payload.evidence_list[%zu] lacks the string fields evidence and "
                       "certificate",
                       i);
    return P11TEE_OK;
}

static p11tee_status read_payload(struct json_object *obj, nv_payload *p, p11tee_error *err)
{
    struct json_object *list, *arch;
    const char *nonce;
    size_t nonce_len, i, alen;
    p11tee_status rc;

    memset(p, 0, sizeof(*p));
    if (!json_object_is_type(obj, json_type_object))
        return err_set(err, P11TEE_E_NVIDIA_FORMAT, "nvidia_payload is not a JSON object");
    if (!member_str(obj, "nonce", &nonce, &nonce_len) || nonce_len != 2 * NV_NONCE_BYTES ||
        hex_decode(nonce, nonce_len, p->nonce, NV_NONCE_BYTES, NULL, NULL) != P11TEE_OK)
        return err_set(err, P11TEE_E_NVIDIA_FORMAT,
                       "nvidia_payload.nonce is not a string of %d hex digits", 2 * NV_NONCE_BYTES);
    if (json_object_object_get_ex(obj, "arch", &arch) && !member_str(obj, "arch", &p->arch, &alen))
        return err_set(err, P11TEE_E_NVIDIA_FORMAT, "nvidia_payload.arch is not a string");
    if (!json_object_object_get_ex(obj, "evidence_list", &list) ||
        !json_object_is_type(list, json_type_array))
        return err_set(err, P11TEE_E_NVIDIA_FORMAT, "nvidia_payload.evidence_list is not an array");
    p->gpus = json_object_array_length(list);
    if (p->gpus == 0)
        return P11TEE_OK; /* the gateway could not fetch it: said so, not a format error */
    if (p->gpus > NV_MAX_GPUS)
        return err_set(err, P11TEE_E_NVIDIA_FORMAT,
                       "nvidia_payload.evidence_list holds %zu entries; at most %d expected",
                       p->gpus, NV_MAX_GPUS);
    for (i = 0; i < p->gpus; i++)
        if ((rc = read_gpu(list, i, &p->gpu[i], err)) != P11TEE_OK)
            return rc;
    return P11TEE_OK;
}

/* The payload's JSON text, through the strict parser; refusals are format errors. */
static p11tee_status parse_json(const char *text, size_t len, struct json_object **out,
                                p11tee_error *err)
{
    p11tee_status rc = sjson_parse(text, len, NV_PAYLOAD_MAX, "nvidia_payload", out, err);

    if (rc == P11TEE_E_JSON || rc == P11TEE_E_TOO_LARGE) {
        rc = P11TEE_E_NVIDIA_FORMAT;
        err->code = rc;
    }
    return rc;
}

/* ---- the checks, each over all GPUs --------------------------------------------------------- */

enum { CK_FORMAT, CK_NONCE, CK_SIGNATURE, CK_CHAIN, CK_FWID, CK_COUNT };

/* The per-GPU checks, in the order they are recorded. */
static const attest_check_id ck_ids[CK_COUNT] = {
    ATTEST_CK_NVIDIA_EVIDENCE_FORMAT,
    ATTEST_CK_NVIDIA_EVIDENCE_NONCE,
    ATTEST_CK_NVIDIA_EVIDENCE_SIGNATURE,
    ATTEST_CK_NVIDIA_CHAIN,
    ATTEST_CK_NVIDIA_FWID,
};

typedef struct nv_check {
    p11tee_check_result result;
    p11tee_status code;
    char reason[ATTEST_REASON_MAX];
} nv_check;

typedef struct nv_gpu {
    uint8_t *ev;
    size_t ev_len;
    nv_report r;
    int parsed;
    STACK_OF(X509) *certs; /* as carried, leaf first; NULL when unusable */
} nv_gpu;

typedef struct nv_run {
    const nv_options *opt;
    const nv_payload *p;
    attest_trust trust; /* the shared chain verifier's anchors: NVIDIA's root + test roots */
    nv_check ck[CK_COUNT];
    size_t trailing;
    char anchor[ATTEST_REASON_MAX / 2]; /* weakest anchor a chain ended at */
} nv_run;

static void ck_fail(nv_run *run, int c, size_t gpu, p11tee_status code, const char *fmt, ...)
    P11TEE_PRINTF(5, 6);

/* The first failure of a check wins; it names the GPU. */
static void ck_fail(nv_run *run, int c, size_t gpu, p11tee_status code, const char *fmt, ...)
{
    nv_check *k = &run->ck[c];
    va_list ap;
    int n;

    if (k->result == P11TEE_CHECK_FAIL)
        return;
    k->result = P11TEE_CHECK_FAIL;
    k->code = code;
    n = snprintf(k->reason, sizeof(k->reason), "GPU %zu of %zu: ", gpu, run->p->gpus);
    va_start(ap, fmt);
    vsnprintf(k->reason + n, sizeof(k->reason) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* A GPU that could not be checked makes a passing check "not checked". */
static void ck_skip(nv_run *run, int c, size_t gpu, const char *why)
{
    nv_check *k = &run->ck[c];

    if (k->result != P11TEE_CHECK_PASS)
        return;
    k->result = P11TEE_CHECK_NOT_CHECKED;
    snprintf(k->reason, sizeof(k->reason), "GPU %zu of %zu: %s", gpu, run->p->gpus, why);
}

static void gpu_decode(nv_run *run, size_t i, nv_gpu *g)
{
    const nv_gpu_in *in = &run->p->gpu[i];
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    p11tee_error e;

    if (bytes_decode_any(in->evidence, in->evidence_len, NV_EVIDENCE_MAX, &g->ev, &g->ev_len, &e) !=
        P11TEE_OK)
        ck_fail(run, CK_FORMAT, i, P11TEE_E_NVIDIA_FORMAT, "evidence does not decode: %s",
                e.message);
    else if (nv_report_parse(g->ev, g->ev_len, &g->r, &e) != P11TEE_OK)
        ck_fail(run, CK_FORMAT, i, e.code, "%s", e.message);
    else {
        g->parsed = 1;
        run->trailing += g->r.trailing;
    }
    if (bytes_decode_any(in->certificate, in->certificate_len, NV_CHAIN_MAX, &pem, &pem_len, &e) ==
        P11TEE_OK)
        g->certs = attest_certs_from_pem((const char *)pem, pem_len);
    free(pem);
    if (g->certs != NULL && sk_X509_num(g->certs) > NV_CHAIN_CERTS_MAX) {
        sk_X509_pop_free(g->certs, X509_free);
        g->certs = NULL;
    }
    if (g->certs == NULL)
        ck_fail(run, CK_CHAIN, i, P11TEE_E_NVIDIA_CHAIN,
                "certificate is not base64 of 1 to %d PEM certificates (at most %d bytes)",
                NV_CHAIN_CERTS_MAX, NV_CHAIN_MAX);
}

static void gpu_nonce(nv_run *run, size_t i, const nv_gpu *g)
{
    char hex[2 * NV_NONCE_BYTES + 1];

    if (!g->parsed) {
        ck_skip(run, CK_NONCE, i, "the report could not be parsed");
        return;
    }
    hex_encode(g->r.request_nonce, NV_NONCE_BYTES, hex, sizeof(hex));
    if (memcmp(g->r.request_nonce, run->p->nonce, NV_NONCE_BYTES) != 0)
        ck_fail(run, CK_NONCE, i, P11TEE_E_NVIDIA_NONCE,
                "request nonce %s differs from the payload nonce", hex);
    else if (run->opt->nonce != NULL &&
             memcmp(g->r.request_nonce, run->opt->nonce, NV_NONCE_BYTES) != 0)
        ck_fail(run, CK_NONCE, i, P11TEE_E_NVIDIA_NONCE,
                "request nonce %s is not the nonce we sent (possible replay)", hex);
}

static void gpu_signature(nv_run *run, size_t i, const nv_gpu *g)
{
    p11tee_error e;

    if (!g->parsed || g->certs == NULL) {
        ck_skip(run, CK_SIGNATURE, i,
                g->parsed ? "no usable leaf certificate" : "the report could not be parsed");
        return;
    }
    if (nv_report_verify(g->ev, &g->r, X509_get0_pubkey(sk_X509_value(g->certs, 0)), &e) !=
        P11TEE_OK)
        ck_fail(run, CK_SIGNATURE, i, e.code, "%s", e.message);
}

static void anchor_name(nv_run *run, X509 *anchor)
{
    /* The weakest anchor is reported: a TEST root, once seen, stays named. */
    if (X509_cmp(anchor, run->trust.root) == 0 && run->anchor[0] != '\0')
        return;
    attest_anchor_name(&run->trust, anchor, run->anchor, sizeof(run->anchor));
}

static void gpu_chain(nv_run *run, size_t i, const nv_gpu *g)
{
    STACK_OF(X509) *chain = NULL;
    char why[ATTEST_REASON_MAX / 2];

    if (g->certs == NULL)
        return; /* already failed in gpu_decode */
    if (!attest_chain_verify(&run->trust, sk_X509_value(g->certs, 0), g->certs, &chain, why,
                             sizeof(why)))
        ck_fail(run, CK_CHAIN, i, P11TEE_E_NVIDIA_CHAIN,
                "chain does not verify to the NVIDIA Device Identity CA: %s", why);
    else
        anchor_name(run, sk_X509_value(chain, sk_X509_num(chain) - 1));
    sk_X509_pop_free(chain, X509_free);
}

static void gpu_fwid(nv_run *run, size_t i, const nv_gpu *g)
{
    uint8_t fwid[NV_FWID_BYTES];
    p11tee_error e;

    if (!g->parsed || g->certs == NULL) {
        ck_skip(run, CK_FWID, i,
                g->parsed ? "no usable leaf certificate" : "the report could not be parsed");
        return;
    }
    if (g->r.fwid == NULL) {
        ck_skip(run, CK_FWID, i, "the report carries no FWID field (older firmware)");
        return;
    }
    if (nv_cert_fwid(sk_X509_value(g->certs, 0), fwid, &e) != P11TEE_OK)
        ck_fail(run, CK_FWID, i, e.code, "%s", e.message);
    else if (g->r.fwid_len != NV_FWID_BYTES || memcmp(g->r.fwid, fwid, NV_FWID_BYTES) != 0)
        ck_fail(run, CK_FWID, i, P11TEE_E_NVIDIA_FWID,
                "the report's FWID (%zu bytes) differs from the leaf certificate's", g->r.fwid_len);
}

static void gpu_free(nv_gpu *g)
{
    free(g->ev);
    sk_X509_pop_free(g->certs, X509_free);
}

/* ---- nv_verify ------------------------------------------------------------------------------ */

/* The reason of a check that passed for every GPU. */
static void pass_reason(nv_run *run, int c, char *out, size_t outlen)
{
    size_t n = run->p->gpus;
    char when[ATTEST_TIME_TEXT];

    switch (c) {
    case CK_FORMAT:
        snprintf(out, outlen,
                 "%zu report(s) parsed by structure (SPDM 1.1 GET_MEASUREMENTS + MEASUREMENTS)%s",
                 n,
                 run->trailing ? "; bytes after a signature are not signed and were ignored" : "");
        break;
    case CK_NONCE:
        snprintf(out, outlen,
                 "%zu request nonce(s) equal the payload nonce%s: GPUs answered our nonce, "
                 "which does not prove they are in the quoted VM",
                 n, run->opt->nonce ? " and the nonce we sent" : " (no nonce of ours given)");
        break;
    case CK_SIGNATURE:
        snprintf(out, outlen,
                 "%zu P-384/SHA-384 report signature(s) verify with their leaf certificates", n);
        break;
    case CK_CHAIN:
        attest_time_text(run->trust.at, when);
        snprintf(out, outlen, "%zu chain(s) verify to %s at %s", n, run->anchor, when);
        break;
    default: snprintf(out, outlen, "%zu leaf certificate FWID(s) equal their reports' FWID", n);
    }
}

static void record_gpu_checks(nv_run *run, attest_report *rep)
{
    for (int c = 0; c < CK_COUNT; c++) {
        if (run->ck[c].result == P11TEE_CHECK_PASS)
            pass_reason(run, c, run->ck[c].reason, sizeof(run->ck[c].reason));
        attest_report_add(rep, ck_ids[c], run->ck[c].result, run->ck[c].code, "%s",
                          run->ck[c].reason);
    }
}

static void record_offline_limits(attest_report *rep)
{
    attest_report_add(rep, ATTEST_CK_NVIDIA_OCSP, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                      "certificate revocation (OCSP) needs NVIDIA services");
    attest_report_add(rep, ATTEST_CK_NVIDIA_RIM, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                      "golden measurements (RIM) need NVIDIA services");
}

static void record_payload(const nv_payload *p, const nv_options *o, attest_report *rep)
{
    char hex[2 * NV_NONCE_BYTES + 1];

    hex_encode(p->nonce, NV_NONCE_BYTES, hex, sizeof(hex));
    if (p->gpus == 0)
        attest_report_add(rep, ATTEST_CK_NVIDIA_PAYLOAD, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
                          NV_NO_EVIDENCE);
    else
        attest_report_add(rep, ATTEST_CK_NVIDIA_PAYLOAD, P11TEE_CHECK_PASS, P11TEE_OK,
                          "%zu GPU(s), arch %s, nonce %s; the evidence shares only our nonce "
                          "with the quote (the GPUs need not be in the quoted VM)",
                          p->gpus, p->arch ? p->arch : "not given", hex);
    if (o->nonce == NULL)
        attest_report_add(rep, ATTEST_CK_NVIDIA_NONCE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no nonce of ours given");
    else if (memcmp(o->nonce, p->nonce, NV_NONCE_BYTES) != 0)
        attest_report_add(rep, ATTEST_CK_NVIDIA_NONCE, P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_NONCE,
                          "payload nonce %s is not the nonce we sent (possible replay)", hex);
    else
        attest_report_add(rep, ATTEST_CK_NVIDIA_NONCE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "payload nonce equals the nonce we sent");
}

static void record_unusable(attest_report *rep, const p11tee_error *e)
{
    attest_report_add(rep, ATTEST_CK_NVIDIA_PAYLOAD, P11TEE_CHECK_FAIL, e->code, "%s", e->message);
    attest_report_add(rep, ATTEST_CK_NVIDIA_NONCE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                      "the payload could not be read");
    for (int c = 0; c < CK_COUNT; c++)
        attest_report_add(rep, ck_ids[c], P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the payload could not be read");
}

static p11tee_status trust_init(nv_run *run, p11tee_error *err)
{
    const nv_options *o = run->opt;

    return attest_trust_init(&run->trust, nv_root_pem, nv_root_fp, NV_ROOT_NAME, o->extra_roots_pem,
                             o->extra_roots_len, o->at, err);
}

static void check_gpus(nv_run *run, attest_report *rep)
{
    nv_gpu g;
    size_t i;

    if (run->p->gpus == 0) {
        for (int c = 0; c < CK_COUNT; c++)
            attest_report_add(rep, ck_ids[c], P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
                              NV_NO_EVIDENCE);
        return;
    }

    for (int c = 0; c < CK_COUNT; c++)
        run->ck[c].result = P11TEE_CHECK_PASS;
    for (i = 0; i < run->p->gpus; i++) {
        memset(&g, 0, sizeof(g));
        gpu_decode(run, i, &g);
        gpu_nonce(run, i, &g);
        gpu_signature(run, i, &g);
        gpu_chain(run, i, &g);
        gpu_fwid(run, i, &g);
        gpu_free(&g);
    }
    record_gpu_checks(run, rep);
}

static p11tee_status verify_object(struct json_object *obj, const nv_options *opts,
                                   attest_report *rep, p11tee_error *err)
{
    nv_payload p;
    nv_run run;
    p11tee_error e;
    p11tee_status rc;

    memset(&run, 0, sizeof(run));
    run.opt = opts;
    run.p = &p;
    rc = trust_init(&run, err);
    if (rc == P11TEE_OK) {
        if (read_payload(obj, &p, &e) != P11TEE_OK) {
            record_unusable(rep, &e);
        } else {
            record_payload(&p, opts, rep);
            check_gpus(&run, rep);
        }
        record_offline_limits(rep);
        rc =
            attest_report_first_failure_in(rep, ATTEST_AREA_BIT(ATTEST_AREA_NVIDIA), "NVIDIA", err);
    }
    attest_trust_free(&run.trust);
    return rc;
}

p11tee_status nv_verify(struct json_object *payload, const nv_options *opts, attest_report *rep,
                        p11tee_error *err)
{
    struct json_object *inner = NULL;
    p11tee_error e;
    p11tee_status rc;

    if (opts == NULL || rep == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "nv_verify needs options and a report");
    /* The usual form: a JSON string whose text is the payload object. */
    if (json_object_is_type(payload, json_type_string)) {
        if (parse_json(json_object_get_string(payload), (size_t)json_object_get_string_len(payload),
                       &inner, &e) != P11TEE_OK) {
            record_unusable(rep, &e);
            record_offline_limits(rep);
            return attest_report_first_failure_in(rep, ATTEST_AREA_BIT(ATTEST_AREA_NVIDIA),
                                                  "NVIDIA", err);
        }
        payload = inner;
    }
    rc = verify_object(payload, opts, rep, err);
    json_object_put(inner);
    return rc;
}

p11tee_status nv_verify_text(const char *text, size_t len, const nv_options *opts,
                             attest_report *rep, p11tee_error *err)
{
    struct json_object *obj;
    p11tee_error e;
    p11tee_status rc;

    if (opts == NULL || rep == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "nv_verify_text needs options and a report");
    if (parse_json(text, len, &obj, &e) != P11TEE_OK) {
        record_unusable(rep, &e);
        record_offline_limits(rep);
        return attest_report_first_failure_in(rep, ATTEST_AREA_BIT(ATTEST_AREA_NVIDIA), "NVIDIA",
                                              err);
    }
    rc = nv_verify(obj, opts, rep, err);
    json_object_put(obj);
    return rc;
}
