/*
 * Validators for the keys and fields of the E2EE protocol (PROTOCOL.md
 * section 4): pure functions over untrusted text, no token involved.
 */
#include "config.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "crypto/crypto.h"

int env_is_ciphertext(const char *s, size_t len)
{
    return len >= ENV_MIN_HEX && hex_is_valid(s, len);
}

p11tee_status env_check_client_key(const char *hex, size_t len, p11tee_error *err)
{
    if (len != 2 * ENV_PUB_BYTES || hex[0] != '0' || hex[1] != '4' || !hex_is_valid(hex, len))
        return err_set(err, P11TEE_E_CLIENT_KEY_INVALID,
                       "client public key must be 130 hex characters starting with 04 "
                       "(got %zu characters)",
                       len);
    return P11TEE_OK;
}

/* 1 when `pt` is a point on secp256k1 (default provider arithmetic, public data only). */
static int env_on_curve(const uint8_t pt[ENV_PUB_BYTES])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    int ok = p != NULL && EC_POINT_oct2point(g, p, pt, ENV_PUB_BYTES, NULL) == 1;

    EC_POINT_free(p);
    EC_GROUP_free(g);
    ERR_clear_error();
    return ok;
}

p11tee_status env_parse_model_key(const char *hex, size_t len, uint8_t out[ENV_PUB_BYTES],
                                  p11tee_error *err)
{
    size_t off = 0;

    if (len == 2 * ENV_PUB_BYTES - 2) {
        out[0] = 0x04;
        off = 1;
    } else if (len != 2 * ENV_PUB_BYTES || hex[0] != '0' || hex[1] != '4') {
        return err_set(err, P11TEE_E_MODEL_KEY_INVALID,
                       "model public key must be 130 hex characters starting with 04, or 128 "
                       "without the prefix (got %zu characters)",
                       len);
    }
    if (hex_decode(hex, len, out + off, ENV_PUB_BYTES - off, NULL, NULL) != P11TEE_OK)
        return err_set(err, P11TEE_E_MODEL_KEY_INVALID, "model public key is not valid hex");
    if (!env_on_curve(out))
        return err_set(err, P11TEE_E_MODEL_KEY_INVALID,
                       "model public key is not a point on secp256k1");
    return P11TEE_OK;
}
