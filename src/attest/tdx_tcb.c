/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What verified TDX collateral says about one quote: collateral dates, the
 * platform (FMSPC, PCE-ID and SGX TCB from the PCK certificate's SGX
 * extension), the QE identity, the TDX module identity and the TCB level
 * with its status. The algorithm follows Intel's quote verification library
 * (TcbLevelCheck, TdxModuleCheck, EnclaveReportVerifier): the first TCB level
 * whose SGX components and PCESVN the PCK certificate meets and whose TDX
 * components TEE_TCB_SVN meets gives the status, which the TDX module's and
 * the QE's own TCB status can only lower. TCB levels are taken in the order
 * of the signed TCB info (Intel lists them from highest to lowest).
 *
 * collateral.c decides which documents are authentic and calls this file;
 * nothing here calls back into it.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"

/* ---- JSON fields of the signed TCB info and QE identity ------------------ */

const char *tdx_json_str(json_object *obj, const char *key, size_t *len)
{
    strview v;

    if (sjson_get_str(obj, key, 1, "TDX collateral", &v, NULL) != P11TEE_OK)
        return NULL;
    if (len != NULL)
        *len = v.len;
    return v.p;
}

static int hex_field(json_object *obj, const char *key, uint8_t *out, size_t n)
{
    size_t len, got;
    const char *s = tdx_json_str(obj, key, &len);

    return s != NULL && len == 2 * n && hex_decode(s, len, out, n, &got, NULL) == P11TEE_OK &&
           got == n;
}

static int int_field(json_object *obj, const char *key, int max, int *out)
{
    json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    *out = json_object_get_int(v);
    return *out >= 0 && *out <= max && json_object_get_int64(v) == *out;
}

static json_object *array_field(json_object *obj, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

/* "YYYY-MM-DDThh:mm:ssZ", as Intel writes issueDate and nextUpdate. */
static int iso_time(const char *s, time_t *out)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    struct tm tm;
    size_t i;

    if (s == NULL || strlen(s) != sizeof(shape) - 1)
        return 0;
    for (i = 0; i < sizeof(shape) - 1; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
    tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
    tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
    tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
    tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
    tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return 0;
    *out = timegm(&tm);
    return 1;
}

static tdx_tcb_status status_field(json_object *obj)
{
    tdx_tcb_status s;
    const char *name = tdx_json_str(obj, "tcbStatus", NULL);

    if (name == NULL || tdx_tcb_status_from_name(name, &s, NULL) != P11TEE_OK)
        return TDX_TCB_UNKNOWN;
    return s;
}

/* ---- dates --------------------------------------------------------------- */

/* NULL when issueDate <= at <= nextUpdate, else what is wrong. */
static const char *dates_problem(json_object *obj, time_t at, char *buf, size_t len)
{
    const char *issue = tdx_json_str(obj, "issueDate", NULL);
    const char *next = tdx_json_str(obj, "nextUpdate", NULL);
    time_t ti, tn;

    if (!iso_time(issue, &ti) || !iso_time(next, &tn))
        snprintf(buf, len, "issueDate/nextUpdate missing or not YYYY-MM-DDThh:mm:ssZ");
    else if (at < ti)
        snprintf(buf, len, "issued %s, after the verification time", issue);
    else if (at > tn)
        snprintf(buf, len, "expired: nextUpdate %s is before the verification time", next);
    else
        return NULL;
    return buf;
}

static void check_dates(json_object *tcb, json_object *qe, time_t at, attest_report *rep)
{
    char when[ATTEST_TIME_TEXT], b1[96], b2[96];
    const char *p1, *p2;

    if (tcb == NULL || qe == NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_DATES, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "TCB info or QE identity is not authentic (see their signature checks)");
        return;
    }
    attest_time_text(at, when);
    p1 = dates_problem(tcb, at, b1, sizeof(b1));
    p2 = dates_problem(qe, at, b2, sizeof(b2));
    if (p1 != NULL || p2 != NULL)
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_DATES, P11TEE_CHECK_FAIL,
                          P11TEE_E_COLLATERAL, "at %s: %s %s", when,
                          p1 != NULL ? "TCB info" : "QE identity", p1 != NULL ? p1 : p2);
    else
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_DATES, P11TEE_CHECK_PASS, P11TEE_OK,
                          "TCB info (next update %s) and QE identity (next update %s) current at "
                          "%s",
                          tdx_json_str(tcb, "nextUpdate", NULL),
                          tdx_json_str(qe, "nextUpdate", NULL), when);
}

int tdx_doc_dates(json_object *doc, time_t *issue, time_t *next)
{
    return iso_time(tdx_json_str(doc, "issueDate", NULL), issue) &&
           iso_time(tdx_json_str(doc, "nextUpdate", NULL), next);
}

/* How old the authentic documents are: the older issueDate, against max_age_days. */
static void check_age(json_object *tcb, json_object *qe, const tdx_verify_opts *o, time_t at,
                      attest_report *rep, tdx_verdict *v)
{
    time_t t1, t2, n1, n2, issued;
    char when[ATTEST_TIME_TEXT];
    long days;

    if (tcb == NULL || qe == NULL || !tdx_doc_dates(tcb, &t1, &n1) ||
        !tdx_doc_dates(qe, &t2, &n2)) {
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_AGE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no authentic, dated TCB info and QE identity (see the checks above)");
        return;
    }
    issued = t1 < t2 ? t1 : t2;
    v->collateral_issued = issued;
    attest_time_text(issued, when);
    days = at > issued ? (long)((at - issued) / 86400) : 0;
    if (o->max_age_days <= 0)
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_AGE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "issued %s, %ld day%s before the verification time; the policy sets no "
                          "tdx.collateral.max_age_days",
                          when, days, days == 1 ? "" : "s");
    else if (at - issued > (time_t)o->max_age_days * 86400)
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_AGE, P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL,
                          "issued %s, %ld day%s before the verification time: older than the "
                          "policy's %d days (run p11tee collateral fetch)",
                          when, days, days == 1 ? "" : "s", o->max_age_days);
    else
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_AGE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "issued %s, %ld day%s before the verification time (at most %d)", when,
                          days, days == 1 ? "" : "s", o->max_age_days);
}

/* ---- platform: FMSPC and PCE-ID ------------------------------------------ */

static int check_platform(json_object *tcb, X509 *leaf, tdx_pck_tcb *pck, attest_report *rep)
{
    uint8_t fmspc[6], pceid[2];
    char want[13], got[13];
    int version;
    const char *id = tcb != NULL ? tdx_json_str(tcb, "id", NULL) : NULL;

    if (tcb == NULL || leaf == NULL) {
        attest_report_add(
            rep, ATTEST_CK_TDX_COLLATERAL_FMSPC, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
            leaf == NULL ? "the PCK chain did not verify" : "TCB info is not authentic");
        return 0;
    }
    if (id == NULL || strcmp(id, "TDX") != 0 || !int_field(tcb, "version", 1000, &version) ||
        version != 3 || !hex_field(tcb, "fmspc", fmspc, 6) || !hex_field(tcb, "pceId", pceid, 2)) {
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_FMSPC, P11TEE_CHECK_FAIL,
                          P11TEE_E_COLLATERAL,
                          "TCB info is not TDX TCB info version 3 with fmspc and pceId");
        return 0;
    }
    if (!tdx_pck_tcb_read(leaf, pck)) {
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_FMSPC, P11TEE_CHECK_FAIL,
                          P11TEE_E_PCK_CHAIN,
                          "the PCK certificate has no readable SGX extension "
                          "(1.2.840.113741.1.13.1: FMSPC, PCE-ID, TCB)");
        return 0;
    }
    hex_encode(fmspc, 6, want, sizeof(want));
    hex_encode(pck->fmspc, 6, got, sizeof(got));
    if (memcmp(fmspc, pck->fmspc, 6) != 0 || memcmp(pceid, pck->pceid, 2) != 0) {
        attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_FMSPC, P11TEE_CHECK_FAIL,
                          P11TEE_E_COLLATERAL,
                          "TCB info is for FMSPC %s PCE-ID %02x%02x, the PCK certificate for "
                          "FMSPC %s PCE-ID %02x%02x: use this platform's collateral",
                          want, pceid[0], pceid[1], got, pck->pceid[0], pck->pceid[1]);
        return 0;
    }
    attest_report_add(rep, ATTEST_CK_TDX_COLLATERAL_FMSPC, P11TEE_CHECK_PASS, P11TEE_OK,
                      "TDX TCB info v3 for FMSPC %s PCE-ID %02x%02x matches the PCK certificate",
                      got, pceid[0], pceid[1]);
    return 1;
}

/* ---- QE identity ----------------------------------------------------------- */

/* Masked report bytes must equal the identity's bytes (Intel's comparison). */
static int masked_equal(const uint8_t *report, const uint8_t *want, const uint8_t *mask, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if ((report[i] & mask[i]) != want[i])
            return 0;
    return 1;
}

static const char *qe_mismatch(json_object *id, const uint8_t *r)
{
    uint8_t misc[4], misc_mask[4], attr[16], attr_mask[16], mrsigner[32];
    int prodid, version;
    const char *name = tdx_json_str(id, "id", NULL);

    if (name == NULL || strcmp(name, "TD_QE") != 0 || !int_field(id, "version", 1000, &version) ||
        version != 2)
        return "QE identity is not a TD_QE identity version 2";
    if (!hex_field(id, "miscselect", misc, 4) || !hex_field(id, "miscselectMask", misc_mask, 4) ||
        !hex_field(id, "attributes", attr, 16) || !hex_field(id, "attributesMask", attr_mask, 16) ||
        !hex_field(id, "mrsigner", mrsigner, 32) || !int_field(id, "isvprodid", 65535, &prodid))
        return "QE identity lacks miscselect, attributes, their masks, mrsigner or isvprodid";
    if (memcmp(r + 128, mrsigner, 32) != 0)
        return "QE MRSIGNER is not the one the QE identity names";
    if ((r[256] | (r[257] << 8)) != prodid)
        return "QE ISVPRODID differs from the QE identity's";
    if (!masked_equal(r + 16, misc, misc_mask, 4))
        return "QE MISCSELECT under miscselectMask differs from the QE identity's";
    if (!masked_equal(r + 48, attr, attr_mask, 16))
        return "QE ATTRIBUTES under attributesMask differ from the QE identity's";
    return NULL;
}

/*
 * The first of `owner`'s tcbLevels whose tcb.isvsvn `isvsvn` meets (the QE
 * identity's and the TDX module identities' shape): 1 with `*lvl` and
 * `*level_svn`, 0 when none does, -1 when a level is malformed.
 */
static int isvsvn_level(json_object *owner, unsigned isvsvn, json_object **lvl, int *level_svn)
{
    json_object *levels = array_field(owner, "tcbLevels"), *tcb;
    size_t i;

    if (levels == NULL)
        return -1;
    for (i = 0; i < json_object_array_length(levels); i++) {
        *lvl = json_object_array_get_idx(levels, i);
        if (!json_object_object_get_ex(*lvl, "tcb", &tcb) ||
            !int_field(tcb, "isvsvn", 65535, level_svn) || status_field(*lvl) == TDX_TCB_UNKNOWN)
            return -1;
        if ((int)isvsvn >= *level_svn)
            return 1;
    }
    return 0;
}

/* Intel: a QE or TDX module level that is not UpToDate or Revoked counts as OutOfDate. */
static tdx_tcb_status identity_status(json_object *lvl)
{
    tdx_tcb_status s = status_field(lvl);

    return s == TDX_TCB_UP_TO_DATE || s == TDX_TCB_REVOKED ? s : TDX_TCB_OUT_OF_DATE;
}

static int check_qe_identity(json_object *id, const tdx_quote *q, tdx_tcb_status *qe_status,
                             attest_report *rep)
{
    const uint8_t *r = q->qe_report;
    unsigned isvsvn = (unsigned)(r[258] | (r[259] << 8));
    json_object *lvl = NULL;
    const char *bad;
    int level = -1, found;

    if (id == NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_QE_IDENTITY, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "QE identity is not authentic (see %s)",
                          attest_check_name(ATTEST_CK_TDX_COLLATERAL_QE_IDENTITY));
        return 0;
    }
    bad = qe_mismatch(id, r);
    found = bad == NULL ? isvsvn_level(id, isvsvn, &lvl, &level) : 0;
    if (bad == NULL && found < 0)
        bad = "QE identity tcbLevels are malformed (tcb.isvsvn and a known tcbStatus each)";
    if (bad != NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_QE_IDENTITY, P11TEE_CHECK_FAIL, P11TEE_E_QE_IDENTITY,
                          "%s", bad);
        return 0;
    }
    if (found == 0) {
        attest_report_add(rep, ATTEST_CK_TDX_QE_IDENTITY, P11TEE_CHECK_FAIL, P11TEE_E_QE_IDENTITY,
                          "QE ISVSVN %u is below every TCB level of the QE identity (TCB not "
                          "supported)",
                          isvsvn);
        return 0;
    }
    *qe_status = identity_status(lvl);
    attest_report_add(rep, ATTEST_CK_TDX_QE_IDENTITY, P11TEE_CHECK_PASS, P11TEE_OK,
                      "QE MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES match; ISVSVN %u >= %d: "
                      "QE TCB %s",
                      isvsvn, level, tdx_tcb_status_name(*qe_status));
    return 1;
}

/* ---- TDX module identity ------------------------------------------------- */

/* TEE_TCB_SVN[1] > 0 names module identity "TDX_<hex>" (TDX 1.5 and later). */
static json_object *module_identity(json_object *tcb, uint8_t version)
{
    json_object *ids = array_field(tcb, "tdxModuleIdentities");
    char want[8];
    size_t i;

    snprintf(want, sizeof(want), "TDX_%02X", version);
    for (i = 0; ids != NULL && i < json_object_array_length(ids); i++) {
        json_object *m = json_object_array_get_idx(ids, i);
        const char *id = tdx_json_str(m, "id", NULL);

        if (id != NULL && strcasecmp(id, want) == 0)
            return m;
    }
    return NULL;
}

static const char *module_mismatch(json_object *m, const tdx_quote *q)
{
    uint8_t mrsigner[TDX_MR_BYTES], attr[8], mask[8];
    size_t i;

    if (m == NULL)
        return "TCB info has no TDX module identity for this TEE_TCB_SVN";
    if (!hex_field(m, "mrsigner", mrsigner, TDX_MR_BYTES) || !hex_field(m, "attributes", attr, 8) ||
        !hex_field(m, "attributesMask", mask, 8))
        return "TDX module identity lacks mrsigner, attributes or attributesMask";
    if (memcmp(mrsigner, q->mr_signer_seam, TDX_MR_BYTES) != 0)
        return "MRSIGNERSEAM is not the TDX module signer the TCB info names";
    for (i = 0; i < 8; i++)
        if ((q->seam_attributes[i] & mask[i]) != (attr[i] & mask[i]))
            return "SEAMATTRIBUTES under the mask differ from the TDX module identity's";
    return NULL;
}

static int check_module(json_object *tcb, const tdx_quote *q, tdx_tcb_status *mod_status,
                        attest_report *rep)
{
    uint8_t version = q->tee_tcb_svn[1], isvsvn = q->tee_tcb_svn[0];
    json_object *m = NULL, *lvl = NULL;
    const char *bad;
    int found, level = -1;

    if (tcb == NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_TDX_MODULE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "TCB info is not authentic (see %s)",
                          attest_check_name(ATTEST_CK_TDX_COLLATERAL_TCB_INFO));
        return 0;
    }
    if (version == 0)
        json_object_object_get_ex(tcb, "tdxModule", &m);
    else
        m = module_identity(tcb, version);
    bad = module_mismatch(m, q);
    if (bad == NULL && version > 0) {
        found = isvsvn_level(m, isvsvn, &lvl, &level);
        if (found < 0)
            bad = "TDX module identity tcbLevels are malformed";
        else if (found == 0)
            bad = "TDX module SVN is below every TCB level of its identity";
    }
    if (bad != NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_TDX_MODULE, P11TEE_CHECK_FAIL, P11TEE_E_TDX_MODULE,
                          "%s (TEE_TCB_SVN: module version %u, SVN %u)", bad, version, isvsvn);
        return 0;
    }
    /* A TDX 1.0 module (no version byte) has no TCB levels of its own. */
    *mod_status = version == 0 ? TDX_TCB_UP_TO_DATE : identity_status(lvl);
    if (version == 0)
        attest_report_add(rep, ATTEST_CK_TDX_TDX_MODULE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "MRSIGNERSEAM and SEAMATTRIBUTES match the TCB info's TDX module");
    else
        attest_report_add(rep, ATTEST_CK_TDX_TDX_MODULE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "MRSIGNERSEAM and SEAMATTRIBUTES match TDX_%02X; module SVN %u >= %d: %s",
                          version, isvsvn, level, tdx_tcb_status_name(*mod_status));
    return 1;
}

/* ---- TCB level and status ------------------------------------------------ */

static int svn_array(json_object *tcb, const char *key, uint8_t out[16])
{
    json_object *a = array_field(tcb, key);
    size_t i;
    int svn;

    if (a == NULL || json_object_array_length(a) != 16)
        return 0;
    for (i = 0; i < 16; i++) {
        if (!int_field(json_object_array_get_idx(a, i), "svn", 255, &svn))
            return 0;
        out[i] = (uint8_t)svn;
    }
    return 1;
}

static int all_at_least(const uint8_t *have, const uint8_t *need, size_t from)
{
    size_t i;

    for (i = from; i < 16; i++)
        if (have[i] < need[i])
            return 0;
    return 1;
}

/*
 * The TDX TCB level: the first level whose SGX components and PCESVN the PCK
 * certificate meets and whose TDX components TEE_TCB_SVN meets (from index 2
 * when TEE_TCB_SVN[1] names a module version, whose SVN the module identity
 * rated). -1 when any level is malformed.
 */
static int tcb_level(json_object *levels, const tdx_pck_tcb *pck, const uint8_t tee[16],
                     json_object **sgx_lvl, json_object **tdx_lvl)
{
    size_t i;

    *sgx_lvl = *tdx_lvl = NULL;
    for (i = 0; i < json_object_array_length(levels); i++) {
        json_object *lvl = json_object_array_get_idx(levels, i), *tcb;
        uint8_t sgx[16], tdx[16];
        int pcesvn;

        if (!json_object_object_get_ex(lvl, "tcb", &tcb) ||
            !svn_array(tcb, "sgxtcbcomponents", sgx) || !svn_array(tcb, "tdxtcbcomponents", tdx) ||
            !int_field(tcb, "pcesvn", 65535, &pcesvn) || status_field(lvl) == TDX_TCB_UNKNOWN)
            return -1;
        /* Past the match, levels are still read: a malformed one voids the TCB info. */
        if (*tdx_lvl != NULL || !all_at_least(pck->comp, sgx, 0) || pck->pcesvn < (unsigned)pcesvn)
            continue;
        if (*sgx_lvl == NULL)
            *sgx_lvl = lvl;
        if (all_at_least(tee, tdx, tee[1] > 0 ? 2 : 0))
            *tdx_lvl = lvl;
    }
    return *tdx_lvl != NULL;
}

/* A module's or the QE's OutOfDate/Revoked lowers the platform status. */
static tdx_tcb_status converge(tdx_tcb_status level, tdx_tcb_status other)
{
    if (other == TDX_TCB_REVOKED)
        return TDX_TCB_REVOKED;
    if (other != TDX_TCB_OUT_OF_DATE)
        return level;
    if (level == TDX_TCB_UP_TO_DATE || level == TDX_TCB_SW_HARDENING_NEEDED)
        return TDX_TCB_OUT_OF_DATE;
    if (level == TDX_TCB_CONFIGURATION_NEEDED ||
        level == TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
        return TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
    return level;
}

static void accepted_text(unsigned mask, char *out, size_t len)
{
    size_t used = 0;
    int s;

    out[0] = '\0';
    for (s = TDX_TCB_UP_TO_DATE; s <= TDX_TCB_REVOKED; s++)
        if ((mask & TDX_TCB_BIT(s)) && used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "",
                                     tdx_tcb_status_name((tdx_tcb_status)s));
}

static void advisories_text(json_object *lvl, char *out, size_t len)
{
    json_object *ids = array_field(lvl, "advisoryIDs");
    size_t i, used = 0;

    snprintf(out, len, "none");
    for (i = 0; ids != NULL && i < json_object_array_length(ids) && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "",
                                 json_object_get_string(json_object_array_get_idx(ids, i)));
}

static void rate_tcb(json_object *tcb, const tdx_quote *q, const tdx_pck_tcb *pck,
                     tdx_tcb_status mod, tdx_tcb_status qe, unsigned accepted, attest_report *rep,
                     tdx_verdict *v)
{
    json_object *levels = array_field(tcb, "tcbLevels"), *sgx_lvl, *tdx_lvl;
    int found = levels != NULL ? tcb_level(levels, pck, q->tee_tcb_svn, &sgx_lvl, &tdx_lvl) : -1;
    char acc[160], adv[96];
    tdx_tcb_status level, final;
    const char *tcb_date;

    if (found < 0) {
        attest_report_add(rep, ATTEST_CK_TDX_TCB_STATUS, P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL,
                          "TCB info tcbLevels are malformed (16 SGX and 16 TDX component SVNs, "
                          "pcesvn and a known tcbStatus each)");
        return;
    }
    if (found == 0) {
        attest_report_add(rep, ATTEST_CK_TDX_TCB_STATUS, P11TEE_CHECK_FAIL, P11TEE_E_TCB_STATUS,
                          "TCB not supported: no TCB level is met by %s",
                          sgx_lvl == NULL ? "the PCK certificate's SGX TCB and PCESVN"
                                          : "the quote's TEE_TCB_SVN");
        return;
    }
    level = status_field(tdx_lvl);
    final = converge(converge(level, mod), qe);
    tcb_date = tdx_json_str(tdx_lvl, "tcbDate", NULL);
    if (tcb_date == NULL)
        tcb_date = "?";
    v->tcb = final;
    accepted_text(accepted, acc, sizeof(acc));
    advisories_text(tdx_lvl, adv, sizeof(adv));
    if (accepted & TDX_TCB_BIT(final))
        attest_report_add(rep, ATTEST_CK_TDX_TCB_STATUS, P11TEE_CHECK_PASS, P11TEE_OK,
                          "%s (level of %s: %s, TDX module %s, QE %s; advisories %s)",
                          tdx_tcb_status_name(final), tcb_date, tdx_tcb_status_name(level),
                          tdx_tcb_status_name(mod), tdx_tcb_status_name(qe), adv);
    else
        attest_report_add(rep, ATTEST_CK_TDX_TCB_STATUS, P11TEE_CHECK_FAIL, P11TEE_E_TCB_STATUS,
                          "TCB status %s is not accepted (accepted: %s; level %s, TDX module %s, "
                          "QE %s; advisories %s)",
                          tdx_tcb_status_name(final), acc, tdx_tcb_status_name(level),
                          tdx_tcb_status_name(mod), tdx_tcb_status_name(qe), adv);
}

void tdx_check_tcb(const tdx_quote *q, X509 *pck_leaf, json_object *tcb_info,
                   json_object *qe_identity, const tdx_verify_opts *o, time_t at,
                   attest_report *rep, tdx_verdict *v)
{
    tdx_tcb_status mod = TDX_TCB_UNKNOWN, qe = TDX_TCB_UNKNOWN;
    unsigned accepted = o->accepted_tcb != 0 ? o->accepted_tcb : TDX_TCB_BIT(TDX_TCB_UP_TO_DATE);
    tdx_pck_tcb pck;
    int platform_ok, qe_ok, mod_ok;

    memset(&pck, 0, sizeof(pck));
    check_dates(tcb_info, qe_identity, at, rep);
    check_age(tcb_info, qe_identity, o, at, rep, v);
    platform_ok = check_platform(tcb_info, pck_leaf, &pck, rep);
    qe_ok = check_qe_identity(qe_identity, q, &qe, rep);
    mod_ok = check_module(tcb_info, q, &mod, rep);
    if (platform_ok && qe_ok && mod_ok)
        rate_tcb(tcb_info, q, &pck, mod, qe, accepted, rep, v);
    else
        attest_report_add(rep, ATTEST_CK_TDX_TCB_STATUS, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "needs the platform, QE identity and TDX module checks to pass first");
}
