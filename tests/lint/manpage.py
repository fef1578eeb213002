#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""The man page and --help agree (TAP), in the spirit of curl's
tests/manpage-scan.pl: the commands, the global options, each command's
options (both ways) and the environment variables --help names. A copy of
the man page with a missing and an extra option proves that drift is seen.
A command with a page of its own (docs/p11tee-COMMAND.1, as p11tee serve)
has its options checked against that page's SYNOPSIS and OPTIONS instead.

Help side: `p11tee --help` lists the commands and the global options,
`p11tee COMMAND --help` a command's options (its Usage lines and the option
column of its definition lines; an option named inside a description, such
as "for p11tee signature --request", is not the command's). Man side
(docs/p11tee.1): the SYNOPSIS line of each command, its COMMANDS entries,
the tags of GLOBAL OPTIONS and ENVIRONMENT."""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "server"))
import taplib  # noqa: E402

# An option: -x or --long-name, not inside a word ("pin-source", "e2ee-qwen").
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)")
ENV_VAR = re.compile(r"\$([A-Z][A-Z0-9_]+)")


def options(text):
    return set(OPTION.findall(text))


# ---- the help text -----------------------------------------------------------


def run_help(binary, *args):
    proc = subprocess.run([binary] + list(args) + ["--help"], capture_output=True, text=True,
                          timeout=60)
    if proc.returncode != 0 or proc.stdout == "":
        raise RuntimeError("%s %s --help exited %d: %s" % (binary, " ".join(args),
                                                          proc.returncode, proc.stderr))
    return proc.stdout


def help_options(text):
    """The options of one help text: its Usage lines and its option column."""
    found = set()
    in_usage = False
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if line.startswith("Usage:"):
            in_usage = True
        elif in_usage and indent < len("Usage: "):
            in_usage = False
        if in_usage:
            found |= options(line)
            continue
        # "  -m, --model MODEL  text": the option column of a definition line.
        column = re.match(r" {1,6}((?:--?[A-Za-z][A-Za-z0-9-]*(?:, )?)+)", line)
        if column:
            found |= options(column.group(1))
    return found


def main_help(text):
    """(commands, global options, environment variables) of `p11tee --help`."""
    commands, section = [], None
    for line in text.splitlines():
        if line.startswith("Commands:"):
            section = "commands"
        elif line.startswith("Global options"):
            section = "global"
        elif section == "commands" and re.match(r"  [a-z]", line):
            commands.append(line.split()[0])
        elif line.strip() == "":
            section = None if section == "commands" else section
    global_part = text[text.index("Global options"):] if "Global options" in text else ""
    return set(commands), help_options(global_part), set(ENV_VAR.findall(text))


# ---- the man page ------------------------------------------------------------


def roff_text(line):
    """One roff line as text: a macro's arguments, escapes resolved."""
    if line.startswith('.\\"'):
        return ""
    if line.startswith("."):
        line = line.split(None, 1)[1] if " " in line else ""
        line = line.replace('"', "")
    line = re.sub(r"\\f[BIRP]", "", line)
    line = line.replace("\\-", "-").replace("\\(em", "-").replace("\\&", "").replace("\\e", "\\")
    return line


def sections(roff):
    """{".SH name": [roff lines]}."""
    out, name = {}, None
    for line in roff.splitlines():
        if line.startswith(".SH "):
            name = line[4:].strip().strip('"')
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return out


def entries(lines):
    """[(tag text, body text)] of the .TP entries of a section."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith(".TP") and i + 1 < len(lines):
            tag, body = roff_text(lines[i + 1]), []
            i += 2
            while i < len(lines) and not lines[i].startswith(".TP"):
                body.append(roff_text(lines[i]))
                i += 1
            out.append((tag, " ".join(body)))
        else:
            i += 1
    return out


def synopsis(lines):
    """{command: options of its SYNOPSIS lines}."""
    out = {}
    text = " ".join(roff_text(line) if not line.startswith(".br") else "\n" for line in lines)
    for block in text.split("\n"):
        m = re.search(r"p11tee \[global options\] +(\S+)(.*)", " ".join(block.split()))
        if m:
            out.setdefault(m.group(1), set()).update(options(m.group(2)))
    return out


def entry_options(body, commands):
    """(options of this entry, {other command: options it names for that command})."""
    own, other = set(), {}
    for m in OPTION.finditer(body):
        before = body[:m.start()].split()
        if before and before[-1] in commands:
            other.setdefault(before[-1], set()).add(m.group(1))
        else:
            own.add(m.group(1))
    return own, other


def man_page(roff):
    """The man page's commands, and for each its synopsis options, entry options and
    options other entries name for it; the global options; the environment variables."""
    sec = sections(roff)
    syn = synopsis(sec.get("SYNOPSIS", []))
    cmd_entries = [(tag.split()[0], body, tag) for tag, body in entries(sec.get("COMMANDS", []))
                   if tag.split()]
    names = set(syn) | {name for name, _b, _t in cmd_entries}
    described = {name: set() for name in names}
    named_elsewhere = {name: set() for name in names}
    for name, body, tag in cmd_entries:
        own, other = entry_options(tag + " " + body, names)
        described[name] |= own
        for cmd, opts in other.items():
            named_elsewhere[cmd] |= opts
    global_opts = set()
    for tag, _body in entries(sec.get("GLOBAL OPTIONS", [])):
        global_opts |= options(tag)
    env = set()
    for tag, _body in entries(sec.get("ENVIRONMENT", [])):
        env |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", tag))
    return {"synopsis": syn, "commands": {name for name, _b, _t in cmd_entries},
            "described": described, "named_elsewhere": named_elsewhere,
            "global": global_opts, "env": env}


def own_page(roff):
    """The options of a command's own page: its SYNOPSIS and its OPTIONS tags."""
    sec = sections(roff)
    found = options(" ".join(roff_text(line) for line in sec.get("SYNOPSIS", [])))
    for tag, _body in entries(sec.get("OPTIONS", [])):
        found |= options(tag)
    return found


def page_mentions(roff):
    """Every option a command's own page names anywhere under OPTIONS (the global options
    it takes are listed in a paragraph, not as tags)."""
    return options(" ".join(roff_text(line) for line in sections(roff).get("OPTIONS", [])))


# Global options a command's own page need not name: they print, not configure.
NOT_CONFIG = {"--version", "-h", "--help"}


# ---- the comparison ------------------------------------------------------------


def findings(helps, man, pages=None, mentions=None):
    """Every disagreement, one line each. `helps`: {"": main help, command: its help};
    `pages`: a command's own page's options, `mentions`: all the options it names."""
    out = []
    commands, global_help, env_help = main_help(helps[""])
    for name in sorted(commands - set(man["synopsis"])):
        out.append("command %s: in --help, not in the SYNOPSIS" % name)
    for name in sorted(commands - man["commands"]):
        out.append("command %s: in --help, no entry under COMMANDS" % name)
    for name in sorted((set(man["synopsis"]) | man["commands"]) - commands):
        out.append("command %s: in the man page, not in --help" % name)
    for opt in sorted(global_help - man["global"]):
        out.append("global option %s: in --help, not under GLOBAL OPTIONS" % opt)
    for opt in sorted(man["global"] - global_help):
        out.append("global option %s: under GLOBAL OPTIONS, not in --help" % opt)
    for var in sorted(env_help - man["env"]):
        out.append("environment variable %s: in --help, not under ENVIRONMENT" % var)
    for name in sorted(commands & set(helps)):
        own = help_options(helps[name])
        if pages and name in pages:
            for opt in sorted(own - pages[name]):
                out.append("%s option %s: in p11tee %s --help, not in p11tee-%s(1)"
                           % (name, opt, name, name))
            for opt in sorted(pages[name] - own - man["global"]):
                out.append("%s option %s: in p11tee-%s(1), not in p11tee %s --help"
                           % (name, opt, name, name))
            for opt in sorted(global_help - NOT_CONFIG - (mentions or {}).get(name, global_help)):
                out.append("global option %s: in p11tee --help, not named in p11tee-%s(1)"
                           % (opt, name))
            continue
        man_opts = man["synopsis"].get(name, set()) | man["described"].get(name, set())
        for opt in sorted(own - man_opts):
            out.append("%s option %s: in p11tee %s --help, not in its SYNOPSIS or COMMANDS "
                       "entry" % (name, opt, name))
        shown = man_opts | man["named_elsewhere"].get(name, set())
        for opt in sorted(shown - own - man["global"]):
            out.append("%s option %s: in the man page, not in p11tee %s --help"
                       % (name, opt, name))
    return out


def main():
    t = taplib.Tap()
    srcdir = os.environ.get("top_srcdir", ".")
    binary = os.path.join(os.environ.get("top_builddir", "."), "p11tee")
    if not os.access(binary, os.X_OK):
        taplib.skip_all("%s is not built (make check builds it)" % binary)
    with open(os.path.join(srcdir, "docs", "p11tee.1")) as fh:
        roff = fh.read()
    helps = {"": run_help(binary)}
    commands = main_help(helps[""])[0]
    for name in commands:
        helps[name] = run_help(binary, name)
        # A command with subcommands ("token check"): their options are the command's.
        for sub in sorted(main_help(helps[name])[0]):
            helps[name] += "\n" + run_help(binary, name, sub)

    pages, mentions = {}, {}
    for name in commands:
        path = os.path.join(srcdir, "docs", "p11tee-%s.1" % name)
        if os.path.exists(path):
            with open(path) as fh:
                page = fh.read()
            pages[name] = own_page(page)
            mentions[name] = page_mentions(page)
    man = man_page(roff)
    t.ok(len(commands) >= 5 and all(help_options(helps[c]) for c in commands),
         "--help names the commands and each command's --help its options",
         "commands: %r" % sorted(commands))
    t.ok(len(man["global"]) >= 10 and len(man["synopsis"]) == len(commands),
         "the man page has a SYNOPSIS line per command and its GLOBAL OPTIONS",
         "synopsis: %r; global: %r" % (sorted(man["synopsis"]), sorted(man["global"])))
    found = findings(helps, man, pages, mentions)
    t.ok(not found, "docs/p11tee.1 (and the commands' own pages) and --help name the same "
         "commands and options",
         "\n".join(found))

    # A man page that lost an option and gained one that does not exist.
    broken = roff.replace(".BI \\-\\-idle\\-timeout \" S\"\n", ".BI \\-\\-idle\\-time \" S\"\n")
    broken = broken.replace("[\\fB\\-\\-no\\-stream\\fR]", "[\\fB\\-\\-no\\-stream\\fR] "
                            "[\\fB\\-\\-frobnicate\\fR]")
    broken_found = [f for f in findings(helps, man_page(broken), pages, mentions)
                    if f not in found]
    t.eq(broken_found, [
        "global option --idle-timeout: in --help, not under GLOBAL OPTIONS",
        "global option --idle-time: under GLOBAL OPTIONS, not in --help",
        "chat option --frobnicate: in the man page, not in p11tee chat --help",
    ], "a man page with a renamed global option and an unknown chat option gives exactly "
       "those findings")
    dropped = findings(helps, man_page(roff.replace(".B models\n", ".B modelz\n")), pages,
                       mentions)
    t.ok("command models: in --help, not in the SYNOPSIS" in dropped
         and "command modelz: in the man page, not in --help" in dropped,
         "a command renamed in the man page is named both ways", "\n".join(dropped))
    if "serve" in pages:
        lost = dict(pages, serve=pages["serve"] - {"--drain-timeout"} | {"--drain-time"})
        t.eq([f for f in findings(helps, man, lost, mentions) if f not in found], [
            "serve option --drain-timeout: in p11tee serve --help, not in p11tee-serve(1)",
            "serve option --drain-time: in p11tee-serve(1), not in p11tee serve --help",
        ], "a command's own page that lost an option and gained one is seen both ways")
        unnamed = dict(mentions, serve=mentions["serve"] - {"--allow-core-dumps"})
        t.eq([f for f in findings(helps, man, pages, unnamed) if f not in found], [
            "global option --allow-core-dumps: in p11tee --help, not named in p11tee-serve(1)",
        ], "a command's own page that does not name a global option it takes is seen")
    t.done()


if __name__ == "__main__":
    main()
