/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Ethereum conventions for response signatures (PROTOCOL.md section 3):
 * addresses of secp256k1 keys, EIP-55 checksums, the EIP-191 personal
 * message hash, signer recovery with libsecp256k1's recovery module, and
 * the verification of a /tee/signature response against the attested key.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "attest/eth.h"
#include "crypto/crypto.h"

/* EIP-191 version 0x45 (E): the prefix of personal_sign */
static const char personal_prefix[] = "\x19"
                                      "Ethereum Signed Message:\n";

static void address_from_point(const uint8_t pub[P11TEE_PUBKEY_BYTES],
                               uint8_t addr[ETH_ADDRESS_BYTES])
{
    uint8_t h[ETH_HASH_BYTES];

    eth_keccak256(pub + 1, P11TEE_PUBKEY_BYTES - 1, h);
    memcpy(addr, h + ETH_HASH_BYTES - ETH_ADDRESS_BYTES, ETH_ADDRESS_BYTES);
}

p11tee_status eth_address_from_pubkey(const uint8_t *pub, size_t len,
                                      uint8_t addr[ETH_ADDRESS_BYTES], p11tee_error *err)
{
    uint8_t point[P11TEE_PUBKEY_BYTES];
    secp256k1_pubkey key;

    if (len == P11TEE_PUBKEY_BYTES - 1) {
        point[0] = 0x04;
        memcpy(point + 1, pub, len);
    } else if (len == P11TEE_PUBKEY_BYTES && pub[0] == 0x04) {
        memcpy(point, pub, len);
    } else {
        return err_set(err, P11TEE_E_ATTEST_SIGNING_KEY,
                       "signing key of %zu bytes is not an uncompressed point (%d bytes from 04, "
                       "or %d)",
                       len, P11TEE_PUBKEY_BYTES, P11TEE_PUBKEY_BYTES - 1);
    }
    if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &key, point, sizeof(point)))
        return err_set(err, P11TEE_E_ATTEST_SIGNING_KEY, "signing key is not a point on secp256k1");
    address_from_point(point, addr);
    return P11TEE_OK;
}

void eth_address_format(const uint8_t addr[ETH_ADDRESS_BYTES], char out[ETH_ADDRESS_TEXT])
{
    char lower[2 * ETH_ADDRESS_BYTES + 1];
    uint8_t h[ETH_HASH_BYTES];
    size_t i;

    hex_encode(addr, ETH_ADDRESS_BYTES, lower, sizeof(lower));
    /* EIP-55: a letter is upper case where its nibble of the hash is >= 8 */
    eth_keccak256(lower, 2 * ETH_ADDRESS_BYTES, h);
    out[0] = '0';
    out[1] = 'x';
    for (i = 0; i < 2 * ETH_ADDRESS_BYTES; i++) {
        unsigned nibble = (h[i / 2] >> (i % 2 ? 0 : 4)) & 0x0f;
        char c = lower[i];

        out[2 + i] = (c >= 'a' && nibble >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[ETH_ADDRESS_TEXT - 1] = '\0';
}

p11tee_status eth_address_parse(const char *s, size_t len, uint8_t addr[ETH_ADDRESS_BYTES],
                                p11tee_error *err)
{
    char canonical[ETH_ADDRESS_TEXT];
    int has_lower = 0, has_upper = 0;
    size_t i;

    if (len != ETH_ADDRESS_TEXT - 1 || s[0] != '0' || s[1] != 'x')
        return err_set(err, P11TEE_E_ADDRESS_FORMAT,
                       "an Ethereum address is \"0x\" and 40 hex digits (got %zu characters)", len);
    if (hex_decode(s + 2, len - 2, addr, ETH_ADDRESS_BYTES, NULL, err) != P11TEE_OK)
        return err_set(err, P11TEE_E_ADDRESS_FORMAT,
                       "Ethereum address has a character that is not a hex digit");
    for (i = 2; i < len; i++) {
        has_lower |= s[i] >= 'a' && s[i] <= 'f';
        has_upper |= s[i] >= 'A' && s[i] <= 'F';
    }
    if (!(has_lower && has_upper))
        return P11TEE_OK;
    eth_address_format(addr, canonical);
    if (memcmp(canonical, s, len) != 0) {
        err_set(err, P11TEE_E_ADDRESS_FORMAT,
                "Ethereum address %.*s has a wrong EIP-55 checksum (mistyped or altered)", (int)len,
                s);
        err_detail(err, "checksummed form of these digits: %s", canonical);
        return P11TEE_E_ADDRESS_FORMAT;
    }
    return P11TEE_OK;
}

void eth_personal_hash(const void *msg, size_t len, uint8_t out[ETH_HASH_BYTES])
{
    char decimal[24];
    int n = snprintf(decimal, sizeof(decimal), "%zu", len);
    eth_keccak k;

    eth_keccak_init(&k, ETH_KECCAK_DOMAIN);
    eth_keccak_update(&k, personal_prefix, sizeof(personal_prefix) - 1);
    eth_keccak_update(&k, decimal, (size_t)n);
    eth_keccak_update(&k, msg, len);
    eth_keccak_final(&k, out);
}

p11tee_status eth_signature_parse(const char *s, size_t len, eth_signature *sig, p11tee_error *err)
{
    uint8_t raw[ETH_SIG_BYTES], v;
    p11tee_error sub;

    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    if (len != 2 * ETH_SIG_BYTES)
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "a signature is %d hex digits of r || s || v (got %zu)", 2 * ETH_SIG_BYTES,
                       len);
    if (hex_decode(s, len, raw, sizeof(raw), NULL, &sub) != P11TEE_OK) {
        err_set(err, P11TEE_E_SIGNATURE_FORMAT, "signature is not hex");
        err_detail(err, "%s", sub.message);
        return P11TEE_E_SIGNATURE_FORMAT;
    }
    v = raw[ETH_SIG_BYTES - 1];
    if (v == 27 || v == 28)
        sig->recid = v - 27;
    else if (v == 0 || v == 1)
        sig->recid = v;
    else
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "signature recovery byte v is %u; expected 27, 28, 0 or 1", v);
    memcpy(sig->rs, raw, sizeof(sig->rs));
    return P11TEE_OK;
}

p11tee_status eth_recover_address(const uint8_t hash[ETH_HASH_BYTES], const eth_signature *sig,
                                  uint8_t addr[ETH_ADDRESS_BYTES], p11tee_error *err)
{
    const secp256k1_context *ctx = secp256k1_context_static;
    secp256k1_ecdsa_recoverable_signature rsig;
    secp256k1_pubkey key;
    uint8_t point[P11TEE_PUBKEY_BYTES];
    size_t n = sizeof(point);

    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, sig->rs, sig->recid))
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "signature r or s is not below the secp256k1 group order");
    if (!secp256k1_ecdsa_recover(ctx, &key, &rsig, hash))
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "no public key recovers from this signature (r or s is zero, or r is not "
                       "an x coordinate)");
    secp256k1_ec_pubkey_serialize(ctx, point, &n, &key, SECP256K1_EC_UNCOMPRESSED);
    address_from_point(point, addr);
    return P11TEE_OK;
}

/* The hex text of one SHA-256 digest. */
#define HASH_HEX (2 * SHA256_DIGEST_LENGTH)

static int hash_field(const char *p, uint8_t out[SHA256_DIGEST_LENGTH])
{
    return hex_decode(p, HASH_HEX, out, SHA256_DIGEST_LENGTH, NULL, NULL) == P11TEE_OK;
}

p11tee_status eth_signed_text_parse(const char *text, size_t len, eth_signed_text *out,
                                    p11tee_error *err)
{
    /* Parse from the right: a model id may itself contain ':'. */
    const size_t pair = HASH_HEX + 1 + HASH_HEX;

    memset(out, 0, sizeof(*out));
    if (len > ETH_SIGNED_TEXT_MAX)
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "signed text of %zu bytes exceeds the %d allowed", len, ETH_SIGNED_TEXT_MAX);
    if (len < pair || text[len - HASH_HEX - 1] != ':')
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "signed text is not \"<sha256 of request>:<sha256 of response>\"");
    if (!hash_field(text + len - pair, out->request_sha256) ||
        !hash_field(text + len - HASH_HEX, out->response_sha256))
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "signed text hashes are not %d hex digits each", HASH_HEX);
    if (len == pair)
        return P11TEE_OK;
    if (len < pair + 2 || text[len - pair - 1] != ':')
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "signed text has a prefix that is not \"<model>:\"");
    out->model = text;
    out->model_len = len - pair - 1;
    if (out->model_len > ETH_MODEL_MAX || memchr(text, '\0', out->model_len) != NULL)
        return err_set(err, P11TEE_E_SIGNATURE_FORMAT,
                       "signed text model id is longer than %d bytes or contains NUL",
                       ETH_MODEL_MAX);
    return P11TEE_OK;
}

/* ---- eth_verify_response ---------------------------------------------------------------- */

static void check_hash(attest_report *rep, attest_check_id id, const char *what,
                       const uint8_t *bytes, size_t len, const uint8_t expect[SHA256_DIGEST_LENGTH])
{
    uint8_t h[SHA256_DIGEST_LENGTH];
    char hex[HASH_HEX + 1];

    if (bytes == NULL) {
        attest_report_add(rep, id, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the exact %s bytes are not available", what);
        return;
    }
    if (digest_sha256(bytes, len, h, NULL) != P11TEE_OK) {
        attest_report_add(rep, id, P11TEE_CHECK_FAIL, P11TEE_E_CRYPTO,
                          "SHA-256 of the %s could not be computed", what);
        return;
    }
    hex_encode(h, sizeof(h), hex, sizeof(hex));
    if (memcmp(h, expect, sizeof(h)) == 0)
        attest_report_add(rep, id, P11TEE_CHECK_PASS, P11TEE_OK,
                          "SHA-256 of the %s (%zu bytes) is %s", what, len, hex);
    else
        attest_report_add(rep, id, P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH,
                          "signed hash differs from SHA-256 of the %s (%zu bytes) %s (advisory: "
                          "servers may re-serialise bodies)",
                          what, len, hex);
}

static void check_model(attest_report *rep, const eth_signed_text *t, const char *model)
{
    if (t->model == NULL || model == NULL) {
        attest_report_add(rep, ATTEST_CK_SIGNATURE_MODEL, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
                          t->model == NULL ? "the signed text names no model"
                                           : "no expected model given");
        return;
    }
    if (strlen(model) == t->model_len && memcmp(model, t->model, t->model_len) == 0)
        attest_report_add(rep, ATTEST_CK_SIGNATURE_MODEL, P11TEE_CHECK_PASS, P11TEE_OK,
                          "signed text names the model %s", model);
    else
        attest_report_add(
            rep, ATTEST_CK_SIGNATURE_MODEL, P11TEE_CHECK_FAIL, P11TEE_E_ATTEST_MODEL_MISMATCH,
            "signed text names the model %.*s, not %s", (int)t->model_len, t->model, model);
}

static void check_claimed(attest_report *rep, const eth_response_sig *in, const char *attested)
{
    uint8_t claimed[ETH_ADDRESS_BYTES];
    p11tee_error sub;

    if (in->signing_address == NULL) {
        attest_report_add(rep, ATTEST_CK_SIGNATURE_SIGNING_ADDRESS, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK, "the response states no signing_address");
        return;
    }
    if (eth_address_parse(in->signing_address, in->signing_address_len, claimed, &sub) != P11TEE_OK)
        attest_report_add(rep, ATTEST_CK_SIGNATURE_SIGNING_ADDRESS, P11TEE_CHECK_FAIL, sub.code,
                          "%s", sub.message);
    else if (memcmp(claimed, in->attested_address, ETH_ADDRESS_BYTES) != 0)
        attest_report_add(rep, ATTEST_CK_SIGNATURE_SIGNING_ADDRESS, P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_ADDRESS_MISMATCH,
                          "response claims signer %.*s, the attested address is %s",
                          (int)in->signing_address_len, in->signing_address, attested);
    else
        attest_report_add(rep, ATTEST_CK_SIGNATURE_SIGNING_ADDRESS, P11TEE_CHECK_PASS, P11TEE_OK,
                          "response names the attested address %s", attested);
}

/* The checks that decide: text, signature and recovered signer. */
static p11tee_status check_signer(const eth_response_sig *in, attest_report *rep,
                                  const char *attested, p11tee_error *err)
{
    eth_signature sig;
    uint8_t hash[ETH_HASH_BYTES], signer[ETH_ADDRESS_BYTES];
    char signer_text[ETH_ADDRESS_TEXT];
    p11tee_status rc;

    rc = eth_signature_parse(in->signature, in->signature_len, &sig, err);
    if (rc == P11TEE_OK) {
        eth_personal_hash(in->text, in->text_len, hash);
        rc = eth_recover_address(hash, &sig, signer, err);
    }
    if (rc != P11TEE_OK) {
        attest_report_add(rep, ATTEST_CK_SIGNATURE_FORMAT, P11TEE_CHECK_FAIL, rc, "%s",
                          err->message);
        attest_report_add(rep, ATTEST_CK_SIGNATURE_RECOVERED, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the signature could not be decoded");
        return rc;
    }
    attest_report_add(rep, ATTEST_CK_SIGNATURE_FORMAT, P11TEE_CHECK_PASS, P11TEE_OK,
                      "r || s || v decoded (recovery id %d)", sig.recid);
    eth_address_format(signer, signer_text);
    if (memcmp(signer, in->attested_address, ETH_ADDRESS_BYTES) != 0) {
        attest_report_add(rep, ATTEST_CK_SIGNATURE_RECOVERED, P11TEE_CHECK_FAIL,
                          P11TEE_E_SIGNATURE_MISMATCH, "EIP-191 signer is %s, not the attested %s",
                          signer_text, attested);
        err_set(err, P11TEE_E_SIGNATURE_MISMATCH,
                "response signature was made by %s, not by the attested enclave key %s: do not "
                "trust this response",
                signer_text, attested);
        return P11TEE_E_SIGNATURE_MISMATCH;
    }
    attest_report_add(rep, ATTEST_CK_SIGNATURE_RECOVERED, P11TEE_CHECK_PASS, P11TEE_OK,
                      "EIP-191 signer is the attested address %s", attested);
    return P11TEE_OK;
}

p11tee_status eth_verify_response(const eth_response_sig *in, attest_report *rep, p11tee_error *err)
{
    eth_signed_text t;
    char attested[ETH_ADDRESS_TEXT];
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    eth_address_format(in->attested_address, attested);
    rc = eth_signed_text_parse(in->text, in->text_len, &t, err);
    if (rc != P11TEE_OK) {
        attest_report_add(rep, ATTEST_CK_SIGNATURE_TEXT, P11TEE_CHECK_FAIL, rc, "%s", err->message);
        return rc;
    }
    attest_report_add(rep, ATTEST_CK_SIGNATURE_TEXT, P11TEE_CHECK_PASS, P11TEE_OK, "%s form",
                      t.model ? "<model>:<request>:<response>" : "<request>:<response>");
    check_claimed(rep, in, attested);
    check_model(rep, &t, in->model);
    check_hash(rep, ATTEST_CK_SIGNATURE_REQUEST_HASH, "request", in->request, in->request_len,
               t.request_sha256);
    check_hash(rep, ATTEST_CK_SIGNATURE_RESPONSE_HASH, "response", in->response, in->response_len,
               t.response_sha256);
    return check_signer(in, rep, attested, err);
}
