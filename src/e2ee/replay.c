/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The envelopes a session has opened, by (ephemeral key, GCM nonce). The
 * legacy protocol authenticates each field alone, without associated data
 * or a sequence number, so a relay could repeat a field it saw and it
 * would decrypt again; a pair seen before in the session is refused
 * instead. The set holds a 128-bit fingerprint per envelope (SHA-256 of the
 * pair, cut), in an open-addressing table that grows to E2EE_SEEN_MAX.
 * Sessions are shared by threads: the set has its own lock, held for a
 * lookup and an insert, never across I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "e2ee/e2ee.h"

#define SEEN_FIRST_CAP 256 /* slots of a new table; a power of two */

static const uint8_t seen_empty[E2EE_SEEN_BYTES]; /* all zero: a free slot */

void e2ee_seen_init(e2ee_seen *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
}

void e2ee_seen_free(e2ee_seen *s)
{
    free(s->slots);
    pthread_mutex_destroy(&s->lock);
    memset(s, 0, sizeof(*s));
}

/* Where `fp` is in the table, or the free slot it would take. */
static size_t seen_find(const e2ee_seen *s, const uint8_t *fp)
{
    uint64_t h;
    size_t i;

    memcpy(&h, fp, sizeof(h));
    for (i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1))
        if (memcmp(s->slots[i], fp, E2EE_SEEN_BYTES) == 0 ||
            memcmp(s->slots[i], seen_empty, E2EE_SEEN_BYTES) == 0)
            return i;
}

/* Double the table (kept at most half full). 0 when out of memory. */
static int seen_grow(e2ee_seen *s)
{
    size_t cap = s->cap ? 2 * s->cap : SEEN_FIRST_CAP, old = s->cap, i;
    uint8_t(*slots)[E2EE_SEEN_BYTES] = calloc(cap, E2EE_SEEN_BYTES), (*prev)[E2EE_SEEN_BYTES];

    if (slots == NULL)
        return 0;
    prev = s->slots;
    s->slots = slots;
    s->cap = cap;
    for (i = 0; i < old; i++)
        if (memcmp(prev[i], seen_empty, E2EE_SEEN_BYTES) != 0)
            memcpy(s->slots[seen_find(s, prev[i])], prev[i], E2EE_SEEN_BYTES);
    free(prev);
    return 1;
}

p11tee_status e2ee_seen_add(e2ee_seen *s, const uint8_t eph[P11TEE_PUBKEY_BYTES],
                            const uint8_t nonce[ENVELOPE_NONCE_BYTES], p11tee_error *err)
{
    uint8_t pair[P11TEE_PUBKEY_BYTES + ENVELOPE_NONCE_BYTES], digest[SHA256_DIGEST_LENGTH];
    p11tee_status rc = P11TEE_OK;
    size_t i;

    memcpy(pair, eph, P11TEE_PUBKEY_BYTES);
    memcpy(pair + P11TEE_PUBKEY_BYTES, nonce, ENVELOPE_NONCE_BYTES);
    if ((rc = digest_sha256(pair, sizeof(pair), digest, err)) != P11TEE_OK)
        return rc;
    digest[0] |= 1; /* never all zero, which marks a free slot */
    pthread_mutex_lock(&s->lock);
    if (s->count >= E2EE_SEEN_MAX)
        rc = err_set(err, P11TEE_E_E2EE_SESSION_FULL,
                     "this E2EE session has opened %u fields, the most p11tee remembers to "
                     "refuse replays: the next chat starts a new session",
                     E2EE_SEEN_MAX);
    else if (2 * (s->count + 1) > s->cap && !seen_grow(s))
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory remembering the fields opened");
    if (rc == P11TEE_OK) {
        i = seen_find(s, digest);
        if (memcmp(s->slots[i], digest, E2EE_SEEN_BYTES) == 0) {
            rc = err_set(err, P11TEE_E_E2EE_REPLAY,
                         "the server sent an encrypted field a second time (the same ephemeral "
                         "key and nonce as one this session opened before): a relay is "
                         "repeating parts of the answer; the copy was not shown");
        } else {
            memcpy(s->slots[i], digest, E2EE_SEEN_BYTES);
            s->count++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

size_t e2ee_seen_count(e2ee_seen *s)
{
    size_t n;

    pthread_mutex_lock(&s->lock);
    n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}
