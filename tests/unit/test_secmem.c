/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Secret memory (src/common/secmem.c) and what lives in it: a block lies in
 * a mapping the kernel leaves out of core dumps (VmFlags "dd" in
 * /proc/self/smaps), and so do the API key of a configuration and the AES
 * keys a chat stream derives for the fields it opens.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_stream.h"
#include "testlib.h"

/* The VmFlags of the mapping holding `p` (empty when none is found). */
static void vm_flags(const void *p, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    unsigned long lo, hi, at = (unsigned long)p;
    int inside = 0;

    out[0] = '\0';
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = at >= lo && at < hi;
        else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(out, len, "%s", line + 8);
            break;
        }
    }
    fclose(f);
}

static int not_dumped(const void *p)
{
    char flags[512];

    vm_flags(p, flags, sizeof(flags));
    return strstr(flags, " dd") != NULL;
}

static void blocks_are_not_dumped(void **state)
{
    char *s = secmem_strdup("a secret");
    void *plain = malloc(64);

    (void)state;
    assert_non_null(s);
    assert_true(not_dumped(s));
    assert_false(not_dumped(plain)); /* the check tells them apart */
    assert_string_equal(s, "a secret");
    secmem_free(s);
    secmem_free(NULL);
    free(plain);
}

static void api_key_is_not_dumped(void **state)
{
    p11tee_config *cfg = p11tee_config_new();

    (void)state;
    assert_int_equal(p11tee_config_set(cfg, "api-key", "k/+=", NULL), P11TEE_OK);
    assert_true(not_dumped(cfg->api_key));
    assert_int_equal(p11tee_config_set(cfg, "pin", "1234", NULL), P11TEE_OK);
    assert_true(not_dumped(cfg->pin));
    p11tee_config_free(cfg);
}

static void stream_keys_are_not_dumped(void **state)
{
    api_chat_stream st;

    (void)state;
    assert_int_equal(api_chat_stream_init(&st, NULL, NULL, NULL, 0, 0, NULL, NULL), P11TEE_OK);
    assert_non_null(st.fields);
    assert_true(not_dumped(st.fields->keys[0].aes));
    api_chat_stream_free(&st);
    assert_null(st.fields);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_are_not_dumped),
        cmocka_unit_test(api_key_is_not_dumped),
        cmocka_unit_test(stream_keys_are_not_dumped),
    };

    return TEST_MAIN(tests, NULL, NULL);
}
