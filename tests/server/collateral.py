# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""TDX collateral for the test PKI, in the JSON shape Intel PCS/PCCS data takes
in ../shared/vectors/tdx/dcap-qvl_tdx_quote_collateral.json: TCB info and QE
identity as JSON *strings* with hex r||s signatures by the TCB signing cert,
PCK and root CRLs as hex DER, issuer chains as PEM.
"""

import datetime
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

import pki
import tdx

TCB_STATUSES = ("UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
                "ConfigurationAndSWHardeningNeeded", "OutOfDate",
                "OutOfDateConfigurationNeeded", "Revoked")
COLLATERAL_FAULTS = ("tcb-info-signature", "qe-identity-signature")

_SGX_CATEGORIES = {0: ("BIOS", "Early Microcode Update"), 1: ("OS/VMM", "SGX Late Microcode Update"),
                   2: ("OS/VMM", "TXT SINIT"), 3: ("BIOS", None), 4: ("BIOS", None),
                   5: ("BIOS", None), 7: ("OS/VMM", "SEAMLDR ACM")}
_TDX_CATEGORIES = {0: ("OS/VMM", "TDX Module"), 1: ("OS/VMM", "TDX Module"),
                   2: ("OS/VMM", "TDX Late Microcode Update")}


class Options:
    """Knobs of one collateral document (defaults: everything valid, UpToDate)."""

    def __init__(self, tcb_status="UpToDate", revoke_pck=False, revoke_intermediate=False,
                 qe_identity_mismatch=False, issue_date=None, next_update=None, faults=()):
        if tcb_status not in TCB_STATUSES:
            raise ValueError("unknown TCB status %r (one of %s)" % (tcb_status, ", ".join(TCB_STATUSES)))
        self.tcb_status = tcb_status
        self.revoke_pck = revoke_pck
        self.revoke_intermediate = revoke_intermediate
        self.qe_identity_mismatch = qe_identity_mismatch
        self.issue_date = issue_date
        self.next_update = next_update
        self.faults = tuple(faults)


def _components(svns, categories):
    out = []
    for i, svn in enumerate(svns):
        comp = {"svn": svn}
        cat = categories.get(i)
        if cat:
            comp["category"] = cat[0]
            if cat[1]:
                comp["type"] = cat[1]
        out.append(comp)
    return out


def _tcb_level(sgx, pcesvn, tdx_svns, date, status):
    level = {"tcb": {"sgxtcbcomponents": _components(sgx, _SGX_CATEGORIES), "pcesvn": pcesvn,
                     "tdxtcbcomponents": _components(tdx_svns, _TDX_CATEGORIES)},
             "tcbDate": date, "tcbStatus": status}
    if status != "UpToDate":
        level["advisoryIDs"] = ["INTEL-SA-TEST-0001"]
    return level


def tcb_info(opts, issue, nxt):
    """TCB info v3 for TDX: the platform matches the first level exactly."""
    tee = list(tdx.TEE_TCB_SVN)
    matching = _tcb_level(tdx.SGX_TCB_COMPONENTS, tdx.PCESVN, tee,
                          pki.iso(issue - datetime.timedelta(days=90)), opts.tcb_status)
    older = _tcb_level([0] * 16, 5, [0] * 16, "2018-01-04T00:00:00Z", "OutOfDate")
    module_id = {"id": "TDX_%02d" % tdx.TEE_TCB_SVN[1], "mrsigner": tdx.MRSIGNERSEAM.hex().upper(),
                 "attributes": "0000000000000000", "attributesMask": "FFFFFFFFFFFFFFFF",
                 "tcbLevels": [{"tcb": {"isvsvn": tdx.TEE_TCB_SVN[0]},
                                "tcbDate": matching["tcbDate"], "tcbStatus": "UpToDate"}]}
    return {"id": "TDX", "version": 3, "issueDate": pki.iso(issue), "nextUpdate": pki.iso(nxt),
            "fmspc": tdx.FMSPC.hex().upper(), "pceId": tdx.PCE_ID.hex().upper(), "tcbType": 0,
            "tcbEvaluationDataNumber": 17,
            "tdxModule": {"mrsigner": tdx.MRSIGNERSEAM.hex().upper(), "attributes": "0000000000000000",
                          "attributesMask": "FFFFFFFFFFFFFFFF"},
            "tdxModuleIdentities": [module_id], "tcbLevels": [matching, older]}


def qe_identity(opts, issue, nxt):
    signer = tdx.QE_MRSIGNER
    if opts.qe_identity_mismatch:
        signer = pki.sha256(b"p11tee TEST some other QE signer")
    return {"id": "TD_QE", "version": 2, "issueDate": pki.iso(issue), "nextUpdate": pki.iso(nxt),
            "tcbEvaluationDataNumber": 17, "miscselect": "00000000", "miscselectMask": "FFFFFFFF",
            "attributes": tdx.QE_ATTRIBUTES.hex().upper(),
            "attributesMask": "FBFFFFFFFFFFFFFF0000000000000000",
            "mrsigner": signer.hex().upper(), "isvprodid": tdx.QE_ISVPRODID,
            "tcbLevels": [{"tcb": {"isvsvn": tdx.QE_ISVSVN},
                           "tcbDate": pki.iso(issue - datetime.timedelta(days=90)),
                           "tcbStatus": "UpToDate"}]}


def _crl(issuer_cert, issuer_key, serials, last, nxt):
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer_cert.subject).last_update(last).next_update(nxt)
               .add_extension(x509.CRLNumber(1), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    for serial in serials:
        entry = (x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(last)
                 .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
                 .build())
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(issuer_key, hashes.SHA256())


def _signed_json(doc, key, fault):
    text = json.dumps(doc, separators=(",", ":"))
    sig = pki.raw_signature(key.sign(text.encode(), ec.ECDSA(hashes.SHA256())), 32)
    if fault:
        sig = pki.flip_last_byte(sig)
    return text, sig.hex()


def build(tdx_pki, opts):
    """The collateral dict for quotes made with tdx_pki."""
    issue = opts.issue_date or (tdx_pki.when - datetime.timedelta(days=1))
    nxt = opts.next_update or (issue + datetime.timedelta(days=30))
    # A couple of unrelated serials, so that an empty list is never what passes.
    pck_serials = [0x5EED0001, 0x5EED0002]
    if opts.revoke_pck:
        pck_serials.append(tdx_pki.pck.serial_number)
    root_serials = [tdx_pki.pck_ca.serial_number] if opts.revoke_intermediate else []
    pck_crl = _crl(tdx_pki.pck_ca, tdx_pki.pck_ca_key, pck_serials, issue, nxt)
    root_crl = _crl(tdx_pki.root, tdx_pki.root_key, root_serials, issue, nxt)
    tcb_text, tcb_sig = _signed_json(tcb_info(opts, issue, nxt), tdx_pki.tcb_key,
                                     "tcb-info-signature" in opts.faults)
    qe_text, qe_sig = _signed_json(qe_identity(opts, issue, nxt), tdx_pki.tcb_key,
                                   "qe-identity-signature" in opts.faults)
    signing_chain = (pki.pem(tdx_pki.tcb) + pki.pem(tdx_pki.root)).decode()
    return {
        "pck_crl_issuer_chain": (pki.pem(tdx_pki.pck_ca) + pki.pem(tdx_pki.root)).decode(),
        "root_ca_crl": root_crl.public_bytes(Encoding.DER).hex(),
        "pck_crl": pck_crl.public_bytes(Encoding.DER).hex(),
        "tcb_info_issuer_chain": signing_chain,
        "tcb_info": tcb_text,
        "tcb_info_signature": tcb_sig,
        "qe_identity_issuer_chain": signing_chain,
        "qe_identity": qe_text,
        "qe_identity_signature": qe_sig,
    }
