/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The token check's report: steps, what the token said, the rates, the verdict, JSON. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/token_report.h"

static const char *const step_names[P11TEE_TOKEN_STEPS] = {
    "module", "token", "login", "keygen", "ecdh", "rate",
};

p11tee_token_report *token_report_new(void)
{
    return calloc(1, sizeof(p11tee_token_report));
}

void token_report_pass(p11tee_token_report *r, int step, const char *fmt, ...)
{
    va_list ap;

    r->steps[step].result = P11TEE_CHECK_PASS;
    r->steps[step].code = P11TEE_OK;
    va_start(ap, fmt);
    vsnprintf(r->steps[step].text, sizeof(r->steps[step].text), fmt, ap);
    va_end(ap);
}

/* The message, and the detail when it adds something (it never repeats the message). */
p11tee_status token_report_fail(p11tee_token_report *r, int step, const p11tee_error *err)
{
    r->steps[step].result = P11TEE_CHECK_FAIL;
    r->steps[step].code = err->code;
    snprintf(r->steps[step].text, sizeof(r->steps[step].text), "%s%s%s", err->message,
             err->detail[0] != '\0' ? " (cause: " : "", err->detail[0] != '\0' ? err->detail : "");
    if (err->detail[0] != '\0')
        strncat(r->steps[step].text, ")",
                sizeof(r->steps[step].text) - strlen(r->steps[step].text) - 1);
    return err->code;
}

void token_report_rates_done(p11tee_token_report *r)
{
    char *t = r->steps[P11TEE_TOKEN_STEP_RATE].text;
    size_t i, used = 0, cap = sizeof(r->steps[P11TEE_TOKEN_STEP_RATE].text);
    double best = 0;

    for (i = 0; i < r->nrates; i++) {
        if (r->rates[i].per_second > best)
            best = r->rates[i].per_second;
        used += (size_t)snprintf(
            t + used, cap - used, "%s%u session%s: %.0f ECDH/s (%.0f us each)", i ? "; " : "",
            r->rates[i].sessions, r->rates[i].sessions == 1 ? "" : "s", r->rates[i].per_second,
            r->rates[i].per_second > 0 ? 1e6 * r->rates[i].sessions / r->rates[i].per_second : 0.0);
        if (used >= cap)
            break;
    }
    r->steps[P11TEE_TOKEN_STEP_RATE].result = P11TEE_CHECK_PASS;
    r->streams = (unsigned long)(best / P11TEE_TOKEN_CHUNKS_PER_SECOND);
    if (r->streams >= 1)
        snprintf(r->verdict, sizeof(r->verdict),
                 "this token sustains about %lu concurrent stream%s at %d chunks/s", r->streams,
                 r->streams == 1 ? "" : "s", P11TEE_TOKEN_CHUNKS_PER_SECOND);
    else
        snprintf(r->verdict, sizeof(r->verdict),
                 "this token cannot sustain one stream at %d chunks/s (%.0f ECDH/s)",
                 P11TEE_TOKEN_CHUNKS_PER_SECOND, best);
}

int p11tee_token_report_step(const p11tee_token_report *r, p11tee_token_step step,
                             p11tee_token_step_info *out)
{
    if (r == NULL || out == NULL || (int)step < 0 || step >= P11TEE_TOKEN_STEPS)
        return -1;
    out->name = step_names[step];
    out->result = r->steps[step].result;
    out->code = r->steps[step].code;
    out->text = r->steps[step].text;
    return 0;
}

const char *p11tee_token_report_get(const p11tee_token_report *r, const char *field)
{
    const struct {
        const char *name, *v;
    } * f, fields[] = {
               {"module", r != NULL ? r->info.module : NULL},
               {"library", r != NULL ? r->info.library : NULL},
               {"slot", r != NULL ? r->info.slot : NULL},
               {"label", r != NULL ? r->info.label : NULL},
               {"serial", r != NULL ? r->info.serial : NULL},
               {"model", r != NULL ? r->info.model : NULL},
               {"manufacturer", r != NULL ? r->info.manufacturer : NULL},
               {"flags", r != NULL ? r->info.flags : NULL},
               {"pin_from", r != NULL ? r->info.pin_from : NULL},
               {"attributes", r != NULL ? r->attributes : NULL},
               {"attributes_promised", HSM_KEY_ATTRIBUTES_PROMISED},
           };
    size_t i;

    if (r == NULL || field == NULL)
        return NULL;
    for (i = 0; i < P11TEE_ARRAY_LEN(fields); i++) {
        f = &fields[i];
        if (strcmp(field, f->name) == 0)
            return f->v != NULL && f->v[0] != '\0' ? f->v : NULL;
    }
    return NULL;
}

size_t p11tee_token_report_rate_count(const p11tee_token_report *r)
{
    return r != NULL ? r->nrates : 0;
}

int p11tee_token_report_rate(const p11tee_token_report *r, size_t index, p11tee_token_rate *out)
{
    if (r == NULL || out == NULL || index >= r->nrates)
        return -1;
    *out = r->rates[index];
    return 0;
}

unsigned long p11tee_token_report_streams(const p11tee_token_report *r)
{
    return r != NULL ? r->streams : 0;
}

const char *p11tee_token_report_verdict(const p11tee_token_report *r)
{
    return r != NULL && r->verdict[0] != '\0' ? r->verdict : NULL;
}

/* ---- JSON -------------------------------------------------------------------------- */

/* The document is whole or not made (sjson_set): a report with a step left out would say less. */
static json_object *steps_json(const p11tee_token_report *r, int *ok)
{
    json_object *a = json_object_new_array(), *s;
    size_t i;

    for (i = 0; i < P11TEE_TOKEN_STEPS; i++) {
        s = json_object_new_object();
        sjson_set(s, "name", json_object_new_string(step_names[i]), ok);
        sjson_set(s, "result", json_object_new_string(p11tee_check_result_name(r->steps[i].result)),
                  ok);
        sjson_set(s, "code", json_object_new_int(r->steps[i].code), ok);
        sjson_set(s, "text", json_object_new_string(r->steps[i].text), ok);
        sjson_push(a, s, ok);
    }
    return a;
}

static json_object *token_json(const p11tee_token_report *r, int *ok)
{
    static const char *const fields[] = {"module", "library",      "slot",  "label",   "serial",
                                         "model",  "manufacturer", "flags", "pin_from"};
    json_object *o = json_object_new_object();
    const char *v;
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(fields); i++) {
        v = p11tee_token_report_get(r, fields[i]);
        sjson_set_nullable(o, fields[i], v != NULL, v != NULL ? json_object_new_string(v) : NULL,
                           ok);
    }
    return o;
}

static json_object *rates_json(const p11tee_token_report *r, int *ok)
{
    json_object *a = json_object_new_array(), *o;
    size_t i;

    for (i = 0; i < r->nrates; i++) {
        o = json_object_new_object();
        sjson_set(o, "sessions", json_object_new_int((int)r->rates[i].sessions), ok);
        sjson_set(o, "derives", json_object_new_int64((int64_t)r->rates[i].derives), ok);
        sjson_set(o, "seconds", json_object_new_double(r->rates[i].seconds), ok);
        sjson_set(o, "per_second", json_object_new_double(r->rates[i].per_second), ok);
        sjson_push(a, o, ok);
    }
    return a;
}

char *p11tee_token_report_json(const p11tee_token_report *r)
{
    json_object *o;
    const char *attrs;
    int passed = 1, ok = 1, v = 0;
    size_t i;

    if (r == NULL || (o = json_object_new_object()) == NULL)
        return NULL;
    for (i = 0; i < P11TEE_TOKEN_STEPS; i++)
        passed &= r->steps[i].result != P11TEE_CHECK_FAIL;
    attrs = p11tee_token_report_get(r, "attributes");
    v = r->verdict[0] != '\0';
    sjson_set(o, "ok", json_object_new_boolean(passed), &ok);
    sjson_set(o, "steps", steps_json(r, &ok), &ok);
    sjson_set(o, "token", token_json(r, &ok), &ok);
    sjson_set_nullable(o, "attributes", attrs != NULL,
                       attrs != NULL ? json_object_new_string(attrs) : NULL, &ok);
    sjson_set(o, "attributes_promised", json_object_new_string(HSM_KEY_ATTRIBUTES_PROMISED), &ok);
    sjson_set(o, "rates", rates_json(r, &ok), &ok);
    sjson_set(o, "chunks_per_second", json_object_new_int(P11TEE_TOKEN_CHUNKS_PER_SECOND), &ok);
    sjson_set_nullable(o, "streams", v, v ? json_object_new_int64((int64_t)r->streams) : NULL, &ok);
    sjson_set_nullable(o, "verdict", v, v ? json_object_new_string(r->verdict) : NULL, &ok);
    return sjson_finish(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, ok);
}

void p11tee_token_report_free(p11tee_token_report *r)
{
    free(r);
}
