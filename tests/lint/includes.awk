# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The include checker of tests/lint/includes.sh (POSIX awk; mawk is enough).
#   awk -f includes.awk DESIGN.md TRACKED-LIST
# run from the top of the tree. DESIGN.md holds the rule tables between the
# include-rules markers; TRACKED-LIST names every tracked file, one a line,
# relative to the top; its .c and .h files are read. Prints one line per
# finding:
#   table: ...                    the tables are missing or malformed
#   FILE: uncovered: ...          no row of the layer table covers FILE
#   FILE:LINE: layer: ...         a header of the tree FILE's row does not allow
#   FILE:LINE: external: ...      an external header outside its directories
# and, last, "checked N files, M includes".

function trim(s)
{
    gsub(/^[ \t`]+/, "", s)
    gsub(/[ \t`]+$/, "", s)
    return s
}

# The cells of a markdown table row, without the outer pipes: cell[1..n].
function cells(line, cell,    n)
{
    sub(/^[ \t]*\|/, "", line)
    sub(/\|[ \t]*$/, "", line)
    n = split(line, cell, "|")
    return n
}

# The comma-separated items of one cell, as "a b c" (items have no spaces).
function items(cell,    n, part, i, out, it)
{
    n = split(cell, part, ",")
    out = ""
    for (i = 1; i <= n; i++) {
        it = trim(part[i])
        if (it == "" || it == "-" || it == "—")
            continue
        out = out (out == "" ? "" : " ") it
    }
    return out
}

# "a b c" -> "a, b, c", for messages.
function listed(s)
{
    gsub(/ /, ", ", s)
    return s == "" ? "nothing" : s
}

function under(path, dir)
{
    return substr(path, 1, length(dir)) == dir
}

# "a/./b/../c" -> "a/c"; a path that climbs out of the tree gives "".
function normalise(path,    n, part, i, out, k, stack)
{
    n = split(path, part, "/")
    k = 0
    for (i = 1; i <= n; i++) {
        if (part[i] == "" || part[i] == ".")
            continue
        if (part[i] == "..") {
            if (k == 0)
                return ""
            k--
            continue
        }
        stack[++k] = part[i]
    }
    out = ""
    for (i = 1; i <= k; i++)
        out = out (i > 1 ? "/" : "") stack[i]
    return out
}

function dirname(path)
{
    if (path !~ /\//)
        return ""
    sub(/\/[^\/]*$/, "", path)
    return path "/"
}

# The tracked file an include names, as the compiler finds it, or "".
function resolve(file, name, quoted,    i, p)
{
    if (quoted) {
        p = normalise(dirname(file) name)
        if (p != "" && (p in tracked))
            return p
    }
    for (i = 1; i <= nsearch; i++) {
        p = normalise(search[i] name)
        if (p != "" && (p in tracked))
            return p
    }
    return ""
}

# The row (its directory) of the layer table that covers `file`: the longest.
function row_of(file,    d, best)
{
    best = ""
    for (d in allow)
        if (under(file, d) && length(d) > length(best))
            best = d
    return best
}

# 1 when an item of a row lets a file include the tree header `target`.
function item_allows(item, target)
{
    if (item == "*")
        return 1
    if (item ~ /\/$/)
        return under(target, item)
    if (item ~ /\//)
        return target == item
    return target == "src/" item "/" item ".h"
}

function layer_allows(row, target,    n, it, i)
{
    if (under(target, row))
        return 1
    n = split(allow[row], it, " ")
    for (i = 1; i <= n; i++)
        if (item_allows(it[i], target))
            return 1
    return 0
}

# Why `target` is refused: a private header of an allowed layer, or not allowed.
function layer_reason(row, target,    n, it, i, layer)
{
    n = split(allow[row], it, " ")
    for (i = 1; i <= n; i++) {
        layer = it[i]
        if (layer !~ /\// && layer != "*" && under(target, "src/" layer "/"))
            return "a private header of src/" layer "/, which offers other layers only " \
                   "src/" layer "/" layer ".h"
    }
    return "files under " row " may include " listed(allow[row]) " besides " row \
           " and system headers"
}

function check_external(file, lineno, name,    pat, n, dir, i, ok)
{
    for (pat in only) {
        if (pat ~ /\/$/) {
            if (!under(name, pat))
                continue
        } else if (name != pat) {
            continue
        }
        n = split(only[pat], dir, " ")
        ok = 0
        for (i = 1; i <= n; i++)
            if (under(file, dir[i]))
                ok = 1
        if (!ok)
            printf "%s:%d: external: #include <%s>: only files under %s may include it\n",
                file, lineno, name, listed(only[pat])
    }
}

function check_include(file, lineno, line,    quoted, name, target, row)
{
    sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
    quoted = substr(line, 1, 1) == "\""
    if (!quoted && substr(line, 1, 1) != "<")
        return
    name = substr(line, 2)
    sub(quoted ? "\".*" : ">.*", "", name)
    includes++
    target = resolve(file, name, quoted)
    if (target == "") {
        check_external(file, lineno, name)
        return
    }
    row = row_of(file)
    if (row != "" && !layer_allows(row, target))
        printf "%s:%d: layer: #include %s%s%s is %s: %s\n", file, lineno,
            quoted ? "\"" : "<", name, quoted ? "\"" : ">", target, layer_reason(row, target)
}

# One source file: each of its #include lines.
function check_file(file,    line, lineno)
{
    lineno = 0
    if ((getline line < file) < 0)
        return
    files++
    if (row_of(file) == "")
        printf "%s: uncovered: no row of the layer table in docs/DESIGN.md covers it\n", file
    do {
        lineno++
        if (line ~ /^[ \t]*#[ \t]*include/)
            check_include(file, lineno, line)
    } while ((getline line < file) > 0)
    close(file)
}

# Every layer a row names has its header in the tree (a misspelt layer
# would allow nothing, silently).
function check_table(    d, n, it, i)
{
    if (nrows == 0 || nexternal == 0)
        print "table: docs/DESIGN.md has no layer table or no external-header table " \
              "between the include-rules markers"
    for (d in allow) {
        n = split(allow[d], it, " ")
        for (i = 1; i <= n; i++)
            if (it[i] !~ /\// && it[i] != "*" && !(("src/" it[i] "/" it[i] ".h") in tracked))
                printf "table: the row of %s names layer %s, but src/%s/%s.h is not in the tree\n",
                    d, it[i], it[i], it[i]
    }
}

BEGIN {
    nsearch = split("include/ src/ ./ tests/lib/", search, " ")
    phase = 0
}

FNR == 1 { phase++ }

phase == 1 && /<!-- begin include-rules/ { in_rules = 1; next }
phase == 1 && /<!-- end include-rules/ { in_rules = 0; next }
phase == 1 && in_rules && /^[ \t]*\|/ {
    n = cells($0, cell)
    first = trim(cell[1])
    if (n != 2) {
        print "table: a row of the include tables does not have 2 cells: " $0
        next
    }
    if (first ~ /^-+$/)
        next
    if (first == "Files under" || first == "External header") {
        table = first
        next
    }
    if (table == "Files under") {
        allow[first] = items(cell[2])
        nrows++
    } else if (table == "External header") {
        np = split(items(cell[1]), pats, " ")
        for (i = 1; i <= np; i++)
            only[pats[i]] = items(cell[2])
        nexternal++
    } else {
        print "table: a row before the table's header row: " $0
    }
    next
}
phase == 1 { next }

phase == 2 {
    tracked[$0] = 1
    if ($0 ~ /\.[ch]$/)
        source[++nsources] = $0
}

END {
    check_table()
    for (i = 1; i <= nsources; i++)
        check_file(source[i])
    printf "checked %d files, %d includes\n", files, includes
}
