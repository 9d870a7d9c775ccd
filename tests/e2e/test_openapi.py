"""The API document against real answers: a walk over the API, good requests and bad, and every
answer validated with openapi-core against the response schema the document gives for its
operation and status. Every operation must have had a validated success answer."""
import json
import os
import subprocess
import time

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from conftest import ADMIN_TOKEN, BINARY, issue_license

# Answers that are not JSON documents of a schema: Prometheus text, and the document itself
# (its schema is "an object").
NOT_JSON = {("get", "/metrics")}


class Walk:
    def __init__(self, server):
        self.server = server
        spec = json.loads(server.request("GET", "/openapi.json", token=None)[2])
        spec["servers"] = [{"url": server.url}]
        self.spec = spec
        self.openapi = OpenAPI.from_dict(spec)
        self.failures = []
        self.succeeded = set()

    def call(self, method, path, body=None, token=ADMIN_TOKEN, headers=None, raw=None):
        """Sends the request, validates the answer against the document, returns (status, JSON)."""
        status, answer_headers, data = self.server.request(
            method, path, body, token=token, headers=headers, raw=None if raw is None else raw.encode())
        route, _, query = path.partition("?")
        args = dict(pair.split("=", 1) for pair in query.split("&")) if query else {}
        request = MockRequest(self.server.url, method.lower(), route, args=args,
                              data=None if body is None else json.dumps(body).encode())
        content_type = (answer_headers.get("Content-Type") or answer_headers.get("content-type") or "application/json").split(";")[0]
        response = MockResponse(data, status_code=status, headers=answer_headers, content_type=content_type)
        try:
            result = self.openapi.unmarshal_response(request, response)
            if result.errors:
                raise AssertionError("; ".join(str(error) for error in result.errors))
            if 200 <= status < 300:
                self.succeeded.add((method.lower(), self._template(method, route)))
        except Exception as error:  # noqa: BLE001 — every failure is collected and reported together
            detail = getattr(error, "__cause__", None) or error
            self.failures.append(f"{method} {route} {status}: {type(error).__name__}: {detail} :: {data[:300]!r}")
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def _template(self, method, route):
        parts = route.strip("/").split("/")
        best = None
        for template, operations in self.spec["paths"].items():
            pieces = template.strip("/").split("/")
            if method.lower() in operations and len(pieces) == len(parts) and all(
                    p.startswith("{") or p == q for p, q in zip(pieces, parts)):
                score = sum(p.startswith("{") for p in pieces)
                if best is None or score < best[0]:
                    best = (score, template)
        return best[1] if best else route

    def operations(self):
        return {(method, path) for path, operations in self.spec["paths"].items()
                for method in operations if method in ("get", "post", "patch", "delete")}


def cli(server, *args, license_key=None):
    environment = dict(os.environ, TOLLGATE_URL=server.url, TOLLGATE_TOKEN=ADMIN_TOKEN)
    if license_key:
        environment["TOLLGATE_LICENSE_KEY"] = license_key
    done = subprocess.run([str(BINARY), *args], capture_output=True, text=True, env=environment, timeout=30)
    assert done.returncode == 0, done.stderr
    return done


def test_every_answer_matches_the_documented_schema_and_every_operation_answered(server, tmp_path):
    walk = Walk(server)
    call = walk.call
    # Products, the entitlement catalogue, presets and policies.
    _, product = call("POST", "/v1/products", {"code": "cad", "name": "CAD"})
    pid = product["id"]
    call("POST", "/v1/products", {"code": "cad", "name": "Again"})
    call("POST", "/v1/products", raw="{not json")
    call("GET", "/v1/products?limit=2")
    call("GET", f"/v1/products/{pid}")
    call("GET", "/v1/products/prd_missing")
    call("PATCH", f"/v1/products/{pid}", {"name": "CAD Studio"})
    call("POST", f"/v1/products/{pid}/entitlements", {"code": "sso", "description": "Single sign-on"})
    call("POST", f"/v1/products/{pid}/entitlements", {"code": "sso"})
    call("GET", f"/v1/products/{pid}/entitlements")
    status, meter = call("POST", "/v1/meters", {"code": "gpu-hours", "name": "GPU hours", "aggregation": "sum",
                                               "filters": {"region": ["eu"]}, "groupBy": ["model"]})
    assert status == 201, meter
    call("POST", "/v1/meters", {"code": "active-users", "name": "Active users", "aggregation": "unique_count", "property": "userId"})
    call("POST", "/v1/meters", {"code": "gpu-hours", "name": "Again", "aggregation": "count"})
    call("POST", "/v1/meters", {"code": "x", "name": "X", "aggregation": "median"})
    call("GET", "/v1/meters?limit=1")
    call("GET", f"/v1/meters/{meter['id']}")
    call("GET", "/v1/meters/mtr_missing")
    call("GET", "/v1/policies/presets")
    _, preset = call("POST", "/v1/policies/presets/professional", {"productId": pid})
    call("POST", "/v1/policies/presets/gold", {"productId": pid})
    _, policy = call("POST", "/v1/policies", {
        "productId": pid, "name": "Studio", "maxMachines": 3, "entitlements": ["core", "sso"],
        "limits": {"seats": 5, "gpu-hours": 100, "projects": "unlimited"}, "limitPeriods": {"gpu-hours": "month"}, "leaseLimit": "seats"})
    call("POST", "/v1/policies", {"productId": pid, "name": "Typo", "entitlements": ["sso-typo"]})
    call("GET", f"/v1/policies?productId={pid}")
    call("GET", f"/v1/policies/{policy['id']}")
    call("PATCH", f"/v1/policies/{policy['id']}", {"limits": {"projects": 10}})
    _, customer = call("POST", "/v1/customers", {"name": "Acme", "email": "ops@acme.test"})
    call("GET", "/v1/customers")
    call("GET", f"/v1/customers/{customer['id']}")
    call("PATCH", f"/v1/customers/{customer['id']}", {"email": None})
    # Licenses.
    _, license = call("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"], "limitOverrides": {"gpu-hours": 250}})
    lid, key = license["id"], license["key"]
    call("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"], "limitOverrides": {"gpu-hour": 1}})
    call("GET", "/v1/licenses?status=active")
    call("GET", "/v1/licenses?status=bogus")
    call("GET", f"/v1/licenses/{lid}")
    call("PATCH", f"/v1/licenses/{lid}", {"metadata": {"order": "42"}})
    call("POST", "/v1/licenses/validate", {"key": key, "nonce": "n-1"}, token=None)
    call("POST", "/v1/licenses/validate", {"key": "TG1-NOPE"}, token=None)
    licensed = {"Authorization": f"License {key}"}
    # Machines, tiers, files, leases, tokens.
    _, activated = call("POST", "/v1/machines", {"fingerprint": "ws-1", "name": "ws"}, token=None, headers=licensed)
    machine, token = activated["machine"]["id"], activated["token"]
    # Usage: a batch with an admin token, a retry, one event with the key, bad requests.
    usage = [{"id": "u-1", "licenseId": lid, "meter": "gpu-hours", "quantity": "2.5", "properties": {"model": "a100", "region": "eu"}},
             {"id": "u-2", "licenseId": lid, "meter": "nope"}]
    status, recorded = call("POST", "/v1/usage/events", {"events": usage})
    assert status == 200 and recorded["accepted"] == 1 and recorded["rejected"] == 1, recorded
    call("POST", "/v1/usage/events", usage)
    call("POST", "/v1/usage/events", {"id": "u-3", "meter": "gpu-hours", "quantity": 1, "properties": {"region": "eu"}}, token=None, headers=licensed)
    call("POST", "/v1/usage/events", [])
    call("POST", "/v1/usage/events", raw="[{")
    # Quotas: gpu-hours (EU events only) has a monthly limit (250 by the override), with 2.5 + 1 used.
    status, quotas = call("GET", f"/v1/licenses/{lid}/quotas", token=token)
    assert status == 200 and quotas["quotas"][0]["used"] == 3.5 and quotas["quotas"][0]["limit"] == 250, quotas
    assert quotas["suggestedTier"]["current"] is False or quotas["suggestedTier"]["policyId"] == policy["id"], quotas
    call("GET", "/v1/licenses/lic_missing/quotas")
    status, checked = call("POST", "/v1/usage/check", {"meter": "gpu-hours", "quantity": "246.5"}, token=None, headers=licensed)
    assert status == 200 and checked["fits"] is True and checked["code"] is None, checked
    call("POST", "/v1/usage/check", {"licenseId": lid, "meter": "seats"})
    call("POST", "/v1/usage/check", {"licenseId": lid, "meter": "gpu-hours", "quantity": "x"})
    status, estimate = call("POST", "/v1/usage/estimate", {"licenseId": lid, "usage": {"gpu-hours": 300}})
    assert status == 200 and estimate["estimates"][0]["overage"] == 53.5, estimate
    call("POST", "/v1/usage/estimate", {"licenseId": lid, "usage": {}})
    # Analytics: the series by day, with top licenses and percentiles of a latency meter.
    call("POST", "/v1/meters", {"code": "latency", "name": "Latency", "aggregation": "max", "property": "ms", "percentiles": True})
    call("POST", "/v1/usage/events", [{"id": f"l-{n}", "licenseId": lid, "meter": "latency", "properties": {"ms": n}} for n in (5, 9, 40)])
    status, series = call("GET", "/v1/analytics/usage?meter=gpu-hours&bucket=day&top=5")
    assert status == 200 and series["series"][-1]["value"] == 3.5 and series["topLicenses"][0]["licenseId"] == lid, series
    status, latency = call("GET", f"/v1/analytics/usage?meter=latency&bucket=hour&licenseId={lid}")
    assert status == 200 and abs(latency["series"][-1]["p99"] - 40) <= 0.4 and latency["series"][0]["p50"] is None, latency
    call("GET", f"/v1/analytics/usage?meter=gpu-hours&bucket=month&customerId={customer['id']}")
    call("GET", "/v1/analytics/usage?meter=gpu-hours&bucket=day&groupBy=true")
    call("GET", "/v1/analytics/usage?meter=gpu-hours&bucket=week")
    call("GET", "/v1/analytics/usage?meter=nope")
    call("GET", "/v1/analytics/usage?meter=gpu-hours&licenseId=lic_missing")
    call("POST", "/v1/licenses/validate", {"key": key, "scope": {"entitlements": ["sso"]}}, token=None)
    call("GET", "/v1/analytics/adoption")
    call("GET", "/v1/analytics/adoption?productId=prd_missing")
    call("POST", "/v1/machines", {"fingerprint": "ws-1"}, token=None, headers=licensed)
    call("GET", "/v1/machines")
    call("GET", f"/v1/machines/{machine}", token=token)
    call("GET", f"/v1/licenses/{lid}/machines", token=None, headers=licensed)
    call("GET", f"/v1/products/{pid}/tiers", token=token)
    call("POST", f"/v1/machines/{machine}/heartbeat", token=token)
    status, beat = call("POST", f"/v1/machines/{machine}/heartbeat", {"scope": {"usage": True}}, token=token)
    assert status == 200 and beat["license"]["usage"] == {"gpu-hours": 3.5}, beat
    call("POST", f"/v1/machines/{machine}/actions/check-out", {"encrypt": True}, token=token)
    call("POST", f"/v1/licenses/{lid}/actions/check-out", {}, token=None, headers=licensed)
    _, lease = call("POST", f"/v1/licenses/{lid}/leases", {"ttlSeconds": 60}, token=token)
    call("GET", f"/v1/licenses/{lid}/leases", token=token)
    call("POST", f"/v1/licenses/{lid}/leases/{lease['id']}/actions/renew", {"ttlSeconds": 60}, token=token)
    call("DELETE", f"/v1/licenses/{lid}/leases/{lease['id']}", token=token)
    call("POST", "/v1/tokens/verify", {"token": token}, token=None)
    call("GET", f"/v1/licenses/{lid}/validations")
    status, by_customer = call("POST", "/v1/usage/events", {"id": "u-4", "customerId": customer["id"], "meter": "gpu-hours",
                                                           "properties": {"region": "eu"}})
    assert status == 200 and by_customer["accepted"] == 1, by_customer
    # An air-gapped machine, through the blocks the CLI makes.
    request_block = tmp_path / "request.txt"
    cli(server, "machines", "offline-request", "--fingerprint", "vault-1", "--name", "vault", "-o", str(request_block), license_key=key)
    _, offline = call("POST", "/v1/machines/offline-activations", {"request": request_block.read_text()}, token=None)
    machine_file = tmp_path / "vault.lic"
    machine_file.write_text(offline["file"])
    receipt = tmp_path / "receipt.txt"
    cli(server, "machines", "offline-deactivate", "--file", str(machine_file), "-o", str(receipt), license_key=key)
    call("POST", "/v1/machines/offline-deactivations", {"receipt": receipt.read_text()}, token=None)
    call("POST", "/v1/machines/offline-activations", {"request": "nonsense"}, token=None)
    # Lifecycle.
    for action in ["suspend", "suspend", "reinstate", "renew"]:  # a perpetual license's renewal answers 409
        call("POST", f"/v1/licenses/{lid}/actions/{action}")
    call("POST", f"/v1/licenses/{lid}/actions/change-policy", {"policyId": preset["id"]})
    call("POST", f"/v1/licenses/{lid}/actions/renew")
    call("POST", f"/v1/machines/{machine}/heartbeat", token=token)
    call("DELETE", f"/v1/machines/{machine}", token=None, headers=licensed)
    call("POST", f"/v1/licenses/{lid}/actions/revoke")
    # The log, the account, keys and operations.
    call("GET", "/v1/events?limit=5")
    call("GET", "/v1/events?type=license.*")
    call("GET", "/v1/audit-events?limit=5")
    # Emails: planned within seconds of the licenses above (not sent: this server has no SMTP).
    for _ in range(200):
        _, emails = call("GET", "/v1/notifications?kind=license_issued")
        if emails["data"]:
            break
        time.sleep(0.05)
    call("GET", f"/v1/notifications/{emails['data'][0]['id']}")
    call("GET", "/v1/notifications?state=lost")
    call("GET", "/v1/notifications/ntf_missing")
    call("GET", "/v1/audit-events/verify")
    call("GET", "/v1/account")
    call("PATCH", "/v1/account", {"requireTwoFactor": False})
    call("PATCH", "/v1/account", {"requireTwoFactor": "no"})
    # Users: staff and a customer's, invitations, a role change, a refusal.
    _, staff = call("POST", "/v1/users", {"email": "sam@example.com", "name": "Sam", "role": "support"})
    call("POST", "/v1/users", {"email": "sam@example.com", "name": "Sam", "role": "support"})
    call("GET", "/v1/users")
    call("GET", f"/v1/users/{staff['id']}")
    call("PATCH", f"/v1/users/{staff['id']}", {"role": "sales"})
    call("POST", f"/v1/users/{staff['id']}/invitation")
    call("GET", "/v1/users/usr_missing")
    _, customer_user = call("POST", f"/v1/customers/{customer['id']}/users", {"email": "it@acme.example", "name": "IT"})
    call("GET", f"/v1/customers/{customer['id']}/users")
    call("GET", "/v1/licenses?q=acme")
    call("GET", "/v1/customers?q=acme")
    # API tokens: a token of a lesser role, its list entry (never the secret), its revocation.
    _, helpdesk = call("POST", "/v1/tokens", {"name": "Helpdesk", "role": "support", "expiresAt": "2099-01-01T00:00:00Z"})
    call("POST", f"/v1/licenses/{lid}/actions/reinstate", token=helpdesk["secret"])
    call("GET", "/v1/keys", token=helpdesk["secret"])
    call("GET", "/v1/tokens")
    _, scoped = call("POST", "/v1/tokens", {"name": "Engine CI", "role": "developer", "productId": product["id"]})
    call("GET", "/v1/licenses", token=scoped["secret"])
    call("GET", "/v1/keys", token=scoped["secret"])
    call("POST", "/v1/tokens", {"name": "x", "role": "superuser"})
    call("DELETE", f"/v1/tokens/{helpdesk['id']}")
    call("DELETE", "/v1/tokens/tok_missing")
    # Webhook endpoints: the secret in the answers to creation and rotation only.
    _, endpoint = call("POST", "/v1/webhook-endpoints", {"url": "https://hooks.example.com/t", "eventTypes": ["license.*"], "description": "CRM"})
    call("POST", "/v1/webhook-endpoints", {"url": "ftp://example.com/"})
    call("GET", "/v1/webhook-endpoints")
    call("GET", f"/v1/webhook-endpoints/{endpoint['id']}")
    call("POST", f"/v1/webhook-endpoints/{endpoint['id']}/actions/rotate-secret")
    # A ping's delivery fails (the name does not resolve here) and waits for its retry.
    call("POST", f"/v1/webhook-endpoints/{endpoint['id']}/actions/ping")
    for _ in range(200):
        _, log = call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries?state=pending")
        if log["data"] and log["data"][0]["attemptCount"] >= 1:
            break
        time.sleep(0.025)
    delivery = log["data"][0]["id"]
    call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery}")
    call("POST", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery}/actions/retry")
    call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries?state=lost")
    call("PATCH", f"/v1/webhook-endpoints/{endpoint['id']}", {"enabled": False})
    call("POST", f"/v1/webhook-endpoints/{endpoint['id']}/actions/ping")
    call("DELETE", f"/v1/webhook-endpoints/{endpoint['id']}")
    call("GET", "/v1/webhook-endpoints/whe_missing")
    # Email templates: the defaults, one of the vendor's own, a refused one, back to the default.
    call("GET", "/v1/notification-templates")
    call("PUT", "/v1/notification-templates/license_issued", {"subject": "Your {{product}} key", "text": "Key: {{key}}", "html": "<p>Key: {{key}}</p>"})
    call("PUT", "/v1/notification-templates/license_issued", {"subject": "{{#broken}}", "text": "x", "html": "x"})
    call("GET", "/v1/notification-templates/license_issued")
    call("DELETE", "/v1/notification-templates/license_issued")
    call("GET", "/v1/notification-templates/no_such_kind")
    call("PATCH", "/v1/account", {"apiRequestsPerMinute": 6000})
    call("GET", "/v1/keys")
    _, rotated = call("POST", "/v1/keys/actions/rotate")
    call("POST", f"/v1/keys/{rotated['kid']}/actions/retire")
    call("POST", "/v1/keys/kid_missing/actions/retire")
    for path in ["/.well-known/jwks.json", "/healthz", "/readyz", "/metrics", "/openapi.json"]:
        call("GET", path, token=None)

    assert not walk.failures, "\n".join(walk.failures)
    # The check has teeth: an answer that breaks its schema is caught.
    broken = MockResponse(b'{"id":7,"name":"Default","createdAt":"2026-01-01T00:00:00Z","signingKeyId":null,"caller":{}}')
    assert walk.openapi.unmarshal_response(MockRequest(server.url, "get", "/v1/account"), broken).errors
    missing = walk.operations() - walk.succeeded - NOT_JSON
    assert not missing, f"operations without a validated success answer: {sorted(missing)}"
