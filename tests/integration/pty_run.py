#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Run a command on a pseudo-terminal of its own, as a person at a terminal would.

pty_run.py [--pin PIN] [--maps FILE] [--on TEXT KEYS]... [--timeout S] TRANSCRIPT -- COMMAND [ARGS...]

The command gets a new session whose controlling terminal is the pty (so
/dev/tty is the pty), and the pty is its stdin, stdout and stderr. Each time
the output shows "PIN for " and then ": ", PIN and a newline are typed (no
--pin: nothing is typed and the pty is closed, as when the user walks away);
with --maps, the command's /proc/PID/maps is copied to FILE at the first
prompt. Each --on TEXT KEYS is a step, taken in order: once the output
since the previous step shows TEXT, KEYS are typed (Python escapes:
"\\n" is Enter, "\\x04" Ctrl-D, "\\x03" Ctrl-C, which the terminal turns
into SIGINT). Everything the terminal showed goes to TRANSCRIPT (what was typed
appears only if the terminal echoed it). Exits with the command's status
(128 + signal when killed); 124 when the timeout (default 60 s) ended it.
"""
import argparse
import os
import pty
import select
import signal
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pin")
    p.add_argument("--maps")
    p.add_argument("--on", nargs=2, action="append", default=[], metavar=("TEXT", "KEYS"))
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("transcript")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    if not cmd:
        p.error("no command")
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    seen = b""
    answered = 0
    steps = [(t.encode(), k.encode().decode("unicode_escape").encode("latin-1")) for t, k in a.on]
    since = 0  # where the output of the current step starts
    deadline = time.monotonic() + a.timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break  # EIO: the command closed the terminal
        if not data:
            break
        seen += data
        while steps and steps[0][0] in seen[since:]:
            since = seen.index(steps[0][0], since) + len(steps[0][0])
            os.write(fd, steps.pop(0)[1])
        if seen.count(b"PIN for ") > answered and seen.rstrip().endswith(b":"):
            answered += 1
            if a.maps and answered == 1:
                with open("/proc/%d/maps" % pid, "rb") as src, open(a.maps, "wb") as dst:
                    dst.write(src.read())
            if a.pin is None:
                os.close(fd)
                fd = None
                break
            os.write(fd, a.pin.encode() + b"\n")
    if fd is not None:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    with open(a.transcript, "wb") as f:
        f.write(seen)
    if timed_out:
        return 124
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
