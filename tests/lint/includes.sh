#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The layer rules, by every #include of every tracked .c and .h (in the
# spirit of curl's tests/badsymbols.pl). The rules are the two tables of
# docs/DESIGN.md ("Include rules"), which tests/lint/includes.awk reads; each
# finding names file:line and the rule. A synthetic tree with one break of
# each kind proves that the checker sees them. Without git (an unpacked
# release tarball) there is no list of tracked files to check.
. "$top_srcdir/tests/lib/tap.sh"

command -v git >/dev/null 2>&1 || tap_skip_all "git is not installed"
tap_tmpdir
git -C "$top_srcdir" ls-files >"$TAP_TMP/tracked" 2>/dev/null && [ -s "$TAP_TMP/tracked" ] ||
    tap_skip_all "not a git checkout: no tracked files to check"
checker="$top_srcdir/tests/lint/includes.awk"
design="$top_srcdir/docs/DESIGN.md"

# check DIR LIST OUT: run the checker over the .c/.h files of LIST (tracked
# files, relative to DIR) with the tables of $design.
check() {
    (cd "$1" && ${AWK:-awk} -f "$checker" "$design" "$2") >"$3"
}

# report OUT KIND DESC: one TAP result for the findings of one kind.
report() {
    found=$(grep -E "^[^ ]*: $2:" "$1")
    if [ -z "$found" ]; then
        tap_ok "$3"
    else
        tap_fail "$3" "$found"
    fi
}

# ---- the tree --------------------------------------------------------------
check "$top_srcdir" "$TAP_TMP/tracked" "$TAP_TMP/tree.out"
echo "# $(tail -n 1 "$TAP_TMP/tree.out") of the tree"
if grep -q '^table:' "$TAP_TMP/tree.out"; then
    tap_fail "docs/DESIGN.md holds the layer and external-header tables" \
        "$(grep '^table:' "$TAP_TMP/tree.out")"
else
    tap_ok "docs/DESIGN.md holds the layer and external-header tables"
fi
if grep -q '^checked [1-9][0-9]* files, [1-9][0-9]* includes$' "$TAP_TMP/tree.out"; then
    tap_ok "the checker read the tracked C sources and their includes"
else
    tap_fail "the checker read the tracked C sources and their includes" \
        "$(tail -n 1 "$TAP_TMP/tree.out")"
fi
report "$TAP_TMP/tree.out" uncovered "every tracked .c and .h is under a row of the layer table"
report "$TAP_TMP/tree.out" layer "every include of a header of the tree is one its row allows"
report "$TAP_TMP/tree.out" external "curl, PKCS#11 and OpenSSL's provider core only where allowed"

# ---- a tree that breaks every rule once --------------------------------------
fake="$TAP_TMP/fake"
mkdir -p "$fake"
put() { # put FILE LINE...: a source file of the synthetic tree
    f=$1
    shift
    mkdir -p "$fake/$(dirname "$f")"
    printf '%s\n' "$@" >"$fake/$f"
    echo "$f" >>"$fake/tracked"
}
: >"$fake/tracked"
for h in include/p11tee/p11tee.h src/common/common.h src/hsm/hsm.h src/net/net.h \
    src/crypto/crypto.h src/attest/attest.h src/attest/tdx.h src/e2ee/e2ee.h src/api/api.h \
    provider/prov.h provider/prov_api.h tests/lib/testlib.h; do
    put "$h" '#pragma once'
done
put src/net/up.c '#include "config.h"' '#include "common/common.h"' '#include "api/api.h"'
put src/api/private.c '#include "attest/attest.h"' '#include "attest/tdx.h"'
put src/attest/own.c '#include "attest/tdx.h"' '#include "tdx.h"' '#include <openssl/evp.h>'
put src/cli/cli.c '#include <p11tee/p11tee.h>' '#include "common/common.h"'
put src/e2ee/climb.c '#  include "../api/api.h"'
put src/api/curl.c '#include <curl/curl.h>'
put src/hsm/prov.c '#include "provider/prov_api.h"' '#include "provider/prov.h"'
put src/common/core.c '#include <openssl/core_dispatch.h>' '#include "testlib.h"'
put provider/token.c '#include "prov.h"' '#include <p11-kit/pkcs11.h>' '#include <libp11.h>'
put tests/unit/test_any.c '#include "provider/prov.h"' '#include "attest/tdx.h"' \
    '#include <libp11.h>'
put src/newlayer/new.c '#include "common/common.h"'
check "$fake" "$fake/tracked" "$TAP_TMP/fake.out"
sed -n 's/^\([^ ]*: [a-z]*\):.*/\1/p' "$TAP_TMP/fake.out" | sort >"$TAP_TMP/fake.got"
sort >"$TAP_TMP/fake.want" <<'EOF'
src/api/curl.c:1: external
src/api/private.c:2: layer
src/cli/cli.c:2: layer
src/common/core.c:1: external
src/common/core.c:2: layer
src/e2ee/climb.c:1: layer
src/hsm/prov.c:2: layer
src/net/up.c:3: layer
src/newlayer/new.c: uncovered
tests/unit/test_any.c:3: external
EOF
if cmp -s "$TAP_TMP/fake.got" "$TAP_TMP/fake.want"; then
    tap_ok "a tree with one break of each rule gives exactly those findings"
else
    tap_fail "a tree with one break of each rule gives exactly those findings" \
        "$(diff "$TAP_TMP/fake.want" "$TAP_TMP/fake.got")"
fi
tap_check "a layer reaching up is named with its line, its header and the rule" grep -qxF \
    'src/net/up.c:3: layer: #include "api/api.h" is src/api/api.h: files under src/net/ may include include/p11tee/, common besides src/net/ and system headers' \
    "$TAP_TMP/fake.out"
tap_check "a private header of a lower layer is named as such" grep -qxF \
    'src/api/private.c:2: layer: #include "attest/tdx.h" is src/attest/tdx.h: a private header of src/attest/, which offers other layers only src/attest/attest.h' \
    "$TAP_TMP/fake.out"
tap_check "curl outside src/net/ is named with the directories that may include it" grep -qxF \
    'src/api/curl.c:1: external: #include <curl/curl.h>: only files under src/net/, tests/net/, bench/ may include it' \
    "$TAP_TMP/fake.out"

# A misspelt layer in a row, or no tables at all: findings, not a pass.
sed 's/^| `src\/crypto\/` | `include\/p11tee\/`, `common`/| `src\/crypto\/` | `include\/p11tee\/`, `comon`/' \
    "$top_srcdir/docs/DESIGN.md" >"$TAP_TMP/misspelt.md"
design="$TAP_TMP/misspelt.md"
check "$fake" "$fake/tracked" "$TAP_TMP/misspelt.out"
tap_check "a row naming a layer that does not exist is a finding" grep -qxF \
    'table: the row of src/crypto/ names layer comon, but src/comon/comon.h is not in the tree' \
    "$TAP_TMP/misspelt.out"
sed '/<!-- begin include-rules/,/<!-- end include-rules/d' "$top_srcdir/docs/DESIGN.md" \
    >"$TAP_TMP/notable.md"
design="$TAP_TMP/notable.md"
check "$fake" "$fake/tracked" "$TAP_TMP/notable.out"
tap_check "a DESIGN.md without the include tables is a finding, not a pass" \
    grep -q '^table: docs/DESIGN.md has no layer table' "$TAP_TMP/notable.out"
tap_done
