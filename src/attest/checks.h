/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The checks (checks.c): one table of every check a verifier can record,
 * with its stable name, its area, the built-in policy's requirement and a
 * one-line meaning. Verifiers record checks by id, so no name exists outside
 * the table; the default policy (policy.c) is built from its requirements;
 * p11tee-policy(5) lists it, and tests/attest/test_checks checks the list.
 */
#ifndef P11TEE_ATTEST_CHECKS_H
#define P11TEE_ATTEST_CHECKS_H

#include "p11tee/p11tee.h"

/*
 * In table order, which is also the order in which tdx_verify() records the
 * TDX checks (TDX_CHECK_FIRST..TDX_CHECK_END in tdx.h). Append a new check
 * to its area; the names are a public contract and never change.
 */
typedef enum attest_check_id {
    /* the attestation response: the server's statements and its key */
    ATTEST_CK_SERVER_VERIFIED,
    ATTEST_CK_NONCE_ECHO,
    ATTEST_CK_MODEL_ECHO,
    ATTEST_CK_DEBUG_FLAG,
    ATTEST_CK_SIGNING_KEY_FORMAT,
    ATTEST_CK_SIGNING_ADDRESS_BINDING,
    ATTEST_CK_APP_COMPOSE_BINDING,
    /* the policy's measurement pins */
    ATTEST_CK_POLICY_MRTD,
    ATTEST_CK_POLICY_RTMR0, /* RTMR1..3 follow: ATTEST_CK_POLICY_RTMR0 + i */
    ATTEST_CK_POLICY_RTMR1,
    ATTEST_CK_POLICY_RTMR2,
    ATTEST_CK_POLICY_RTMR3,
    ATTEST_CK_POLICY_MRCONFIGID,
    ATTEST_CK_POLICY_APP_COMPOSE,
    ATTEST_CK_POLICY_EVENT_COMPOSE_HASH, /* the named dstack events: ATTEST_EVENT_* order */
    ATTEST_CK_POLICY_EVENT_OS_IMAGE_HASH,
    ATTEST_CK_POLICY_EVENT_KEY_PROVIDER,
    ATTEST_CK_POLICY_EVENT_INSTANCE_ID,
    ATTEST_CK_POLICY_EVENT_APP_ID,
    /* the TDX quote, offline */
    ATTEST_CK_TDX_QUOTE_FORMAT,
    ATTEST_CK_TDX_QUOTE_HEADER,
    ATTEST_CK_TDX_TD_DEBUG,
    ATTEST_CK_TDX_REPORTDATA_ADDRESS,
    ATTEST_CK_TDX_REPORTDATA_NONCE,
    ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256,
    ATTEST_CK_TDX_QUOTE_SIGNATURE,
    ATTEST_CK_TDX_QE_REPORTDATA,
    ATTEST_CK_TDX_QE_SIGNATURE,
    ATTEST_CK_TDX_PCK_CHAIN,
    /* the TDX quote against Intel's collateral */
    ATTEST_CK_TDX_COLLATERAL_FORMAT,
    ATTEST_CK_TDX_COLLATERAL_CRL,
    ATTEST_CK_TDX_PCK_REVOCATION,
    ATTEST_CK_TDX_COLLATERAL_TCB_INFO,
    ATTEST_CK_TDX_COLLATERAL_QE_IDENTITY,
    ATTEST_CK_TDX_COLLATERAL_DATES,
    ATTEST_CK_TDX_COLLATERAL_AGE,
    ATTEST_CK_TDX_COLLATERAL_FMSPC,
    ATTEST_CK_TDX_QE_IDENTITY,
    ATTEST_CK_TDX_TDX_MODULE,
    ATTEST_CK_TDX_TCB_STATUS,
    /* the workload: dstack's event log against RTMR3 (evidence.c's, like tdx.quote.format) */
    ATTEST_CK_TDX_RTMR3_REPLAY,
    /* NVIDIA GPU evidence */
    ATTEST_CK_NVIDIA_PAYLOAD,
    ATTEST_CK_NVIDIA_NONCE,
    ATTEST_CK_NVIDIA_EVIDENCE_FORMAT,
    ATTEST_CK_NVIDIA_EVIDENCE_NONCE,
    ATTEST_CK_NVIDIA_EVIDENCE_SIGNATURE,
    ATTEST_CK_NVIDIA_CHAIN,
    ATTEST_CK_NVIDIA_FWID,
    ATTEST_CK_NVIDIA_OCSP,
    ATTEST_CK_NVIDIA_RIM,
    /* response signatures */
    ATTEST_CK_SIGNATURE_TEXT,
    ATTEST_CK_SIGNATURE_FORMAT,
    ATTEST_CK_SIGNATURE_RECOVERED,
    ATTEST_CK_SIGNATURE_SIGNING_ADDRESS,
    ATTEST_CK_SIGNATURE_MODEL,
    ATTEST_CK_SIGNATURE_REQUEST_HASH,
    ATTEST_CK_SIGNATURE_RESPONSE_HASH,
    /* the ACI envelope (aci/1) and its workload keyset */
    ATTEST_CK_ACI_API_VERSION,
    ATTEST_CK_ACI_REPORT_DATA,
    ATTEST_CK_ACI_AGREE_QUOTE,
    ATTEST_CK_ACI_AGREE_APP_COMPOSE,
    ATTEST_CK_ACI_AGREE_EVENT_LOG,
    ATTEST_CK_ACI_KEYSET_DIGEST,
    ATTEST_CK_ACI_KEYSET_E2EE_KEY,
    ATTEST_CK_ACI_KEYSET_ENDORSEMENT,
    ATTEST_CK_ACI_KEYSET_EXPIRY,
    /* the gateway operator's native ACI report: the keyset's anchor in a quote */
    ATTEST_CK_ACI_NATIVE_QUOTE,
    ATTEST_CK_ACI_NATIVE_BINDING,
    ATTEST_CK_ACI_NATIVE_KEYSET,
    /* an ACI receipt that came with a response signature */
    ATTEST_CK_RECEIPT_SIGNATURE,
    ATTEST_CK_RECEIPT_KEYSET,
    ATTEST_CK_RECEIPT_CHAT_ID,
    ATTEST_CK_RECEIPT_ANCHOR,
    ATTEST_CK_RECEIPT_REQUEST_HASH,
    ATTEST_CK_RECEIPT_RESPONSE_HASH,
    ATTEST_CK_UPSTREAM_VERIFIED,
    ATTEST_CK_UPSTREAM_SESSION,
    /* the report itself */
    ATTEST_CK_REPORT_OVERFLOW,
    ATTEST_CK_COUNT
} attest_check_id;

_Static_assert(ATTEST_CK_POLICY_RTMR3 == ATTEST_CK_POLICY_RTMR0 + 3,
               "the RTMR pins are four checks in a row");
_Static_assert(ATTEST_CK_POLICY_EVENT_APP_ID == ATTEST_CK_POLICY_EVENT_COMPOSE_HASH + 4,
               "the event pins are five checks in a row, in ATTEST_EVENT_* order");

/* What a check is about; p11tee-policy(5) groups the checks by it. */
typedef enum attest_area {
    ATTEST_AREA_RESPONSE,       /* the attestation response and its key */
    ATTEST_AREA_PIN,            /* the policy's measurement pins */
    ATTEST_AREA_TDX,            /* the TDX quote, offline */
    ATTEST_AREA_TDX_COLLATERAL, /* the TDX quote against Intel's collateral */
    ATTEST_AREA_TDX_WORKLOAD,   /* what the quote says was loaded: the event log's replay */
    ATTEST_AREA_NVIDIA,         /* NVIDIA GPU evidence */
    ATTEST_AREA_SIGNATURE,      /* a response signature */
    ATTEST_AREA_ACI,            /* the ACI envelope, its keyset and its anchor */
    ATTEST_AREA_RECEIPT,        /* an ACI receipt and the upstream it records */
    ATTEST_AREA_REPORT,         /* the report itself */
} attest_area;

#define ATTEST_AREA_BIT(a) (1u << (unsigned)(a))

typedef struct attest_check_info {
    const char *name; /* stable, e.g. "tdx.quote.signature" */
    attest_area area;
    p11tee_requirement req; /* in the built-in default policy */
    /*
     * 1: the default is stated for the name's family ("tdx.collateral.*"),
     * so that a policy file's rule for the family overrides it (the file's
     * rules win ties); 0: for the name alone.
     */
    int family;
    const char *meaning; /* one line, as p11tee-policy(5) shows it */
} attest_check_info;

extern const attest_check_info attest_checks[ATTEST_CK_COUNT];

/* attest_checks[id].name */
const char *attest_check_name(attest_check_id id);

/* The id of a check name; ATTEST_CK_COUNT when no check has that name. */
attest_check_id attest_check_by_name(const char *name);

/* "API response", "TDX collateral", ...: how p11tee-policy(5) names an area. */
const char *attest_area_name(attest_area area);

#endif /* P11TEE_ATTEST_CHECKS_H */
