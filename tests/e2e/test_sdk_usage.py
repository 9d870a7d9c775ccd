"""Each SDK's usage buffer against a real server: events recorded while the server is down stay on
disk, reach the restarted server once, and a resend of the same sealed batch (as after an answer
lost on its way back) counts nothing more. The count is read back from the quota (a counter kept
with the events) and from the SQLite file."""
import json
import sqlite3
import subprocess
import sys

from conftest import ROOT, Server, issue_license

METER = "executionsPerMonth"  # the professional preset's monthly limit, so the quota shows the count


def prepared(tmp_path):
    server = Server(tmp_path / "data")
    assert server.json("POST", "/v1/meters", {"code": METER, "name": "Executions", "aggregation": "count"})[0] == 201
    license = issue_license(server)
    jwks = server.json("GET", "/.well-known/jwks.json")[1]
    return server, license, jwks


def counted(server, license, tmp_path):
    quota = server.json("GET", f"/v1/licenses/{license['id']}/quotas")[1]["quotas"]
    used = next(q["used"] for q in quota if q["meter"] == METER)
    stored = sqlite3.connect(tmp_path / "data" / "tollgate.sqlite").execute("SELECT COUNT(*) FROM usage_events").fetchone()[0]
    return used, stored


def sealed(directory):
    return {path: path.read_bytes() for path in (directory / "usage").glob("batch-*.jsonl")}


def test_the_python_buffer_delivers_usage_recorded_offline_exactly_once(tmp_path):
    sys.path.insert(0, str(ROOT / "sdk" / "python"))
    from tollgate import Client
    server, license, jwks = prepared(tmp_path)
    client = Client(server.url, license["productId"], jwks, tmp_path / "app")
    client.activate(license["key"])
    server.stop()
    for _ in range(5):
        client.record(METER, 1)
    assert client.flush_usage() == {"sent": 0, "pending": 5, "rejected": 0}
    copies = sealed(tmp_path / "app")
    assert len(copies) == 1
    restarted = Server(tmp_path / "data")
    try:
        client.server_url = restarted.url
        assert client.flush_usage() == {"sent": 5, "pending": 0, "rejected": 0}
        for path, data in copies.items():
            path.write_bytes(data)
        assert client.flush_usage()["sent"] == 5  # the same request again: answered, not counted
        assert counted(restarted, license, tmp_path) == (5, 5)
    finally:
        restarted.stop()


SCRIPT = """
import { readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { Client } from '%s/sdk/js/src/index.js';
const [phase, url, productId, jwksPath, dir, key] = process.argv.slice(2);
const client = new Client({ serverUrl: url, productId, jwks: JSON.parse(readFileSync(jwksPath, 'utf8')), storageDir: dir });
if (phase === 'activate') await client.activate(key);
if (phase === 'record') for (let i = 0; i < 5; i++) client.record('%s', 1);
if (phase === 'restore') for (const name of readdirSync(dir + '-copy')) copyFileSync(dir + '-copy/' + name, dir + '/usage/' + name);
const result = phase === 'activate' ? {} : await client.flushUsage();
if (phase === 'record') {
  mkdirSync(dir + '-copy');
  for (const name of readdirSync(dir + '/usage').filter((n) => n.startsWith('batch-'))) copyFileSync(dir + '/usage/' + name, dir + '-copy/' + name);
}
console.log(JSON.stringify(result));
"""


def test_the_javascript_buffer_delivers_usage_recorded_offline_exactly_once(tmp_path):
    server, license, jwks = prepared(tmp_path)
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    (tmp_path / "app.mjs").write_text(SCRIPT % (ROOT, METER))

    def node(phase, url):
        run = subprocess.run(["node", "app.mjs", phase, url, license["productId"], "jwks.json", str(tmp_path / "app"), license["key"]],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    node("activate", server.url)
    server.stop()
    assert node("record", server.url) == {"sent": 0, "pending": 5, "rejected": 0}
    restarted = Server(tmp_path / "data")
    try:
        assert node("flush", restarted.url) == {"sent": 5, "pending": 0, "rejected": 0}
        assert node("restore", restarted.url)["sent"] == 5  # the same request again: answered, not counted
        assert counted(restarted, license, tmp_path) == (5, 5)
    finally:
        restarted.stop()
