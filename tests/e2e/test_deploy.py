"""The deployment files parse, and their probes, ports and environment names match the server's
real configuration (the variables ServerConfiguration reads, the routes a running server answers)."""
import re

import yaml

from conftest import ROOT

DEPLOY = ROOT / "deploy"


def server_variables():
    source = (ROOT / "Sources/TollgateServer/ServerConfiguration.swift").read_text()
    names = set(re.findall(r'environment\["(TOLLGATE_[A-Z_]+)"\]', source))
    assert {"TOLLGATE_PORT", "TOLLGATE_DATABASE_URL", "TOLLGATE_KEY_ENCRYPTION_KEY"} <= names
    return names


def kubernetes():
    documents = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            documents[document["kind"]] = document
    return documents


def test_every_yaml_file_parses():
    files = sorted(DEPLOY.rglob("*.yml")) + sorted(DEPLOY.rglob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        assert list(yaml.safe_load_all(path.read_text())), path


def test_kubernetes_has_the_objects_and_probes_the_issue_asks_for(server):
    docs = kubernetes()
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret"} <= set(docs)
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    port = container["ports"][0]
    assert port["containerPort"] == int(env["TOLLGATE_PORT"])
    assert env["TOLLGATE_HOST"] == "0.0.0.0"
    # Probes point at routes a real server answers 200.
    liveness, readiness = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
    assert (liveness["path"], readiness["path"]) == ("/healthz", "/readyz")
    assert liveness["port"] == readiness["port"] == port["name"]
    for path in (liveness["path"], readiness["path"]):
        assert server.request("GET", path)[0] == 200
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]
    hpa = docs["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == docs["Deployment"]["metadata"]["name"]
    assert hpa["metrics"][0]["resource"]["name"] == "cpu" and hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == docs["Deployment"]["spec"]["selector"]["matchLabels"]
    # The secret holds the key-encryption key and the token, and every name is one the server reads.
    assert container["envFrom"][0]["secretRef"]["name"] == docs["Secret"]["metadata"]["name"]
    secret_names = set(docs["Secret"]["stringData"])
    assert {"TOLLGATE_KEY_ENCRYPTION_KEY", "TOLLGATE_ADMIN_TOKEN", "TOLLGATE_DATABASE_URL"} <= secret_names
    assert (secret_names | set(env)) <= server_variables()


def test_compose_runs_postgres_two_replicas_and_a_balancer_with_real_settings():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "tollgate-a", "tollgate-b", "loadbalancer"} <= set(services)
    for name in ("tollgate-a", "tollgate-b"):
        replica = services[name]
        assert set(replica["environment"]) <= server_variables()
        assert replica["environment"]["TOLLGATE_DATABASE_URL"].startswith("postgres://")
        assert replica["expose"] == [replica["environment"]["TOLLGATE_PORT"]]
    upstreams = re.findall(r"server (tollgate-[ab]):(\d+)", (DEPLOY / "nginx.conf").read_text())
    assert sorted(upstreams) == [("tollgate-a", "8080"), ("tollgate-b", "8080")]
    example = (DEPLOY / "tollgate.env.example").read_text()
    assert set(re.findall(r"^(TOLLGATE_[A-Z_]+)=", example, re.M)) <= server_variables()


def test_the_dockerfile_is_multi_stage_static_non_root_and_configured_with_real_names():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert "--static-swift-stdlib" in dockerfile
    assert re.search(r"^USER 10001$", dockerfile, re.M)
    names = set(re.findall(r"(TOLLGATE_[A-Z_]+)=", dockerfile))
    assert names and names <= server_variables()
    assert re.search(r"^EXPOSE 8080$", dockerfile, re.M) and "TOLLGATE_PORT=8080" in dockerfile
