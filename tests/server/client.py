# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Talk to a running server: the one HTTP request helper of the Python tests,
and `venice_ref.py control|stats` (used by tests/lib/refserver.sh, so that
shell tests need no curl binary)."""

import http.client
import json
import sys


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read().strip()


def request(port, api_key, method, path, body=None, headers=None, timeout=30):
    """(status, headers dict, body bytes) of one request to 127.0.0.1:port.
    api_key None sends no Authorization; a dict or list body is sent as JSON."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    hdrs = dict(headers or {})
    if api_key is not None:
        hdrs["Authorization"] = "Bearer " + api_key
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    if body is not None:
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def main(args):
    port = int(_read(args.port_file))
    key = _read(args.api_key_file)
    if args.command == "control":
        status, _h, raw = request(port, key, "POST", "/__control", args.json)
    else:
        status, _h, raw = request(port, key, "GET", "/__stats")
    obj = json.loads(raw)
    sys.stdout.write(json.dumps(obj, indent=1, sort_keys=True) + "\n")
    if status != 200:
        sys.stderr.write("venice_ref %s: HTTP %d: %s\n" % (args.command, status, obj.get("error")))
        return 1
    return 0
