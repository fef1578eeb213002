/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The pieces of a response signature (src/attest/eth.c): the signed text
 * ("<req>:<resp>" or "<model>:<req>:<resp>"), the 65-byte signature and
 * the signing address, each read from the same input. Oracles: an address
 * that parses formats back to the same 40 hex digits (and its EIP-55 form
 * parses again to the same address); a signature that parses recovers or
 * is refused, never more; a signed text's hashes are the hex it carries.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "attest/eth.h"
#include "crypto/crypto.h"
#include "fuzz.h"

static void eth_fuzz_address(const char *s, size_t len)
{
    uint8_t addr[ETH_ADDRESS_BYTES], again[ETH_ADDRESS_BYTES];
    char text[ETH_ADDRESS_TEXT];
    size_t i;

    if (eth_address_parse(s, len, addr, NULL) != P11TEE_OK)
        return;
    eth_address_format(addr, text);
    FUZZ_CHECK(strlen(text) == 42 && len == 42, "an address of %zu characters parsed", len);
    for (i = 2; i < 42; i++)
        FUZZ_CHECK(tolower((unsigned char)text[i]) == tolower((unsigned char)s[i]),
                   "the address formats to other digits");
    FUZZ_CHECK(eth_address_parse(text, strlen(text), again, NULL) == P11TEE_OK &&
                   memcmp(addr, again, sizeof(addr)) == 0,
               "the EIP-55 form does not parse back");
}

static void eth_fuzz_signature(const char *s, size_t len)
{
    uint8_t hash[ETH_HASH_BYTES], addr[ETH_ADDRESS_BYTES];
    eth_signature sig;
    p11tee_status rc;

    if (eth_signature_parse(s, len, &sig, NULL) != P11TEE_OK)
        return;
    FUZZ_CHECK(sig.recid == 0 || sig.recid == 1, "recovery id %d", sig.recid);
    eth_personal_hash(s, len, hash);
    rc = eth_recover_address(hash, &sig, addr, NULL);
    FUZZ_CHECK(rc == P11TEE_OK || rc == P11TEE_E_SIGNATURE_FORMAT, "recovery says %d", rc);
}

static void eth_fuzz_text(const char *s, size_t len)
{
    uint8_t want[SHA256_DIGEST_LENGTH];
    eth_signed_text t;

    if (eth_signed_text_parse(s, len, &t, NULL) != P11TEE_OK)
        return;
    FUZZ_CHECK(len >= 129, "a signed text of %zu characters parsed", len);
    FUZZ_CHECK(hex_decode(s + len - 64, 64, want, sizeof(want), NULL, NULL) == P11TEE_OK &&
                   memcmp(want, t.response_sha256, sizeof(want)) == 0,
               "the response hash is not the text's last 64 hex digits");
    FUZZ_CHECK(t.model == NULL || (t.model == s && t.model_len > 0 && t.model_len < len),
               "the model is not the start of the text");
}

static int eth_fuzz_one(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    eth_fuzz_address(s, size);
    eth_fuzz_signature(s, size);
    eth_fuzz_text(s, size);
    return 0;
}

static const fuzz_seed eth_seeds[] = {
    FUZZ_SEED("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
    FUZZ_SEED("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
    FUZZ_SEED("0x"
              "11111111111111111111111111111111111111111111111111111111111111112222222222222222"
              "2222222222222222222222222222222222222222222222221b"),
    FUZZ_SEED("e2ee-m:"
              "0000000000000000000000000000000000000000000000000000000000000000:"
              "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
};

FUZZ_REGISTER(eth, eth_fuzz_one, eth_seeds)
