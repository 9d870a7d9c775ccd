"""Our formats, checked by a third-party Ed25519 implementation (Python's `cryptography`) with a
license-key decoder written here from the README, independent of the Swift code."""
import base64
import json
import struct
import zlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from conftest import issue_license

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def crockford_decode(text):
    text = text.upper().replace("-", "").replace("O", "0").replace("I", "1").replace("L", "1")
    bits = "".join(format(ALPHABET.index(c), "05b") for c in text)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) - 7, 8))


def ulid_text(raw):
    value = int.from_bytes(raw, "big")
    return "".join(ALPHABET[(value >> (5 * (25 - i))) & 31] for i in range(26))


def jwks_keys(server):
    _, jwks = server.json("GET", "/.well-known/jwks.json", token=None)
    keys = {}
    for key in jwks["keys"]:
        assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
        keys[key["kid"]] = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "=="))
    return keys


def test_license_key_verifies_with_the_published_jwks(server):
    license = issue_license(server)
    key = license["key"]
    assert key.startswith("TG1-") and len(key) < 200
    raw = crockford_decode(key[4:])
    assert len(raw) == 109
    payload, signature, crc = raw[:41], raw[41:105], raw[105:]
    assert struct.unpack(">I", crc)[0] == zlib.crc32(payload + signature)
    version, kid, license_id, product_id, expiry = payload[0], payload[1:5].hex(), payload[5:21], payload[21:37], payload[37:41]
    assert version == 1
    assert "lic_" + ulid_text(license_id) == license["id"]
    assert "prd_" + ulid_text(product_id) == license["productId"]
    assert kid == license["keyId"]
    assert struct.unpack(">I", expiry)[0] > 0
    public_key = jwks_keys(server)[kid]
    public_key.verify(signature, b"tollgate-license-key-v1\x00" + payload)
    forged = bytearray(payload)
    forged[-1] ^= 1
    try:
        public_key.verify(signature, b"tollgate-license-key-v1\x00" + bytes(forged))
        raise AssertionError("a changed payload verified")
    except InvalidSignature:
        pass


def test_validation_answer_signature_verifies_and_detects_tampering(server):
    license = issue_license(server)
    status, headers, body = server.request("POST", "/v1/licenses/validate", {"key": license["key"], "nonce": "py-nonce"}, token=None)
    assert status == 200
    answer = json.loads(body)
    assert answer["valid"] is True and answer["nonce"] == "py-nonce"
    header = headers["Tollgate-Signature"]
    fields = dict(part.strip().split("=", 1) for part in header.split(","))
    assert fields["algorithm"] == '"ed25519"'
    kid = fields["keyid"].strip('"')
    signature = base64.b64decode(fields["signature"].strip('"'))
    public_key = jwks_keys(server)[kid]
    public_key.verify(signature, body)
    tampered = body.replace(b'"valid":true', b'"valid":fals')
    try:
        public_key.verify(signature, tampered)
        raise AssertionError("a tampered answer verified")
    except InvalidSignature:
        pass


def test_public_key_pem_loads_in_a_standard_library(server):
    _, keys = server.json("GET", "/v1/keys")
    pem = keys["data"][0]["publicKeyPem"].encode()
    key = load_pem_public_key(pem)
    assert isinstance(key, Ed25519PublicKey)


def test_openapi_document_is_valid_openapi_3_1(server):
    from openapi_spec_validator import validate
    _, document = server.json("GET", "/openapi.json", token=None)
    assert document["openapi"] == "3.1.0"
    validate(document)
