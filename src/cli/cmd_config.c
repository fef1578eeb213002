/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee config: every setting, where it came from, and (--check) whether it holds. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cli/cli.h"

static const char config_help[] =
    "Usage: p11tee config [--check] [--json]\n"
    "Print every setting p11tee would use and where it came from: the default, the\n"
    "system file, the user's file, the environment or an option. Secrets show as <set>.\n"
    "  --check   also check every local setting as chat would (policy, CA file, URLs,\n"
    "            API key, token URI, module and PIN file), without any network request\n"
    "  --json    the settings (and the check) as a JSON object\n"
    "Files: " SYSCONFDIR "/p11tee/config, then $P11TEE_CONFIG or\n"
    "~/.config/p11tee/config, \"key = value\" per line (see p11tee(1), FILES).\n";

/* The value as shown: secrets and PINs never. */
static const char *config_shown(int k, const char *value, char *buf, size_t cap)
{
    if (value == NULL)
        return NULL;
    if (cli_keys[k].kind == CLI_KIND_SECRET)
        return "<set>";
    if (k == CLI_K_TOKEN && strcasestr(value, "pin-value") != NULL)
        return "<set: holds a pin-value, not shown>";
    snprintf(buf, cap, "%s", value);
    return buf;
}

/* Where the PIN will come from, in words (the PIN itself is never shown). */
static void config_pin(const cli_global *g, char *value, size_t vcap, char *origin, size_t ocap)
{
    cli_setting tok;
    const char *env = getenv("P11TEE_PIN");

    cli_setting_get(g, CLI_K_TOKEN, &tok);
    snprintf(origin, ocap, "%s", tok.value != NULL ? tok.origin : "default");
    if (tok.value != NULL && strcasestr(tok.value, "pin-value") != NULL)
        snprintf(value, vcap, "<set> (pin-value in pkcs11-token)");
    else if (tok.value != NULL && strcasestr(tok.value, "pin-source") != NULL)
        snprintf(value, vcap, "from the pin-source file in pkcs11-token");
    else if (env != NULL && env[0] != '\0') {
        snprintf(value, vcap, "<set>");
        snprintf(origin, ocap, "P11TEE_PIN");
    } else {
        snprintf(value, vcap, "(not set: a PIN pad, or asked on the terminal)");
        snprintf(origin, ocap, "default");
    }
}

static const char *config_layer_name(cli_layer l)
{
    switch (l) {
    case CLI_FROM_DEFAULT: return "default";
    case CLI_FROM_SYSTEM: return "system file";
    case CLI_FROM_USER: return "user file";
    case CLI_FROM_ENV: return "environment";
    case CLI_FROM_FLAG: return "option";
    }
    return "?";
}

static void config_row_text(const char *key, const char *value, const char *origin)
{
    printf("%-20s ", key);
    cli_put_line(stdout, value);
    printf("%*s  ", (int)(value != NULL && strlen(value) < 46 ? 46 - strlen(value) : 0), "");
    cli_put_line(stdout, origin);
    putchar('\n');
}

static json_object *config_row_json(const char *key, const char *value, int set, const char *origin,
                                    const char *layer)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "key", json_object_new_string(key));
    json_object_object_add(o, "value", value != NULL ? json_object_new_string(value) : NULL);
    json_object_object_add(o, "set", json_object_new_boolean(set));
    json_object_object_add(o, "origin", json_object_new_string(origin));
    json_object_object_add(o, "layer", json_object_new_string(layer));
    return o;
}

/* The two files and whether they exist. */
static void config_files(json_object *files)
{
    char user[4096];
    const char *paths[2];
    struct stat st;
    int named;
    size_t i;

    paths[0] = cli_conf_system_path();
    paths[1] = cli_conf_user_path(user, sizeof(user), &named) == 0 ? user : "";
    for (i = 0; i < 2; i++) {
        int present = paths[i][0] != '\0' && stat(paths[i], &st) == 0;

        if (files != NULL) {
            json_object *o = json_object_new_object();

            json_object_object_add(o, "path", json_object_new_string(paths[i]));
            json_object_object_add(o, "layer", json_object_new_string(i ? "user" : "system"));
            json_object_object_add(o, "present", json_object_new_boolean(present));
            json_object_array_add(files, o);
        } else {
            printf("# %s file: %s%s\n", i ? "user" : "system",
                   paths[i][0] ? paths[i] : "(none: no home directory)",
                   paths[i][0] && !present ? " (not present)" : "");
        }
    }
}

static void config_print(const cli_global *g, json_object *root)
{
    json_object *rows = root != NULL ? json_object_new_array() : NULL;
    json_object *files = root != NULL ? json_object_new_array() : NULL;
    char buf[4096], pin[128], pin_origin[CLI_ORIGIN_MAX];
    cli_setting s;
    const char *shown;
    size_t k;

    config_files(files);
    for (k = 0; k < CLI_KEY_COUNT; k++) {
        cli_setting_get(g, (int)k, &s);
        shown = config_shown((int)k, s.value, buf, sizeof(buf));
        if (shown == NULL && cli_keys[k].dflt != NULL)
            shown = cli_keys[k].dflt;
        if (rows != NULL)
            json_object_array_add(rows, config_row_json(cli_keys[k].name, shown, s.value != NULL,
                                                        s.origin, config_layer_name(s.layer)));
        else
            config_row_text(cli_keys[k].name, shown != NULL ? shown : "(not set)", s.origin);
    }
    config_pin(g, pin, sizeof(pin), pin_origin, sizeof(pin_origin));
    if (rows != NULL) {
        json_object_array_add(rows,
                              config_row_json("pin", pin, pin[0] == '<', pin_origin, "derived"));
        json_object_object_add(root, "files", files);
        json_object_object_add(root, "settings", rows);
    } else {
        config_row_text("pin", pin, pin_origin);
    }
}

/* What chat would check: the API key always, the token when one is configured. */
static int config_check(const cli_global *g)
{
    cli_setting tok, mod;
    p11tee_config *cfg;
    unsigned what = P11TEE_CHECK_API_KEY;
    int rc = CLI_EXIT_OK;

    cli_setting_get(g, CLI_K_TOKEN, &tok);
    cli_setting_get(g, CLI_K_MODULE, &mod);
    if (tok.value != NULL || mod.value != NULL)
        what |= P11TEE_CHECK_TOKEN;
    if ((cfg = cli_config(g, &rc)) == NULL)
        return rc;
    rc = cli_config_check(cfg, what);
    p11tee_config_free(cfg);
    return rc;
}

int cmd_config(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {
        {"check", no_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    json_object *root = NULL;
    int opt, rc, check = 0, json = 0;

    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
        switch (opt) {
        case 'c': check = 1; break;
        case 'j': json = 1; break;
        default:
            if ((rc = cli_other_option(g, opt, config_help)) >= 0)
                return rc;
        }
    }
    if (optind != argc) {
        fputs(config_help, stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_conf_load() != 0)
        return CLI_EXIT_GENERAL;
    if (json)
        root = json_object_new_object();
    config_print(g, root);
    rc = check ? config_check(g) : CLI_EXIT_OK;
    if (root != NULL) {
        if (check)
            json_object_object_add(root, "check", json_object_new_boolean(rc == CLI_EXIT_OK));
        if (rc != CLI_EXIT_OK)
            cli_json_add_error(root, rc);
        cli_json_print(root);
        json_object_put(root);
    } else if (check && rc == CLI_EXIT_OK) {
        printf("check: every local setting holds (nothing was sent)\n");
    }
    return rc;
}
