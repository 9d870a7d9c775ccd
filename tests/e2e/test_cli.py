"""The command line against a real server: exit codes, offline verification with a PEM key,
key rotation, and audit tampering reported with exit code 1."""
import os
import re
import sqlite3
import subprocess

from conftest import ADMIN_TOKEN, BINARY, free_port, issue_license


def tollgate(server, *args, url=None):
    environment = dict(os.environ, TOLLGATE_URL=url or server.url, TOLLGATE_TOKEN=ADMIN_TOKEN)
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, env=environment, timeout=30)


def test_verify_with_a_pem_public_key_and_exit_codes(server, tmp_path):
    license = issue_license(server)
    _, keys = server.json("GET", "/v1/keys")
    pem = tmp_path / "public.pem"
    pem.write_text(keys["data"][0]["publicKeyPem"])
    ok = tollgate(server, "verify", license["key"], "--public-key", str(pem))
    assert ok.returncode == 0 and ok.stdout.startswith("VALID"), ok.stdout + ok.stderr
    typo = license["key"][:-3] + ("A" if license["key"][-3] != "A" else "B") + license["key"][-2:]
    mistyped = tollgate(server, "verify", typo, "--public-key", str(pem))
    assert mistyped.returncode == 1 and mistyped.stdout.startswith("MISTYPED")
    usage = tollgate(server, "verify", license["key"])
    assert usage.returncode == 64
    unreachable = tollgate(server, "products", "list", url=f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 3 and "Cannot reach" in unreachable.stderr
    refused = tollgate(server, "licenses", "reinstate", license["id"])
    assert refused.returncode == 1 and "LICENSE_NOT_SUSPENDED" in refused.stderr
    listed = tollgate(server, "licenses", "list", "--json")
    assert listed.returncode == 0 and license["id"] in listed.stdout


def test_keys_rotate_keeps_old_keys_verifying(server):
    old = issue_license(server)
    rotated = tollgate(server, "keys", "rotate", "-q")
    assert rotated.returncode == 0
    new = issue_license(server)
    assert new["keyId"] != old["keyId"]
    for license in (old, new):
        assert tollgate(server, "verify", license["key"], "--jwks", server.url + "/.well-known/jwks.json").returncode == 0
    table = tollgate(server, "keys", "list")
    assert table.stdout.count("live") == 2


def test_audit_verify_reports_an_edited_row(server):
    issue_license(server)
    assert tollgate(server, "audit", "verify").returncode == 0
    with sqlite3.connect(server.data_dir / "tollgate.sqlite") as db:
        db.execute("UPDATE audit_events SET actor = 'someone-else' WHERE sequence = 3")
    broken = tollgate(server, "audit", "verify")
    assert broken.returncode == 1 and "BROKEN at entry 3" in broken.stdout, broken.stdout


def test_accounts_create_adds_an_isolated_tenant(server):
    created = subprocess.run(
        [str(BINARY), "accounts", "create", "Second vendor", "--data-dir", str(server.data_dir), "--json"],
        capture_output=True, text=True, timeout=30)
    assert created.returncode == 0, created.stderr
    import json
    token = json.loads(created.stdout)["adminToken"]
    license = issue_license(server)
    status, _ = server.json("GET", f"/v1/licenses/{license['id']}", token=token)
    assert status == 404
    status, product = server.json("POST", "/v1/products", {"code": "theirs", "name": "Theirs"}, token=token)
    assert status == 201
    # The running server learns the new account's signing key from the data directory.
    _, policy = server.json("POST", "/v1/policies/presets/community", {"productId": product["id"]}, token=token)
    _, customer = server.json("POST", "/v1/customers", {"name": "Their customer"}, token=token)
    status, theirs = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]}, token=token)
    assert status == 201, theirs
    _, answer = server.json("POST", "/v1/licenses/validate", {"key": theirs["key"]}, token=None)
    assert answer["code"] == "VALID"
    _, jwks = server.json("GET", "/.well-known/jwks.json", token=None)
    assert theirs["keyId"] in [key["kid"] for key in jwks["keys"]]


def test_vendor_limits_and_the_entitlement_catalogue_from_the_command_line(server):
    import json
    product = json.loads(tollgate(server, "products", "create", "--code", "cad", "--name", "CAD", "--json").stdout)
    refused = tollgate(server, "policies", "create", "--product", product["id"], "--name", "Studio", "--entitlement", "sso")
    assert refused.returncode == 1 and "UNKNOWN_ENTITLEMENT" in refused.stderr
    added = tollgate(server, "products", "add-entitlement", product["id"], "--code", "sso", "--description", "Single sign-on")
    assert added.returncode == 0, added.stderr
    listed = tollgate(server, "products", "entitlements", product["id"])
    assert "sso" in listed.stdout and "Single sign-on" in listed.stdout
    created = tollgate(server, "policies", "create", "--product", product["id"], "--name", "Studio", "--entitlement", "sso",
                       "--limit", "seats=5", "--limit", "gpu-hours=100/month", "--limit", "projects=unlimited", "--lease-limit", "seats", "--json")
    assert created.returncode == 0, created.stderr
    policy = json.loads(created.stdout)
    assert policy["limits"] == {"seats": 5, "gpu-hours": 100, "projects": "unlimited"}
    assert policy["limitPeriods"] == {"gpu-hours": "month"} and policy["leaseLimit"] == "seats"
    bad = tollgate(server, "policies", "create", "--product", product["id"], "--name", "Bad", "--limit", "seats=lots")
    assert bad.returncode == 64


def test_meters_from_the_command_line(server):
    import json
    created = tollgate(server, "meters", "create", "--code", "gpu-hours", "--name", "GPU hours", "--aggregation", "sum",
                       "--filter", "region=eu", "--filter", "region=us", "--group-by", "model", "--json")
    assert created.returncode == 0, created.stderr
    meter = json.loads(created.stdout)
    assert meter["filters"] == {"region": ["eu", "us"]} and meter["groupBy"] == ["model"] and "property" not in meter
    taken = tollgate(server, "meters", "create", "--code", "gpu-hours", "--name", "Again", "--aggregation", "count")
    assert taken.returncode == 1 and "METER_CODE_TAKEN" in taken.stderr
    listed = tollgate(server, "meters", "list")
    assert "gpu-hours" in listed.stdout and "sum" in listed.stdout
    shown = tollgate(server, "meters", "show", meter["id"], "--json")
    assert json.loads(shown.stdout)["code"] == "gpu-hours"
    assert tollgate(server, "meters", "create", "--code", "x", "--name", "X", "--aggregation", "count", "--filter", "nope").returncode == 64


def test_usage_from_the_command_line(server, tmp_path):
    import json
    assert tollgate(server, "meters", "create", "--code", "exports", "--name", "Exports", "--aggregation", "count").returncode == 0
    license = issue_license(server)
    events = tmp_path / "events.ndjson"
    lines = [json.dumps({"id": f"imp-{n}", "licenseId": license["id"], "meter": "exports"}) for n in range(2500)]
    lines[1200] = json.dumps({"id": "imp-bad", "licenseId": license["id"], "meter": "nope"})
    events.write_text("\n".join(lines) + "\n")
    imported = tollgate(server, "usage", "import", str(events))
    assert imported.returncode == 1, imported.stdout + imported.stderr
    assert "accepted 2499, duplicates 0, conflicts 0, rejected 1" in imported.stdout
    assert "line 1201: UNKNOWN_METER" in imported.stdout and "2500/2500 events" in imported.stderr
    # Run again (an interrupted import is resumed this way): every stored event is a duplicate.
    again = tollgate(server, "usage", "import", str(events))
    assert "accepted 0, duplicates 2499" in again.stdout
    recorded = tollgate(server, "usage", "record", "--license", license["id"], "--meter", "exports", "--id", "one", "--json")
    assert recorded.returncode == 0 and json.loads(recorded.stdout)["status"] == "accepted", recorded.stderr
    assert tollgate(server, "usage", "record", "--license", license["id"], "--meter", "nope").returncode == 1
    assert tollgate(server, "usage", "record", "--meter", "exports", "--property", "x").returncode == 64
    # No limit binds the meter here: the check says so.
    checked = tollgate(server, "usage", "check", "--license", license["id"], "--meter", "exports")
    assert checked.returncode == 1 and "NO_QUOTA" in checked.stderr
    quotas = tollgate(server, "usage", "quotas", license["id"], "--json")
    assert quotas.returncode == 0 and json.loads(quotas.stdout)["licenseId"] == license["id"]
    # Usage over time: 2,500 events today (2,499 imported, one recorded), as a table and as CSV.
    shown = tollgate(server, "usage", "show", "--meter", "exports", "--bucket", "hour", "--license", license["id"])
    assert shown.returncode == 0 and re.search(r"^\S+\s+2500\s+2500$", shown.stdout, re.M), shown.stdout + shown.stderr
    csv_file = tmp_path / "usage.csv"
    exported = tollgate(server, "usage", "export", "--meter", "exports", "-o", str(csv_file))
    rows = csv_file.read_text().splitlines()
    assert exported.returncode == 0 and rows[0] == "start,end,events,value" and len(rows) == 32, rows[:3]
    assert rows[-1].endswith(",2500,2500"), rows[-1]
    # Percentiles come with a meter that keeps them; a bad bucket is the server's 400.
    assert tollgate(server, "meters", "create", "--code", "latency", "--name", "Latency", "--aggregation", "max", "--percentiles").returncode == 0
    assert tollgate(server, "usage", "record", "--license", license["id"], "--meter", "latency", "--quantity", "12").returncode == 0
    with_percentiles = tollgate(server, "usage", "export", "--meter", "latency", "--bucket", "month")
    assert with_percentiles.stdout.splitlines()[0] == "start,end,events,value,p50,p95,p99", with_percentiles.stdout
    assert tollgate(server, "usage", "show", "--meter", "exports", "--bucket", "week").returncode == 1


def test_telemetry_from_the_command_line(server):
    import json
    created = tollgate(server, "meters", "create", "--code", "screens", "--name", "Screens", "--aggregation", "count",
                       "--kind", "telemetry", "--allow-property", "screen", "--json")
    assert created.returncode == 0 and json.loads(created.stdout)["allowedProperties"] == ["screen"], created.stderr
    product = tollgate(server, "products", "create", "--code", "telemetry-app", "--name", "App", "-q").stdout.strip()
    opted = tollgate(server, "policies", "create", "--product", product, "--name", "Insights", "--telemetry", "-q").stdout.strip()
    private = tollgate(server, "policies", "create", "--product", product, "--name", "Private", "-q").stdout.strip()
    customer = tollgate(server, "customers", "create", "--name", "Initech", "-q").stdout.strip()
    licenses = [tollgate(server, "licenses", "create", "--policy", policy, "--customer", customer, "-q").stdout.strip() for policy in (opted, private)]
    recorded = tollgate(server, "usage", "record", "--license", licenses[0], "--meter", "screens", "--property", "screen=export", "--json")
    assert recorded.returncode == 0 and json.loads(recorded.stdout)["status"] == "accepted", recorded.stdout
    refused = tollgate(server, "usage", "record", "--license", licenses[1], "--meter", "screens", "--property", "screen=export", "--json")
    assert refused.returncode == 1 and json.loads(refused.stdout)["code"] == "TELEMETRY_NOT_OPTED_IN", refused.stdout
    undeclared = tollgate(server, "usage", "record", "--license", licenses[0], "--meter", "screens", "--property", "user=ann", "--json")
    assert undeclared.returncode == 1 and json.loads(undeclared.stdout)["code"] == "INVALID_USAGE_EVENT"
    shown = tollgate(server, "usage", "show", "--meter", "screens", "--bucket", "month", "--json")
    assert json.loads(shown.stdout)["topLicenses"][0]["licenseId"].startswith("anon_"), shown.stdout


def test_tokens_from_the_command_line(server):
    import json
    created = tollgate(server, "tokens", "create", "Helpdesk", "--role", "support", "--json")
    assert created.returncode == 0, created.stderr
    token = json.loads(created.stdout)
    assert token["role"] == "support" and token["secret"].startswith(token["prefix"])
    secret = tollgate(server, "tokens", "create", "Dashboards", "--role", "read-only", "--field", "secret").stdout.strip()
    assert secret.startswith("tgr_")
    listed = tollgate(server, "tokens", "list")
    assert "Helpdesk" in listed.stdout and "Dashboards" in listed.stdout and secret not in listed.stdout
    # The support token works until it is revoked, and cannot manage tokens itself.
    environment = dict(os.environ, TOLLGATE_URL=server.url, TOLLGATE_TOKEN=token["secret"])
    as_support = lambda *args: subprocess.run([str(BINARY), *args], capture_output=True, text=True, env=environment, timeout=30)
    assert as_support("licenses", "list").returncode == 0
    denied = as_support("tokens", "list")
    assert denied.returncode == 1 and "PERMISSION_DENIED" in denied.stderr
    assert tollgate(server, "tokens", "revoke", token["id"]).returncode == 0
    refused = as_support("licenses", "list")
    assert refused.returncode == 1 and "UNAUTHORIZED" in refused.stderr
    assert tollgate(server, "tokens", "create", "Bad", "--role", "superuser").returncode == 1
    # A token confined to one product sees that product's licenses only.
    _, product = server.json("POST", "/v1/products", {"code": "scoped", "name": "Scoped"})
    scoped = json.loads(tollgate(server, "tokens", "create", "Scoped CI", "--role", "developer", "--product", product["id"], "--json").stdout)
    assert scoped["productId"] == product["id"]
    as_scoped = dict(os.environ, TOLLGATE_URL=server.url, TOLLGATE_TOKEN=scoped["secret"])
    keys = subprocess.run([str(BINARY), "keys", "list"], capture_output=True, text=True, env=as_scoped, timeout=30)
    assert keys.returncode == 1 and "confined to product" in keys.stderr


def test_users_from_the_command_line(server):
    import json
    import urllib.request
    link = tollgate(server, "users", "invite", "--email", "sam@example.com", "--name", "Sam", "--role", "support", "--field", "invitation.url")
    assert link.returncode == 0, link.stderr
    assert "/admin/join/tgi_" in link.stdout
    with urllib.request.urlopen(link.stdout.strip(), timeout=10) as page:
        assert page.status == 200 and b"Choose a password" in page.read()
    listed = tollgate(server, "users", "list")
    assert "sam@example.com" in listed.stdout and "invited" in listed.stdout and "tgi_" not in listed.stdout
    user = json.loads(tollgate(server, "users", "list", "--json").stdout)["data"]
    sam = next(u for u in user if u["email"] == "sam@example.com")
    changed = tollgate(server, "users", "set-role", sam["id"], "sales", "--json")
    assert changed.returncode == 0 and json.loads(changed.stdout)["role"] == "sales"
    assert tollgate(server, "users", "disable", sam["id"], "--field", "status").stdout.strip() == "disabled"
    again = tollgate(server, "users", "reinvite", sam["id"])
    assert again.returncode == 1 and "USER_NOT_INVITED" in again.stderr
    assert tollgate(server, "users", "require-two-factor", "--field", "requireTwoFactor").stdout.strip() == "true"
    _, customer = server.json("POST", "/v1/customers", {"name": "Globex"})
    portal = tollgate(server, "users", "invite", "--customer", customer["id"], "--email", "it@globex.example", "--name", "IT", "--field", "invitation.url")
    assert "/portal/join/tgi_" in portal.stdout
    assert "it@globex.example" in tollgate(server, "users", "list", "--customer", customer["id"]).stdout
    wrong = tollgate(server, "users", "invite", "--email", "x@example.com", "--name", "X")
    assert wrong.returncode == 64, "a staff user needs --role, a customer's --customer"
    audit = tollgate(server, "audit", "list", "--json", "--limit", "100")
    assert audit.returncode == 0 and "user.role_changed" in audit.stdout and "user.disabled" in audit.stdout
