/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Every check a verifier can record, named once. The built-in policy is
 * strict: a check is required unless it states the server's own view
 * (never sufficient, fatal when false), needs collateral or NVIDIA's online
 * services (enforced when available), is the SHA-256 nonce fallback, or is
 * one of the response-signature comparisons a server may legitimately fail
 * (advisory; PROTOCOL.md section 3). p11tee-policy(5) shows this table, and
 * tests/attest/test_checks fails when the two disagree.
 */
#include "config.h"

#include <string.h>

#include "attest/checks.h"

#define REQ P11TEE_REQUIRED
#define IFC P11TEE_IF_CHECKED
#define ADV P11TEE_ADVISORY
/* attest_check_info.family: whom the default is stated for. */
#define BY_NAME   0
#define BY_FAMILY 1

const attest_check_info attest_checks[ATTEST_CK_COUNT] = {
    [ATTEST_CK_SERVER_VERIFIED] = {"server.verified", ATTEST_AREA_RESPONSE, IFC, BY_NAME,
                                   "the server's \"verified\" flag is not false (a hint only)"},
    [ATTEST_CK_NONCE_ECHO] = {"nonce.echo", ATTEST_AREA_RESPONSE, IFC, BY_NAME,
                              "the response echoes the nonce we sent"},
    [ATTEST_CK_MODEL_ECHO] = {"model.echo", ATTEST_AREA_RESPONSE, IFC, BY_NAME,
                              "the response names the model we asked for"},
    [ATTEST_CK_DEBUG_FLAG] = {"debug.flag", ATTEST_AREA_RESPONSE, IFC, BY_NAME,
                              "the server does not report debug mode"},
    [ATTEST_CK_SIGNING_KEY_FORMAT] = {"signing_key.format", ATTEST_AREA_RESPONSE, REQ, BY_NAME,
                                      "the signing key is a secp256k1 point"},
    [ATTEST_CK_SIGNING_ADDRESS_BINDING] = {"signing_address.binding", ATTEST_AREA_RESPONSE, IFC,
                                           BY_NAME,
                                           "signing_address is the Keccak-256 address of the "
                                           "signing key"},
    [ATTEST_CK_APP_COMPOSE_BINDING] = {"app_compose.binding", ATTEST_AREA_RESPONSE, IFC, BY_NAME,
                                       "MRCONFIGID is 01, SHA-256 of the app_compose sent, "
                                       "zeros"},

    [ATTEST_CK_POLICY_MRTD] = {"policy.mrtd", ATTEST_AREA_PIN, REQ, BY_NAME,
                               "MRTD equals the policy's pin"},
    [ATTEST_CK_POLICY_RTMR0] = {"policy.rtmr0", ATTEST_AREA_PIN, REQ, BY_NAME,
                                "RTMR0 equals the policy's pin"},
    [ATTEST_CK_POLICY_RTMR1] = {"policy.rtmr1", ATTEST_AREA_PIN, REQ, BY_NAME,
                                "RTMR1 equals the policy's pin"},
    [ATTEST_CK_POLICY_RTMR2] = {"policy.rtmr2", ATTEST_AREA_PIN, REQ, BY_NAME,
                                "RTMR2 equals the policy's pin"},
    [ATTEST_CK_POLICY_RTMR3] = {"policy.rtmr3", ATTEST_AREA_PIN, REQ, BY_NAME,
                                "RTMR3 equals the policy's pin"},
    [ATTEST_CK_POLICY_MRCONFIGID] = {"policy.mrconfigid", ATTEST_AREA_PIN, REQ, BY_NAME,
                                     "MRCONFIGID equals the policy's pin"},
    [ATTEST_CK_POLICY_APP_COMPOSE] = {"policy.app_compose", ATTEST_AREA_PIN, REQ, BY_NAME,
                                      "MRCONFIGID is 01, SHA-256 of the pinned app_compose, "
                                      "zeros"},

    [ATTEST_CK_POLICY_EVENT_COMPOSE_HASH] = {"policy.event.compose_hash", ATTEST_AREA_PIN, REQ,
                                             BY_NAME,
                                             "the replayed compose-hash event is one the policy "
                                             "accepts"},
    [ATTEST_CK_POLICY_EVENT_OS_IMAGE_HASH] = {"policy.event.os_image_hash", ATTEST_AREA_PIN, REQ,
                                              BY_NAME,
                                              "the replayed os-image-hash event is one the policy "
                                              "accepts"},
    [ATTEST_CK_POLICY_EVENT_KEY_PROVIDER] = {"policy.event.key_provider", ATTEST_AREA_PIN, REQ,
                                             BY_NAME,
                                             "the replayed key-provider event is one the policy "
                                             "accepts"},
    [ATTEST_CK_POLICY_EVENT_INSTANCE_ID] = {"policy.event.instance_id", ATTEST_AREA_PIN, REQ,
                                            BY_NAME,
                                            "the replayed instance-id event is one the policy "
                                            "accepts"},
    [ATTEST_CK_POLICY_EVENT_APP_ID] = {"policy.event.app_id", ATTEST_AREA_PIN, REQ, BY_NAME,
                                       "the replayed app-id event is one the policy accepts"},

    [ATTEST_CK_TDX_QUOTE_FORMAT] = {"tdx.quote.format", ATTEST_AREA_TDX, REQ, BY_NAME,
                                    "the quote decodes and parses (v4 or v5)"},
    [ATTEST_CK_TDX_QUOTE_HEADER] = {"tdx.quote.header", ATTEST_AREA_TDX, REQ, BY_NAME,
                                    "the quote comes from Intel's quoting enclave"},
    [ATTEST_CK_TDX_TD_DEBUG] = {"tdx.td.debug", ATTEST_AREA_TDX, REQ, BY_NAME,
                                "TDATTRIBUTES has the DEBUG bit clear"},
    [ATTEST_CK_TDX_REPORTDATA_ADDRESS] = {"tdx.reportdata.address", ATTEST_AREA_TDX, REQ, BY_NAME,
                                          "REPORTDATA starts with the signing address, then zeros"},
    [ATTEST_CK_TDX_REPORTDATA_NONCE] = {"tdx.reportdata.nonce", ATTEST_AREA_TDX, REQ, BY_NAME,
                                        "REPORTDATA ends with the nonce we sent"},
    [ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256] = {"tdx.reportdata.nonce_sha256", ATTEST_AREA_TDX, IFC,
                                               BY_NAME,
                                               "REPORTDATA ends with SHA-256 of the nonce's hex "
                                               "(a fallback the policy must allow)"},
    [ATTEST_CK_TDX_QUOTE_SIGNATURE] = {"tdx.quote.signature", ATTEST_AREA_TDX, REQ, BY_NAME,
                                       "the attestation key signed the quote"},
    [ATTEST_CK_TDX_QE_REPORTDATA] = {"tdx.qe.reportdata", ATTEST_AREA_TDX, REQ, BY_NAME,
                                     "the QE report certifies the attestation key"},
    [ATTEST_CK_TDX_QE_SIGNATURE] = {"tdx.qe.signature", ATTEST_AREA_TDX, REQ, BY_NAME,
                                    "the PCK leaf key signed the QE report"},
    [ATTEST_CK_TDX_PCK_CHAIN] = {"tdx.pck.chain", ATTEST_AREA_TDX, REQ, BY_NAME,
                                 "the PCK chain verifies to the built-in Intel SGX Root CA"},

    [ATTEST_CK_TDX_COLLATERAL_FORMAT] = {"tdx.collateral.format", ATTEST_AREA_TDX_COLLATERAL, IFC,
                                         BY_FAMILY,
                                         "the collateral holds CRLs, TCB info, QE identity and "
                                         "their chains"},
    [ATTEST_CK_TDX_COLLATERAL_CRL] = {"tdx.collateral.crl", ATTEST_AREA_TDX_COLLATERAL, IFC,
                                      BY_FAMILY,
                                      "the root and PCK CA CRLs are authentic and current"},
    [ATTEST_CK_TDX_PCK_REVOCATION] = {"tdx.pck.revocation", ATTEST_AREA_TDX_COLLATERAL, IFC,
                                      BY_NAME, "neither the PCK leaf nor its CA is revoked"},
    [ATTEST_CK_TDX_COLLATERAL_TCB_INFO] = {"tdx.collateral.tcb_info", ATTEST_AREA_TDX_COLLATERAL,
                                           IFC, BY_FAMILY,
                                           "Intel's TCB Signing key signed the TCB info"},
    [ATTEST_CK_TDX_COLLATERAL_QE_IDENTITY] = {"tdx.collateral.qe_identity",
                                              ATTEST_AREA_TDX_COLLATERAL, IFC, BY_FAMILY,
                                              "Intel's TCB Signing key signed the QE identity"},
    [ATTEST_CK_TDX_COLLATERAL_DATES] = {"tdx.collateral.dates", ATTEST_AREA_TDX_COLLATERAL, IFC,
                                        BY_FAMILY, "the TCB info and QE identity are current"},
    [ATTEST_CK_TDX_COLLATERAL_AGE] = {"tdx.collateral.age", ATTEST_AREA_TDX_COLLATERAL, IFC,
                                      BY_FAMILY,
                                      "the TCB info and QE identity were issued at most the "
                                      "policy's tdx.collateral.max_age_days ago"},
    [ATTEST_CK_TDX_COLLATERAL_FMSPC] = {"tdx.collateral.fmspc", ATTEST_AREA_TDX_COLLATERAL, IFC,
                                        BY_FAMILY,
                                        "the TCB info is for this platform (FMSPC, PCE-ID)"},
    [ATTEST_CK_TDX_QE_IDENTITY] = {"tdx.qe.identity", ATTEST_AREA_TDX_COLLATERAL, IFC, BY_NAME,
                                   "the QE matches Intel's QE identity"},
    [ATTEST_CK_TDX_TDX_MODULE] = {"tdx.tdx_module", ATTEST_AREA_TDX_COLLATERAL, IFC, BY_NAME,
                                  "the TDX module matches the TCB info's module identity"},
    [ATTEST_CK_TDX_TCB_STATUS] = {"tdx.tcb.status", ATTEST_AREA_TDX_COLLATERAL, IFC, BY_NAME,
                                  "the platform's TCB status is one the policy accepts"},

    [ATTEST_CK_TDX_RTMR3_REPLAY] = {"tdx.rtmr3.replay", ATTEST_AREA_TDX_WORKLOAD, IFC, BY_NAME,
                                    "RTMR3 is the replay of the event log's IMR 3 events, each "
                                    "digest covering its event"},

    [ATTEST_CK_NVIDIA_PAYLOAD] = {"nvidia.payload", ATTEST_AREA_NVIDIA, REQ, BY_NAME,
                                  "the GPU evidence payload is present and readable"},
    [ATTEST_CK_NVIDIA_NONCE] = {"nvidia.nonce", ATTEST_AREA_NVIDIA, REQ, BY_NAME,
                                "the payload nonce is the nonce we sent"},
    [ATTEST_CK_NVIDIA_EVIDENCE_FORMAT] = {"nvidia.evidence.format", ATTEST_AREA_NVIDIA, REQ,
                                          BY_NAME, "each GPU report parses by structure (SPDM)"},
    [ATTEST_CK_NVIDIA_EVIDENCE_NONCE] = {"nvidia.evidence.nonce", ATTEST_AREA_NVIDIA, REQ, BY_NAME,
                                         "each GPU report carries the payload nonce and ours"},
    [ATTEST_CK_NVIDIA_EVIDENCE_SIGNATURE] = {"nvidia.evidence.signature", ATTEST_AREA_NVIDIA, REQ,
                                             BY_NAME,
                                             "each GPU report is signed by its device key"},
    [ATTEST_CK_NVIDIA_CHAIN] = {"nvidia.chain", ATTEST_AREA_NVIDIA, REQ, BY_NAME,
                                "each device chain verifies to the built-in NVIDIA root"},
    [ATTEST_CK_NVIDIA_FWID] = {"nvidia.fwid", ATTEST_AREA_NVIDIA, REQ, BY_NAME,
                               "each device certificate's FWID equals its report's"},
    [ATTEST_CK_NVIDIA_OCSP] = {"nvidia.ocsp", ATTEST_AREA_NVIDIA, IFC, BY_NAME,
                               "revocation (OCSP): needs NVIDIA's services, never checked"},
    [ATTEST_CK_NVIDIA_RIM] = {"nvidia.rim", ATTEST_AREA_NVIDIA, IFC, BY_NAME,
                              "golden measurements (RIM): need NVIDIA's services, never checked"},

    [ATTEST_CK_SIGNATURE_TEXT] = {"signature.text", ATTEST_AREA_SIGNATURE, REQ, BY_NAME,
                                  "the signed text has the request and response hashes"},
    [ATTEST_CK_SIGNATURE_FORMAT] = {"signature.format", ATTEST_AREA_SIGNATURE, REQ, BY_NAME,
                                    "the signature decodes (r, s, v)"},
    [ATTEST_CK_SIGNATURE_RECOVERED] = {"signature.recovered", ATTEST_AREA_SIGNATURE, REQ, BY_NAME,
                                       "the EIP-191 signer is the attested address"},
    [ATTEST_CK_SIGNATURE_SIGNING_ADDRESS] = {"signature.signing_address", ATTEST_AREA_SIGNATURE,
                                             ADV, BY_NAME,
                                             "the response's own signing_address is the attested "
                                             "one"},
    [ATTEST_CK_SIGNATURE_MODEL] = {"signature.model", ATTEST_AREA_SIGNATURE, ADV, BY_NAME,
                                   "the model the signed text names is the one expected"},
    [ATTEST_CK_SIGNATURE_REQUEST_HASH] = {"signature.request_hash", ATTEST_AREA_SIGNATURE, ADV,
                                          BY_NAME,
                                          "the signed request hash is SHA-256 of the request"},
    [ATTEST_CK_SIGNATURE_RESPONSE_HASH] = {"signature.response_hash", ATTEST_AREA_SIGNATURE, ADV,
                                           BY_NAME,
                                           "the signed response hash is SHA-256 of the "
                                           "response"},

    [ATTEST_CK_ACI_API_VERSION] = {"aci.api_version", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                   "the ACI envelope is aci/1"},
    [ATTEST_CK_ACI_REPORT_DATA] = {"aci.report_data", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                   "the envelope's report_data is the quote's REPORTDATA"},
    [ATTEST_CK_ACI_AGREE_QUOTE] = {"aci.agree.quote", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                   "intel_quote and attestation.evidence.quote are one quote"},
    [ATTEST_CK_ACI_AGREE_APP_COMPOSE] = {"aci.agree.app_compose", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                         "every copy of app_compose is the same text"},
    [ATTEST_CK_ACI_AGREE_EVENT_LOG] = {"aci.agree.event_log", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                       "every copy of the event log and of vm_config says the "
                                       "same"},
    [ATTEST_CK_ACI_KEYSET_DIGEST] = {"aci.keyset.digest", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                     "workload_keyset_digest and workload_id are the keyset's "
                                     "(RFC 8785, SHA-256)"},
    [ATTEST_CK_ACI_KEYSET_E2EE_KEY] = {"aci.keyset.e2ee_key", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                       "the E2EE key is one of the keyset's e2ee_public_keys"},
    [ATTEST_CK_ACI_KEYSET_ENDORSEMENT] = {"aci.keyset.endorsement", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                          "the workload identity key endorsed the keyset digest"},
    [ATTEST_CK_ACI_KEYSET_EXPIRY] = {"aci.keyset.expiry", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                     "the keyset has not expired (not_after)"},
    [ATTEST_CK_ACI_NATIVE_QUOTE] = {"aci.native.quote", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                    "the native ACI report's quote verifies like the model's"},
    [ATTEST_CK_ACI_NATIVE_BINDING] = {"aci.native.binding", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                      "its REPORTDATA is SHA-256 of the statement with our nonce"},
    [ATTEST_CK_ACI_NATIVE_KEYSET] = {"aci.native.keyset", ATTEST_AREA_ACI, IFC, BY_FAMILY,
                                     "the keyset it anchors is the one the model's attestation "
                                     "serves"},

    [ATTEST_CK_RECEIPT_SIGNATURE] = {"receipt.signature", ATTEST_AREA_RECEIPT, IFC, BY_NAME,
                                     "Ed25519 by a receipt key of the attested keyset over the "
                                     "receipt's RFC 8785 form"},
    [ATTEST_CK_RECEIPT_KEYSET] = {"receipt.keyset", ATTEST_AREA_RECEIPT, IFC, BY_NAME,
                                  "the receipt names the attested keyset and workload"},
    [ATTEST_CK_RECEIPT_CHAT_ID] = {"receipt.chat_id", ATTEST_AREA_RECEIPT, IFC, BY_NAME,
                                   "the receipt is for this request id"},
    [ATTEST_CK_RECEIPT_ANCHOR] = {"receipt.anchor", ATTEST_AREA_RECEIPT, IFC, BY_NAME,
                                  "the keyset is anchored in a quote by the native ACI report"},
    [ATTEST_CK_RECEIPT_REQUEST_HASH] = {"receipt.request_hash", ATTEST_AREA_RECEIPT, ADV, BY_NAME,
                                        "request.received's hash is SHA-256 of the request"},
    [ATTEST_CK_RECEIPT_RESPONSE_HASH] = {"receipt.response_hash", ATTEST_AREA_RECEIPT, ADV, BY_NAME,
                                         "response.returned's hash is SHA-256 of the response"},
    [ATTEST_CK_UPSTREAM_VERIFIED] = {"upstream.verified", ATTEST_AREA_RECEIPT, ADV, BY_FAMILY,
                                     "the receipt's upstream.verified event says verified"},
    [ATTEST_CK_UPSTREAM_SESSION] = {"upstream.session", ATTEST_AREA_RECEIPT, ADV, BY_FAMILY,
                                    "the receipt cites the attested upstream session"},

    [ATTEST_CK_REPORT_OVERFLOW] = {"report.overflow", ATTEST_AREA_REPORT, REQ, BY_NAME,
                                   "recorded (failed) only when a report ran out of room"},
};

const char *attest_check_name(attest_check_id id)
{
    return attest_checks[id].name;
}

attest_check_id attest_check_by_name(const char *name)
{
    int id;

    for (id = 0; id < ATTEST_CK_COUNT; id++)
        if (strcmp(attest_checks[id].name, name) == 0)
            return (attest_check_id)id;
    return ATTEST_CK_COUNT;
}

const char *attest_area_name(attest_area area)
{
    switch (area) {
    case ATTEST_AREA_RESPONSE: return "API response";
    case ATTEST_AREA_PIN: return "policy pin";
    case ATTEST_AREA_TDX: return "TDX quote";
    case ATTEST_AREA_TDX_COLLATERAL: return "TDX collateral";
    case ATTEST_AREA_TDX_WORKLOAD: return "TDX workload";
    case ATTEST_AREA_NVIDIA: return "NVIDIA GPU";
    case ATTEST_AREA_SIGNATURE: return "response signature";
    case ATTEST_AREA_ACI: return "ACI keyset";
    case ATTEST_AREA_RECEIPT: return "ACI receipt";
    case ATTEST_AREA_REPORT: return "report";
    }
    return "?";
}
