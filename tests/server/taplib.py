# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""TAP output and a started reference server for the Python tests.

Conventions (tests/lib/tap-run.sh): TAP on stdout, diagnostics on stderr,
exit status = number of failures, exit 77 with the reason as the last stderr
line when nothing can run."""

import importlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import client

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "venice_ref.py")


def skip_all(reason):
    sys.stderr.write(reason + "\n")
    sys.exit(77)


def require_cryptography():
    try:
        importlib.import_module("cryptography")
    except ImportError:
        skip_all("%s cannot import cryptography (install python3-cryptography)" % sys.executable)


class Tap:
    def __init__(self):
        self.n = 0
        self.failures = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, desc), flush=True)
        if not cond:
            self.failures += 1
            if diag is not None:
                for line in str(diag).splitlines():
                    print("# " + line, flush=True)
        return cond

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, "got:  %r\nwant: %r" % (got, want))

    def raises(self, exc_type, fn, desc, check=None):
        """Pass when fn() raises exc_type (and check(exc) holds, if given)."""
        try:
            fn()
        except exc_type as exc:
            good = check is None or check(exc)
            return self.ok(good, desc, "raised %r" % exc)
        except Exception as exc:  # a wrong exception is a failure, with its cause
            return self.ok(False, desc, "raised %r" % exc)
        return self.ok(False, desc, "nothing raised")

    def run(self, fn, *args):
        """Run one group of checks; an unexpected exception is one failure."""
        try:
            fn(self, *args)
        except Exception:
            self.ok(False, "%s ran to the end" % fn.__name__, traceback.format_exc())

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(min(self.failures, 254))


def tmpdir():
    return tempfile.mkdtemp(prefix="p11tee-server-test.", dir=os.environ.get("TMPDIR"))


class Server:
    """One reference server in a private directory; stop() or the lifetime ends it."""

    def __init__(self, workdir, *flags, lifetime=120):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.api_key = secrets.token_hex(16)
        self.key_file = os.path.join(workdir, "api-key")
        with open(self.key_file, "w") as fh:
            fh.write(self.api_key + "\n")
        self.port_file = os.path.join(workdir, "port")
        self.state_dir = os.path.join(workdir, "state")
        self.log = open(os.path.join(workdir, "server.log"), "w")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--port", "0", "--port-file", self.port_file,
             "--api-key-file", self.key_file, "--state-dir", self.state_dir,
             "--lifetime", str(lifetime)] + list(flags), stderr=self.log)
        self.port = self._wait_port()
        self.startup_seconds = time.monotonic() - started

    def _wait_port(self):
        for _ in range(400):
            if os.path.exists(self.port_file):
                return int(open(self.port_file).read())
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d" % self.proc.returncode)
            time.sleep(0.025)
        raise RuntimeError("server did not write its port file in 10 s")

    def request(self, method, path, body=None, headers=None, key=True, timeout=30):
        """(status, headers dict, body bytes); key True: ours, False: none, else that key."""
        api_key = self.api_key if key is True else (key or None)
        return client.request(self.port, api_key, method, path, body, headers, timeout)

    def json(self, method, path, body=None, **kw):
        status, _h, data = self.request(method, path, body, **kw)
        return status, json.loads(data)

    def control(self, **req):
        status, obj = self.json("POST", "/__control", req)
        if status != 200:
            raise RuntimeError("control %r: %d %r" % (req, status, obj))
        return obj

    def stats(self):
        return self.json("GET", "/__stats")[1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def cleanup(path):
    shutil.rmtree(path, ignore_errors=True)
