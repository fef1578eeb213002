#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""p11tee's local Venice reference server and its evidence builders.

  venice_ref.py [serve] [server flags]      the HTTP server (see README.md)
  venice_ref.py build-quote ...             a synthetic TDX quote (+ collateral)
  venice_ref.py build-nvidia ...            a synthetic NVIDIA GPU payload
  venice_ref.py dump-attestation ...        a whole /tee/attestation response
  venice_ref.py ecies                       JSON-lines envelope interop tool
  venice_ref.py control|stats ...           talk to a running server

Only /usr/bin/python3's standard library and python3-cryptography.
"""

import os

# Taken before the slower imports: the server exits when this process dies.
PARENT_AT_START = os.getppid()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

# No __pycache__ in the source tree (it may be read-only, as in distcheck).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import attestation  # noqa: E402
import collateral  # noqa: E402
import nvidia  # noqa: E402
import pki  # noqa: E402
import tdx  # noqa: E402

SUBCOMMANDS = ("serve", "build-quote", "build-nvidia", "dump-attestation", "ecies",
               "control", "stats")


def hex_bytes(length):
    """argparse type: exactly `length` bytes of hex (an optional 0x allowed)."""
    def parse(text):
        body = text[2:] if text.lower().startswith("0x") else text
        try:
            data = bytes.fromhex(body)
        except ValueError:
            raise argparse.ArgumentTypeError("not hex: %r" % text)
        if len(data) != length:
            raise argparse.ArgumentTypeError("need %d bytes (%d hex chars), got %d bytes"
                                             % (length, 2 * length, len(data)))
        return data
    return parse


def iso_time(text):
    try:
        return pki.parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not an ISO 8601 time: %r" % text)


def write_out(path, data):
    if path == "-":
        out = sys.stdout.buffer
        out.write(data if isinstance(data, bytes) else data.encode())
        out.flush()
    else:
        pki.write_atomic(path, data)


def _evidence(args):
    if args.state_dir:
        os.makedirs(args.state_dir, exist_ok=True)
    ev = attestation.Evidence(args.state_dir, args.time)
    if args.state_dir:
        ev.write_state(args.state_dir)
    return ev

# ---- build-quote ---------------------------------------------------------------


def quote_parser(sub):
    p = sub.add_parser("build-quote", help="write a synthetic TDX v4 quote")
    p.add_argument("--out", required=True, help="quote file ('-' for stdout)")
    p.add_argument("--reportdata", type=hex_bytes(64), help="REPORTDATA, 128 hex chars")
    p.add_argument("--address", help="0x address for REPORTDATA[0:20] (with --nonce)")
    p.add_argument("--nonce", type=hex_bytes(32), help="nonce for REPORTDATA[32:64]")
    p.add_argument("--encoding", default="raw",
                   choices=("raw",) + attestation.QUOTE_ENCODINGS)
    p.add_argument("--fault", action="append", default=[], choices=tdx.QUOTE_FAULTS)
    p.add_argument("--pad", type=int, default=0, help="trailing zero bytes after the quote")
    p.add_argument("--root-out", help="write the test root (PEM) to pin")
    p.add_argument("--chain-out", help="write the PEM chain the quote carries")
    p.add_argument("--info-out", help="write JSON facts about the quote")
    p.add_argument("--collateral-out", help="write matching collateral JSON")
    p.add_argument("--tcb-status", default="UpToDate", choices=collateral.TCB_STATUSES)
    p.add_argument("--revoke-pck", action="store_true")
    p.add_argument("--revoke-intermediate", action="store_true")
    p.add_argument("--qe-identity-mismatch", action="store_true")
    p.add_argument("--issue-date", type=iso_time)
    p.add_argument("--next-update", type=iso_time)
    p.add_argument("--collateral-fault", action="append", default=[],
                   choices=collateral.COLLATERAL_FAULTS)
    common_args(p)
    p.set_defaults(func=cmd_build_quote)


def common_args(p):
    p.add_argument("--state-dir", help="keep the test PKI in DIR/pki and write the roots to DIR")
    p.add_argument("--time", type=iso_time, help="reference time for new certificates (UTC)")


def cmd_build_quote(args):
    if args.reportdata is None:
        if not (args.address and args.nonce):
            sys.exit("build-quote: give --reportdata HEX, or --address and --nonce")
        args.reportdata = tdx.reportdata_for(args.address, args.nonce)
    ev = _evidence(args)
    quote = tdx.build_quote(ev.tdx, args.reportdata, args.fault, pad=args.pad)
    write_out(args.out, attestation.encode_quote(quote, args.encoding))
    if args.root_out:
        write_out(args.root_out, pki.pem(ev.tdx.root))
    chain = ev.tdx.chain(args.fault)
    if args.chain_out:
        write_out(args.chain_out, b"".join(pki.pem(c) for c in chain))
    if args.info_out:
        info = dict(tdx.measurements(), reportdata=args.reportdata.hex(),
                    attestation_key=ev.tdx.att_pub_raw().hex(), faults=args.fault,
                    pck_serial="%x" % chain[0].serial_number, fmspc=tdx.FMSPC.hex(),
                    size=len(quote), qe_auth_data=tdx.QE_AUTH_DATA.hex())
        write_out(args.info_out, json.dumps(info, indent=1, sort_keys=True))
    if args.collateral_out:
        opts = collateral.Options(args.tcb_status, args.revoke_pck, args.revoke_intermediate,
                                  args.qe_identity_mismatch, args.issue_date, args.next_update,
                                  args.collateral_fault)
        write_out(args.collateral_out, json.dumps(collateral.build(ev.tdx, opts), indent=1))
    return 0

# ---- build-nvidia ----------------------------------------------------------------


def nvidia_parser(sub):
    p = sub.add_parser("build-nvidia", help="write a synthetic nvidia_payload")
    p.add_argument("--out", required=True, help="payload JSON object ('-' for stdout)")
    p.add_argument("--nonce", required=True, type=hex_bytes(32))
    p.add_argument("--fault", action="append", default=[], choices=nvidia.BUILDER_FAULTS)
    p.add_argument("--gpus", type=int, default=1)
    p.add_argument("--trailing-byte", action="store_true",
                   help="append one byte after each signature, as some reports do")
    p.add_argument("--root-out", help="write the test NVIDIA root (PEM) to pin")
    p.add_argument("--evidence-out", help="write GPU 0's raw evidence bytes")
    p.add_argument("--chain-out", help="write GPU 0's PEM chain")
    common_args(p)
    p.set_defaults(func=cmd_build_nvidia)


def cmd_build_nvidia(args):
    if not 1 <= args.gpus <= 8:
        sys.exit("build-nvidia: --gpus must be 1..8")
    ev = _evidence(args)
    payload = nvidia.build_payload(ev.nv, args.nonce, args.fault, args.gpus, args.trailing_byte)
    write_out(args.out, json.dumps(payload, indent=1))
    if args.root_out:
        write_out(args.root_out, pki.pem(ev.nv.root))
    if args.evidence_out:
        import base64
        write_out(args.evidence_out, base64.b64decode(payload["evidence_list"][0]["evidence"]))
    if args.chain_out:
        write_out(args.chain_out, b"".join(pki.pem(c) for c in ev.nv.gpu(0)[1]))
    return 0

# ---- dump-attestation ----------------------------------------------------------------


ALL_ATTESTATION_FAULTS = attestation.ATTESTATION_FAULTS + tuple(
    f for f in tdx.QUOTE_FAULTS + nvidia.NVIDIA_FAULTS if f not in attestation.ATTESTATION_FAULTS)


def format_args(p):
    p.add_argument("--quote-encoding", default="hex", choices=attestation.QUOTE_ENCODINGS)
    p.add_argument("--key-field", default="signing_key", choices=attestation.KEY_FIELDS)
    p.add_argument("--key-form", default="130", choices=attestation.KEY_FORMS)
    p.add_argument("--nvidia-payload-form", default="string", choices=attestation.PAYLOAD_FORMS)
    p.add_argument("--shape", default="both", choices=attestation.SHAPES,
                   help="the attestation's legacy fields, its ACI envelope, or both (default)")
    p.add_argument("--tcb-info-form", default="object", choices=attestation.TCB_INFO_FORMS,
                   help="info.tcb_info as an object (default) or a JSON string")


def formats_of(args):
    return attestation.Formats(args.quote_encoding, args.key_field, args.key_form,
                               args.nvidia_payload_form, args.shape, args.tcb_info_form)


def dump_parser(sub):
    p = sub.add_parser("dump-attestation", help="write a whole /tee/attestation response")
    p.add_argument("--model", required=True)
    p.add_argument("--nonce", required=True, type=hex_bytes(32))
    p.add_argument("--fault", action="append", default=[], choices=ALL_ATTESTATION_FAULTS)
    p.add_argument("--wrapper", default="none", choices=("none", "near"))
    p.add_argument("--out", default="-")
    p.add_argument("--root-out", help="write the test SGX root (PEM)")
    p.add_argument("--nvidia-root-out", help="write the test NVIDIA root (PEM)")
    p.add_argument("--native-out", help="write the operator's native ACI report for the same "
                   "keyset and nonce (GET /v1/aci/attestation)")
    p.add_argument("--native-fault", action="append", default=[],
                   choices=("aci-native-binding", "aci-native-keyset"))
    format_args(p)
    common_args(p)
    p.set_defaults(func=cmd_dump)


def cmd_dump(args):
    ev = _evidence(args)
    fmt = formats_of(args)
    key = ev.enclave_key(args.model)
    keyset = ev.keyset({args.model: key})
    resp = attestation.build(ev, args.model, key, args.nonce, args.fault, fmt, keyset)
    if args.wrapper == "near":
        resp = attestation.near_wrap(ev, resp, args.nonce, fmt)
    write_out(args.out, json.dumps(resp, indent=1) + "\n")
    if args.root_out:
        write_out(args.root_out, pki.pem(ev.tdx.root))
    if args.nvidia_root_out:
        write_out(args.nvidia_root_out, pki.pem(ev.nv.root))
    if args.native_out:
        native = attestation.native_report(ev, keyset, args.nonce.hex(), args.native_fault)
        write_out(args.native_out, json.dumps(native, indent=1) + "\n")
    return 0

# ---- the rest -----------------------------------------------------------------


def cmd_ecies(_args):
    import ecies
    return ecies.batch(sys.stdin, sys.stdout)


def client_parser(sub):
    for name, help_text in (("control", "POST JSON to a running server's /__control"),
                            ("stats", "print a running server's /__stats")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--port-file", required=True)
        p.add_argument("--api-key-file", required=True)
        if name == "control":
            p.add_argument("json")
        p.set_defaults(func=cmd_client)


def cmd_client(args):
    import client
    return client.main(args)


def serve_parser(sub):
    p = sub.add_parser("serve", help="run the HTTP server (the default)")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free one)")
    p.add_argument("--port-file", help="write the port here (atomically) once listening")
    p.add_argument("--api-key", help="the API key clients must send (visible in ps; "
                   "prefer --api-key-file)")
    p.add_argument("--api-key-file", help="read the API key from this file")
    p.add_argument("--lifetime", type=float, default=300.0, help="exit after SECONDS (default 300)")
    p.add_argument("--chunks", type=int, default=8, help="pieces per streamed answer (default 8)")
    p.add_argument("--chunk-delay-ms", type=int, default=0, help="pause between pieces")
    p.add_argument("--ephemeral", default="per-field", choices=("per-field", "per-response"),
                   help="seal each E2EE field with a fresh ephemeral key (default) or a whole "
                   "response with one, as vllm-proxy does")
    p.add_argument("--signature-text", default="plain", choices=("plain", "model"))
    p.add_argument("--signature-form", default="hex", choices=("hex", "object", "payload"))
    p.add_argument("--error-form", default="plain", choices=("plain", "gateway"),
                   help="errors as {\"error\": text} (default) or as Phala's gateway words "
                   "them, {\"error\": {message, type, param, code}}")
    p.add_argument("--reasoning-field", default="reasoning_content",
                   choices=("reasoning_content", "reasoning"),
                   help="the delta field that carries (encrypted) reasoning")
    p.add_argument("--state-dir", help="write the test roots, collateral and measurements here")
    p.add_argument("--fault", action="append", default=[], help="switch a fault on (repeatable)")
    p.add_argument("--log", help="log to this file instead of stderr")
    p.add_argument("--bench", action="store_true",
                   help="benchmark mode: the sealing keys of a streamed answer made once per client key, "
                        "each stream sealed with fresh nonces")
    p.add_argument("--bench-log", help="benchmark mode: append 'id index monotonic_ns' per piece")
    p.add_argument("--parent-pid", type=int, default=PARENT_AT_START,
                   help="exit when this process is gone (default: the parent)")
    format_args(p)
    p.set_defaults(func=cmd_serve)


def cmd_serve(args):
    import app
    return app.main(args)


def main(argv):
    parser = argparse.ArgumentParser(prog="venice_ref.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    quote_parser(sub)
    nvidia_parser(sub)
    dump_parser(sub)
    e = sub.add_parser("ecies", help="JSON lines on stdin -> JSON lines on stdout")
    e.set_defaults(func=cmd_ecies)
    client_parser(sub)
    serve_parser(sub)
    if not argv or argv[0] not in SUBCOMMANDS + ("-h", "--help"):
        argv = ["serve"] + list(argv)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
