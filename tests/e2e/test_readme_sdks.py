"""The README's Python and JavaScript SDK snippets, pasted as they are (placeholders filled in),
run against a real server."""
import json
import os
import re
import subprocess
import sys

from conftest import ROOT, issue_license

README = (ROOT / "README.md").read_text()


def snippet(name):
    match = re.search(rf"<!-- sdk-snippet:{name} -->\n```\w+\n(.*?)```", README, re.S)
    assert match, name
    return match.group(1)


def filled(code, server, license):
    return (code.replace("http://127.0.0.1:8080", server.url).replace("prd_…", license["productId"])
            .replace("TG1-…", license["key"]))


def machines(server, license):
    return [m["status"] for m in server.json("GET", f"/v1/licenses/{license['id']}/machines")[1]["data"]]


def test_the_python_snippet_runs_as_pasted(server, tmp_path):
    license = issue_license(server, "professional")
    (tmp_path / "jwks.json").write_text(json.dumps(server.json("GET", "/.well-known/jwks.json")[1]))
    (tmp_path / "app.py").write_text(filled(snippet("python"), server, license))
    run = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(ROOT / "sdk" / "python")))
    assert run.returncode == 0, run.stderr
    assert machines(server, license) == ["deactivated"]  # activated, then given back at stop
    assert (tmp_path / "myapp-license" / "usage").is_dir()


def test_the_javascript_snippet_runs_as_pasted(server, tmp_path):
    license = issue_license(server, "professional")
    (tmp_path / "jwks.json").write_text(json.dumps(server.json("GET", "/.well-known/jwks.json")[1]))
    (tmp_path / "sdk").symlink_to(ROOT / "sdk")
    (tmp_path / "app.mjs").write_text(filled(snippet("js"), server, license))
    run = subprocess.run(["node", "app.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert machines(server, license) == ["deactivated"]
