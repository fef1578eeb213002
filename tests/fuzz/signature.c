/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * GET /tee/signature (src/api/signature.c): both shapes of the signature.
 * Oracles: each field the parser returns is a string of the document (an
 * independent lookup finds the same bytes), and none shows the API key the
 * input carries (fuzz_with_key()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz.h"

static void signature_field(const char *what, strview v)
{
    if (v.p != NULL)
        fuzz_no_api_key(what, v.p, v.len);
}

static int signature_fuzz_one(const uint8_t *data, size_t size)
{
    size_t len;
    uint8_t *in = fuzz_with_key(data, size, &len);
    api_signature s;
    p11tee_error err;
    json_object *text = NULL;

    memset(&err, 0, sizeof(err));
    if (api_parse_signature((const char *)in, len, fuzz_api_key, &s, &err) != P11TEE_OK) {
        fuzz_no_api_key("a signature error", err.message, strlen(err.message));
        free(in);
        return 0;
    }
    FUZZ_CHECK(s.text.p != NULL && s.signature.p != NULL, "text or signature missing");
    FUZZ_CHECK(json_object_object_get_ex(s.root, "text", &text) &&
                   (size_t)json_object_get_string_len(text) == s.text.len &&
                   memcmp(json_object_get_string(text), s.text.p, s.text.len) == 0,
               "the text is not the document's");
    signature_field("the signed text", s.text);
    signature_field("the signature", s.signature);
    signature_field("the signing address", s.signing_address);
    signature_field("the signing algorithm", s.signing_algo);
    signature_field("the public key", s.public_key);
    api_signature_free(&s);
    free(in);
    return 0;
}

static const fuzz_seed signature_seeds[] = {
    FUZZ_SEED("{\"text\":\"aa:bb\",\"signature\":\"0x11\",\"signing_address\":\"0x22\","
              "\"signing_algo\":\"ecdsa\"}"),
    FUZZ_SEED("{\"text\":\"m:aa:bb\",\"signature\":{\"algorithm\":\"ecdsa\",\"value\":\"0x33\","
              "\"public_key\":\"04\"}}"),
    FUZZ_SEED("{\"text\":\"@J\",\"signature\":\"@W\",\"signing_algo\":\"@U\"}"),
    FUZZ_SEED("{\"text\":\"a\",\"signature\":{}}"),
};

FUZZ_REGISTER(signature, signature_fuzz_one, signature_seeds)
