/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Keccak-256, Ethereum addresses, EIP-191 and signed texts: published known
 * answers first, then every refusal by its code. eth_verify_response() is in
 * test_eth_verify.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "attest/eth.h"
#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "testlib.h"

static void unhex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    p11tee_error err;

    assert_int_equal(hex_decode(hex, strlen(hex), out, cap, len, &err), P11TEE_OK);
}

static void expect_keccak(const uint8_t *msg, size_t len, const char *want)
{
    uint8_t md[ETH_HASH_BYTES];
    char hex[2 * ETH_HASH_BYTES + 1];

    eth_keccak256(msg, len, md);
    hex_encode(md, sizeof(md), hex, sizeof(hex));
    assert_string_equal(hex, want);
}

/*
 * Known answers. "abc" and the empty string: Keccak team / Ethereum. Len =
 * 1080, 1088 and 1096 bits (135, 136 and 137 bytes, around the 136-byte
 * rate): ShortMsgKAT_256.txt of the Keccak team's round-3 KAT archive
 * (keccak.team/obsolete/KeccakKAT-3.zip). Len = 2048 and 3056 bits (2 and 3
 * blocks): LongMsgKAT_256.txt of the same archive.
 */
static const struct {
    const char *msg_hex;
    const char *md;
} keccak_kat[] = {
    {"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
    {"616263", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
    {"2f3fb9e6321405869ff0e6271369357ee08c9c27837fe300adf3766a61979591d64e7809627e8f026e762982df5f"
     "00bfeb9ce76f1ccb70c9bee6331f7dc8b15417295d7aa7ec7c1662a69842059901f136e96052b4d01b72b64f9233"
     "1744872f6de4a915d0262b33ccc375d25d77c3936023e514f30187a9501adc685e6497cc4841e119670d4d",
     "0484f02cc16415e7e9f28f95b6bb77209e1b25ec35015de84facbc8f9605b39e"},
    {"33d0c3052e3ac8c19beca6b0dfa73888f753655fb2c9f77e1238602c9f6d7ad33e3dd96c78a22e148ed4c46d7cfd"
     "f674505bd40325cb813804e264a450de778f1c50fc94f32aa881fe6def7b6ae6efbb42c3be678f40a09322053773"
     "e3af020000fe94f3283c7527aa64a2144b92cf8d568df4e6cd957af09ab1637e61667e616412558d4fcab4f9",
     "b30ad6fc320c0d70309dc39953895cb7cf3fbedec7d86a5f7aa9f2bb760f6dba"},
    {"2f570e7aeadd07406bfc263992a0292c528daab4f32816573b6be58a36998465f192e0db70e81cdbe5431477e43e"
     "a437cb4eebbe760116b26dfb3ca395c1098753e962c3d27f9fb8c2b32fa6f1d3debd22c97b99cb924b388d87db23"
     "48e5aa9ccf0d60a18cff594eb389f5a55dd362809dde19687064a0feec7c213561cbd130d832d264312cb3e4b6",
     "6cf9e0e9008f6b5b2d28fb38c47a0212e7b28f6a7f44815f10c53141c2f1c84d"},
    {"724627916C50338643E6996F07877EAFD96BDF01DA7E991D4155B9BE1295EA7D21C9391F4C4A41C75F77E5D27389"
     "253393725F1427F57914B273AB862B9E31DABCE506E558720520D33352D119F699E784F9E548FF91BC35CA147042"
     "128709820D69A8287EA3257857615EB0321270E94B84F446942765CE882B191FAEE7E1C87E0F0BD4E0CD8A927703"
     "524B559B769CA4ECE1F6DBF313FDCF67C572EC4185C1A88E86EC11B6454B371980020F19633B6B95BD280E4FBCB0"
     "161E1A82470320CEC6ECFA25AC73D09F1536F286D3F9DACAFB2CD1D0CE72D64D197F5C7520B3CCB2FD74EB72664B"
     "A93853EF41EABF52F015DD591500D018DD162815CC993595B195",
     "ea0e416c0f7b4f11e3f00479fddf954f2539e5e557753bd546f69ee375a5de29"},
    {"023D91AC532601C7CA3942D62827566D9268BB4276FCAA1AE927693A6961652676DBA09219A01B3D5ADFA12547A9"
     "46E78F3C5C62DD880B02D2EEEB4B96636529C6B01120B23EFC49CCFB36B8497CD19767B53710A636683BC5E0E5C9"
     "534CFC004691E87D1BEE39B86B953572927BD668620EAB87836D9F3F8F28ACE41150776C0BC6657178EBF297FE1F"
     "7214EDD9F215FFB491B681B06AC2032D35E6FDF832A8B06056DA70D77F1E9B4D26AE712D8523C86F79250718405F"
     "91B0A87C725F2D3F52088965F887D8CF87206DFDE422386E58EDDA34DDE2783B3049B86917B4628027A05D4D1F42"
     "9D2B49C4B1C898DDDCB82F343E145596DE11A54182F39F4718ECAE8F506BD9739F5CD5D5686D7FEFC834514CD1B2"
     "C91C33B381B45E2E5335D7A8720A8F17AFC8C2CB2BD88B14AA2DCA099B00AA575D0A0CCF099CDEC4870FB710D268"
     "0E60C48BFC291FF0CEF2EEBF9B36902E9FBA8C889BF6B4B9F5CE53A19B0D9399CD19D61BD08C0C2EC25E09995984"
     "8E6A550CA7137B63F43138D7B651",
     "6c2a841318066b90a9604d0c8eccb2986b84a0c8675cd243e96957d26e9c1cfd"},
};

static void keccak_known_answers(void **state)
{
    uint8_t msg[512];
    size_t i, len;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(keccak_kat); i++) {
        unhex(keccak_kat[i].msg_hex, msg, sizeof(msg), &len);
        expect_keccak(msg, len, keccak_kat[i].md);
    }
    assert_int_equal(strlen(keccak_kat[2].msg_hex), 2 * 135);
    assert_int_equal(strlen(keccak_kat[4].msg_hex), 2 * 137);
}

/*
 * 200 bytes of 0xa3. SHA3-256 (domain 0x06): NIST's FIPS 202 example value.
 * Keccak-256 (domain 0x01): the value public Keccak test suites use (e.g. the
 * Kestrel ACL2 Keccak library tests); it also agrees with js-sha3 0.9.3 and
 * with the reference server's independent tests/server/keccak.py.
 */
static void keccak_a3_200(void **state)
{
    uint8_t msg[200], md[ETH_HASH_BYTES];
    char hex[2 * ETH_HASH_BYTES + 1];
    eth_keccak k;

    (void)state;
    memset(msg, 0xa3, sizeof(msg));
    expect_keccak(msg, sizeof(msg),
                  "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
    eth_keccak_init(&k, ETH_SHA3_DOMAIN);
    eth_keccak_update(&k, msg, 100);
    eth_keccak_update(&k, msg + 100, 100);
    eth_keccak_final(&k, md);
    hex_encode(md, sizeof(md), hex, sizeof(hex));
    assert_string_equal(hex, "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787");
}

/* The same sponge with SHA-3's domain byte equals OpenSSL's SHA3-256 at every length. */
static void sponge_matches_openssl_sha3(void **state)
{
    uint8_t msg[3 * ETH_KECCAK_RATE + 2], ours[32], theirs[32];
    unsigned int n;
    size_t len;
    eth_keccak k;

    (void)state;
    test_random(msg, sizeof(msg));
    for (len = 0; len <= sizeof(msg); len++) {
        eth_keccak_init(&k, ETH_SHA3_DOMAIN);
        eth_keccak_update(&k, msg, len);
        eth_keccak_final(&k, ours);
        assert_int_equal(EVP_Digest(msg, len, theirs, &n, EVP_sha3_256(), NULL), 1);
        assert_memory_equal(ours, theirs, sizeof(ours));
    }
}

/* Feeding a message in two pieces, split anywhere, gives the one-shot digest. */
static void keccak_split_updates(void **state)
{
    uint8_t msg[2 * ETH_KECCAK_RATE + 7], whole[32], parts[32];
    size_t cut;
    eth_keccak k;

    (void)state;
    test_random(msg, sizeof(msg));
    eth_keccak256(msg, sizeof(msg), whole);
    for (cut = 0; cut <= sizeof(msg); cut++) {
        eth_keccak_init(&k, ETH_KECCAK_DOMAIN);
        eth_keccak_update(&k, msg, cut);
        eth_keccak_update(&k, msg + cut, sizeof(msg) - cut);
        eth_keccak_final(&k, parts);
        assert_memory_equal(whole, parts, sizeof(whole));
    }
}

/* secp256k1's generator G, i.e. the public key of private key 1 (SEC 2). */
static const char g_hex[] = "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                            "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";

static void address_of_private_key_one(void **state)
{
    uint8_t pub[65], addr[20], addr64[20];
    char text[ETH_ADDRESS_TEXT];
    size_t n;
    p11tee_error err;

    (void)state;
    unhex(g_hex, pub, sizeof(pub), &n);
    assert_int_equal(eth_address_from_pubkey(pub, 65, addr, &err), P11TEE_OK);
    eth_address_format(addr, text);
    assert_string_equal(text, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    assert_int_equal(eth_address_from_pubkey(pub + 1, 64, addr64, &err), P11TEE_OK);
    assert_memory_equal(addr, addr64, 20);
}

static void address_from_bad_keys(void **state)
{
    uint8_t pub[65], addr[20];
    size_t n;
    p11tee_error err;

    (void)state;
    unhex(g_hex, pub, sizeof(pub), &n);
    assert_int_equal(eth_address_from_pubkey(pub, 33, addr, &err), P11TEE_E_ATTEST_SIGNING_KEY);
    assert_non_null(strstr(err.message, "33 bytes"));
    pub[0] = 0x06; /* hybrid encoding: refused, only 04 is an Ethereum key */
    assert_int_equal(eth_address_from_pubkey(pub, 65, addr, &err), P11TEE_E_ATTEST_SIGNING_KEY);
    pub[0] = 0x04;
    pub[64] ^= 0x01; /* y no longer on the curve */
    assert_int_equal(eth_address_from_pubkey(pub, 65, addr, &err), P11TEE_E_ATTEST_SIGNING_KEY);
    assert_non_null(strstr(err.message, "not a point on secp256k1"));
}

/* The examples of EIP-55 itself. */
static const char *const eip55_examples[] = {
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

static void eip55_examples_parse_and_format(void **state)
{
    uint8_t addr[20];
    char text[ETH_ADDRESS_TEXT];
    size_t i;
    p11tee_error err;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(eip55_examples); i++) {
        const char *s = eip55_examples[i];

        assert_int_equal(eth_address_parse(s, strlen(s), addr, &err), P11TEE_OK);
        eth_address_format(addr, text);
        if (i >= 4) /* the mixed-case ones are their own checksummed form */
            assert_string_equal(text, s);
        else
            assert_int_equal(strcasecmp(text, s), 0);
    }
}

static void address_refusals(void **state)
{
    char bad[ETH_ADDRESS_TEXT];
    uint8_t addr[20];
    p11tee_error err;

    (void)state;
    /* one letter of a checksummed address in the other case */
    snprintf(bad, sizeof(bad), "%s", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    bad[3] = 'A';
    assert_int_equal(eth_address_parse(bad, 42, addr, &err), P11TEE_E_ADDRESS_FORMAT);
    assert_non_null(strstr(err.message, "wrong EIP-55 checksum"));
    assert_non_null(strstr(err.detail, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
    assert_int_equal(
        eth_address_parse("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00", 42, addr, &err),
        P11TEE_E_ADDRESS_FORMAT);
    assert_int_equal(eth_address_parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", 41, addr, &err),
                     P11TEE_E_ADDRESS_FORMAT);
    assert_non_null(strstr(err.message, "got 41 characters"));
    assert_int_equal(
        eth_address_parse("0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", 42, addr, &err),
        P11TEE_E_ADDRESS_FORMAT);
    assert_int_equal(
        eth_address_parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg", 42, addr, &err),
        P11TEE_E_ADDRESS_FORMAT);
    assert_non_null(strstr(err.message, "not a hex digit"));
}

static void personal_hash_known_answers(void **state)
{
    static const uint8_t bc[2] = {0x42, 0x43};
    uint8_t md[32];
    char hex[65];

    (void)state;
    /* web3.js documentation, eth.accounts.hashMessage("Hello World") */
    eth_personal_hash("Hello World", 11, md);
    hex_encode(md, 32, hex, sizeof(hex));
    assert_string_equal(hex, "a1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2");
    /* ethers.js tests (EIP-191 personal message hash), the binary message 0x4243 */
    eth_personal_hash(bc, sizeof(bc), md);
    hex_encode(md, 32, hex, sizeof(hex));
    assert_string_equal(hex, "0d3abc18ec299cf9b42ba439ac6f7e3e6ec9f5c048943704e30fc2d9c7981438");
}

/*
 * MetaMask eth-sig-util, src/personal-sign.test.ts: personal_sign test data
 * made with geth's internals (kumavis), message, signature and signer.
 */
static const struct {
    const char *msg_hex;
    const char *sig;
    const char *signer;
} eip191_kat[] = {
    {"68656c6c6f20776f726c64", /* "hello world" */
     "0xce909e8ea6851bc36c007a0072d0524b07a3ff8d4e623aca4c71ca8e57250c4d0a3fc38fa8fbaaa81ead4b9f6b"
     "d03356b6f8bf18bccad167d78891636e1d69561b",
     "0xbe93f9bacbcffc8ee6663f2647917ed7a20a57bb"},
    {"0cc175b9c0f1b6a831c399e26977266192eb5ffee6ae2fec3ad71c777531578f",
     "0x9ff8350cc7354b80740a3580d0e0fd4f1f02062040bc06b893d70906f8728bb5163837fd376bf77ce03b55e9bd"
     "092b32af60e86abce48f7b8d3539988ee5a9be1c",
     "0xbe93f9bacbcffc8ee6663f2647917ed7a20a57bb"},
    {"0cc175b9c0f1b6a831c399e26977266192eb5ffee6ae2fec3ad71c777531578f",
     "0xa2870db1d0c26ef93c7b72d2a0830fa6b841e0593f7186bc6c7cc317af8cf3a42fda03bd589a49949aa05db833"
     "00cdb553116274518dbe9d90c65d0213f4af491b",
     "0xe0da1edcea030875cd0f199d96eb70f6ab78faf2"},
};

static void eip191_recovers_published_signers(void **state)
{
    uint8_t msg[64], md[32], addr[20], want[20];
    eth_signature sig;
    size_t i, len;
    p11tee_error err;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(eip191_kat); i++) {
        unhex(eip191_kat[i].msg_hex, msg, sizeof(msg), &len);
        eth_personal_hash(msg, len, md);
        assert_int_equal(
            eth_signature_parse(eip191_kat[i].sig, strlen(eip191_kat[i].sig), &sig, &err),
            P11TEE_OK);
        assert_int_equal(eth_recover_address(md, &sig, addr, &err), P11TEE_OK);
        assert_int_equal(eth_address_parse(eip191_kat[i].signer, 42, want, &err), P11TEE_OK);
        assert_memory_equal(addr, want, 20);
    }
}

static void signature_parse_forms(void **state)
{
    char s[2 + 130 + 1];
    eth_signature sig;
    p11tee_error err;

    (void)state;
    snprintf(s, sizeof(s), "%s", eip191_kat[0].sig);
    assert_int_equal(eth_signature_parse(s, 132, &sig, &err), P11TEE_OK);
    assert_int_equal(sig.recid, 0); /* v = 0x1b = 27 */
    assert_int_equal(eth_signature_parse(s + 2, 130, &sig, &err), P11TEE_OK);
    memcpy(s + 130, "1c", 2);
    assert_int_equal(eth_signature_parse(s, 132, &sig, &err), P11TEE_OK);
    assert_int_equal(sig.recid, 1);
    memcpy(s + 130, "01", 2);
    assert_int_equal(eth_signature_parse(s, 132, &sig, &err), P11TEE_OK);
    assert_int_equal(sig.recid, 1);
    memcpy(s + 130, "00", 2);
    assert_int_equal(eth_signature_parse(s, 132, &sig, &err), P11TEE_OK);
    assert_int_equal(sig.recid, 0);
    memcpy(s + 130, "1d", 2);
    assert_int_equal(eth_signature_parse(s, 132, &sig, &err), P11TEE_E_SIGNATURE_FORMAT);
    assert_non_null(strstr(err.message, "v is 29"));
    assert_int_equal(eth_signature_parse(s, 131, &sig, &err), P11TEE_E_SIGNATURE_FORMAT);
    assert_non_null(strstr(err.message, "got 129"));
    s[10] = 'z';
    memcpy(s + 130, "1b", 2);
    assert_int_equal(eth_signature_parse(s, 132, &sig, &err), P11TEE_E_SIGNATURE_FORMAT);
    assert_non_null(strstr(err.message, "not hex"));
}

static void recovery_refusals(void **state)
{
    uint8_t md[32] = {1}, addr[20];
    eth_signature sig;
    p11tee_error err;

    (void)state;
    memset(&sig, 0, sizeof(sig)); /* r = s = 0 */
    assert_int_equal(eth_recover_address(md, &sig, addr, &err), P11TEE_E_SIGNATURE_FORMAT);
    assert_non_null(strstr(err.message, "no public key recovers"));
    memset(sig.rs, 0xff, 32); /* r >= n */
    sig.rs[63] = 1;
    assert_int_equal(eth_recover_address(md, &sig, addr, &err), P11TEE_E_SIGNATURE_FORMAT);
    assert_non_null(strstr(err.message, "group order"));
}

#define REQ_HASH  "ab530a13e45914982b79f9b7e3fba994cfd1f3fb22f71cea1afbf02b460c6d1d"
#define RESP_HASH "3A985DA74FE225B2045C172D6BD390BD855F086E3E9D525B46BFE24511431532"

static void signed_text_forms(void **state)
{
    static const char plain[] = REQ_HASH ":" RESP_HASH;
    static const char near[] = "zai-org/GLM:4.6:" REQ_HASH ":" RESP_HASH;
    eth_signed_text t;
    uint8_t h[32];
    size_t n;
    p11tee_error err;

    (void)state;
    assert_int_equal(eth_signed_text_parse(plain, strlen(plain), &t, &err), P11TEE_OK);
    assert_null(t.model);
    unhex(REQ_HASH, h, sizeof(h), &n);
    assert_memory_equal(t.request_sha256, h, 32);
    unhex(RESP_HASH, h, sizeof(h), &n);
    assert_memory_equal(t.response_sha256, h, 32);
    assert_int_equal(eth_signed_text_parse(near, strlen(near), &t, &err), P11TEE_OK);
    assert_int_equal(t.model_len, strlen("zai-org/GLM:4.6"));
    assert_memory_equal(t.model, "zai-org/GLM:4.6", t.model_len);
}

static void signed_text_refusals(void **state)
{
    static const char *const bad[] = {
        REQ_HASH RESP_HASH,         /* no separator */
        REQ_HASH ":" RESP_HASH "0", /* 65 digits at the end */
        REQ_HASH "x" RESP_HASH,     /* wrong separator */
        ":" REQ_HASH ":" RESP_HASH, /* empty model */
        "m" REQ_HASH ":" RESP_HASH, /* prefix without ':' */
        ("zz530a13e45914982b79f9b7e3fba994cfd1f3fb22f71cea1afbf02b460c6d1d:" RESP_HASH), /* not hex
                                                                                          */
        "short:text",
    };
    char long_model[ETH_MODEL_MAX + 2 + 129 + 1];
    eth_signed_text t;
    size_t i;
    p11tee_error err;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(bad); i++)
        assert_int_equal(eth_signed_text_parse(bad[i], strlen(bad[i]), &t, &err),
                         P11TEE_E_SIGNATURE_FORMAT);
    memset(long_model, 'm', ETH_MODEL_MAX + 1);
    snprintf(long_model + ETH_MODEL_MAX + 1, sizeof(long_model) - ETH_MODEL_MAX - 1, ":%s:%s",
             REQ_HASH, RESP_HASH);
    assert_int_equal(eth_signed_text_parse(long_model, strlen(long_model), &t, &err),
                     P11TEE_E_SIGNATURE_FORMAT);
    assert_non_null(strstr(err.message, "longer than 256"));
    assert_int_equal(eth_signed_text_parse(long_model, ETH_SIGNED_TEXT_MAX + 1, &t, &err),
                     P11TEE_E_SIGNATURE_FORMAT);
    assert_non_null(strstr(err.message, "exceeds"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keccak_known_answers),
        cmocka_unit_test(keccak_a3_200),
        cmocka_unit_test(sponge_matches_openssl_sha3),
        cmocka_unit_test(keccak_split_updates),
        cmocka_unit_test(address_of_private_key_one),
        cmocka_unit_test(address_from_bad_keys),
        cmocka_unit_test(eip55_examples_parse_and_format),
        cmocka_unit_test(address_refusals),
        cmocka_unit_test(personal_hash_known_answers),
        cmocka_unit_test(eip191_recovers_published_signers),
        cmocka_unit_test(signature_parse_forms),
        cmocka_unit_test(recovery_refusals),
        cmocka_unit_test(signed_text_forms),
        cmocka_unit_test(signed_text_refusals),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
