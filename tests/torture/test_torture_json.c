/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Allocation torture of the two helpers every document and digest the
 * library sends, seals, compares or writes goes through (src/common):
 * sjson_text(), whose text is whole or NULL although json-c's serialiser
 * goes on with a piece left out when its buffer cannot grow, and
 * digest_sha256(), whose digest is right or an error although OpenSSL's
 * SHA256() leaves its output unwritten when it cannot allocate. Each run
 * ends with the same text or digest as without failures, or with
 * P11TEE_E_NOMEM; both paths are stateless, so blocks are counted run by
 * run.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/common.h"
#include "crypto/crypto.h"
#include "torture.h"

/* Deep and wide enough that json-c's buffer grows several times while it writes. */
static const char json_doc[] =
    "{\"event_log\":[{\"imr\":0,\"event_type\":2147483659,\"digest\":\"2f8a0c2d3b6f1e4a5c7d9e0f"
    "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b\",\"event\":"
    "\"compose-hash\",\"event_payload\":\"0123456789abcdef0123456789abcdef\"},{\"imr\":3,"
    "\"event_type\":134217729,\"digest\":\"ffeeddccbbaa99887766554433221100ffeeddccbbaa998877"
    "66554433221100ffeeddccbbaa9988\",\"event\":\"app-id\",\"event_payload\":\"\\u00e9t\\u00e9 "
    "\\\"quoted\\\" \\\\ slash / tab\\t\"}],\"vm_config\":{\"cpu_count\":16,\"memory_size\":"
    "68719476736,\"spec_version\":1.5,\"os_image_hash\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f"
    "1b2b0b822cd15d6c15b0f00a08\",\"gpus\":[\"H100\",\"H100\",\"H100\",\"H100\"],\"flags\":["
    "true,false,null]}}";

/* The outcome: the text, or why there is none. */
static int text_path(void *ctx, char *out, size_t cap)
{
    json_object *doc = NULL;
    const char *text;
    size_t len = 0;
    int rc = sjson_parse(ctx, strlen(ctx), SJSON_DOC_MAX, "document", &doc, NULL);

    snprintf(out, cap, "no document");
    if (rc == P11TEE_OK) {
        rc = P11TEE_E_NOMEM;
        text = sjson_text(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (text != NULL) {
            snprintf(out, cap, "%zu %.*s", len, (int)len, text);
            rc = P11TEE_OK;
        } else {
            snprintf(out, cap, "no text");
        }
    }
    json_object_put(doc);
    return rc;
}

/* The outcome: the digest in hex, or the error. */
static int digest_path(void *ctx, char *out, size_t cap)
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    p11tee_error err;
    p11tee_status rc = digest_sha256(ctx, strlen(ctx), d, &err);

    if (rc == P11TEE_OK) {
        hex_encode(d, sizeof(d), hex, sizeof(hex));
        snprintf(out, cap, "%s", hex);
    } else {
        snprintf(out, cap, "%d %s (digest %02x%02x...)", (int)rc, err.message, d[0], d[1]);
    }
    return rc;
}

int main(void)
{
    int tap = 0, bad = 0;

    torture_stateless = 1;
    bad += torture_run("sjson_text: a document's text whole or none", text_path, (void *)json_doc,
                       P11TEE_E_NOMEM, &tap);
    bad += torture_run("digest_sha256: the digest or an error", digest_path, (void *)json_doc,
                       P11TEE_E_NOMEM, &tap);
    printf("1..%d\n", tap);
    return bad > 0 ? 1 : 0;
}
