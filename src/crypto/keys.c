/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Validators for the keys and fields of the E2EE protocol (PROTOCOL.md
 * section 4): pure functions over untrusted text, no token involved.
 */
#include "config.h"

#include <errno.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "crypto/crypto.h"

int envelope_is_ciphertext(const char *s, size_t len)
{
    return len >= ENVELOPE_MIN_HEX && hex_is_valid(s, len);
}

p11tee_status key_check_client(const char *hex, size_t len, p11tee_error *err)
{
    if (len != 2 * P11TEE_PUBKEY_BYTES || hex[0] != '0' || hex[1] != '4' || !hex_is_valid(hex, len))
        return err_set(err, P11TEE_E_CLIENT_KEY_INVALID,
                       "client public key must be 130 hex characters starting with 04 "
                       "(got %zu characters)",
                       len);
    return P11TEE_OK;
}

/*
 * 1 when `pt` is a point on secp256k1 (default provider arithmetic, public
 * data only), 0 when it is not, -1 when out of memory.
 */
static int envelope_on_curve(const uint8_t pt[P11TEE_PUBKEY_BYTES])
{
    EC_GROUP *g;
    EC_POINT *p;
    int ok;

    err_errno_reset();
    g = EC_GROUP_new_by_curve_name(NID_secp256k1);
    p = g != NULL ? EC_POINT_new(g) : NULL;
    ok = p == NULL ? -1 : EC_POINT_oct2point(g, p, pt, P11TEE_PUBKEY_BYTES, NULL) == 1;
    if (ok == 0 && err_openssl_oom())
        ok = -1;
    EC_POINT_free(p);
    EC_GROUP_free(g);
    err_openssl_clear();
    return ok;
}

p11tee_status key_parse_model(const char *hex, size_t len, uint8_t out[P11TEE_PUBKEY_BYTES],
                              p11tee_error *err)
{
    size_t off = 0;

    if (len == 2 * P11TEE_PUBKEY_BYTES - 2) {
        out[0] = 0x04;
        off = 1;
    } else if (len != 2 * P11TEE_PUBKEY_BYTES || hex[0] != '0' || hex[1] != '4') {
        return err_set(err, P11TEE_E_MODEL_KEY_INVALID,
                       "model public key must be 130 hex characters starting with 04, or 128 "
                       "without the prefix (got %zu characters)",
                       len);
    }
    if (hex_decode(hex, len, out + off, P11TEE_PUBKEY_BYTES - off, NULL, NULL) != P11TEE_OK)
        return err_set(err, P11TEE_E_MODEL_KEY_INVALID, "model public key is not valid hex");
    switch (envelope_on_curve(out)) {
    case 1: break;
    case 0:
        return err_set(err, P11TEE_E_MODEL_KEY_INVALID,
                       "model public key is not a point on secp256k1");
    default: return err_set(err, P11TEE_E_NOMEM, "out of memory checking the model public key");
    }
    return P11TEE_OK;
}
