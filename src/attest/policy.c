/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The attestation policy (p11tee-policy(5)): which checks are required, which
 * only must not fail, which are advisory; measurement pins; accepted TCB
 * statuses; test roots. The built-in default is the check table's
 * (checks.c): everything required, except what the table says otherwise.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "attest/policy.h"
#include "crypto/crypto.h"

#define POLICY_ROOTS_MAX (256u * 1024)

_Static_assert(1 + ATTEST_CK_COUNT < ATTEST_POLICY_RULES_MAX,
               "the defaults (\"*\" and one rule per check at most) leave room for a file's");

const char *p11tee_requirement_name(p11tee_requirement requirement)
{
    /* No default: -Wswitch names a requirement without a name. */
    switch (requirement) {
    case P11TEE_REQUIRED: return "required";
    case P11TEE_IF_CHECKED: return "if-checked";
    case P11TEE_ADVISORY: return "advisory";
    }
    return "?";
}

p11tee_status attest_policy_add_rule(attest_policy *p, const char *pattern, p11tee_requirement r,
                                     p11tee_error *err)
{
    size_t n = strlen(pattern);

    if (n == 0 || n >= ATTEST_NAME_MAX ||
        strspn(pattern, "abcdefghijklmnopqrstuvwxyz0123456789_.*") != n ||
        (strchr(pattern, '*') != NULL && strcmp(pattern, "*") != 0 &&
         (n < 2 || strcmp(pattern + n - 2, ".*") != 0 || strchr(pattern, '*') != pattern + n - 1)))
        return err_set(err, P11TEE_E_POLICY,
                       "policy check pattern \"%s\" is not a check name, \"prefix.*\" or \"*\"",
                       pattern);
    if (p->nrules >= ATTEST_POLICY_RULES_MAX)
        return err_set(err, P11TEE_E_POLICY, "policy has more than %d check rules",
                       ATTEST_POLICY_RULES_MAX);
    snprintf(p->rules[p->nrules].pattern, ATTEST_NAME_MAX, "%s", pattern);
    p->rules[p->nrules++].req = r;
    return P11TEE_OK;
}

/* How specific `pattern` is for `name`: -1 no match, else higher is more specific. */
static int policy_match(const char *pattern, const char *name)
{
    size_t n = strlen(pattern);

    if (strcmp(pattern, "*") == 0)
        return 0;
    if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
        return strncmp(name, pattern, n - 2) == 0 && (name[n - 2] == '\0' || name[n - 2] == '.')
                   ? (int)n
                   : -1;
    return strcmp(pattern, name) == 0 ? 1000 : -1;
}

p11tee_requirement attest_policy_requirement(const attest_policy *p, const char *name)
{
    p11tee_requirement r = P11TEE_REQUIRED;
    int best = -1, score;
    size_t i;

    /* Later rules (the file's) win ties over earlier ones (the defaults). */
    for (i = 0; i < p->nrules; i++)
        if ((score = policy_match(p->rules[i].pattern, name)) >= best && score >= 0) {
            best = score;
            r = p->rules[i].req;
        }
    return r;
}

/*
 * The default rule of one check: its name, or for a family default the
 * family's pattern ("tdx.collateral.*"), added once.
 */
static void policy_default_rule(attest_policy *p, const attest_check_info *c)
{
    char pattern[ATTEST_NAME_MAX];
    int n = c->family ? (int)(strrchr(c->name, '.') - c->name) : (int)strlen(c->name);
    size_t i;

    snprintf(pattern, sizeof(pattern), "%.*s%s", n, c->name, c->family ? ".*" : "");
    for (i = 0; i < p->nrules; i++)
        if (strcmp(p->rules[i].pattern, pattern) == 0)
            return;
    memcpy(p->rules[p->nrules].pattern, pattern, sizeof(pattern));
    p->rules[p->nrules++].req = c->req;
}

/* Everything required ("*"), except the checks the table says otherwise of. */
static attest_policy *policy_new(void)
{
    attest_policy *p = calloc(1, sizeof(*p));
    int id;

    if (p == NULL)
        return NULL;
    snprintf(p->rules[0].pattern, sizeof(p->rules[0].pattern), "*");
    p->rules[0].req = P11TEE_REQUIRED;
    p->nrules = 1;
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        if (attest_checks[id].req != P11TEE_REQUIRED)
            policy_default_rule(p, &attest_checks[id]);
    p->accepted_tcb = TDX_TCB_BIT(TDX_TCB_UP_TO_DATE);
    p->tee_chat_requires_attestation = 1;
    snprintf(p->source, sizeof(p->source), "built-in default");
    return p;
}

p11tee_status attest_policy_default(attest_policy **out, p11tee_error *err)
{
    *out = policy_new();
    return *out != NULL ? P11TEE_OK : err_set(err, P11TEE_E_NOMEM, "out of memory");
}

void attest_policy_free(attest_policy *p)
{
    if (p == NULL)
        return;
    free(p->tdx_test_roots);
    free(p->nvidia_test_roots);
    free(p->tdx_test_root_files);
    free(p->nvidia_test_root_files);
    free(p->collateral);
    free(p->collateral_cache);
    free(p->base_dir);
    policy_models_free(p);
    free(p);
}

p11tee_status policy_read(const char *base_dir, const char *name, size_t max, char **data,
                          size_t *len, p11tee_error *err)
{
    char path[4096];
    FILE *f;
    size_t n = 0, r;
    char *d;

    if (name[0] == '/' || base_dir == NULL)
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", base_dir, name);
    f = fopen(path, "rb");
    if (f == NULL)
        return err_set(err, errno == ENOMEM ? P11TEE_E_NOMEM : P11TEE_E_POLICY,
                       "cannot open %s: %s", path, strerror(errno));
    d = malloc(max + 1);
    if (d == NULL) {
        fclose(f);
        return err_set(err, P11TEE_E_NOMEM, "out of memory reading %s", path);
    }
    while (n <= max && (r = fread(d + n, 1, max + 1 - n, f)) > 0)
        n += r;
    fclose(f);
    if (n > max) {
        free(d);
        return err_set(err, P11TEE_E_POLICY, "%s exceeds %zu bytes", path, max);
    }
    d[n] = '\0';
    *data = d;
    *len = n;
    return P11TEE_OK;
}

/* Add the file's absolute path to the newline-separated list *files (for --emit-policy). */
static p11tee_status policy_root_path(const char *base_dir, const char *file, char **files,
                                      p11tee_error *err)
{
    char path[4096], *abs, *grown;
    size_t have = *files != NULL ? strlen(*files) : 0;

    if (file[0] == '/' || base_dir == NULL)
        snprintf(path, sizeof(path), "%s", file);
    else
        snprintf(path, sizeof(path), "%s/%s", base_dir, file);
    abs = realpath(path, NULL);
    if (abs == NULL && errno == ENOMEM)
        return err_set(err, P11TEE_E_NOMEM, "out of memory resolving %s", path);
    if (abs == NULL)
        return err_set(err, P11TEE_E_POLICY, "cannot resolve %s: %s", path, strerror(errno));
    grown = realloc(*files, have + strlen(abs) + 2);
    if (grown != NULL)
        snprintf(grown + have, strlen(abs) + 2, "%s\n", abs);
    free(abs);
    if (grown == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    *files = grown;
    return P11TEE_OK;
}

/* Append the PEM certificates of `file` to *pem; refuse a file without one. */
static p11tee_status policy_add_root(const char *base_dir, const char *file, char **pem,
                                     size_t *pem_len, char **files, p11tee_error *err)
{
    char *data = NULL, *grown;
    size_t len = 0;
    BIO *bio;
    X509 *cert;
    p11tee_status rc = policy_read(base_dir, file, POLICY_ROOTS_MAX, &data, &len, err);

    if (rc == P11TEE_OK)
        rc = policy_root_path(base_dir, file, files, err);
    if (rc != P11TEE_OK) {
        free(data);
        return rc;
    }
    bio = BIO_new_mem_buf(data, (int)len);
    cert = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (cert == NULL) {
        free(data);
        /* A certificate that could not be built for want of memory is not a bad file. */
        if (bio == NULL || err_openssl_oom()) {
            err_openssl_clear();
            return err_set(err, P11TEE_E_NOMEM, "out of memory reading test root %s", file);
        }
        err_openssl_clear();
        return err_set(err, P11TEE_E_POLICY, "test root %s holds no PEM certificate", file);
    }
    X509_free(cert);
    if (*pem_len + len + 1 > TDX_COLLATERAL_MAX) {
        free(data);
        return err_set(err, P11TEE_E_POLICY, "the policy's test roots exceed %d bytes in total",
                       TDX_COLLATERAL_MAX);
    }
    grown = realloc(*pem, *pem_len + len + 2);
    if (grown == NULL) {
        free(data);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    memcpy(grown + *pem_len, data, len);
    grown[*pem_len + len] = '\n';
    *pem_len += len + 1;
    grown[*pem_len] = '\0';
    *pem = grown;
    free(data);
    return P11TEE_OK;
}

static p11tee_status policy_roots(attest_policy *p, json_object *roots, const char *base_dir,
                                  p11tee_error *err)
{
    json_object_iter it;
    p11tee_status rc = P11TEE_OK;

    json_object_object_foreachC(roots, it)
    {
        char **pem, **files;
        size_t *len, i;

        if (strcmp(it.key, "tdx") == 0) {
            pem = &p->tdx_test_roots;
            len = &p->tdx_test_roots_len;
            files = &p->tdx_test_root_files;
        } else if (strcmp(it.key, "nvidia") == 0) {
            pem = &p->nvidia_test_roots;
            len = &p->nvidia_test_roots_len;
            files = &p->nvidia_test_root_files;
        } else {
            return err_set(err, P11TEE_E_POLICY, "test_roots has an unknown key \"%s\"", it.key);
        }
        if (!json_object_is_type(it.val, json_type_array))
            return err_set(err, P11TEE_E_POLICY, "test_roots.%s must be a list of files", it.key);
        for (i = 0; rc == P11TEE_OK && i < json_object_array_length(it.val); i++) {
            json_object *f = json_object_array_get_idx(it.val, i);

            if (!json_object_is_type(f, json_type_string))
                return err_set(err, P11TEE_E_POLICY, "test_roots.%s[%zu] is not a file name",
                               it.key, i);
            rc = policy_add_root(base_dir, json_object_get_string(f), pem, len, files, err);
        }
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}

/* The requirement the policy file spells `v`; 0 when none is. */
static int policy_requirement_of(const char *v, p11tee_requirement *out)
{
    static const p11tee_requirement all[] = {P11TEE_REQUIRED, P11TEE_IF_CHECKED, P11TEE_ADVISORY};
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(all); i++)
        if (strcmp(v, p11tee_requirement_name(all[i])) == 0) {
            *out = all[i];
            return 1;
        }
    return 0;
}

static p11tee_status policy_checks(attest_policy *p, json_object *checks, p11tee_error *err)
{
    json_object_iter it;
    p11tee_status rc;

    json_object_object_foreachC(checks, it)
    {
        const char *v =
            json_object_is_type(it.val, json_type_string) ? json_object_get_string(it.val) : "";
        p11tee_requirement r;

        if (!policy_requirement_of(v, &r))
            return err_set(err, P11TEE_E_POLICY, "checks.%s must be \"%s\", \"%s\" or \"%s\"",
                           it.key, p11tee_requirement_name(P11TEE_REQUIRED),
                           p11tee_requirement_name(P11TEE_IF_CHECKED),
                           p11tee_requirement_name(P11TEE_ADVISORY));
        rc = attest_policy_add_rule(p, it.key, r, err);
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}

p11tee_status policy_member(attest_policy *p, const char *key, json_object *v, const char *base_dir,
                            p11tee_error *err)
{
    json_object_iter it;
    p11tee_status rc = P11TEE_OK;

    if (strcmp(key, "version") == 0)
        return json_object_is_type(v, json_type_int) && json_object_get_int(v) == 1
                   ? P11TEE_OK
                   : err_set(err, P11TEE_E_POLICY, "policy version must be 1");
    if (strcmp(key, "preset") == 0 || strcmp(key, "models") == 0)
        return P11TEE_OK; /* applied first and last, by attest_policy_parse() */
    if (strcmp(key, "tee_chat_requires_attestation") == 0) {
        if (!json_object_is_type(v, json_type_boolean))
            return err_set(err, P11TEE_E_POLICY,
                           "tee_chat_requires_attestation must be true or false");
        p->tee_chat_requires_attestation = json_object_get_boolean(v);
        return P11TEE_OK;
    }
    if (!json_object_is_type(v, json_type_object))
        return err_set(err, P11TEE_E_POLICY,
                       "policy key %s is unknown or not an object (see p11tee-policy(5))", key);
    if (strcmp(key, "checks") == 0)
        return policy_checks(p, v, err);
    if (strcmp(key, "test_roots") == 0)
        return policy_roots(p, v, base_dir, err);
    if (strcmp(key, "tdx") != 0)
        return err_set(err, P11TEE_E_POLICY, "policy key %s is unknown (see p11tee-policy(5))",
                       key);
    json_object_object_foreachC(v, it)
    {
        rc = policy_tdx_member(p, it.key, it.val, base_dir, err);
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}

p11tee_status policy_apply(attest_policy *p, const char *json, size_t len, p11tee_error *err)
{
    json_object *root = NULL;
    json_object_iter it;
    p11tee_status rc;

    rc = sjson_parse(json, len, POLICY_FILE_MAX, "policy preset", &root, err);
    if (rc == P11TEE_OK && !json_object_is_type(root, json_type_object))
        rc = err_set(err, P11TEE_E_POLICY, "a policy preset must be a JSON object");
    if (rc == P11TEE_OK)
        json_object_object_foreachC(root, it)
        {
            rc = policy_member(p, it.key, it.val, NULL, err);
            if (rc != P11TEE_OK)
                break;
        }
    json_object_put(root);
    return rc;
}

p11tee_status attest_policy_parse(const char *json, size_t len, const char *base_dir,
                                  attest_policy **out, p11tee_error *err)
{
    json_object *root = NULL, *preset = NULL, *models = NULL;
    json_object_iter it;
    attest_policy *p;
    attest_collateral_source preset_source;
    p11tee_error jerr;
    p11tee_status rc;

    *out = NULL;
    rc = sjson_parse(json, len, POLICY_FILE_MAX, "policy", &root, &jerr);
    if (rc != P11TEE_OK)
        return err_set(err, rc == P11TEE_E_NOMEM ? rc : P11TEE_E_POLICY, "%s", jerr.message);
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return err_set(err, P11TEE_E_POLICY, "policy must be a JSON object");
    }
    p = policy_new();
    if (p != NULL && base_dir != NULL && (p->base_dir = strdup(base_dir)) == NULL) {
        attest_policy_free(p);
        p = NULL;
    }
    if (p == NULL) {
        json_object_put(root);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    /* A preset first, whatever the key order: the file's own rules then win ties. */
    if (json_object_object_get_ex(root, "preset", &preset))
        rc = json_object_is_type(preset, json_type_string)
                 ? policy_preset(p, json_object_get_string(preset), err)
                 : err_set(err, P11TEE_E_POLICY, "preset must be a name (%s)", POLICY_PRESETS);
    /* The file may name its own collateral instead of the preset's (presets name no file). */
    preset_source = p->collateral_source;
    p->collateral_source = ATTEST_COLL_DEFAULT;
    json_object_object_foreachC(root, it)
    {
        if (rc != P11TEE_OK)
            break;
        rc = policy_member(p, it.key, it.val, base_dir, err);
    }
    if (p->collateral_source == ATTEST_COLL_DEFAULT)
        p->collateral_source = preset_source;
    /* Per-model sections last: each is checked on top of the complete defaults. */
    if (rc == P11TEE_OK && json_object_object_get_ex(root, "models", &models))
        rc = policy_models(p, models, err);
    json_object_put(root);
    if (rc != P11TEE_OK) {
        attest_policy_free(p);
        return rc;
    }
    *out = p;
    return P11TEE_OK;
}

p11tee_status attest_policy_load(const char *path, attest_policy **out, p11tee_error *err)
{
    char *data = NULL, *dir_copy;
    size_t len = 0;
    p11tee_status rc;

    *out = NULL;
    /* A name without a slash that names a preset is the preset ("./strict" for a file). */
    if (strchr(path, '/') == NULL && attest_policy_is_preset(path)) {
        rc = attest_policy_default(out, err);
        if (rc == P11TEE_OK && (rc = policy_preset(*out, path, err)) != P11TEE_OK) {
            attest_policy_free(*out);
            *out = NULL;
        }
        return rc;
    }
    rc = policy_read(NULL, path, POLICY_FILE_MAX, &data, &len, err);
    if (rc != P11TEE_OK)
        return rc;
    dir_copy = strdup(path);
    if (dir_copy == NULL) {
        free(data);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    rc = attest_policy_parse(data, len, dirname(dir_copy), out, err);
    free(dir_copy);
    if (rc == P11TEE_OK) {
        uint8_t d[SHA256_DIGEST_LENGTH];

        snprintf((*out)->source, sizeof((*out)->source), "%s", path);
        rc = digest_sha256(data, len, d, err);
        hex_encode(d, sizeof(d), (*out)->sha256, sizeof((*out)->sha256));
        if (rc != P11TEE_OK) {
            attest_policy_free(*out);
            *out = NULL;
        }
    }
    free(data);
    if (rc != P11TEE_OK)
        err_detail(err, "in policy file %s", path);
    return rc;
}

int attest_check_blocks(const attest_check *c, p11tee_requirement r)
{
    return (r == P11TEE_REQUIRED && c->result != P11TEE_CHECK_PASS) ||
           (r == P11TEE_IF_CHECKED && c->result == P11TEE_CHECK_FAIL);
}

p11tee_status attest_verdict(const attest_report *rep, const attest_policy *p, p11tee_error *err)
{
    size_t i;

    for (i = 0; i < rep->count; i++) {
        const attest_check *c = &rep->checks[i];

        if (!attest_check_blocks(c, attest_policy_requirement(p, c->name)))
            continue;
        if (c->result == P11TEE_CHECK_FAIL)
            return err_set(err, c->code != P11TEE_OK ? c->code : P11TEE_E_ATTEST_REQUIRED,
                           "attestation check %s failed: %s", c->name, c->reason);
        return err_set(err, P11TEE_E_ATTEST_REQUIRED,
                       "attestation check %s is required by the policy but was not performed: %s",
                       c->name, c->reason);
    }
    return P11TEE_OK;
}
