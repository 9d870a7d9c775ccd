"""Tollgate client SDK: activate this machine, validate online or from the signed file (offline
window, grace, then fail closed), gate features and limits, beat, record usage.

    from tollgate import Client, HeartbeatWorker
    client = Client("https://licenses.example.com", "prd_…", jwks, "~/.myapp/license")
    client.activate(license_key)            # once per machine; stored
    if not client.validate().allows_use: sys.exit("no valid license")
    worker = HeartbeatWorker(client).start()
"""
from ._client import Client, FeatureRequired, HeartbeatWorker, LicenseNotUsable, TollgateError, machine_fingerprint
from ._state import ClientState, ClientStatus, FileCheck, Rules
from ._usage import UsageBuffer
from ._verify import LicenseKeyInfo, TokenClaims, ValidationAnswer, VerificationError, Verifier

__all__ = [
    "Client", "ClientState", "ClientStatus", "FeatureRequired", "FileCheck", "HeartbeatWorker", "LicenseKeyInfo",
    "LicenseNotUsable", "Rules", "TokenClaims", "TollgateError", "UsageBuffer", "ValidationAnswer", "VerificationError",
    "Verifier", "machine_fingerprint",
]
