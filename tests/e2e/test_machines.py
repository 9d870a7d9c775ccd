"""Machines over real HTTP: activation tokens verified by a third-party JWT library (PyJWT)
against our JWKS, heartbeats, and the offline flows through the command line."""
import json
import os
import subprocess

import jwt
import pytest

from conftest import ADMIN_TOKEN, BINARY, issue_license


def tollgate(server, *args, input=None, license_key=None):
    environment = dict(os.environ, TOLLGATE_URL=server.url, TOLLGATE_TOKEN=ADMIN_TOKEN)
    if license_key:
        environment["TOLLGATE_LICENSE_KEY"] = license_key
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, env=environment, timeout=30, input=input)


def activate(server, license, fingerprint="fp-e2e"):
    status, answer = server.json(
        "POST", "/v1/machines", {"fingerprint": fingerprint, "name": "e2e"}, token=None,
        headers={"Authorization": f"License {license['key']}"})
    assert status == 201, answer
    return answer


def test_pyjwt_verifies_the_activation_token_against_our_jwks(server):
    license = issue_license(server)
    answer = activate(server, license)
    token = answer["token"]
    client = jwt.PyJWKClient(server.url + "/.well-known/jwks.json")
    signing_key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=["EdDSA"], issuer="tollgate", options={"require": ["exp", "iat", "sub"]})
    assert claims["license"] == license["id"]
    assert claims["machine"] == answer["machine"]["id"] == claims["sub"]
    assert claims["fingerprint"] == "fp-e2e"
    assert claims["product"] == license["productId"]
    assert claims["tier"] == "Professional"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert set(claims) >= {"entitlements", "limits", "licenseVersion", "machineVersion"}
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"

    # A changed payload fails PyJWT's signature check.
    head, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(jwt.utils.base64url_decode(payload).replace(b'"fp-e2e"', b'"fp-xxx"')).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged}.{signature}", signing_key.key, algorithms=["EdDSA"])


def test_a_token_asked_for_usage_carries_it_and_pyjwt_reads_it(server):
    license = issue_license(server)
    server.json("POST", "/v1/meters", {"code": "executionsPerMonth", "name": "Executions", "aggregation": "sum"})
    status, _ = server.json("POST", "/v1/usage/events", [{"id": f"run-{n}", "licenseId": license["id"], "meter": "executionsPerMonth",
                                                          "quantity": "1.25"} for n in range(2)])
    assert status == 200
    status, answer = server.json("POST", "/v1/machines", {"fingerprint": "fp-usage", "scope": {"usage": True}}, token=None,
                                 headers={"Authorization": f"License {license['key']}"})
    assert status == 201 and answer["license"]["usage"] == {"executionsPerMonth": 2.5}, answer
    client = jwt.PyJWKClient(server.url + "/.well-known/jwks.json")
    def claims(token):
        return jwt.decode(token, client.get_signing_key_from_jwt(token).key, algorithms=["EdDSA"], issuer="tollgate")
    assert claims(answer["token"])["usage"] == {"executionsPerMonth": 2.5}
    # A heartbeat asking again sees the usage since; one that does not ask carries none.
    server.json("POST", "/v1/usage/events", {"id": "run-3", "licenseId": license["id"], "meter": "executionsPerMonth", "quantity": 1})
    status, beat = server.json("POST", f"/v1/machines/{answer['machine']['id']}/heartbeat", {"scope": {"usage": True}}, token=answer["token"])
    assert status == 200 and claims(beat["token"])["usage"] == {"executionsPerMonth": 3.5}, beat
    status, plain = server.json("POST", f"/v1/machines/{answer['machine']['id']}/heartbeat", token=beat["token"])
    assert status == 200 and "usage" not in claims(plain["token"]) and "usage" not in plain["license"]


def test_a_suspension_reaches_the_machine_at_its_next_heartbeat(server):
    license = issue_license(server)
    answer = activate(server, license)
    machine = answer["machine"]["id"]
    status, beat = server.json("POST", f"/v1/machines/{machine}/heartbeat", token=answer["token"])
    assert status == 200 and beat["license"]["status"] == "active"
    server.json("POST", f"/v1/licenses/{license['id']}/actions/suspend")
    status, refused = server.json("POST", f"/v1/machines/{machine}/heartbeat", token=beat["token"])
    assert status == 401
    assert refused["error"]["code"] == "TOKEN_REVOKED" and refused["error"]["licenseStatus"] == "suspended"
    status, verdict = server.json("POST", "/v1/tokens/verify", {"token": beat["token"]}, token=None)
    assert status == 200 and verdict["valid"] is False and verdict["code"] == "TOKEN_REVOKED"


def test_check_out_and_offline_verification_through_the_cli(server, tmp_path):
    license = issue_license(server)
    answer = activate(server, license, fingerprint="fp-cli")
    machine = answer["machine"]["id"]
    jwks = server.url + "/.well-known/jwks.json"
    machine_file = tmp_path / "machine.lic"
    out = tollgate(server, "machines", "check-out", machine, "--encrypt", "-o", str(machine_file))
    assert out.returncode == 0, out.stderr
    ok = tollgate(server, "verify", "--file", str(machine_file), "--jwks", jwks, "--license-key", license["key"], "--fingerprint", "fp-cli")
    assert ok.returncode == 0 and ok.stdout.startswith("VALID"), ok.stdout + ok.stderr
    other = tollgate(server, "verify", "--file", str(machine_file), "--jwks", jwks, "--license-key", license["key"], "--fingerprint", "fp-other")
    assert other.returncode == 1 and other.stdout.startswith("WRONG_MACHINE")
    locked = tollgate(server, "verify", "--file", str(machine_file), "--jwks", jwks)
    assert locked.returncode == 1 and locked.stdout.startswith("FILE_ENCRYPTED")
    text = machine_file.read_text()
    lines = text.splitlines()
    lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
    tampered = tmp_path / "tampered.lic"
    tampered.write_text("\n".join(lines) + "\n")
    bad = tollgate(server, "verify", "--file", str(tampered), "--jwks", jwks, "--license-key", license["key"], "--fingerprint", "fp-cli")
    assert bad.returncode == 1, bad.stdout

    license_file = tmp_path / "license.lic"
    assert tollgate(server, "licenses", "check-out", license["id"], "-o", str(license_file), license_key=license["key"]).returncode == 0
    plain = tollgate(server, "verify", "--file", str(license_file), "--jwks", jwks, "--json")
    assert plain.returncode == 0 and '"license"' in plain.stdout


def test_the_cli_refuses_a_file_whose_signature_is_respelled_to_the_same_bytes(server, tmp_path):
    """A lenient base64 decoder reads a signature whose last character's unused bits changed as
    the same signature; `tollgate verify` decodes canonically and refuses the file."""
    import base64
    license = issue_license(server)
    jwks = server.url + "/.well-known/jwks.json"
    license_file = tmp_path / "license.lic"
    assert tollgate(server, "licenses", "check-out", license["id"], "-o", str(license_file), license_key=license["key"]).returncode == 0
    lines = license_file.read_text().splitlines()
    envelope = json.loads(base64.b64decode("".join(lines[1:-1])))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sig = envelope["sig"]
    respelled_sig = sig[:-3] + alphabet[alphabet.index(sig[-3]) | 1] + sig[-2:]
    assert base64.b64decode(respelled_sig) == base64.b64decode(sig)
    envelope["sig"] = respelled_sig
    body = base64.b64encode(json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()).decode()
    respelled = tmp_path / "respelled.lic"
    respelled.write_text("\n".join([lines[0], *[body[i:i + 64] for i in range(0, len(body), 64)], lines[-1]]) + "\n")
    assert tollgate(server, "verify", "--file", str(license_file), "--jwks", jwks).returncode == 0
    refused = tollgate(server, "verify", "--file", str(respelled), "--jwks", jwks)
    assert refused.returncode == 1 and refused.stdout.startswith("FILE_MALFORMED"), refused.stdout + refused.stderr


def test_air_gapped_activation_and_deactivation_round_trip_through_the_cli(server, tmp_path):
    license = issue_license(server)
    request = tmp_path / "request.txt"
    made = tollgate(server, "machines", "offline-request", "--fingerprint", "vault-1", "--name", "vault", "-o", str(request), license_key=license["key"])
    assert made.returncode == 0, made.stderr
    assert "BEGIN TOLLGATE ACTIVATION REQUEST" in request.read_text()
    # The connected machine needs no credential: the block proves the key.
    environment = dict(os.environ, TOLLGATE_URL=server.url)
    environment.pop("TOLLGATE_TOKEN", None)
    machine_file = tmp_path / "machine.lic"
    submitted = subprocess.run([str(BINARY), "machines", "offline-activate", str(request), "-o", str(machine_file)],
                               capture_output=True, text=True, env=environment, timeout=30)
    assert submitted.returncode == 0, submitted.stderr
    jwks = server.url + "/.well-known/jwks.json"
    verified = tollgate(server, "verify", "--file", str(machine_file), "--jwks", jwks, "--fingerprint", "vault-1")
    assert verified.returncode == 0, verified.stdout
    _, machines = server.json("GET", f"/v1/licenses/{license['id']}/machines")
    assert [m["fingerprint"] for m in machines["data"]] == ["vault-1"]

    receipt = tmp_path / "receipt.txt"
    made = tollgate(server, "machines", "offline-deactivate", "--file", str(machine_file), "-o", str(receipt), license_key=license["key"])
    assert made.returncode == 0, made.stderr
    freed = subprocess.run([str(BINARY), "machines", "submit-receipt", str(receipt), "--json"], capture_output=True, text=True, env=environment, timeout=30)
    assert freed.returncode == 0, freed.stderr
    _, machines = server.json("GET", f"/v1/licenses/{license['id']}/machines")
    assert machines["data"][0]["status"] == "deactivated"
    assert machines["data"][0]["deactivationReason"] == "offline-receipt"


def test_fifty_concurrent_activations_over_http_take_exactly_five_seats(server):
    from concurrent.futures import ThreadPoolExecutor
    _, product = server.json("POST", "/v1/products", {"code": "race", "name": "Race"})
    _, policy = server.json("POST", "/v1/policies", {"productId": product["id"], "name": "Five", "maxMachines": 5})
    _, customer = server.json("POST", "/v1/customers", {"name": "Acme"})
    _, license = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})

    def activate_one(n):
        return server.json("POST", "/v1/machines", {"fingerprint": f"race-{n}"}, token=None,
                           headers={"Authorization": f"License {license['key']}"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(activate_one, range(50)))
    assert sorted(status for status, _ in results).count(201) == 5
    refused = [body["error"] for status, body in results if status != 201]
    assert len(refused) == 45 and all(e["code"] == "MACHINE_LIMIT_EXCEEDED" and e["limit"] == 5 for e in refused)
    _, machines = server.json("GET", f"/v1/licenses/{license['id']}/machines?limit=100")
    assert len(machines["data"]) == 5
