/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Which module file a configuration names: pkcs11-module, or the token
 * URI's module-path (RFC 7512), or its module-name, resolved as p11-kit
 * resolves its modules: a configuration NAME.module in p11-kit's system
 * module directory gives the file (relative names are in p11-kit's module
 * path), else NAME.so or libNAME.so in that path. Given twice, the names
 * must be the same file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "token.h"

#define MODULE_NAME_MAX 64
#define CONF_LINE_MAX   1024

/* A module name: letters, digits, '.', '_', '-'; no path. */
static int module_name_is_valid(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > MODULE_NAME_MAX || name[0] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static char *path_join(const char *dir, const char *prefix, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(prefix) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s/%s%s%s", dir, prefix, name, suffix);
    return p;
}

/* The value of the "module:" line of a p11-kit module configuration, or NULL. */
static char *conf_module(const char *conf)
{
    char line[CONF_LINE_MAX], *v, *end;
    FILE *f = fopen(conf, "r");
    char *found = NULL;

    if (f == NULL)
        return NULL;
    while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "module:", 7) != 0)
            continue;
        for (v = line + 7; *v == ' ' || *v == '\t';)
            v++;
        end = v + strcspn(v, "\r\n");
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *end = '\0';
        if (*v != '\0')
            found = *v == '/' ? strdup(v) : path_join(P11KIT_MODULE_PATH, "", v, "");
    }
    fclose(f);
    return found;
}

static int is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* module-name=NAME as p11-kit finds it; *path malloc'd. */
static prov_status locate_by_name(const prov_ctx *ctx, const char *name, char **path, prov_err *e)
{
    static const char *const forms[][2] = {{"", ".so"}, {"lib", ".so"}};
    char *conf, *p;
    size_t i;

    if (!module_name_is_valid(name))
        return prov_err_set(e, PROV_R_TOKEN_URI,
                            "module-name in %s must be a module name (letters, digits, '.', '_', "
                            "'-'), not a path: use module-path= for a path",
                            ctx->token_word);
    conf = path_join(P11KIT_MODULE_CONFIGS, "", name, ".module");
    p = conf != NULL ? conf_module(conf) : NULL;
    free(conf);
    for (i = 0; p == NULL && i < PROV_ARRAY_LEN(forms); i++) {
        p = path_join(P11KIT_MODULE_PATH, forms[i][0], name, forms[i][1]);
        if (p != NULL && !is_file(p)) {
            free(p);
            p = NULL;
        }
    }
    if (p == NULL)
        return prov_err_set(e, PROV_R_MODULE_LOAD,
                            "module-name=%s in %s: no p11-kit module configuration %s.module in %s "
                            "and no %s.so in %s",
                            name, ctx->token_word, name, P11KIT_MODULE_CONFIGS, name,
                            P11KIT_MODULE_PATH);
    *path = p;
    return PROV_R_OK;
}

/* Both name one file (or both are the same string). */
static int same_module(const char *a, const char *b)
{
    struct stat sa, sb;

    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

prov_status prov_module_locate(const prov_ctx *ctx, const prov_uri *u, char **path, prov_err *e)
{
    char *found = NULL;
    const char *from = u->module_path != NULL ? "module-path" : "module-name";
    prov_status rc = PROV_R_OK;

    *path = NULL;
    /* RFC 7512: module-path, when present, says where module-name is. */
    if (u->module_path != NULL) {
        if (u->module_path[0] != '/')
            return prov_err_set(e, PROV_R_TOKEN_URI, "module-path in %s must be an absolute path",
                                ctx->token_word);
        found = strdup(u->module_path);
    } else if (u->module_name != NULL) {
        rc = locate_by_name(ctx, u->module_name, &found, e);
        if (rc != PROV_R_OK)
            return rc;
    } else if (ctx->module_path != NULL) {
        found = strdup(ctx->module_path);
    } else {
        return prov_err_set(e, PROV_R_CONFIG,
                            "%s is not configured: name the PKCS#11 module there, or with "
                            "module-path= or module-name= in %s",
                            ctx->module_word, ctx->token_word);
    }
    if (found == NULL)
        return prov_err_set(e, PROV_R_NOMEM, "out of memory");
    if (ctx->module_path != NULL && !same_module(ctx->module_path, found)) {
        rc =
            prov_err_set(e, PROV_R_CONFIG, "%s %s and %s=%s in %s name different modules: keep one",
                         ctx->module_word, ctx->module_path, from, found, ctx->token_word);
        free(found);
        return rc;
    }
    *path = found;
    return PROV_R_OK;
}
