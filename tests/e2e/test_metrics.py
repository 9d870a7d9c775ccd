"""/metrics of a real server: the business metrics report what the server holds, and every metric
the alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboard (deploy/grafana/tollgate.json)
name is one the server exports. promtool checks the rules themselves (scripts/test)."""
import json
import re

from conftest import ROOT

NAME = re.compile(r"\b(tollgate_[a-z0-9_]+)")


def exported(server):
    """metric family name → kind, and the sample lines, from the exposition text."""
    status, _, raw = server.request("GET", "/metrics", token=None)
    assert status == 200
    text = raw.decode()
    kinds = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    return kinds, text


def sample(text, name, labels=""):
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def names_in(expression):
    return set(NAME.findall(expression))


def family(name, kinds):
    """The exported family a name in a query belongs to (histograms export _bucket, _sum, _count)."""
    if name in kinds:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and kinds.get(name[: -len(suffix)]) == "histogram":
            return name[: -len(suffix)]
    return None


def test_business_metrics_report_what_the_server_holds(server):
    _, product = server.json("POST", "/v1/products", {"code": "metered", "name": "Metered"})
    _, policy = server.json("POST", "/v1/policies", {"productId": product["id"], "name": "Basic"})
    _, customer = server.json("POST", "/v1/customers", {"name": "Acme"})
    licenses = [server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})[1] for _ in range(3)]
    server.json("POST", f"/v1/licenses/{licenses[0]['id']}/actions/suspend")
    status, _ = server.json("POST", "/v1/machines", {"fingerprint": "fp-1"}, token=None, headers={"Authorization": f"License {licenses[1]['key']}"})
    assert status == 201
    server.request("POST", "/v1/licenses/validate", {"key": licenses[1]["key"]}, token=None)
    server.request("POST", "/v1/licenses/validate", {"key": "TG1-not-a-key"}, token=None)
    kinds, text = exported(server)
    assert sample(text, "tollgate_licenses", '{status="active"}') == 2
    assert sample(text, "tollgate_licenses", '{status="suspended"}') == 1
    assert sample(text, "tollgate_machines_active") == 1
    assert sample(text, "tollgate_database_up") == 1
    assert sample(text, "tollgate_validations_total", '{code="VALID"}') >= 1
    assert sample(text, "tollgate_validations_total", '{code="MISTYPED"}') >= 1
    # Counters exist at 0 before their first event, so rules over them see a series.
    assert sample(text, "tollgate_webhook_deliveries_total", '{outcome="given_up"}') == 0
    assert sample(text, "tollgate_usage_events_total", '{outcome="rejected"}') == 0
    assert sample(text, "tollgate_job_failures_total", '{kind="notification.send"}') == 0
    assert kinds["tollgate_jobs_due"] == "gauge" and kinds["tollgate_webhook_oldest_pending_seconds"] == "gauge"


def test_the_alert_rules_and_the_dashboard_name_only_exported_metrics(server):
    # One request and one validation, so that request and validation series exist.
    server.request("POST", "/v1/licenses/validate", {"key": "TG1-not-a-key"}, token=None)
    kinds, _ = exported(server)
    rules = (ROOT / "deploy/prometheus/alerts.yml").read_text()
    expressions = re.findall(r"^\s+expr: (\|\n(?:\s{10}.*\n)+|.*)$", rules, re.M)
    assert len(expressions) >= 10
    dashboard = json.loads((ROOT / "deploy/grafana/tollgate.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(queries) >= 15
    named = set().union(*(names_in(e) for e in expressions + queries))
    unknown = sorted(name for name in named if family(name, kinds) is None)
    assert not unknown, f"named but not exported: {unknown}"
    # What the issue asks the server to export is all there.
    for wanted in ["tollgate_licenses", "tollgate_machines_active", "tollgate_validations_total", "tollgate_usage_events_total",
                   "tollgate_jobs_due", "tollgate_job_oldest_due_seconds", "tollgate_webhook_deliveries_total",
                   "tollgate_webhook_oldest_pending_seconds"]:
        assert wanted in kinds, wanted
        assert wanted in named, f"{wanted} is neither alerted on nor charted"
