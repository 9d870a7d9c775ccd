"""The example app (Examples/GatedServer) as a real process against a real server: its gated
routes answer 200 with a valid license and 402/403 without."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from conftest import ROOT, free_port, issue_license

EXAMPLE = ROOT / ".build" / "debug" / "tollgate-example"


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def start_example(server, tmp_path, product_id, name, license_key=None):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(server.json("GET", "/.well-known/jwks.json")[1]))
    port = free_port()
    env = dict(os.environ, TOLLGATE_URL=server.url, TOLLGATE_PRODUCT_ID=product_id, TOLLGATE_JWKS_FILE=str(jwks),
               TOLLGATE_STORAGE=str(tmp_path / name), EXAMPLE_PORT=str(port))
    if license_key:
        env["TOLLGATE_LICENSE_KEY"] = license_key
    log = open(tmp_path / f"{name}.log", "w+")
    process = subprocess.Popen([str(EXAMPLE)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if get(url + "/healthz")[0] == 200:
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    log.seek(0)
    raise RuntimeError("example did not start: " + log.read())


def stop(process):
    process.send_signal(2)  # SIGINT: graceful shutdown
    process.wait(timeout=30)


def test_the_example_gates_its_routes_by_license(server, tmp_path):
    license = issue_license(server, "professional", all_tiers=True)
    licensed, url = start_example(server, tmp_path, license["productId"], "licensed", license["key"])
    try:
        assert get(url + "/reports") == (200, "a report")
        assert get(url + "/api")[0] == 200
        status, body = get(url + "/sso")
        error = json.loads(body)["error"]
        assert status == 403 and error["code"] == "FEATURE_NOT_ENTITLED"
        assert (error["feature"], error["currentTier"], error["requiredTier"]) == ("sso", "Professional", "Enterprise")
    finally:
        stop(licensed)
    # The graceful shutdown deactivated the floating machine: the seat is free again.
    machines = server.json("GET", f"/v1/licenses/{license['id']}/machines")[1]["data"]
    assert [machine["status"] for machine in machines] == ["deactivated"]

    unlicensed, url = start_example(server, tmp_path, license["productId"], "unlicensed")
    try:
        for path in ("/reports", "/sso", "/api"):
            status, body = get(url + path)
            assert status == 402 and json.loads(body)["error"]["code"] == "LICENSE_REQUIRED", path
    finally:
        stop(unlicensed)
