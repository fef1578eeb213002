/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The check table (src/attest/checks.c): its invariants, the default policy
 * built from it, and the documents that name checks agreeing with it: the
 * man page p11tee-policy(5) and docs/DESIGN.md. With --man, prints the table
 * as docs/p11tee-policy.5 lists it (CHECK NAMES).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tdx.h"
#include "testlib.h"

#define S(x)    x, strlen(x)
#define ROW_MAX 512

/* ---- the table as p11tee-policy(5) shows it -------------------------------- */

#define POLICY_MAN "p11tee-policy.5"
#define DASH       " \\(em " /* between a row's names and the rest */

/* "tdx.collateral.*" for a family row; the family is the name up to its last dot. */
static void family_pattern(const attest_check_info *c, char *out, size_t n)
{
    snprintf(out, n, "%.*s.*", (int)(strrchr(c->name, '.') - c->name), c->name);
}

/* A check's two lines after ".TP": its name, area and default; its meaning. */
static void row_man(const attest_check_info *c, char *tag, size_t tn, char *text, size_t xn)
{
    char fam[ATTEST_NAME_MAX + 2], note[ATTEST_NAME_MAX + 24] = "";

    if (c->family) {
        family_pattern(c, fam, sizeof(fam));
        snprintf(note, sizeof(note), " (for \\fB%s\\fR)", fam);
    }
    snprintf(tag, tn, "\\fB%s\\fR" DASH "%s, %s%s", c->name, attest_area_name(c->area),
             p11tee_requirement_name(c->req), note);
    snprintf(text, xn, "%s", c->meaning);
}

static void print_man(void)
{
    char tag[ROW_MAX], text[ROW_MAX];
    int id;

    for (id = 0; id < ATTEST_CK_COUNT; id++) {
        row_man(&attest_checks[id], tag, sizeof(tag), text, sizeof(text));
        printf(".TP\n%s\n%s\n", tag, text);
    }
}

/* ---- reading the documents ------------------------------------------------- */

static char *read_doc(const char *name)
{
    char path[1024], *text;

    snprintf(path, sizeof(path), "%s/docs/%s", test_require_env("top_srcdir"), name);
    text = test_read_file(path, NULL);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    return text;
}

/*
 * The text under the heading `heading` ("\n## Trust decisions" in markdown,
 * "\n.SH DEFAULTS\n" in a man page) up to the next heading of its kind.
 */
static char *doc_section(const char *doc, const char *heading)
{
    const char *start = strstr(doc, heading), *end;

    if (start == NULL)
        fail_msg("the document has no section \"%s\"", heading);
    start += strlen(heading);
    end = strstr(start, strncmp(heading, "\n.SH", 4) == 0 ? "\n.SH " : "\n## ");
    if (end == NULL)
        end = start + strlen(start);
    return strndup(start, (size_t)(end - start));
}

/* Each `token` of a text, in order: *pos advances; NULL at the end. */
static const char *next_token(const char **pos, size_t *len)
{
    const char *open = strchr(*pos, '`'), *close;

    if (open == NULL || (close = strchr(open + 1, '`')) == NULL)
        return NULL;
    *pos = close + 1;
    *len = (size_t)(close - open - 1);
    return open + 1;
}

/* Each \\fBtoken\\fR of a man page's text, in order: *pos advances; NULL at the end. */
static const char *next_bold(const char **pos, size_t *len)
{
    const char *open = strstr(*pos, "\\fB"), *close;

    if (open == NULL || (close = strstr(open + 3, "\\f")) == NULL)
        return NULL;
    *pos = close + 3;
    *len = (size_t)(close - open - 3);
    return open + 3;
}

/* 1 when a token is shaped like a check name or a "prefix.*" pattern. */
static int check_shaped(const char *t, size_t len)
{
    size_t body = len >= 2 && t[len - 1] == '*' && t[len - 2] == '.' ? len - 2 : len;

    return body > 0 && body < ATTEST_NAME_MAX &&
           strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_.") >= body &&
           memchr(t, '.', len) != NULL && t[0] != '.' && t[body - 1] != '.';
}

/* 1 when `name` is in the family of pattern `pat` ("tdx.collateral.*") or is `pat`. */
static int pattern_covers(const char *pat, size_t len, const char *name)
{
    if (len >= 2 && pat[len - 1] == '*')
        return strncmp(name, pat, len - 2) == 0 && (name[len - 2] == '.' || name[len - 2] == '\0');
    return strlen(name) == len && strncmp(name, pat, len) == 0;
}

/* 1 for a file name ("tdx.h", "DESIGN.md"), which no check name looks like. */
static int file_shaped(const char *t, size_t len)
{
    static const char *const ext[] = {".c", ".h", ".md", ".py", ".sh", ".json", ".pem"};
    size_t i, n;

    for (i = 0; i < P11TEE_ARRAY_LEN(ext); i++)
        if (len > (n = strlen(ext[i])) && memcmp(t + len - n, ext[i], n) == 0)
            return 1;
    return 0;
}

/* The first namespace ("tdx", "server", ...) of a token, if some check has it. */
static int in_check_namespace(const char *t, size_t len)
{
    const char *dot = memchr(t, '.', len);
    int id;

    for (id = 0; dot != NULL && id < ATTEST_CK_COUNT; id++)
        if (strncmp(attest_checks[id].name, t, (size_t)(dot - t + 1)) == 0)
            return 1;
    return 0;
}

/* The number of checks a name or pattern covers. */
static int checks_covered(const char *t, size_t len)
{
    int id, n = 0;

    for (id = 0; id < ATTEST_CK_COUNT; id++)
        n += pattern_covers(t, len, attest_checks[id].name);
    return n;
}

/* ---- the table itself ------------------------------------------------------ */

static const char *area_namespace(attest_area a)
{
    switch (a) {
    case ATTEST_AREA_PIN: return "policy.";
    case ATTEST_AREA_TDX:
    case ATTEST_AREA_TDX_COLLATERAL:
    case ATTEST_AREA_TDX_WORKLOAD: return "tdx.";
    case ATTEST_AREA_NVIDIA: return "nvidia.";
    case ATTEST_AREA_SIGNATURE: return "signature.";
    case ATTEST_AREA_ACI: return "aci.";
    case ATTEST_AREA_RECEIPT: return NULL; /* receipt. and upstream. */
    case ATTEST_AREA_REPORT: return "report.";
    case ATTEST_AREA_RESPONSE: return NULL;
    }
    return NULL;
}

static void check_row(int id)
{
    const attest_check_info *c = &attest_checks[id];
    const char *ns;
    size_t n;
    int other;

    if (c->name == NULL || c->meaning == NULL || c->meaning[0] == '\0')
        fail_msg("check id %d has no entry in the table (or no meaning)", id);
    n = strlen(c->name);
    if (!check_shaped(c->name, n) || strchr(c->name, '*') != NULL || strstr(c->name, "..") != NULL)
        fail_msg("check %s: a name is dotted lowercase words of at most %d characters", c->name,
                 ATTEST_NAME_MAX - 1);
    if (strpbrk(c->meaning, "\\\n") != NULL || c->meaning[0] == '.' || c->meaning[0] == '\'')
        fail_msg("check %s: the meaning must be one line of man page text", c->name);
    if (strcmp(attest_area_name(c->area), "?") == 0)
        fail_msg("check %s: unknown area %d", c->name, (int)c->area);
    ns = area_namespace(c->area);
    if (ns != NULL && strncmp(c->name, ns, strlen(ns)) != 0)
        fail_msg("check %s: its area %s keeps names under %s", c->name, attest_area_name(c->area),
                 ns);
    assert_int_equal(attest_check_by_name(c->name), id);
    assert_string_equal(attest_check_name((attest_check_id)id), c->name);
    if (id > 0 && c->area < attest_checks[id - 1].area)
        fail_msg("check %s: the table keeps each area together, in area order", c->name);
    for (other = 0; c->family && other < ATTEST_CK_COUNT; other++) {
        char fam[ATTEST_NAME_MAX + 2];

        family_pattern(c, fam, sizeof(fam));
        if (pattern_covers(fam, strlen(fam), attest_checks[other].name) &&
            (!attest_checks[other].family || attest_checks[other].req != c->req))
            fail_msg("check %s: family %s has one default for all its checks, but %s differs",
                     c->name, fam, attest_checks[other].name);
    }
}

static void table_invariants(void **state)
{
    int id;

    (void)state;
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        check_row(id);
    assert_int_equal(attest_check_by_name("tdx.quote"), ATTEST_CK_COUNT);
    assert_int_equal(attest_check_by_name("tdx.quote.signaturex"), ATTEST_CK_COUNT);
    /* What tdx_verify() records is a range of the table: offline, then collateral. */
    assert_int_equal(TDX_CHECK_FIRST, ATTEST_CK_TDX_QUOTE_FORMAT + 1);
    for (id = ATTEST_CK_TDX_QUOTE_FORMAT; id < TDX_CHECK_END; id++)
        assert_int_equal(attest_checks[id].area,
                         id < TDX_COLLATERAL_FIRST ? ATTEST_AREA_TDX : ATTEST_AREA_TDX_COLLATERAL);
    /* Outside that range only evidence.c's own TDX workload checks are named tdx.*. */
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        if (id < ATTEST_CK_TDX_QUOTE_FORMAT || id >= TDX_CHECK_END)
            assert_true(strncmp(attest_checks[id].name, "tdx.", 4) != 0 ||
                        attest_checks[id].area == ATTEST_AREA_TDX_WORKLOAD);
}

/* ---- the default policy ---------------------------------------------------- */

static void default_policy_is_the_table(void **state)
{
    attest_policy *p, *f;
    p11tee_error err;
    char json[256], fam[ATTEST_NAME_MAX + 2];
    int id;

    (void)state;
    assert_int_equal(attest_policy_default(&p, NULL), P11TEE_OK);
    for (id = 0; id < ATTEST_CK_COUNT; id++) {
        const attest_check_info *c = &attest_checks[id];

        if (attest_policy_requirement(p, c->name) != c->req)
            fail_msg("check %s: the default policy says %s, the table %s", c->name,
                     p11tee_requirement_name(attest_policy_requirement(p, c->name)),
                     p11tee_requirement_name(c->req));
        if (!c->family)
            continue;
        /* A default stated for the family yields to the file's rule for it. */
        family_pattern(c, fam, sizeof(fam));
        snprintf(json, sizeof(json), "{\"checks\":{\"%s\":\"advisory\"}}", fam);
        assert_int_equal(attest_policy_parse(S(json), NULL, &f, &err), P11TEE_OK);
        assert_int_equal(attest_policy_requirement(f, c->name), P11TEE_ADVISORY);
        attest_policy_free(f);
    }
    /* A default stated for one name stays more specific than a file's family rule. */
    assert_int_equal(
        attest_policy_parse(S("{\"checks\":{\"signature.*\":\"required\"}}"), NULL, &f, &err),
        P11TEE_OK);
    assert_int_equal(attest_policy_requirement(f, "signature.model"), P11TEE_ADVISORY);
    assert_int_equal(attest_policy_requirement(f, "signature.text"), P11TEE_REQUIRED);
    attest_policy_free(f);
    /* Names outside the table fall to "*". */
    assert_int_equal(attest_policy_requirement(p, "tdx.collateralx"), P11TEE_REQUIRED);
    attest_policy_free(p);
}

/* Every check records under its table name, and the report finds it by that name. */
static void report_names_come_from_the_table(void **state)
{
    attest_report rep;
    const attest_check *c;
    int id;

    (void)state;
    attest_report_init(&rep);
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        attest_report_add(&rep, (attest_check_id)id, P11TEE_CHECK_PASS, P11TEE_OK, "%d", id);
    assert_int_equal(rep.count, ATTEST_CK_COUNT);
    for (id = 0; id < ATTEST_CK_COUNT; id++) {
        c = attest_report_find(&rep, attest_checks[id].name);
        assert_non_null(c);
        assert_int_equal(c->id, id);
        assert_int_equal(atoi(c->reason), id);
    }
}

/* ---- the documents --------------------------------------------------------- */

/*
 * p11tee-policy(5), CHECK NAMES: exactly the table, entry for entry (".TP",
 * the name, area and default, the meaning). A missing or unknown name is
 * named as such.
 */
static void policy_doc_lists_every_check(void **state)
{
    char *doc = read_doc(POLICY_MAN), *sec = doc_section(doc, "\n.SH \"CHECK NAMES\"\n"), *line;
    char tag[ROW_MAX], text[ROW_MAX], *save = NULL;
    int id, seen[ATTEST_CK_COUNT] = {0}, bad = 0, after_tp = 0;

    (void)state;
    for (line = strtok_r(sec, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *pos = line, *tok;
        char *meaning;
        size_t len;

        if (!after_tp || (tok = next_bold(&pos, &len)) == NULL || tok != line + 3) {
            after_tp = strcmp(line, ".TP") == 0;
            continue;
        }
        after_tp = 0;
        meaning = strtok_r(NULL, "\n", &save);
        for (id = 0; id < ATTEST_CK_COUNT; id++)
            if (strlen(attest_checks[id].name) == len &&
                strncmp(tok, attest_checks[id].name, len) == 0)
                break;
        if (id == ATTEST_CK_COUNT) {
            print_error(POLICY_MAN " names check %.*s, which does not exist\n", (int)len, tok);
            bad++;
            continue;
        }
        seen[id]++;
        row_man(&attest_checks[id], tag, sizeof(tag), text, sizeof(text));
        if (strcmp(line, tag) != 0 || meaning == NULL || strcmp(meaning, text) != 0) {
            print_error(POLICY_MAN ": the entry of %s differs from the table:\n  doc:   %s\n"
                                   "         %s\n  table: %s\n         %s\n",
                        attest_checks[id].name, line, meaning != NULL ? meaning : "", tag, text);
            bad++;
        }
    }
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        if (seen[id] != 1) {
            row_man(&attest_checks[id], tag, sizeof(tag), text, sizeof(text));
            print_error(POLICY_MAN " %s check %s (%d entries); its entry is\n  .TP\n  %s\n  %s\n",
                        seen[id] == 0 ? "misses" : "repeats", attest_checks[id].name, seen[id], tag,
                        text);
            bad++;
        }
    free(sec);
    free(doc);
    if (bad)
        fail_msg(POLICY_MAN " disagrees with src/attest/checks.c in %d place(s); "
                            "tests/attest/test_checks --man prints the list",
                 bad);
}

/* The requirement a man page entry spells after its names; 0 when it spells none. */
static int row_requirement(const char *rest, p11tee_requirement *out)
{
    static const p11tee_requirement all[] = {P11TEE_REQUIRED, P11TEE_IF_CHECKED, P11TEE_ADVISORY};
    char req[16] = "";
    size_t i;

    if (sscanf(rest, "%15[a-z-]", req) != 1)
        return 0;
    for (i = 0; i < P11TEE_ARRAY_LEN(all); i++)
        if (strcmp(req, p11tee_requirement_name(all[i])) == 0) {
            *out = all[i];
            return 1;
        }
    return 0;
}

/*
 * The entries ".TP" then "\\fBname\\fR, \\fBprefix.*\\fR \\(em requirement"
 * of `sec`: each name or pattern covers checks whose requirement in `want`
 * is that entry's (marked in `covered`); "*" only as required. Returns the
 * disagreements.
 */
static int doc_requirement_rows(char *sec, const p11tee_requirement want[ATTEST_CK_COUNT],
                                int covered[ATTEST_CK_COUNT], const char *what)
{
    char *line, *save = NULL;
    int id, bad = 0, after_tp = 0;

    for (line = strtok_r(sec, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *rest = strstr(line, DASH), *pos = line, *tok;
        p11tee_requirement req;
        size_t len;
        int tagged = after_tp;

        after_tp = strcmp(line, ".TP") == 0;
        if (!tagged || rest == NULL || !row_requirement(rest + strlen(DASH), &req))
            continue;
        while ((tok = next_bold(&pos, &len)) != NULL && tok < rest) {
            if (len == 1 && tok[0] == '*') {
                bad += req != P11TEE_REQUIRED;
                continue;
            }
            if (!check_shaped(tok, len) || checks_covered(tok, len) == 0) {
                print_error(POLICY_MAN " (%s) names %.*s, which is no check\n", what, (int)len,
                            tok);
                bad++;
                continue;
            }
            for (id = 0; id < ATTEST_CK_COUNT; id++) {
                if (!pattern_covers(tok, len, attest_checks[id].name))
                    continue;
                covered[id] = 1;
                if (req != want[id]) {
                    print_error(POLICY_MAN " (%s) says %s is %s; the policy: %s\n", what,
                                attest_checks[id].name, p11tee_requirement_name(req),
                                p11tee_requirement_name(want[id]));
                    bad++;
                }
            }
        }
    }
    return bad;
}

/*
 * p11tee-policy(5), THE BUILT-IN DEFAULT: each name or pattern of an entry
 * covers checks whose default is that entry's requirement, and every check
 * that is not required by default is covered.
 */
static void policy_doc_states_the_defaults(void **state)
{
    char *doc = read_doc(POLICY_MAN), *sec = doc_section(doc, "\n.SH \"THE BUILT-IN DEFAULT\"\n");
    p11tee_requirement want[ATTEST_CK_COUNT];
    int id, covered[ATTEST_CK_COUNT] = {0}, bad;

    (void)state;
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        want[id] = attest_checks[id].req;
    bad = doc_requirement_rows(sec, want, covered, "defaults");
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        if (!covered[id] && attest_checks[id].req != P11TEE_REQUIRED) {
            print_error(POLICY_MAN " (defaults) does not say that %s is %s\n",
                        attest_checks[id].name, p11tee_requirement_name(attest_checks[id].req));
            bad++;
        }
    free(sec);
    free(doc);
    if (bad)
        fail_msg(POLICY_MAN "'s built-in default disagrees with the table in %d place(s)", bad);
}

/*
 * p11tee-policy(5), PRESETS: the strict preset's entries state its
 * requirement of what they name, and name every check the preset changes.
 */
static void policy_doc_states_the_strict_preset(void **state)
{
    char *doc = read_doc(POLICY_MAN), *sec = doc_section(doc, "\n.SH PRESETS\n");
    p11tee_requirement want[ATTEST_CK_COUNT];
    int id, covered[ATTEST_CK_COUNT] = {0}, bad, changed = 0;
    attest_policy *strict = NULL;
    p11tee_error err;

    (void)state;
    assert_int_equal(attest_policy_load("strict", &strict, &err), P11TEE_OK);
    for (id = 0; id < ATTEST_CK_COUNT; id++)
        want[id] = attest_policy_requirement(strict, attest_checks[id].name);
    bad = doc_requirement_rows(sec, want, covered, "strict preset");
    for (id = 0; id < ATTEST_CK_COUNT; id++) {
        if (want[id] == attest_checks[id].req)
            continue;
        changed++;
        if (!covered[id]) {
            print_error(POLICY_MAN " (presets) does not say that strict makes %s %s\n",
                        attest_checks[id].name, p11tee_requirement_name(want[id]));
            bad++;
        }
    }
    attest_policy_free(strict);
    free(sec);
    free(doc);
    assert_true(changed > 0);
    if (bad)
        fail_msg(POLICY_MAN "'s strict preset disagrees with the policy in %d place(s)", bad);
}

/* docs/DESIGN.md's attestation sections name no check that does not exist. */
static void design_doc_names_real_checks(void **state)
{
    static const char *const sections[] = {"\n## Trust decisions", "\n## TDX quote verification",
                                           "\n## NVIDIA evidence", "\n## Response signatures"};
    char *doc = read_doc("DESIGN.md");
    size_t i, len, names = 0;
    int bad = 0;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(sections); i++) {
        char *sec = doc_section(doc, sections[i]);
        const char *pos = sec, *tok;

        while ((tok = next_token(&pos, &len)) != NULL) {
            if (!check_shaped(tok, len) || file_shaped(tok, len) || !in_check_namespace(tok, len))
                continue;
            names++;
            if (checks_covered(tok, len) == 0) {
                print_error("docs/DESIGN.md names check %.*s, which does not exist\n", (int)len,
                            tok);
                bad++;
            }
        }
        free(sec);
    }
    free(doc);
    assert_true(names > 0);
    if (bad)
        fail_msg("docs/DESIGN.md names %d check(s) the table does not have", bad);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_invariants),
        cmocka_unit_test(default_policy_is_the_table),
        cmocka_unit_test(report_names_come_from_the_table),
        cmocka_unit_test(policy_doc_lists_every_check),
        cmocka_unit_test(policy_doc_states_the_defaults),
        cmocka_unit_test(policy_doc_states_the_strict_preset),
        cmocka_unit_test(design_doc_names_real_checks),
    };

    if (argc == 2 && strcmp(argv[1], "--man") == 0) {
        print_man();
        return 0;
    }
    return TEST_MAIN(tests, NULL, NULL);
}
