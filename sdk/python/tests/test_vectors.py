"""Every shared vector (sdk/vectors/vectors.json, written by the server's code) gives its verdict."""
import json
from pathlib import Path

import pytest

from tollgate import VerificationError, Verifier
from tollgate._verify import parse_time

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "vectors" / "vectors.json").read_text())
VERIFIER = Verifier(VECTORS["jwks"])


def verdict(check):
    try:
        return True, check()
    except VerificationError as error:
        return False, {"valid": False, "error": error.code}


def cases(section):
    return [pytest.param(vector, id=vector["name"]) for vector in VECTORS[section]]


def without_none(expected):
    return {name: value for name, value in expected.items() if value is not None}


@pytest.mark.parametrize("vector", cases("licenseKeys"))
def test_license_keys(vector):
    ok, value = verdict(lambda: VERIFIER.license_key(vector["key"]))
    got = without_none({"valid": True, "licenseId": value.license_id, "productId": value.product_id,
                        "keyId": value.key_id, "expiresAt": value.expires_at}) if ok else value
    assert got == vector["expect"]


@pytest.mark.parametrize("vector", cases("licenseFiles"))
def test_license_files(vector):
    ok, value = verdict(lambda: VERIFIER.license_file(vector["file"], vector["now"], vector.get("licenseKey"),
                                                      vector.get("fingerprint")))
    if ok:
        value = without_none({
            "valid": True, "type": value["type"], "licenseId": value["license"]["id"],
            "machineId": (value.get("machine") or {}).get("id"), "tier": value["license"]["tier"],
            "entitlements": value["license"]["entitlements"], "offlineGraceDays": value["license"]["offlineGraceDays"],
            "expiresAt": int(parse_time(value["expiresAt"])),
            "limits": value["license"]["limits"] if "limits" in vector["expect"] else None,
            "limitPeriods": value["license"]["limitPeriods"] if "limitPeriods" in vector["expect"] else None})
    assert value == vector["expect"]


@pytest.mark.parametrize("vector", cases("tokens"))
def test_tokens(vector):
    ok, value = verdict(lambda: VERIFIER.token(vector["token"], vector["now"]))
    got = without_none({"valid": True, "licenseId": value.license, "machineId": value.machine, "tier": value.tier,
                        "entitlements": value.entitlements, "expiresAt": value.expires_at,
                        "limits": value.limits if "limits" in vector["expect"] else None,
                        "limitPeriods": value.limit_periods if "limitPeriods" in vector["expect"] else None}) if ok else value
    assert got == vector["expect"]


@pytest.mark.parametrize("vector", cases("validationAnswers"))
def test_validation_answers(vector):
    ok, value = verdict(lambda: VERIFIER.validation_answer(vector["body"].encode(), vector.get("signature"), vector["nonce"]))
    got = {"valid": True, "licenseId": (value.license or {}).get("id"), "code": value.code} if ok else value
    assert got == vector["expect"]


def test_there_are_vectors_in_every_section():
    assert all(len(VECTORS[section]) >= 7 for section in ("licenseKeys", "licenseFiles", "tokens", "validationAnswers"))


def test_version_1_limits_read_null_as_unlimited():
    from tollgate._verify import normalize_limits
    assert normalize_limits({"maxWorkflows": None, "seats": 3, "gpu-hours": "unlimited"}) == {
        "maxWorkflows": "unlimited", "seats": 3, "gpu-hours": "unlimited"}
    with pytest.raises(ValueError):
        normalize_limits({"seats": "lots"})
