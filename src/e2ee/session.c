/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* An E2EE session: the attested model key and a token session key pair. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "e2ee/e2ee.h"

p11tee_status e2ee_session_new(hsm_ctx *hsm, const char *model, strview model_key,
                               e2ee_session **out, p11tee_error *err)
{
    e2ee_session *s;
    uint8_t pub[P11TEE_PUBKEY_BYTES];
    size_t publen = 0;
    p11tee_status rc;

    *out = NULL;
    if (strlen(model) >= E2EE_MODEL_MAX)
        return err_set(err, P11TEE_E_INVALID_ARG, "model id is longer than %d characters",
                       E2EE_MODEL_MAX - 1);
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory creating an E2EE session");
    s->hsm = hsm;
    e2ee_seen_init(&s->seen);
    snprintf(s->model, sizeof(s->model), "%s", model);
    rc = key_parse_model(model_key.p, model_key.len, s->model_pub, err);
    if (rc == P11TEE_OK) {
        memcpy(s->model_pub_header, model_key.p, model_key.len);
        s->model_pub_header[model_key.len] = '\0';
        rc = hsm_key_generate(hsm, "secp256k1", &s->key, err);
    }
    if (rc == P11TEE_OK)
        rc = hsm_key_public(s->key, pub, sizeof(pub), &publen, err);
    if (rc == P11TEE_OK && publen != P11TEE_PUBKEY_BYTES)
        rc = err_set(err, P11TEE_E_INTERNAL, "session public key has %zu bytes, not 65", publen);
    if (rc != P11TEE_OK) {
        e2ee_session_free(s);
        return rc;
    }
    hex_encode(pub, P11TEE_PUBKEY_BYTES, s->client_pub_hex, sizeof(s->client_pub_hex));
    s->created = time(NULL);
    *out = s;
    return P11TEE_OK;
}

void e2ee_session_free(e2ee_session *s)
{
    if (s == NULL)
        return;
    hsm_key_free(s->key);
    e2ee_seen_free(&s->seen);
    free(s);
}

int e2ee_session_worn(e2ee_session *s)
{
    return e2ee_seen_count(&s->seen) >= E2EE_SEEN_MAX / 2;
}

void e2ee_headers(const e2ee_session *s, char hdr[3][E2EE_HEADER_MAX])
{
    snprintf(hdr[0], E2EE_HEADER_MAX, "X-Venice-TEE-Client-Pub-Key: %s", s->client_pub_hex);
    snprintf(hdr[1], E2EE_HEADER_MAX, "X-Venice-TEE-Model-Pub-Key: %s", s->model_pub_header);
    snprintf(hdr[2], E2EE_HEADER_MAX, "X-Venice-TEE-Signing-Algo: ecdsa");
}

void e2ee_stream_begin(e2ee_stream *st, e2ee_session *s)
{
    memset(st, 0, sizeof(*st));
    st->session = s;
}

void e2ee_stream_end(e2ee_stream *st)
{
    OPENSSL_cleanse(st->keys, sizeof(st->keys));
    st->nkeys = st->next = 0;
    st->session = NULL;
}

/* The AES key for the ephemeral key `eph`: kept from earlier in the stream, or derived. */
static p11tee_status stream_key(e2ee_stream *st, const uint8_t eph[P11TEE_PUBKEY_BYTES],
                                const uint8_t **aes, p11tee_error *err)
{
    size_t i, slot;
    p11tee_status rc;

    for (i = 0; i < st->nkeys; i++) {
        if (st->keys[i].valid && memcmp(st->keys[i].eph, eph, P11TEE_PUBKEY_BYTES) == 0) {
            *aes = st->keys[i].aes;
            return P11TEE_OK;
        }
    }
    slot = st->nkeys < E2EE_STREAM_KEYS ? st->nkeys++ : st->next++ % E2EE_STREAM_KEYS;
    st->keys[slot].valid = 0;
    rc = envelope_key(st->session->key, eph, st->keys[slot].aes, err);
    st->derives++;
    if (rc != P11TEE_OK)
        return rc; /* not valid: a failed key is never found */
    st->keys[slot].valid = 1;
    memcpy(st->keys[slot].eph, eph, P11TEE_PUBKEY_BYTES);
    *aes = st->keys[slot].aes;
    return P11TEE_OK;
}

/* Record the envelope's (ephemeral key, nonce) in the session; a second time is a replay. */
static p11tee_status stream_remember(e2ee_stream *st, strview field,
                                     const uint8_t eph[P11TEE_PUBKEY_BYTES], p11tee_error *err)
{
    uint8_t nonce[ENVELOPE_NONCE_BYTES];

    /* The shape was checked: the nonce's hex follows the ephemeral key's. */
    hex_decode(field.p + 2 * P11TEE_PUBKEY_BYTES, 2 * ENVELOPE_NONCE_BYTES, nonce, sizeof(nonce),
               NULL, NULL);
    return e2ee_seen_add(&st->session->seen, eph, nonce, err);
}

p11tee_status e2ee_stream_open_field(e2ee_stream *st, strview field, int allow_plaintext,
                                     uint8_t **pt, size_t *ptlen, int *was_plaintext,
                                     p11tee_error *err)
{
    uint8_t eph[P11TEE_PUBKEY_BYTES];
    const uint8_t *aes = NULL;
    p11tee_status rc;

    *pt = NULL;
    *ptlen = 0;
    *was_plaintext = 0;
    if (envelope_is_ciphertext(field.p, field.len)) {
        rc = envelope_ephemeral(field.p, field.len, eph, err);
        if (rc == P11TEE_OK)
            rc = stream_key(st, eph, &aes, err);
        if (rc == P11TEE_OK)
            rc = envelope_open_with_key(aes, field.p, field.len, pt, ptlen, err);
        /* Only an authentic envelope is remembered; a repeated one is refused, unseen. */
        if (rc == P11TEE_OK)
            rc = stream_remember(st, field, eph, err);
        if (rc != P11TEE_OK && *pt != NULL) {
            envelope_plaintext_free(*pt, *ptlen + 1);
            *pt = NULL;
            *ptlen = 0;
        }
        st->fields += rc == P11TEE_OK;
        return rc;
    }
    if (!allow_plaintext)
        return err_set(err, P11TEE_E_E2EE_PLAINTEXT,
                       "the server sent a plaintext field inside the encrypted stream "
                       "(possible downgrade); it was not shown");
    *pt = malloc(field.len + 1);
    if (*pt == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    memcpy(*pt, field.p, field.len);
    (*pt)[field.len] = '\0';
    *ptlen = field.len;
    *was_plaintext = 1;
    return P11TEE_OK;
}
