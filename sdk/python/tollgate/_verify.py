"""Offline checks of everything a Tollgate server signs: license keys, license and machine
files, machine tokens and signed validation answers. The failure codes are the Swift and JS
SDKs' too, and the shared test vectors (sdk/vectors/vectors.json) state them as verdicts."""
import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Union

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class VerificationError(Exception):
    """Why something did not verify: a stable ``code`` and a sentence."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}
_DECODE.update({c.lower(): i for c, i in list(_DECODE.items())})
_DECODE.update({"O": 0, "o": 0, "I": 1, "i": 1, "L": 1, "l": 1})


def crockford_decode(text: str) -> Optional[bytes]:
    """Crockford Base32 (the license key alphabet); None for a character outside it."""
    out, buffer, bits = bytearray(), 0, 0
    for char in text:
        if char in "- \n\r\t":
            continue
        value = _DECODE.get(char)
        if value is None:
            return None
        buffer = (buffer << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((buffer >> bits) & 0xFF)
    if bits and buffer & ((1 << bits) - 1):
        return None
    return bytes(out)


def ulid(prefix: str, data: bytes) -> str:
    value = int.from_bytes(data, "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_" + "".join(reversed(chars))


_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_B64.update({"-": 62, "_": 63})


def _spare_bits_clear(symbols: str) -> bool:
    """Whether the last of `symbols` (the text without padding) carries no bits beyond the
    encoded bytes: decoders ignore those bits, so a text with them set is a changed character
    spelling the same bytes, and is refused."""
    rest = len(symbols) % 4
    if rest == 1:
        return False
    if rest == 0:
        return True
    value = _B64.get(symbols[-1], -1)
    return value >= 0 and value & (0x0F if rest == 2 else 0x03) == 0


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url, canonical only (see _spare_bits_clear)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or not _spare_bits_clear(text):
        raise ValueError("not canonical base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64_decode(text: str) -> bytes:
    """Padded standard base64, canonical only: validate=True holds the text to the alphabet with
    at most two '=' at the end; a whole number of quanta and clear spare bits are checked here."""
    data = base64.b64decode(text, validate=True)
    padding = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
    if len(text) % 4 or (padding and _B64[text[-padding - 1]] & (0x0F if padding == 2 else 0x03)):
        raise ValueError("not canonical base64")
    return data


def parse_time(text: Optional[str]) -> Optional[float]:
    """Unix seconds of an ISO 8601 UTC time as the server writes it (whole seconds, Z)."""
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class LicenseKeyInfo:
    key_id: str
    license_id: str
    product_id: str
    #: The expiry at issue time (Unix seconds), or None for perpetual.
    expires_at: Optional[int]


@dataclass(frozen=True)
class TokenClaims:
    license: str
    machine: str
    fingerprint: str
    product: str
    tier: str
    status: str
    entitlements: List[str]
    #: Limits by code (``maxMachines`` included): a whole number or ``"unlimited"``.
    limits: Dict[str, Union[int, str]]
    issued_at: int
    expires_at: int
    raw: Dict[str, Any]
    #: Which limits reset, and how often (``month``…); absent ones never reset.
    limit_periods: Dict[str, str] = field(default_factory=dict)
    #: The claims' format version (``ver``; 1 for tokens from before vendor-defined limits).
    version: int = 1


@dataclass(frozen=True)
class ValidationAnswer:
    valid: bool
    #: VALID, or why not (SUSPENDED, EXPIRED, …).
    code: str
    nonce: Optional[str]
    server_time: Optional[float]
    license: Optional[Dict[str, Any]]


#: The newest license file content format this SDK reads (2: limits are the vendor's codes).
FILE_VERSION = 2


def normalize_limits(raw: Dict[str, Any]) -> Dict[str, Union[int, str]]:
    """Limits by code as version 2 writes them: format 1 wrote unlimited as null."""
    limits: Dict[str, Union[int, str]] = {}
    for code, value in raw.items():
        if value is None or value == "unlimited":
            limits[code] = "unlimited"
        elif isinstance(value, int) and not isinstance(value, bool):
            limits[code] = value
        else:
            raise ValueError(f"limit {code}")
    return limits


FILE_LABEL = "TOLLGATE LICENSE FILE"
_FILE_DOMAIN = b"tollgate-license-file-v1"
_KEY_CONTEXT = b"tollgate-license-key-v1\x00"
FUTURE_TOLERANCE = 300


def unwrap_armor(text: str, label: str = FILE_LABEL) -> Optional[bytes]:
    """The data of the armored block; tolerates CRLF, indentation and mail '> ' quoting."""
    lines = []
    for line in re.split(r"\r\n|\r|\n", text):
        lines.append(line.lstrip(" \t>").rstrip(" \t\r"))
    try:
        begin = lines.index(f"-----BEGIN {label}-----")
        end = lines.index(f"-----END {label}-----", begin)
    except ValueError:
        return None
    try:
        return b64_decode("".join(lines[begin + 1:end]))
    except (binascii.Error, ValueError):
        return None


_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def canonical_envelope(envelope: Dict[str, Any]) -> bytes:
    """The one encoding of a file envelope the server writes: sorted keys, no white space,
    nothing escaped. The signature covers the fields, not their JSON, so a file whose envelope
    is spelled any other way (a changed byte) is refused."""
    fields = [envelope[name] for name in ("alg", "enc", "kid", "sig", "type")]
    if len(envelope) != 5 or not all(isinstance(f, str) for f in fields):
        raise ValueError("not a file envelope")
    # The key id is the one field that could hold a character JSON escapes (alg and type have a
    # few known values, enc and sig are base64); such a file was not issued by a server.
    if _ESCAPED.search(envelope["kid"]):
        raise ValueError("not a file envelope")
    return ('{"alg":"%s","enc":"%s","kid":"%s","sig":"%s","type":"%s"}' % tuple(fields)).encode()


def file_key(license_key: str, fingerprint: Optional[str]) -> bytes:
    """The AES-256 key of a file: HKDF-SHA256 of the license key, bound to a machine's fingerprint."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_FILE_DOMAIN,
                info=(fingerprint or "").encode()).derive(license_key.encode())


class Verifier:
    """Checks with the vendor's public keys (a JWKS as /.well-known/jwks.json serves it)."""

    def __init__(self, jwks: Dict[str, Any]):
        self.keys: Dict[str, Ed25519PublicKey] = {}
        for key in jwks.get("keys", []):
            if key.get("kty") == "OKP" and key.get("crv") == "Ed25519" and key.get("kid") not in self.keys:
                try:
                    self.keys[key["kid"]] = Ed25519PublicKey.from_public_bytes(b64url_decode(key["x"]))
                except (ValueError, KeyError):
                    continue

    def _check(self, kid: str, signature: bytes, message: bytes) -> bool:
        try:
            self.keys[kid].verify(signature, message)
            return True
        except InvalidSignature:
            return False

    def license_key(self, text: str) -> LicenseKeyInfo:
        """A license key's payload. Codes: KEY_MISTYPED, BAD_SIGNATURE."""
        text = text.strip(" \n\r\t")
        if text[:4].upper() != "TG1-":
            raise VerificationError("KEY_MISTYPED", "The key does not start with 'TG1-'.")
        data = crockford_decode(text[4:])
        if data is None:
            raise VerificationError("KEY_MISTYPED", "The key holds a character that is not in the key alphabet.")
        if len(data) != 41 + 64 + 4:
            raise VerificationError("KEY_MISTYPED", "The key has the wrong length: a character is missing or extra.")
        if zlib.crc32(data[:105]) != int.from_bytes(data[105:], "big"):
            raise VerificationError("KEY_MISTYPED", "The key's checksum does not match: it was probably mistyped.")
        if data[0] != 1:
            raise VerificationError("KEY_MISTYPED", f"The key's format version {data[0]} is not supported.")
        kid = data[1:5].hex()
        if kid not in self.keys:
            raise VerificationError("BAD_SIGNATURE", f"The key was signed by an unknown or retired signing key '{kid}'.")
        if not self._check(kid, data[41:105], _KEY_CONTEXT + data[:41]):
            raise VerificationError("BAD_SIGNATURE", "The key's signature does not verify: it was not issued by this vendor.")
        seconds = int.from_bytes(data[37:41], "big")
        return LicenseKeyInfo(kid, ulid("lic", data[5:21]), ulid("prd", data[21:37]), seconds or None)

    def license_file(self, text: str, now: float, license_key: Optional[str] = None,
                     fingerprint: Optional[str] = None) -> Dict[str, Any]:
        """A license or machine file's content at ``now`` (Unix seconds). Codes: FILE_MALFORMED,
        UNKNOWN_KEY, BAD_SIGNATURE, FILE_ENCRYPTED, WRONG_KEY, WRONG_MACHINE, ISSUED_IN_FUTURE, FILE_EXPIRED,
        FILE_VERSION_UNSUPPORTED. Version 1 files read too: their unlimited limits (null) read as "unlimited"."""
        malformed = VerificationError("FILE_MALFORMED", "This is not a readable Tollgate license file.")
        data = unwrap_armor(text)
        try:
            envelope = json.loads(data) if data is not None else None
            alg, kid, kind = envelope["alg"], envelope["kid"], envelope["type"]
            if data != canonical_envelope(envelope):
                raise ValueError("not the envelope as issued")
            enc, signature = b64_decode(envelope["enc"]), b64_decode(envelope["sig"])
        except (ValueError, TypeError, KeyError, binascii.Error):
            raise malformed from None
        if alg not in ("ed25519", "aes-256-gcm+ed25519") or kind not in ("license", "machine"):
            raise malformed
        if kid not in self.keys:
            raise VerificationError("UNKNOWN_KEY", f"The file is signed by key '{kid}', which the verifier does not hold.")
        message = b"\x00".join([_FILE_DOMAIN, alg.encode(), kind.encode(), kid.encode(), b""]) + enc
        if not self._check(kid, signature, message):
            raise VerificationError("BAD_SIGNATURE", "The file's signature does not match its content: it was changed.")
        plain = enc
        if alg == "aes-256-gcm+ed25519":
            if license_key is None or (kind == "machine" and fingerprint is None):
                raise VerificationError("FILE_ENCRYPTED", "The file is encrypted: give the license key (and the fingerprint for a machine file).")
            try:
                plain = AESGCM(file_key(license_key, fingerprint if kind == "machine" else None)).decrypt(enc[:12], enc[12:], None)
            except (InvalidTag, ValueError):
                if kind == "machine":
                    raise VerificationError("WRONG_MACHINE", "The file does not open with this license key and fingerprint.") from None
                raise VerificationError("WRONG_KEY", "The license key does not open this file.") from None
        try:
            content = json.loads(plain)
            issued, expires = parse_time(content["issuedAt"]), parse_time(content["expiresAt"])
            version = content.setdefault("version", 1)
            license_info = content["license"]
            license_info["limits"] = normalize_limits(license_info["limits"])
            license_info.setdefault("limitPeriods", {})
        except (ValueError, TypeError, KeyError, AttributeError):
            raise malformed from None
        if content.get("type") != kind or not isinstance(version, int):
            raise malformed
        if version > FILE_VERSION:
            raise VerificationError("FILE_VERSION_UNSUPPORTED", f"The file is of format version {version}, newer than this SDK reads: update the app.")
        if issued - now > FUTURE_TOLERANCE:
            raise VerificationError("ISSUED_IN_FUTURE", f"The file was issued at {content['issuedAt']}, ahead of this machine's clock.")
        if now >= expires:
            raise VerificationError("FILE_EXPIRED", f"The file expired at {content['expiresAt']}; check out a new one.")
        machine = content.get("machine")
        if fingerprint is not None and machine and machine.get("fingerprint") != fingerprint:
            raise VerificationError("WRONG_MACHINE", "The file is bound to another machine.")
        return content

    def token(self, token: str, now: Optional[float] = None) -> TokenClaims:
        """A machine token's claims; with ``now``, an expired one is refused.
        Codes: TOKEN_MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, TOKEN_EXPIRED."""
        malformed = VerificationError("TOKEN_MALFORMED", "This is not a Tollgate machine token.")
        parts = token.split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            header = json.loads(b64url_decode(parts[0]))
            payload, signature = b64url_decode(parts[1]), b64url_decode(parts[2])
            kid = header["kid"]
            if header.get("alg") != "EdDSA":
                raise ValueError
        except (ValueError, TypeError, KeyError):
            raise malformed from None
        if kid not in self.keys:
            raise VerificationError("UNKNOWN_KEY", f"The token is signed by unknown key '{kid}'.")
        if not self._check(kid, signature, f"{parts[0]}.{parts[1]}".encode()):
            raise VerificationError("BAD_SIGNATURE", "The token's signature does not match its content.")
        try:
            raw = json.loads(payload)
            claims = TokenClaims(raw["license"], raw["machine"], raw["fingerprint"], raw["product"], raw["tier"],
                                 raw["status"], list(raw["entitlements"]), normalize_limits(raw["limits"]), int(raw["iat"]),
                                 int(raw["exp"]), raw, dict(raw.get("limitPeriods") or {}), int(raw.get("ver", 1)))
        except (ValueError, TypeError, KeyError):
            raise malformed from None
        if now is not None and now >= claims.expires_at:
            raise VerificationError("TOKEN_EXPIRED", "The token has expired.")
        return claims

    def validation_answer(self, body: bytes, signature: Optional[str], nonce: str) -> ValidationAnswer:
        """A validation answer whose Tollgate-Signature signs exactly ``body`` and which echoes
        ``nonce``. Codes: NO_SIGNATURE, UNKNOWN_KEY, BAD_SIGNATURE, ANSWER_MALFORMED, NONCE_MISMATCH."""
        fields = dict(re.findall(r'(\w+)\s*=\s*"?([^",]*)"?', signature or ""))
        try:
            if fields.get("algorithm") != "ed25519" or "keyid" not in fields:
                raise ValueError
            signed = b64_decode(fields["signature"])
        except (KeyError, ValueError, binascii.Error):
            raise VerificationError("NO_SIGNATURE", "The answer carries no Tollgate-Signature.") from None
        kid = fields["keyid"]
        if kid not in self.keys:
            raise VerificationError("UNKNOWN_KEY", f"The answer is signed by unknown key '{kid}'.")
        if not self._check(kid, signed, body):
            raise VerificationError("BAD_SIGNATURE", "The answer's signature does not match its body.")
        try:
            answer = json.loads(body)
            result = ValidationAnswer(answer["valid"], answer["code"], answer.get("nonce"),
                                      parse_time(answer.get("serverTime")), answer.get("license"))
            if not isinstance(result.valid, bool) or not isinstance(result.code, str):
                raise ValueError
        except (ValueError, TypeError, KeyError):
            raise VerificationError("ANSWER_MALFORMED", "The answer is not a validation answer.") from None
        if result.nonce != nonce:
            raise VerificationError("NONCE_MISMATCH", "The answer does not echo this request's nonce: it is a replay.")
        return result
