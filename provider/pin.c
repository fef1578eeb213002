/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The PIN sources: pin-value in the token URI, else the first line of the
 * pin-source file, else the PIN the configuration gives (what a program read
 * from $P11TEE_PIN before clearing it), else $P11TEE_PIN. Every copy lives in
 * memory kept out of core dumps (secret.c). A PIN file that group or others may
 * read is refused, as ssh refuses such a private key file. The prompt and
 * the PIN pad are the login's business (slot.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "prov.h"

/* The path of a pin-source: "file:" URI (file:/p or file:///p) or an absolute path. */
static const char *pin_source_path(const char *src)
{
    if (strncmp(src, "file://", 7) == 0)
        return src[7] == '/' ? src + 7 : NULL;
    if (strncmp(src, "file:", 5) == 0)
        return src[5] == '/' ? src + 5 : NULL;
    return src[0] == '/' ? src : NULL;
}

/*
 * Whether only its owner may use the open PIN file `fd` (as ssh checks a
 * private key file: no permission bit for group or others); else `why`
 * says which chmod fixes it.
 */
static int pin_file_is_private(int fd, const char *path, char *why, size_t whylen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        snprintf(why, whylen, "cannot read the PIN file %s: %s", path, strerror(errno));
        return 0;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
        return 1;
    snprintf(why, whylen,
             "the PIN file %s is open to group or others (mode %04o): run chmod 600 %s", path,
             (unsigned)(st.st_mode & 07777), path);
    return 0;
}

/* Read the first line of `path` (without its line end) as the PIN. */
static prov_pin_status pin_read_file(const char *path, char **pin, char *why, size_t whylen)
{
    char buf[PROV_PIN_MAX + 3];
    size_t n = 0, line;
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        snprintf(why, whylen, "cannot open the PIN file %s: %s", path, strerror(errno));
        return PROV_PIN_BAD_SOURCE;
    }
    if (!pin_file_is_private(fd, path, why, whylen)) {
        close(fd);
        return PROV_PIN_BAD_SOURCE;
    }
    while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, whylen, "cannot read the PIN file %s: %s", path, strerror(errno));
            close(fd);
            OPENSSL_cleanse(buf, sizeof(buf));
            return PROV_PIN_BAD_SOURCE;
        }
        n += (size_t)r;
    }
    close(fd);
    for (line = 0; line < n && buf[line] != '\n' && buf[line] != '\r' && buf[line] != '\0';)
        line++;
    if (line == 0 || line > PROV_PIN_MAX || (line < n && buf[line] == '\0')) {
        snprintf(why, whylen, "the PIN file %s %s", path,
                 line == 0             ? "is empty"
                 : line > PROV_PIN_MAX ? "holds a line longer than 256 bytes"
                                       : "contains a NUL byte");
        OPENSSL_cleanse(buf, sizeof(buf));
        return PROV_PIN_BAD_SOURCE;
    }
    buf[line] = '\0'; /* buf has room past PROV_PIN_MAX */
    *pin = prov_secret_strdup(buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (*pin == NULL) {
        snprintf(why, whylen, "out of memory");
        return PROV_PIN_BAD_SOURCE;
    }
    return PROV_PIN_OK;
}

prov_pin_status prov_pin_resolve(const prov_uri *uri, const char *given, char **pin, char *why,
                                 size_t whylen)
{
    const char *env, *path;

    *pin = NULL;
    if (uri->pin_value != NULL) {
        *pin = prov_secret_strdup(uri->pin_value);
        goto copied;
    }
    if (uri->pin_source != NULL) {
        path = pin_source_path(uri->pin_source);
        if (path == NULL) {
            snprintf(why, whylen, "pin-source must be file:/absolute/path or an absolute path");
            return PROV_PIN_BAD_SOURCE;
        }
        return pin_read_file(path, pin, why, whylen);
    }
    env = given != NULL ? given : getenv("P11TEE_PIN");
    if (env == NULL || env[0] == '\0') {
        snprintf(why, whylen,
                 "no PIN: add pin-source=file:/path (or pin-value=) to the token URI, or set"
                 " P11TEE_PIN");
        return PROV_PIN_NONE;
    }
    if (strlen(env) > PROV_PIN_MAX) {
        snprintf(why, whylen, "P11TEE_PIN is longer than %d bytes", PROV_PIN_MAX);
        return PROV_PIN_BAD_SOURCE;
    }
    *pin = prov_secret_strdup(env);
copied:
    if (*pin == NULL) {
        snprintf(why, whylen, "out of memory");
        return PROV_PIN_BAD_SOURCE;
    }
    return PROV_PIN_OK;
}

void prov_pin_free(char *pin)
{
    prov_secret_free(pin);
}

void prov_pin_origin(const prov_uri *uri, char *out, size_t outlen)
{
    const char *path;

    if (uri->pin_value != NULL)
        snprintf(out, outlen, "pin-value in the token URI");
    else if (uri->pin_source != NULL && (path = pin_source_path(uri->pin_source)) != NULL)
        snprintf(out, outlen, "the PIN file %s", path);
    else
        snprintf(out, outlen, "P11TEE_PIN");
}
