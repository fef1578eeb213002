/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token through p11-kit, as the library opens it. p11-kit-proxy.so
 * hands out a new, uninitialised function list per C_GetFunctionList: the
 * provider must log in and derive on the one it initialised. p11-kit-client
 * reaches a token that `p11-kit server` (started here, on a unix socket in a
 * temp dir) exports from another process: after the login and a key
 * generation, /proc/self/maps shows p11-kit-client and no SoftHSM. ECDH goes
 * through when p11-kit carries its parameters (0.25 and later); with an
 * older p11-kit the derive fails with an error that says so. The module
 * may be named by module-path= or module-name= in the token URI.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "provtest.h"

#define CLIENT_MODULE P11KIT_MODULE_PATH "/p11-kit-client.so"

static test_token tok;
static pid_t server = -1;
static char sockdir[600], sock[620], address[640];

/* `p11-kit server` exporting the test token; waits for its socket. */
static int server_start(void)
{
    const char *p11kit = getenv("P11KIT");
    char uri[80];
    int i;

    /* A unix socket path holds at most 107 bytes: a deep tree uses /tmp. */
    if (strlen(tok.dir) > 90) {
        snprintf(sockdir, sizeof(sockdir), "/tmp/p11tee-p11kit.XXXXXX");
        if (mkdtemp(sockdir) == NULL)
            return -1;
    } else {
        snprintf(sockdir, sizeof(sockdir), "%s", tok.dir);
    }
    snprintf(sock, sizeof(sock), "%s/p11kit.sock", sockdir);
    snprintf(uri, sizeof(uri), "pkcs11:token=%s", tok.label);
    server = fork();
    if (server == 0) {
        /* stdout/stderr: the tool prints its environment lines there. */
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execlp("timeout", "timeout", "120", p11kit, "server", "-f", "-n", sock, "--provider",
               tok.module, uri, (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 200 && access(sock, F_OK) != 0; i++)
        usleep(50000);
    snprintf(address, sizeof(address), "unix:path=%s", sock);
    return access(sock, F_OK) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    const char *p11kit = getenv("P11KIT");

    (void)state;
    if (p11kit == NULL || p11kit[0] == '\0' || access(p11kit, X_OK) != 0)
        test_skip_all("the p11-kit tool is not installed (Debian package p11-kit)");
    if (access(CLIENT_MODULE, R_OK) != 0 || access(P11KIT_PROXY_MODULE, R_OK) != 0)
        test_skip_all("p11-kit-client.so or p11-kit-proxy.so missing (Debian package "
                      "p11-kit-modules)");
    test_token_create(&tok, "p11tee-p11kit");
    if (server_start() != 0) {
        fprintf(stderr, "p11-kit server did not start\n");
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
    }
    if (sockdir[0] != '\0' && strcmp(sockdir, tok.dir) != 0) {
        unlink(sock);
        rmdir(sockdir);
    }
    test_token_destroy(&tok);
    return 0;
}

/* Whether a line of /proc/self/maps names a file containing `needle`. */
static int mapped(const char *needle)
{
    char line[1024];
    FILE *f = fopen("/proc/self/maps", "r");
    int found = 0;

    if (f == NULL)
        return -1;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* A context on `module` (NULL: the URI names it) with a fresh token key. */
static hsm_key *open_key(const char *module, const char *uri, hsm_ctx **h)
{
    hsm_config cfg = {.module = module, .token = uri};
    hsm_key *k = NULL;
    p11tee_error err;

    *h = NULL;
    PT_CHECK(hsm_ctx_new(&cfg, h, &err) == P11TEE_OK);
    if (*h == NULL) {
        fprintf(stderr, "hsm_ctx_new: %s\n", err.message);
        return NULL;
    }
    PT_CHECK(hsm_key_generate(*h, "secp256k1", &k, &err) == P11TEE_OK);
    return k;
}

/* The proxy in this process: login and ECDH on the list the provider initialised. */
static void through_proxy(void *arg)
{
    hsm_ctx *h;
    hsm_key *k = open_key(P11KIT_PROXY_MODULE, tok.uri, &h);

    (void)arg;
    PT_CHECK(k != NULL && pt_hsm_derive_ok(k));
    PT_CHECK(mapped("libsofthsm2") == 1); /* the proxy loads the token library in-process */
    hsm_key_free(k);
    hsm_ctx_free(h);
}

static void through_server(void *arg)
{
    char uri[256];
    uint8_t peer[PT_POINT_MAX], x[PT_SECRET_MAX];
    EVP_PKEY *s = pt_sw_key("secp256k1");
    size_t n = pt_pub(s, peer, sizeof(peer)), xn = 0;
    p11tee_error err;
    hsm_ctx *h;
    hsm_key *k;

    (void)arg;
    setenv("P11_KIT_SERVER_ADDRESS", address, 1);
    /* The module named in the URI: module-name, as p11-kit finds it. */
    snprintf(uri, sizeof(uri), "pkcs11:token=%s;module-name=p11-kit-client?pin-value=%s", tok.label,
             TEST_PIN);
    k = open_key(NULL, uri, &h);
    PT_CHECK(k != NULL);
    PT_CHECK(mapped("/p11-kit-client.so") == 1);
    PT_CHECK(mapped("softhsm") == 0);
    if (P11KIT_CARRIES_ECDH) {
        PT_CHECK(k != NULL && pt_hsm_derive_ok(k));
    } else {
        PT_CHECK(hsm_derive(k, peer, n, x, sizeof(x), &xn, &err) == P11TEE_E_DERIVE);
        PT_CHECK(strstr(err.message, "p11-kit before 0.25 cannot carry ECDH between "
                                     "p11-kit-client and p11-kit server") != NULL);
    }
    PT_CHECK(mapped("softhsm") == 0);
    hsm_key_free(k);
    hsm_ctx_free(h);
    EVP_PKEY_free(s);
}

/*
 * A process that exits with a context open through the proxy: the exit
 * handler must run before the destructors of the modules the proxy loaded
 * (in C_Initialize, after the proxy itself), or SoftHSM crashes in
 * C_CloseSession at exit (pt_isolated then reports the child dead).
 */
/* Reachable at exit, so not leaks to LeakSanitizer (volatile: the stores stay). */
static hsm_ctx *volatile left_ctx;
static hsm_key *volatile left_key;

static void exit_with_the_proxy_open(void *arg)
{
    hsm_ctx *h = NULL;

    (void)arg;
    left_key = open_key(P11KIT_PROXY_MODULE, tok.uri, &h);
    left_ctx = h;
    PT_CHECK(left_key != NULL && pt_hsm_derive_ok(left_key));
    /* neither is freed: exit() finds them */
}

/* module-path= names the file; refusals say what is wrong. */
static void module_in_the_uri(void *arg)
{
    char uri[512];
    hsm_config cfg = {.token = uri};
    hsm_ctx *h = NULL;
    hsm_key *k;
    p11tee_error err;

    (void)arg;
    snprintf(uri, sizeof(uri), "pkcs11:token=%s;module-path=%s?pin-value=%s", tok.label,
             P11KIT_PROXY_MODULE, TEST_PIN);
    k = open_key(NULL, uri, &h);
    PT_CHECK(k != NULL && pt_hsm_derive_ok(k));
    hsm_key_free(k);
    hsm_ctx_free(h);
    /* The same module twice is fine; two different ones are not. */
    cfg.module = P11KIT_PROXY_MODULE;
    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_OK);
    hsm_ctx_free(h);
    cfg.module = tok.module;
    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_E_CONFIG);
    PT_CHECK(strstr(err.message, "name different modules: keep one") != NULL);
    snprintf(uri, sizeof(uri), "pkcs11:token=%s;module-name=../x?pin-value=%s", tok.label,
             TEST_PIN);
    cfg.module = NULL;
    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_E_TOKEN_URI);
    PT_CHECK(strstr(err.message, "module-name in pkcs11-token must be a module name") != NULL);
    snprintf(uri, sizeof(uri), "pkcs11:token=%s;module-name=no-such-module?pin-value=%s", tok.label,
             TEST_PIN);
    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_E_MODULE_LOAD);
    PT_CHECK(strstr(err.message, "no p11-kit module configuration no-such-module.module") != NULL);
}

typedef struct p11kit_case {
    void (*fn)(void *);
} p11kit_case;

/* Each case in a process of its own: the modules are loaded there, never here. */
static void run(void **state)
{
    const p11kit_case *c = *state;

    assert_int_equal(pt_isolated(c->fn, NULL), 0);
}

static p11kit_case c_proxy = {through_proxy};
static p11kit_case c_server = {through_server};
static p11kit_case c_uri = {module_in_the_uri};
static p11kit_case c_exit = {exit_with_the_proxy_open};

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"through_p11kit_proxy", run, NULL, NULL, &c_proxy},
        {"through_p11kit_server_and_client", run, NULL, NULL, &c_server},
        {"module_named_in_the_uri", run, NULL, NULL, &c_uri},
        {"exit_with_the_proxy_open", run, NULL, NULL, &c_exit},
    };

    return TEST_MAIN(tests, setup, teardown);
}
