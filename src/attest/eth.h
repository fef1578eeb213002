/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Ethereum conventions, internal to src/attest: the Keccak sponge
 * (keccak.c); addresses, EIP-55, EIP-191 hashes, signer recovery and signed
 * texts (eth.c, which also verifies a response signature for attest.h's
 * eth_verify_response()).
 */
#ifndef P11TEE_ATTEST_ETH_H
#define P11TEE_ATTEST_ETH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/sha.h>

#include "attest/attest.h"

#define ETH_HASH_BYTES    32 /* Keccak-256 */
#define ETH_SCALAR_BYTES  32 /* a secp256k1 coordinate or signature half */
#define ETH_ADDRESS_TEXT  (2 + 2 * ETH_ADDRESS_BYTES + 1) /* "0x", 40 hex, NUL */
#define ETH_SIG_BYTES     (2 * ETH_SCALAR_BYTES + 1)      /* r || s || v */
#define ETH_KECCAK_RATE   136                             /* bytes: Keccak[c=512] */
#define ETH_KECCAK_DOMAIN 0x01                            /* original Keccak padding (Ethereum) */
#define ETH_SHA3_DOMAIN   0x06                            /* FIPS 202 SHA3-256 */
/* Longest signed text accepted: two SHA-256 hex digests and a model id. */
#define ETH_SIGNED_TEXT_MAX 512
#define ETH_MODEL_MAX       256

_Static_assert(P11TEE_PUBKEY_BYTES == 1 + 2 * ETH_SCALAR_BYTES,
               "a model key is an uncompressed secp256k1 point: 04 || X || Y");
_Static_assert(ETH_ADDRESS_BYTES < ETH_HASH_BYTES, "an address is the tail of a Keccak-256 hash");
_Static_assert(ETH_KECCAK_RATE == 200 - 2 * ETH_HASH_BYTES,
               "Keccak-256: a 1600-bit state less a capacity of twice the digest");
_Static_assert(2 * SHA256_DIGEST_LENGTH + 1 + 2 * SHA256_DIGEST_LENGTH < ETH_SIGNED_TEXT_MAX,
               "a signed text holds two SHA-256 hex digests");

/* The Keccak[c=512] sponge (keccak.c); `domain` picks Keccak-256 or SHA3-256. */
typedef struct eth_keccak {
    uint64_t lanes[25];
    size_t pos;
    uint8_t domain;
} eth_keccak;

void eth_keccak_init(eth_keccak *k, uint8_t domain);
void eth_keccak_update(eth_keccak *k, const void *data, size_t len);
/* Writes the 32-byte digest and wipes the context. */
void eth_keccak_final(eth_keccak *k, uint8_t out[ETH_HASH_BYTES]);
/* Keccak-256 of one buffer. */
void eth_keccak256(const void *data, size_t len, uint8_t out[ETH_HASH_BYTES]);

/*
 * Address of a secp256k1 public key: the last 20 bytes of Keccak-256(X || Y).
 * `pub` is P11TEE_PUBKEY_BYTES (04 || X || Y) or one less (X || Y) and must
 * be on the curve. Error: P11TEE_E_ATTEST_SIGNING_KEY.
 */
p11tee_status eth_address_from_pubkey(const uint8_t *pub, size_t len,
                                      uint8_t addr[ETH_ADDRESS_BYTES], p11tee_error *err);

/* "0x" + EIP-55 mixed-case checksummed hex, NUL-terminated. */
void eth_address_format(const uint8_t addr[ETH_ADDRESS_BYTES], char out[ETH_ADDRESS_TEXT]);

/*
 * "0x" + 40 hex digits. All-lowercase and all-uppercase digits are accepted
 * as they are; mixed case must carry a valid EIP-55 checksum.
 * Error: P11TEE_E_ADDRESS_FORMAT.
 */
p11tee_status eth_address_parse(const char *s, size_t len, uint8_t addr[ETH_ADDRESS_BYTES],
                                p11tee_error *err);

/* EIP-191 personal message hash: Keccak-256("\x19Ethereum Signed Message:\n" || len || msg). */
void eth_personal_hash(const void *msg, size_t len, uint8_t out[ETH_HASH_BYTES]);

typedef struct eth_signature {
    uint8_t rs[2 * ETH_SCALAR_BYTES]; /* r || s, big-endian */
    int recid;                        /* 0 or 1 */
} eth_signature;

/*
 * "0x" (optional) + 130 hex digits of r || s || v, v in {27, 28} or {0, 1}.
 * Error: P11TEE_E_SIGNATURE_FORMAT.
 */
p11tee_status eth_signature_parse(const char *s, size_t len, eth_signature *sig, p11tee_error *err);

/*
 * The address whose key made `sig` over the 32-byte `hash` (libsecp256k1's
 * recovery module). Error: P11TEE_E_SIGNATURE_FORMAT (r or s out of range,
 * or no key recovers).
 */
p11tee_status eth_recover_address(const uint8_t hash[ETH_HASH_BYTES], const eth_signature *sig,
                                  uint8_t addr[ETH_ADDRESS_BYTES], p11tee_error *err);

/* What a response signature signs: "<req>:<resp>" or NEAR's "<model>:<req>:<resp>". */
typedef struct eth_signed_text {
    const char *model; /* view into the text; NULL in the two-field form */
    size_t model_len;
    uint8_t request_sha256[SHA256_DIGEST_LENGTH];
    uint8_t response_sha256[SHA256_DIGEST_LENGTH];
} eth_signed_text;

/*
 * Split a signed text; the hashes are 64 hex digits (either case), the
 * model (NEAR form) is whatever precedes them, non-empty, at most
 * ETH_MODEL_MAX bytes. Error: P11TEE_E_SIGNATURE_FORMAT.
 */
p11tee_status eth_signed_text_parse(const char *text, size_t len, eth_signed_text *out,
                                    p11tee_error *err);

#endif /* P11TEE_ATTEST_ETH_H */
